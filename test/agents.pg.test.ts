import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../base/rng.js';
import { averageGradients, getParams, setParams, type TensorMap } from '../core/tensors.js';
import { RolloutBuffer } from '../agents/rollout.js';
import {
  PolicyActor,
  categoricalEntropy,
  categoricalEntropyTf,
  categoricalLogProb,
  categoricalLogProbTf,
  gaussianEntropy,
  gaussianEntropyTf,
  gaussianLogProb,
  gaussianLogProbTf,
  type PolicyHead,
} from '../agents/policies.js';
import { runEpisodes, runOnPolicy, type EpisodeBatch, type StepRollout } from '../agents/onPolicy.js';
import { TUPLE_WALK_ID } from './fixtures/structuredObsEnv.js';
import { ReinforceLearner, trainReinforce } from '../agents/reinforce.js';
import { ActorCriticLearner, acBatch, trainActorCritic, type AcBatch } from '../agents/actorCritic.js';
import { A2cLearner, a2cBatch, trainA2c, type A2cBatch } from '../agents/a2c.js';
import type { PgLearnerConfig } from '../agents/pgLearner.js';
import { RL_ALGOS, RL_FAMILY, TABULAR_ALGOS } from '../agents/algos.js';
import { RL_AGENTS } from '../agents/registry.js';
import type { Metrics } from '../base/metrics.js';
import { DEFAULT_EVAL_INTERVAL } from '../agents/evalEpisodes.js';
import { parseSpec } from '../drivers/spec.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

const CARTPOLE: PolicyHead = { kind: 'categorical', numActions: 2 };
const PENDULUM: PolicyHead = { kind: 'gaussian', actionDim: 1, low: Float64Array.of(-2), high: Float64Array.of(2) };

/** Sets a model's parameters: the given values by name, zeros elsewhere. */
function setModel(model: tf.LayersModel, values: Record<string, number[]> = {}): void {
  const p = getParams(model);
  const out: TensorMap = {};
  for (const [k, v] of Object.entries(p)) {
    const short = k.split('_').slice(2).join('_'); // 'pi_0_dense/kernel' → 'dense/kernel'
    out[k] = { shape: v.shape, data: Float32Array.from(values[short] ?? new Array<number>(v.data.length).fill(0)) };
  }
  setParams(model, out);
}

function params(model: tf.LayersModel): Record<string, number[]> {
  return Object.fromEntries(Object.entries(getParams(model)).map(([k, v]) => [k.split('_').slice(2).join('_'), [...v.data]]));
}

// ---------------------------------------------------------------------------------------------
// Heads

test('categorical log π and entropy match softmax computed directly (typed arrays and tfjs)', () => {
  const logits = [0.5, -1, 2];
  const z = logits.map(Math.exp);
  const sum = z.reduce((a, b) => a + b, 0);
  const p = z.map((v) => v / sum);
  const h = -p.reduce((a, v) => a + v * Math.log(v), 0);
  close([categoricalLogProb(logits, 2), categoricalEntropy(logits)], [Math.log(p[2]!), h], 1e-12);
  const [lp, ent] = tf.tidy(() => [categoricalLogProbTf(tf.tensor2d([logits], [1, 3]), tf.tensor1d([2], 'int32')).dataSync(), categoricalEntropyTf(tf.tensor2d([logits], [1, 3])).dataSync()]);
  close([lp![0]!, ent![0]!], [Math.log(p[2]!), h], 1e-6);
});

test('Gaussian log-density and entropy equal the closed forms Π N(a_d; μ_d, σ_d²) and Σ ½ log(2πe σ_d²)', () => {
  const mean = [0.5, -1];
  const std = [0.5, 2];
  const logStd = std.map(Math.log);
  const action = [1, 0.3];
  const density = mean.reduce((acc, mu, d) => acc * (Math.exp(-((action[d]! - mu) ** 2) / (2 * std[d]! ** 2)) / (std[d]! * Math.sqrt(2 * Math.PI))), 1);
  const entropy = std.reduce((acc, s) => acc + 0.5 * Math.log(2 * Math.PI * Math.E * s * s), 0);
  close([gaussianLogProb(mean, logStd, action), gaussianEntropy(logStd)], [Math.log(density), entropy], 1e-12);
  const [lp, h] = tf.tidy(() => [
    gaussianLogProbTf(tf.tensor2d([mean], [1, 2]), tf.tensor1d(logStd), tf.tensor2d([action], [1, 2])).dataSync(),
    gaussianEntropyTf(tf.tensor1d(logStd)).dataSync(),
  ]);
  close([lp![0]!, h![0]!], [Math.log(density), entropy], 1e-5);
});

