/**
 * agents/evaluate.ts `goalEvaluator`, the one definition of "the goal is reached" that every
 * trainer and the DQN driver use: the quick check, its confirmation on the check seeds, and fresh
 * episodes that must agree. An env whose return depends on the reset seed tells them apart.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { BOX_FLOAT32, BaseEnv, Box, DISCRETE, Discrete, make, register, withSpaces, type ResetArgs, type ResetReturn, type StepReturn } from '../envs/index.js';
import { EVAL_EPISODES, EVAL_SEEDS, GOAL_EPISODES, GoalRule, evaluatePolicy, finalEvaluation, finalEvaluationOn, goalEvaluator, trainerGoalEvaluator } from '../agents/evaluate.js';
import { GENERATIVE_EVAL_SEEDS } from '../generative/eval.js';
import { SPEC_LIMITS } from '../protocol/limits.js';
import { Rng } from '../base/rng.js';

/** One step per episode; reward 1 on the seeds of the checks (below the final seeds), `lucky` of them only, 0 elsewhere. */
class SeedLuck extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>(0, 1, [1], 'float32');
  readonly actionSpace = new Discrete(2);
  private seed = 0;
  constructor(private readonly finalToo: boolean) {
    super();
  }
  reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
    this.resetRng(args.seed);
    this.seed = args.seed ?? 0;
    return [new Float32Array(1), {}];
  }
  step(): StepReturn<Float32Array> {
    const onCheckSeeds = this.seed < EVAL_SEEDS.final(0);
    return [new Float32Array(1), onCheckSeeds || this.finalToo ? 1 : 0, true, false, {}];
  }
}
register({ id: 'test/SeedLuck-v0', entryPoint: (kwargs: Record<string, unknown>) => new SeedLuck(kwargs.finalToo === true) });

const options = (finalToo: boolean, metrics: Record<string, number>[]) => ({
  envId: 'test/SeedLuck-v0',
  kwargs: { finalToo },
  policy: () => () => 0,
  evalEpisodes: 10,
  goalEpisodes: 100,
  goal: 1,
  seed: 3,
  onMetrics: (m: Record<string, number>) => metrics.push(m),
});

test('a snapshot that reaches the goal on the check seeds but not on fresh episodes does not stop training', () => {
  const metrics: Record<string, number>[] = [];
  const g = goalEvaluator(options(false, metrics));
  assert.is(g.evaluate(5000), false);
  assert.is(g.result.goalReachedAt, undefined);
  assert.is(g.result.lastEval!.meanReturn, 1);
  assert.is(g.result.lastEval!.returns.length, 100, 'the quick check passed, so 100 check episodes confirmed it');
  assert.is(g.result.final!.meanReturn, 0, 'the fresh episodes disagreed');
  assert.equal(metrics, [{ 'eval/mean_return': 1, 'eval/episodes': 100 }]);
});

test('the goal stands when the fresh episodes agree; they are the score to report', () => {
  const g = goalEvaluator(options(true, []));
  assert.is(g.evaluate(7000), true);
  assert.is(g.result.goalReachedAt, 7000);
  assert.is(g.result.final!.returns.length, 100);
  assert.is(g.result.final!.meanReturn, 1);
});

test('no goal: a plain periodic check, never a stop', () => {
  const g = goalEvaluator({ ...options(true, []), goal: undefined });
  assert.is(g.evaluate(1000), false);
  assert.is(g.result.lastEval!.returns.length, 10);
  assert.is(g.result.final, undefined);
});

test("a trainer's goal check: none without evalInterval, else goalEvaluator with the options' episodes or the defaults", () => {
  assert.is(trainerGoalEvaluator({ envId: 'test/SeedLuck-v0' }, 3, () => () => 0), undefined);
  const metrics: Record<string, number>[] = [];
  const g = trainerGoalEvaluator({ envId: 'test/SeedLuck-v0', kwargs: { finalToo: true }, evalInterval: 1000, goal: 1, onMetrics: (m) => metrics.push(m) }, 3, () => () => 0)!;
  assert.is(g.evaluate(2000), true);
  assert.equal([EVAL_EPISODES, GOAL_EPISODES], [10, 100]);
  assert.is(g.result.final!.returns.length, GOAL_EPISODES);
  assert.equal(metrics, [{ 'eval/mean_return': 1, 'eval/episodes': GOAL_EPISODES }]);
  const quick = trainerGoalEvaluator({ envId: 'test/SeedLuck-v0', evalInterval: 1000, evalEpisodes: 4 }, 3, () => () => 0)!;
  assert.is(quick.evaluate(1000), false);
  assert.is(quick.result.lastEval!.returns.length, 4);
});

