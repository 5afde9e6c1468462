/**
 * Greedy (or any deterministic-policy) evaluation on a single env made through the registry, so
 * the registered TimeLimit applies. Each episode resets with seed, seed + 1, … And what "the goal
 * is reached" means, for every trainer and driver (`GoalRule`, played in order by `goalEvaluator`).
 */
import { batchDim, make, writeBatchRow } from '../envs/index.js';
import type { Env } from '../envs/index.js';
import type { MetricsCallback } from './types.js';
import { DEFAULT_EVAL_INTERVAL, EVAL_EPISODES, GOAL_EPISODES } from './evalEpisodes.js';
import { EVAL_EPISODE_COUNT, EVAL_MEAN_RETURN } from './metricNames.js';
import { mean } from '../base/stats.js';
import { foldSeed32 } from '../base/rng.js';

/**
 * The evaluation seeds, defined once. Episode k of a periodic or goal-confirming check resets with
 * `EVAL_SEEDS.check(seed) + k`; episode k of a run's final report with `EVAL_SEEDS.final(seed) + k`.
 * The final report therefore plays episodes the goal check never saw. Each is derived from the run's
 * seed folded to 32 bits (base/rng.ts foldSeed32: the seed itself below 2³², every spec's seed):
 * the largest, `check`'s, is under 4.3·10¹², so with an episode index added it is still a safe
 * integer, an env's seed, for every seed a config accepts, up to Number.MAX_SAFE_INTEGER.
 */
export const EVAL_SEEDS = Object.freeze({
  check: (seed: number): number => 1_000_000 + foldSeed32(seed) * 1000,
  final: (seed: number): number => 2_000_000 + foldSeed32(seed),
  /** `nnlab eval`'s re-evaluation of a saved model: episodes neither the run's checks nor its report played. */
  recheck: (seed: number): number => 3_000_000 + foldSeed32(seed),
});

export interface EvalResult {
  meanReturn: number;
  stdReturn: number;
  returns: number[];
  /** Steps of each episode. */
  lengths: number[];
  meanLength: number;
}

/** Mean, standard deviation and mean length of episodes played. */
export function summarizeEpisodes(returns: ArrayLike<number>, lengths: ArrayLike<number>): EvalResult {
  const r = Array.from(returns);
  const l = Array.from(lengths);
  const meanReturn = mean(r);
  const std = Math.sqrt(r.reduce((a, b) => a + (b - meanReturn) ** 2, 0) / r.length);
  return { meanReturn, stdReturn: std, returns: r, lengths: l, meanLength: mean(l) };
}

/**
 * A policy evaluated on an env made from its id: it gets each observation as the row a trainer's
 * networks get it from a vector env (envs' `writeBatchRow`: a Box's values as float32, a Discrete
 * state as its index, Tuple and Dict flattened), whatever the env's observation space; its actions
 * go to the env as they are (the env checks them).
 */
export type RowPolicy = (row: Float32Array) => unknown;

/**
 * Runs `episodes` episodes of `policy` (a function of one observation) on `env` and summarises the
 * returns; an episode ends at `maxSteps` steps if its env has not ended it (for envs without a
 * time limit). The env stays open.
 */
export function evaluatePolicyOn<O, A>(env: Env<O, A>, policy: (obs: O) => A, episodes: number, seed: number, maxSteps = Infinity): EvalResult {
  const returns: number[] = [];
  const lengths: number[] = [];
  for (let ep = 0; ep < episodes; ep++) {
    let [obs] = env.reset({ seed: seed + ep });
    let ret = 0;
    let len = 0;
    while (len < maxSteps) {
      const [next, r, terminated, truncated] = env.step(policy(obs));
      ret += r;
      len++;
      if (terminated || truncated) break;
      obs = next;
    }
    returns.push(ret);
    lengths.push(len);
  }
  return summarizeEpisodes(returns, lengths);
}

/**
 * `evaluatePolicyOn` the env `make(id, kwargs)` (closed after), the policy getting each
 * observation as its batch row (`RowPolicy`): what a trained network was fed, where the raw
 * observation of a Discrete env would be a number it cannot read.
 */