test('the Gaussian actor samples μ + σ z with its log-density, and clips only the greedy action', () => {
  const learner = new A2cLearner(3, PENDULUM, { hidden: [], initLogStd: Math.log(0.5), seed: 1 });
  setModel(learner.nets.policy, { 'dense/bias': [1.5] });
  const actor = learner.actor();
  const rng = new Rng(7);
  const n = 4000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const out = actor.act(new Float32Array(3), 1, rng);
    const a = out.actions[0]!;
    s += a;
    s2 += a * a;
    if (i === 0) close([out.logProbs[0]!], [gaussianLogProb([1.5], [Math.log(0.5)], [a])], 1e-5);
  }
  const mean = s / n;
  close([mean, Math.sqrt(s2 / n - mean * mean)], [1.5, 0.5], 0.04, 'sample mean, std');
  close(actor.greedy(new Float32Array(3)) as Float32Array, [1.5]);
  setModel(learner.nets.policy, { 'dense/bias': [3] });
  close(learner.actor().greedy(new Float32Array(3)) as Float32Array, [2], 0, 'greedy action clipped to the Box');
  learner.dispose();
});

// ---------------------------------------------------------------------------------------------
// REINFORCE

/** One episode of a 1-d linear softmax policy: s = [1] then [2], actions 0 then 1, rewards 1, 1. */
const HAND_EPISODE: EpisodeBatch = { size: 2, obsDim: 1, obs: Float32Array.of(1, 2), actions: Int32Array.of(0, 1), rewards: Float32Array.of(1, 1), episodeLengths: [2], terminated: [true] };

test('REINFORCE step on a linear softmax policy: θ += α Σ_t γ^t G_t ∇ log π(a_t|s_t), worked by hand', () => {
  // z = W s + b = 0 → π = (½, ½); ∇_b log π(a) = onehot(a) − π, ∇_W = s ⊗ (onehot(a) − π).
  // γ = ½: G = (1.5, 1). t=0: 1·1.5·(½, −½)·[1]; t=1: ½·1·(−½, ½)·[2].
  // b += 0.1·[(0.75, −0.75) + (−0.25, 0.25)] = (0.05, −0.05); W += 0.1·[(0.75, −0.75) + (−0.5, 0.5)] = (0.025, −0.025)
  const cfg = { hidden: [], optimizer: 'sgd' as const, learningRate: 0.1, gamma: 0.5, baseline: false, normalizeAdvantages: false, episodesPerUpdate: 1 };
  const learner = new ReinforceLearner(1, CARTPOLE, { ...cfg, gammaT: true });
  setModel(learner.nets.policy);
  close(learner.coefficients(HAND_EPISODE).returns, [1.5, 1], 1e-7, 'reward-to-go');
  learner.update(HAND_EPISODE);
  const p = params(learner.nets.policy);
  close(p['dense/kernel']!, [0.025, -0.025], 1e-6, 'W');
  close(p['dense/bias']!, [0.05, -0.05], 1e-6, 'b');
  learner.dispose();
  // without the seed's γ^t factor (gammaT: false) the second step counts fully:
  // b += 0.1·[(0.75, −0.75) + (−0.5, 0.5)] = (0.025, −0.025); W += 0.1·[(0.75, −0.75) + (−1, 1)] = (−0.025, 0.025)
  const plain = new ReinforceLearner(1, CARTPOLE, { ...cfg, gammaT: false });
  setModel(plain.nets.policy);
  plain.update(HAND_EPISODE);
  const q = params(plain.nets.policy);
  close(q['dense/kernel']!, [-0.025, 0.025], 1e-6, 'W (gammaT off)');
  close(q['dense/bias']!, [0.025, -0.025], 1e-6, 'b (gammaT off)');
  plain.dispose();
});