test("the final evaluation plays the final seeds, which no check plays, and stops an endless episode at maxSteps", () => {
  // SeedLuck pays 1 on the check seeds only: the final report scores 0 there
  const f = finalEvaluation('test/SeedLuck-v0', () => 0, { episodes: 5, seed: 3 });
  assert.is(f.firstSeed, EVAL_SEEDS.final(3));
  assert.equal(f.returns, [0, 0, 0, 0, 0]);
  assert.equal(f, { ...evaluatePolicy('test/SeedLuck-v0', () => 0, 5, EVAL_SEEDS.final(3)), firstSeed: EVAL_SEEDS.final(3) });
  // an env that never ends an episode: each lasts maxSteps
  const endless = new (class extends BaseEnv<Float32Array, number> {
    readonly observationSpace = new Box<Float32Array>(0, 1, [1], 'float32');
    readonly actionSpace = new Discrete(2);
    reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
      this.resetRng(args.seed);
      return [new Float32Array(1), {}];
    }
    step(): StepReturn<Float32Array> {
      return [new Float32Array(1), 1, false, false, {}];
    }
  })();
  const capped = finalEvaluationOn(endless, () => 0, { episodes: 2, seed: 0, maxSteps: 7 });
  assert.equal(capped.lengths, [7, 7]);
  assert.is(capped.meanReturn, 7);
});

test("evaluatePolicy of an id gives the policy each observation as its batch row, as training does: a Discrete state as a Float32Array of its index, not a number a network cannot read", () => {
  const rows: Float32Array[] = [];
  const right = (row: Float32Array) => {
    rows.push(row);
    return 2;
  };
  // FrozenLake 4x4 without slips: S F F F along the top row, so "right" walks 0 → 1 → 2 → 3
  const r = evaluatePolicy('FrozenLake-v1', right, 1, 0, { isSlippery: false }, 3);
  assert.equal(r.lengths, [3]);
  assert.ok(rows.every((row) => row instanceof Float32Array && row.length === 1));
  assert.equal(rows.map((row) => row[0]), [0, 1, 2]);
  // a Box env's row is its observation's values
  const poles: Float32Array[] = [];
  evaluatePolicy('CartPole-v1', (row) => (poles.push(row), 0), 1, 7, {}, 1);
  const [first] = withSpaces(make('CartPole-v1'), BOX_FLOAT32, DISCRETE).reset({ seed: 7 });
  assert.ok(poles[0] instanceof Float32Array);
  assert.equal(Array.from(poles[0]), Array.from(first));
});

test('every evaluation seed stays a seed, an episode index added, for every seed a config accepts (up to MAX_SAFE_INTEGER), and is unchanged for every seed below 2³²', () => {
  // the formulas the committed runs were evaluated with, for every spec's seed (≤ SPEC_LIMITS.seed) and up to 2³²
  for (const s of [0, 1, 3, 1001, SPEC_LIMITS.seed, 2 ** 32 - 1]) {
    assert.equal([EVAL_SEEDS.check(s), EVAL_SEEDS.final(s), EVAL_SEEDS.recheck(s)], [1_000_000 + s * 1000, 2_000_000 + s, 3_000_000 + s], String(s));
    assert.equal([GENERATIVE_EVAL_SEEDS.score(s), GENERATIVE_EVAL_SEEDS.fresh(s)], [s + 1, s + 4242], String(s));
  }
  for (const s of [2 ** 32, 2 ** 45 + 3, Number.MAX_SAFE_INTEGER]) {
    for (const first of [EVAL_SEEDS.check(s), EVAL_SEEDS.final(s), EVAL_SEEDS.recheck(s)]) {
      assert.ok(Number.isSafeInteger(first + SPEC_LIMITS.evalEpisodes + SPEC_LIMITS.episodes), `seed ${s}: ${first}`);
    }
    assert.not.throws(() => new Rng(GENERATIVE_EVAL_SEEDS.score(s)), `seed ${s}: score`);
    assert.not.throws(() => new Rng(GENERATIVE_EVAL_SEEDS.fresh(s)), `seed ${s}: fresh`);
  }
  // the largest seed a config accepts: its checks, their confirmation and its final report play (they threw: 1e6 + seed · 1000 is no seed)
  const seed = Number.MAX_SAFE_INTEGER;
  const rule = new GoalRule({ goal: 1, evalEpisodes: 10, goalEpisodes: 100, seed });
  for (const block of [rule.quick, rule.rest!, rule.fresh]) assert.ok(Number.isSafeInteger(block.firstSeed + block.episodes), JSON.stringify(block));
  const g = goalEvaluator({ ...options(true, []), seed });
  g.evaluate(1000);
  assert.is(g.result.final?.returns.length, 100, 'the check passed (SeedLuck pays 1 everywhere with finalToo) and was confirmed on fresh episodes');
  const f = finalEvaluation('test/SeedLuck-v0', () => 0, { episodes: 3, seed });
  assert.is(f.firstSeed, EVAL_SEEDS.final(seed));
  assert.is(f.returns.length, 3);
});

test.run();