export function evaluatePolicy(id: string, policy: RowPolicy, episodes: number, seed: number, kwargs: Record<string, unknown> = {}, maxSteps = Infinity): EvalResult {
  const env = make(id, kwargs);
  try {
    const space = env.observationSpace;
    const dim = batchDim(space);
    const ofRow = (obs: unknown): unknown => {
      const row = new Float32Array(dim);
      writeBatchRow(space, obs, row, 0, dim);
      return policy(row);
    };
    return evaluatePolicyOn(env, ofRow, episodes, seed, maxSteps);
  } finally {
    env.close();
  }
}

/** A run's final report: its episodes' summary and the seed of the first (episode k resets with firstSeed + k). */
export interface FinalEvaluation extends EvalResult {
  firstSeed: number;
}

/**
 * The final evaluation after training, defined once for every driver, trial and `nnlab train`:
 * `episodes` episodes of the trained deterministic (greedy) `policy` on the env `id` made with
 * `kwargs` (`evaluatePolicy`), on the final seeds of the run's `seed` (EVAL_SEEDS.final), which no
 * check during training played.
 */
export function finalEvaluation(id: string, policy: RowPolicy, o: { episodes: number; seed: number; kwargs?: Record<string, unknown>; maxSteps?: number }): FinalEvaluation {
  const firstSeed = EVAL_SEEDS.final(o.seed);
  return { ...evaluatePolicy(id, policy, o.episodes, firstSeed, o.kwargs ?? {}, o.maxSteps), firstSeed };
}

/** `finalEvaluation` on an env the caller made and typed (a tabular agent's `discreteEnv`): its policy gets the raw observations. */
export function finalEvaluationOn<O, A>(env: Env<O, A>, policy: (obs: O) => A, o: { episodes: number; seed: number; maxSteps?: number }): FinalEvaluation {
  const firstSeed = EVAL_SEEDS.final(o.seed);
  return { ...evaluatePolicyOn(env, policy, o.episodes, firstSeed, o.maxSteps), firstSeed };
}

/** Episodes to play: episode k resets with seed `firstSeed + k`. */
export interface EpisodeBlock {
  firstSeed: number;
  episodes: number;
}

/**
 * "The goal is reached", defined once, as the blocks of episodes it plays and how it judges them.
 * A periodic check plays `evalEpisodes` episodes of a frozen policy on the check seeds (`quick`);
 * if their mean return reaches the goal, the check is confirmed over `goalEpisodes` episodes of the
 * check seeds (the quick ones and `rest`: a deterministic policy replays the quick ones exactly);
 * and the goal stands only if `goalEpisodes` episodes the checks never play (`fresh`, the final
 * seeds) reach it too — a snapshot that was lucky on the check's seeds does not stop training.
 * `goalEvaluator` plays the blocks in order; a distributed run (drivers/offPolicy.ts) plays them as
 * evaluation tasks on its threads while training goes on.
 */
export class GoalRule {
  readonly quick: EpisodeBlock;
  /** The confirmation's episodes after the quick ones (absent when goalEpisodes ≤ evalEpisodes). */
  readonly rest: EpisodeBlock | undefined;
  readonly fresh: EpisodeBlock;

  constructor(readonly o: { goal?: number; evalEpisodes: number; goalEpisodes: number; seed: number }) {
    const check = EVAL_SEEDS.check(o.seed);
    this.quick = { firstSeed: check, episodes: o.evalEpisodes };
    this.rest = o.goalEpisodes > o.evalEpisodes ? { firstSeed: check + o.evalEpisodes, episodes: o.goalEpisodes - o.evalEpisodes } : undefined;
    this.fresh = { firstSeed: EVAL_SEEDS.final(o.seed), episodes: o.goalEpisodes };
  }

  reaches(e: EvalResult): boolean {
    return this.o.goal !== undefined && e.meanReturn >= this.o.goal;
  }

  /** The confirmed check: the quick episodes and the rest. */
  confirmed(quick: EvalResult, rest: EvalResult | undefined): EvalResult {
    return rest === undefined ? quick : summarizeEpisodes([...quick.returns, ...rest.returns], [...quick.lengths, ...rest.lengths]);
  }
}