test('REINFORCE baseline: advantages G_t − V(s_t), and the baseline moves by β (G_t − V(s_t)) ∇V on average', () => {
  const learner = new ReinforceLearner(1, CARTPOLE, { hidden: [], optimizer: 'sgd', learningRate: 0.1, valueLearningRate: 0.2, gamma: 0.5, baseline: true, normalizeAdvantages: false, gammaT: false });
  setModel(learner.nets.policy);
  setModel(learner.nets.value!, { 'dense/kernel': [0.5] }); // V(s) = 0.5 s → V = (0.5, 1)
  // coef_t = A_t / N_episodes = G_t − V(s_t) = (1.5 − 0.5, 1 − 1)
  close(learner.coefficients(HAND_EPISODE).coef, [1, 0], 1e-6, 'advantages');
  learner.update(HAND_EPISODE);
  // value loss ½ mean (G − V)²: w += 0.2 · mean((1)·1, (0)·2) = 0.1; c += 0.2 · mean(1, 0) = 0.1
  const v = params(learner.nets.value!);
  close([v['dense/kernel']![0]!, v['dense/bias']![0]!], [0.6, 0.1], 1e-6, 'baseline');
  learner.dispose();
});

// ---------------------------------------------------------------------------------------------
// One-step Actor-Critic

function acTransition(terminated: number, lambda: number): AcBatch {
  return { size: 1, obs: Float32Array.of(1), actions: Int32Array.of(0), rewards: Float32Array.of(1), nextObs: Float32Array.of(2), terminated: Uint8Array.of(terminated), discounts: Float32Array.of(lambda) };
}

test('one-step Actor-Critic: TD(0) critic step φ += β δ ∇V and actor step θ += α λ δ ∇ log π with known numbers', () => {
  // V(s) = 0.5 s: V(1) = 0.5, V(2) = 1. G(s) = 1 + 0.9·1 = 1.9, δ = 1.4.
  const learner = new ActorCriticLearner(1, CARTPOLE, { hidden: [], optimizer: 'sgd', actorLr: 0.1, criticLr: 0.1, gamma: 0.9 });
  setModel(learner.nets.policy);
  setModel(learner.nets.value!, { 'dense/kernel': [0.5] });
  const { tdTarget, tdError } = learner.tdTargetAndError(acTransition(0, 0.81));
  close([tdTarget.dataSync()[0]!, tdError.dataSync()[0]!], [1.9, 1.4], 1e-6, 'G(s), δ');
  tf.dispose([tdTarget, tdError]);
  learner.update(acTransition(0, 0.81));
  const v = params(learner.nets.value!);
  close([v['dense/kernel']![0]!, v['dense/bias']![0]!], [0.5 + 0.14, 0.14], 1e-6, 'critic w, c');
  // λ = 0.81: θ += 0.1 · 0.81 · 1.4 · (½, −½) · s, s = 1
  const p = params(learner.nets.policy);
  close(p['dense/bias']!, [0.0567, -0.0567], 1e-5, 'actor b');
  close(p['dense/kernel']!, [0.0567, -0.0567], 1e-5, 'actor W');
  learner.dispose();
  // terminated: G(s) = r = 1, δ = 0.5 (a truncated step is stored with terminated = 0 and bootstraps)
  const ended = new ActorCriticLearner(1, CARTPOLE, { hidden: [], optimizer: 'sgd', criticLr: 0.1, gamma: 0.9 });
  setModel(ended.nets.value!, { 'dense/kernel': [0.5] });
  ended.update(acTransition(1, 1));
  const w = params(ended.nets.value!);
  close([w['dense/kernel']![0]!, w['dense/bias']![0]!], [0.55, 0.05], 1e-6, 'critic after a terminal step');
  ended.dispose();
});

test('λ ← γλ: the actor scale is 1 at every episode start and multiplies by γ each step (from the real loop)', () => {
  const gamma = 0.9;
  const rng = new Rng(3);
  const actions = new Int32Array(1);
  const seen: { lambda: number; ended: boolean }[] = [];
  runOnPolicy({
    envId: 'CartPole-v1',
    head: CARTPOLE,
    numEnvs: 1,
    numSteps: 1,
    totalTimesteps: 120,
    seed: 5,
    act: () => {
      actions[0] = rng.int(2);
      return { actions, logProbs: new Float32Array(1), values: new Float32Array(1) };
    },
    update: (r: StepRollout): Metrics => {
      seen.push({ lambda: acBatch(r, gamma, true).discounts[0]!, ended: r.terminated[0] === 1 || r.truncated[0] === 1 });
      close(acBatch(r, gamma, false).discounts, [1], 0, 'discountI off');
      return {};
    },
    onParamsUpdated: () => {},
  });
  let expected = 1;
  let episodes = 0;
  for (const s of seen) {
    close([s.lambda], [expected], 1e-6, `λ at step ${seen.indexOf(s)}`);
    expected = s.ended ? 1 : expected * gamma;
    if (s.ended) episodes++;
  }
  assert.ok(episodes >= 2, `random CartPole episodes end within 120 steps (${episodes})`);
});

test("a loop's evaluations without an evalInterval come every DEFAULT_EVAL_INTERVAL env steps, a spec's default eval.interval", () => {
  // one interval, so a standalone trainer's loop evaluates as often as `nnlab run` of a spec that names none
  assert.is(parseSpec({ env: { id: 'CartPole-v1' }, agent: { algo: 'reinforce' } }).eval.interval, DEFAULT_EVAL_INTERVAL);
  const rng = new Rng(3);
  const actions = new Int32Array(8);
  const evaluatedAt: number[] = [];
  runOnPolicy({
    envId: 'CartPole-v1',
    head: CARTPOLE,
    numEnvs: 8,
    numSteps: 125,
    totalTimesteps: 3 * DEFAULT_EVAL_INTERVAL,
    seed: 5,
    act: () => {
      for (let e = 0; e < 8; e++) actions[e] = rng.int(2);
      return { actions, logProbs: new Float32Array(8), values: new Float32Array(8) };
    },
    update: (): Metrics => ({}),
    onParamsUpdated: () => {},
    evaluate: (envStep) => {
      evaluatedAt.push(envStep);
      return false;
    },
  });
  // an update each 1000 env steps (8 envs × 125 steps), so the interval is met exactly
  assert.is(DEFAULT_EVAL_INTERVAL % 1000, 0);
  assert.equal(evaluatedAt, [1, 2, 3].map((k) => k * DEFAULT_EVAL_INTERVAL));
});

test('REINFORCE\'s episode loop stores observations as vector env rows: a Discrete state as its index, a Tuple flattened', () => {
  /** Observations the actor saw and the loop stored, for a fixed sequence of actions. */
  const play = (envId: string, kwargs: Record<string, unknown>, moves: number[]) => {
    const seen: number[][] = [];
    let stored: number[] = [];
    let obsDim = 0;
    let t = 0;
    runEpisodes({
      envId,
      kwargs,
      head: { kind: 'categorical', numActions: 4 },
      episodesPerUpdate: 1,
      totalTimesteps: 1,
      seed: 0,
      act: (o) => {
        seen.push(Array.from(o));
        return { actions: Int32Array.of(moves[t++]!), logProbs: new Float32Array(1), values: new Float32Array(1) };
      },
      update: (b: EpisodeBatch): Metrics => {
        stored = Array.from(b.obs);
        obsDim = b.obsDim;
        return {};
      },
      onParamsUpdated: () => {},
    });
    return { seen, stored, obsDim };
  };
  // FrozenLake 4x4, not slippery: right then down, from state 0 to 1, then into the hole at 5 (the episode ends)
  const lake = play('FrozenLake-v1', { isSlippery: false }, [2, 1]);
  assert.is(lake.obsDim, 1);
  assert.equal(lake.seen, [[0], [1]]);
  assert.equal(lake.stored, [0, 1]);
  // the walker: cell one-hot, then signal (cell / 2, steps / 10); right twice ends at cell 2
  const walk = play(TUPLE_WALK_ID, {}, [1, 1]);
  assert.is(walk.obsDim, 5);
  assert.equal(walk.stored, [1, 0, 0, 0, 0, 0, 1, 0, 0.5, Math.fround(0.1)]);
  assert.equal(walk.seen, [walk.stored.slice(0, 5), walk.stored.slice(5)]);
});

// ---------------------------------------------------------------------------------------------
// A2C