export interface GoalEvalOptions {
  envId: string;
  kwargs?: Record<string, unknown>;
  /** The deterministic policy of the current parameters, of batch rows (built once per evaluation: a frozen snapshot). */
  policy: () => RowPolicy;
  /** Episodes of the quick check at each evaluation. */
  evalEpisodes: number;
  /** Episodes of each confirming evaluation once the quick check passes. */
  goalEpisodes: number;
  goal?: number;
  /** The run's seed: checks play EVAL_SEEDS.check(seed) + k, the fresh confirmation EVAL_SEEDS.final(seed) + k. */
  seed: number;
  /** Gets `eval/mean_return` and `eval/episodes` of each check. */
  onMetrics?: MetricsCallback;
}

export interface GoalEvalState {
  /** Env step of the evaluation that reached the goal. */
  goalReachedAt?: number;
  /** The newest check (quick, or its goalEpisodes confirmation). */
  lastEval?: EvalResult;
  /** The newest evaluation on fresh episodes (run when a check passed): the score to report when the goal stands. */
  final?: EvalResult;
}

export { DEFAULT_EVAL_INTERVAL, EVAL_EPISODES, GOAL_EPISODES };

/** What a single-process trainer's options (trainDqn's, the policy-gradient trainers') say about its evaluations. */
export interface TrainEvalOptions {
  envId: string;
  kwargs?: Record<string, unknown>;
  onMetrics?: MetricsCallback;
  /** Evaluate the deterministic policy every evalInterval env steps over evalEpisodes episodes (default EVAL_EPISODES) … */
  evalInterval?: number;
  evalEpisodes?: number;
  /** … and stop at the goal (`goalEvaluator`: confirmed over goalEpisodes episodes, default GOAL_EPISODES, twice). */
  goalEpisodes?: number;
  goal?: number;
}

/**
 * A single-process trainer's goal check: `goalEvaluator` of `policy` (the trainer's deterministic
 * policy) with the options' episodes, goal and metrics callback, on the run's `seed`, and the
 * `evalInterval` its loop runs it at; undefined when the options ask for no evaluations (no `evalInterval`).
 */
export function trainerGoalEvaluator(opts: TrainEvalOptions, seed: number, policy: GoalEvalOptions['policy']): (ReturnType<typeof goalEvaluator> & { evalInterval: number }) | undefined {
  if (opts.evalInterval === undefined) return undefined;
  const check = goalEvaluator({
    envId: opts.envId,
    kwargs: opts.kwargs ?? {},
    policy,
    evalEpisodes: opts.evalEpisodes ?? EVAL_EPISODES,
    goalEpisodes: opts.goalEpisodes ?? GOAL_EPISODES,
    ...(opts.goal !== undefined ? { goal: opts.goal } : {}),
    seed,
    ...(opts.onMetrics !== undefined ? { onMetrics: opts.onMetrics } : {}),
  });
  return { ...check, evalInterval: opts.evalInterval };
}

/**
 * Plays `GoalRule`'s blocks in order on the policy as it is at each call (one frozen snapshot per
 * call): the quick check, its confirmation if it passes, the fresh episodes if that passes. The
 * fresh evaluation is `result.final`, the score a run reports with the goal.
 */
export function goalEvaluator(o: GoalEvalOptions): { evaluate: (envStep: number) => boolean; result: GoalEvalState } {
  const result: GoalEvalState = {};
  const rule = new GoalRule(o);
  const evaluate = (envStep: number): boolean => {
    const policy = o.policy();
    const play = (b: EpisodeBlock) => evaluatePolicy(o.envId, policy, b.episodes, b.firstSeed, o.kwargs);
    const quick = play(rule.quick);
    const check = rule.reaches(quick) ? rule.confirmed(quick, rule.rest !== undefined ? play(rule.rest) : undefined) : quick;
    result.lastEval = check;
    o.onMetrics?.({ [EVAL_MEAN_RETURN]: check.meanReturn, [EVAL_EPISODE_COUNT]: check.returns.length }, envStep);
    if (!rule.reaches(check)) return false;
    result.final = play(rule.fresh);
    if (!rule.reaches(result.final)) return false;
    result.goalReachedAt = envStep;
    return true;
  };
  return { evaluate, result };
}