test('A2C batch: a truncated step bootstraps γ V(final obs), a terminated one does not, then GAE', () => {
  // 1 env, 2 steps; V(s) = s (linear value net), γ = 0.5, λ = 1.
  const learner = new A2cLearner(1, CARTPOLE, { hidden: [], gamma: 0.5, numEnvs: 1, numSteps: 2 });
  setModel(learner.nets.value!, { 'dense/kernel': [1] });
  const actor = learner.actor();
  const r: StepRollout = {
    numSteps: 2,
    numEnvs: 1,
    obsDim: 1,
    actionDim: 1,
    obs: Float32Array.of(1, 3),
    actions: Int32Array.of(0, 1),
    rewards: Float32Array.of(1, 1),
    nextObs: Float32Array.of(10, 4), // step 0 truncated with final obs 10; step 1 goes on to obs 4
    terminated: Uint8Array.of(0, 0),
    truncated: Uint8Array.of(1, 0),
    values: Float32Array.of(1, 3),
    logProbs: new Float32Array(2),
    episodeStep: Int32Array.of(499, 0),
  };
  const buffer = new RolloutBuffer({ numSteps: 2, numEnvs: 1, obsDim: 1 });
  const b = a2cBatch(r, actor, 0.5, 1, buffer);
  // step 0: R = 1 + 0.5·V(10) = 6 (episode ended: no bootstrap from step 1); step 1: R = 1 + 0.5·V(4) = 3
  close(b.returns, [6, 3], 1e-6, 'returns');
  close(b.advantages, [5, 0], 1e-6, 'advantages');
  close(a2cBatch(r, actor, 0.5, 1, buffer, true).advantages, [1, -1], 1e-6, 'standardised over the rollout');
  r.terminated[0] = 1;
  r.truncated[0] = 0;
  close(a2cBatch(r, actor, 0.5, 1, buffer).returns, [1, 3], 1e-6, 'terminated: no bootstrap');
  learner.dispose();
});

function randomA2cBatch(n: number, obsDim: number, head: PolicyHead, seed: number): A2cBatch {
  const rng = new Rng(seed);
  const obs = rng.fillNormal(new Float32Array(n * obsDim));
  const actions = head.kind === 'categorical' ? Int32Array.from({ length: n }, () => rng.int(head.numActions)) : rng.fillNormal(new Float32Array(n * head.actionDim));
  return { size: n, obs, actions, advantages: rng.fillNormal(new Float32Array(n)), returns: rng.fillNormal(new Float32Array(n)) };
}

function shard(b: A2cBatch, from: number, to: number, obsDim: number, actionDim: number): A2cBatch {
  return {
    size: to - from,
    obs: b.obs.slice(from * obsDim, to * obsDim),
    actions: b.actions.slice(from * actionDim, to * actionDim),
    advantages: b.advantages.slice(from, to),
    returns: b.returns.slice(from, to),
  };
}

test('A2C data-parallel: the size-weighted average of shard gradients is the full-batch gradient, and applying it equals update', () => {
  const cfg = { hidden: [8], seed: 2 };
  const a = new A2cLearner(3, PENDULUM, cfg);
  const b = new A2cLearner(3, PENDULUM, cfg);
  const batch = randomA2cBatch(12, 3, PENDULUM, 9);
  const full = a.computeGradients(batch).grads;
  const avg = averageGradients([a.computeGradients(shard(batch, 0, 4, 3, 1)).grads, a.computeGradients(shard(batch, 4, 12, 3, 1)).grads], [4, 8]);
  assert.ok('logStd' in full, 'log σ has a gradient');
  for (const k of Object.keys(full)) close(avg[k]!.data, full[k]!.data, 1e-4, k);
  a.update(batch);
  b.applyGradients(full);
  const pa = a.getPolicyParams();
  const pb = b.getPolicyParams();
  assert.is(pa.version, pb.version);
  for (const k of Object.keys(pa.params)) close(pb.params[k]!.data, pa.params[k]!.data, 1e-6, k);
  a.dispose();
  b.dispose();
});

// ---------------------------------------------------------------------------------------------
// Checkpoints and tensor hygiene, per agent

interface AgentCase {
  name: string;
  head: PolicyHead;
  obsDim: number;
  make: (seed: number) => { update(b: never): Metrics; save(d: string): Promise<void>; load(d: string): Promise<void>; dispose(): void; actor(): PolicyActor; rng: Rng; getPolicyParams(): { params: TensorMap } };
  batch: (seed: number) => unknown;
}

function episodeBatch(seed: number, obsDim: number): EpisodeBatch {
  const rng = new Rng(seed);
  const lengths = [5, 3];
  const size = 8;
  return { size, obsDim, obs: rng.fillNormal(new Float32Array(size * obsDim)), actions: Int32Array.from({ length: size }, () => rng.int(2)), rewards: new Float32Array(size).fill(1), episodeLengths: lengths, terminated: [true, false] };
}

function transitionBatch(seed: number, obsDim: number): AcBatch {
  const rng = new Rng(seed);
  const n = 6;
  return { size: n, obs: rng.fillNormal(new Float32Array(n * obsDim)), actions: Int32Array.from({ length: n }, () => rng.int(2)), rewards: new Float32Array(n).fill(1), nextObs: rng.fillNormal(new Float32Array(n * obsDim)), terminated: Uint8Array.of(0, 0, 1, 0, 0, 0), discounts: Float32Array.of(1, 0.9, 0.81, 1, 0.9, 0.81) };
}

const CASES: AgentCase[] = [
  { name: 'REINFORCE', head: CARTPOLE, obsDim: 4, make: (seed) => new ReinforceLearner(4, CARTPOLE, { hidden: [16], seed }), batch: (seed) => episodeBatch(seed, 4) },
  { name: 'ActorCritic', head: CARTPOLE, obsDim: 4, make: (seed) => new ActorCriticLearner(4, CARTPOLE, { hidden: [16], seed }), batch: (seed) => transitionBatch(seed, 4) },
  { name: 'A2C (Gaussian)', head: PENDULUM, obsDim: 3, make: (seed) => new A2cLearner(3, PENDULUM, { hidden: [16], seed }), batch: (seed) => randomA2cBatch(10, 3, PENDULUM, seed) },
];

for (const c of CASES) {
  test(`${c.name}: save → load gives identical actions and an identical next update`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-pg-'));
    try {
      const a = c.make(1);
      a.update(c.batch(1) as never);
      a.rng.random();
      await a.save(dir);
      const b = c.make(99);
      await b.load(dir);
      const obs = new Rng(4).fillNormal(new Float32Array(5 * c.obsDim));
      const outA = a.actor().act(obs, 5, a.rng);
      const actsA = [...outA.actions, ...outA.logProbs, ...outA.values];
      const outB = b.actor().act(obs, 5, b.rng);
      assert.equal([...outB.actions, ...outB.logProbs, ...outB.values], actsA, 'actions, log-probs and values');
      a.update(c.batch(2) as never);
      b.update(c.batch(2) as never);
      const pa = a.getPolicyParams().params;
      const pb = b.getPolicyParams().params;
      for (const k of Object.keys(pa)) assert.equal([...pb[k]!.data], [...pa[k]!.data], `${k} after the next update (optimiser slots restored)`);
      a.dispose();
      b.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${c.name}: an update leaks no tensors`, () => {
    const learner = c.make(3);
    learner.update(c.batch(1) as never); // burn-in: optimiser slots are created here
    const before = tf.memory().numTensors;
    learner.update(c.batch(2) as never);
    learner.getPolicyParams();
    assert.is(tf.memory().numTensors, before);
    learner.dispose();
  });
}

test('A2C: computeGradients / applyGradients leak no tensors', () => {
  const learner = new A2cLearner(4, CARTPOLE, { hidden: [8] });
  learner.update(randomA2cBatch(8, 4, CARTPOLE, 1));
  const before = tf.memory().numTensors;
  learner.applyGradients(learner.computeGradients(randomA2cBatch(8, 4, CARTPOLE, 2)).grads);
  assert.is(tf.memory().numTensors, before);
  learner.dispose();
});

// ---------------------------------------------------------------------------------------------
// Learning (short seeded runs on CartPole-v1)

function improvement(train: (onMetrics: (m: Metrics) => void) => { learner: { dispose(): void } }, k: number): { first: number; last: number; episodes: number } {
  const returns: number[] = [];
  const { learner } = train((m) => {
    if (m['charts/episodic_return'] !== undefined) returns.push(m['charts/episodic_return']);
  });
  learner.dispose();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { first: mean(returns.slice(0, k)), last: mean(returns.slice(-k)), episodes: returns.length };
}

test('REINFORCE improves on CartPole-v1: mean return of the last 10 episodes ≥ 2× the first 10 (8k steps)', () => {
  const r = improvement((onMetrics) => trainReinforce({ envId: 'CartPole-v1', config: { seed: 1 }, totalTimesteps: 8_000, onMetrics }), 10);
  assert.ok(r.last >= 2 * r.first, `first ${r.first.toFixed(1)}, last ${r.last.toFixed(1)}`);
});

test('one-step Actor-Critic improves on CartPole-v1: last 10 episodes ≥ 2× the first 10 (16k steps)', () => {
  const r = improvement((onMetrics) => trainActorCritic({ envId: 'CartPole-v1', config: { seed: 1 }, totalTimesteps: 16_000, onMetrics }), 10);
  assert.ok(r.last >= 2 * r.first, `first ${r.first.toFixed(1)}, last ${r.last.toFixed(1)}`);
});

test('A2C improves on CartPole-v1: last 10 episodes ≥ 2× the first 10 (20k steps)', () => {
  const r = improvement((onMetrics) => trainA2c({ envId: 'CartPole-v1', config: { seed: 1 }, totalTimesteps: 20_000, onMetrics }), 10);
  assert.ok(r.last >= 2 * r.first, `first ${r.first.toFixed(1)}, last ${r.last.toFixed(1)}`);
});

test('A2C runs a continuous-action env (Pendulum-v1): finite losses, metrics namespaced', () => {
  const names = new Set<string>();
  const { learner } = trainA2c({
    envId: 'Pendulum-v1',
    config: { numEnvs: 2, numSteps: 5, hidden: [8] },
    totalTimesteps: 400,
    onMetrics: (m) => {
      for (const [k, v] of Object.entries(m)) {
        names.add(k);
        assert.ok(Number.isFinite(v), `${k} = ${v}`);
      }
    },
  });
  learner.dispose();
  for (const k of ['charts/episodic_return', 'charts/episodic_length', 'charts/sps', 'losses/policy_loss', 'losses/value_loss', 'losses/entropy']) assert.ok(names.has(k), k);
});

// ---------------------------------------------------------------------------------------------
// Config validation

test('bad config values get errors naming the agent and the field', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new ReinforceLearner(4, CARTPOLE, { learningRate: 0 }), /REINFORCE config: 'learningRate'/],
    [() => new ReinforceLearner(4, CARTPOLE, { gamma: 1.5 }), /REINFORCE config: 'gamma'/],
    [() => Reflect.construct(ReinforceLearner, [4, CARTPOLE, { gammaT: 'yes' }]), /REINFORCE config: 'gammaT'/],
    [() => new ReinforceLearner(4, CARTPOLE, { episodesPerUpdate: 0.5 }), /'episodesPerUpdate' must be an integer/],
    [() => new ReinforceLearner(4, CARTPOLE, { hidden: [0] }), /REINFORCE config: 'hidden'/],
    [() => new ReinforceLearner(4, CARTPOLE, { lr: 1 } as never), /unknown field 'lr'/],
    [() => new ActorCriticLearner(4, CARTPOLE, { criticLr: -1 }), /ActorCritic config: 'criticLr'/],
    [() => new ActorCriticLearner(4, CARTPOLE, { numEnvs: 0 }), /ActorCritic config: 'numEnvs'/],
    [() => new ActorCriticLearner(4, CARTPOLE, { activation: 'gelu' as never }), /ActorCritic config: 'activation'/],
    [() => new A2cLearner(4, CARTPOLE, { gaeLambda: 2 }), /A2C config: 'gaeLambda'/],
    [() => new A2cLearner(4, CARTPOLE, { maxGradNorm: -1 }), /A2C config: 'maxGradNorm' must be a number ≥ 0, got -1/],
    [() => new A2cLearner(4, CARTPOLE, { optimizer: 'lbfgs' as never }), /A2C config: 'optimizer'/],
    [() => new A2cLearner(4, CARTPOLE, { entCoef: Number.NaN }), /A2C config: 'entCoef'/],
    [() => trainA2c({ envId: 'MountainCar-v0', config: { numSteps: 0 }, totalTimesteps: 10 }), /A2C config: 'numSteps'/],
  ];
  for (const [fn, re] of cases) assert.throws(fn, re);
});

/** One update of `learner` on `batch`; the policy parameters after it. */
function stepOnce<B>(learner: { update(b: B): Metrics; getPolicyParams(): { params: TensorMap }; dispose(): void }, batch: B): TensorMap {
  learner.update(batch);
  const { params } = learner.getPolicyParams();
  learner.dispose();
  return params;
}

/** The three policy-gradient learners: built from a config given as data (as a spec would give it), and stepped once. */
const PG_LEARNERS: { name: string; build: (config: object) => unknown; step: (config: Partial<PgLearnerConfig>) => TensorMap }[] = [
  { name: 'REINFORCE', build: (config) => Reflect.construct(ReinforceLearner, [4, CARTPOLE, config]), step: (config) => stepOnce(new ReinforceLearner(4, CARTPOLE, config), episodeBatch(5, 4)) },
  { name: 'ActorCritic', build: (config) => Reflect.construct(ActorCriticLearner, [4, CARTPOLE, config]), step: (config) => stepOnce(new ActorCriticLearner(4, CARTPOLE, config), transitionBatch(5, 4)) },
  { name: 'A2C', build: (config) => Reflect.construct(A2cLearner, [4, CARTPOLE, config]), step: (config) => stepOnce(new A2cLearner(4, CARTPOLE, config), randomA2cBatch(12, 4, CARTPOLE, 5)) },
];

test('REINFORCE, Actor-Critic and A2C check their shared fields (PgLearnerConfig) alike', () => {
  const bad: [object, string][] = [
    [{ hidden: [0] }, 'hidden'],
    [{ activation: 'gelu' }, 'activation'],
    [{ optimizer: 'lbfgs' }, 'optimizer'],
    [{ maxGradNorm: -1 }, 'maxGradNorm'],
    [{ initLogStd: Number.NaN }, 'initLogStd'],
    [{ seed: 0.5 }, 'seed'],
    [{ seed: 1e17 }, 'seed'], // an integer, but no safe one: the Rng would refuse it later
  ];
  for (const { name, build } of PG_LEARNERS) {
    for (const [config, field] of bad) assert.throws(() => build(config), new RegExp(`^${name} config: '${field}' must be`), `${name} ${field}`);
    assert.throws(() => build({ lr: 1 }), new RegExp(`^${name} config: unknown field 'lr'`));
  }
});

test('maxGradNorm 0 means no clipping for REINFORCE, Actor-Critic and A2C alike: one SGD step equals the unclipped one', () => {
  for (const { name, step } of PG_LEARNERS) {
    const stepped = (maxGradNorm: number): TensorMap => step({ hidden: [8], optimizer: 'sgd', maxGradNorm, seed: 3 });
    const none = stepped(0);
    const huge = stepped(1e9); // a bound the gradient never reaches
    const tight = stepped(1e-4); // a bound every gradient exceeds
    for (const k of Object.keys(none)) close(none[k]!.data, huge[k]!.data, 0, `${name} ${k}`);
    assert.ok(Object.keys(none).some((k) => none[k]!.data.some((v, i) => Math.abs(v - tight[k]!.data[i]!) > 1e-6)), `${name}: clipping to 1e-4 changes the step`);
  }
});

test('each RL algorithm has one registry entry, of its family: its resolver fills the defaults and names an unknown field', () => {
  assert.equal([...TABULAR_ALGOS], ['qlearning', 'sarsa', 'expected-sarsa']);
  assert.equal(Object.keys(RL_AGENTS).sort(), [...RL_ALGOS].sort());
  for (const algo of RL_ALGOS) {
    const entry = RL_AGENTS[algo];
    assert.is(entry.family, RL_FAMILY[algo], algo);
    assert.is((entry.resolve({ seed: 3 }) as { seed: number }).seed, 3, algo);
    assert.throws(() => entry.resolve({ gama: 0.9 }), /gama/, `${algo} names an unknown field`);
    // the seed rule of base/rng.ts, checked by the config (a RangeError naming the field), not later by the Rng
    assert.throws(() => entry.resolve({ seed: 1e17 }), (e: Error) => e instanceof RangeError && e.message.endsWith("config: 'seed' must be a non-negative safe integer, got 100000000000000000"), algo);
    assert.is((entry.resolve({ seed: Number.MAX_SAFE_INTEGER }) as { seed: number }).seed, Number.MAX_SAFE_INTEGER, algo);
  }
});

test.run();
