import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { errorMessage } from '../base/plainData.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DqnLearner, dqnActor, dqnForward, epsilonAt, epsilonSchedule, trainDqn, resolveDqnConfig } from '../agents/dqn.js';
import { ReplayBuffer, type TransitionBatch } from '../core/replay.js';
import { Rng } from '../base/rng.js';
import { decode, encode, getParams, type TensorMap } from '../core/tensors.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

/** Parameters of a 1-16-2 MLP whose output is the constant `bias` (all kernels zero). */
function constantQ(learner: DqnLearner, which: 'q' | 'qTarget', bias: number[]): void {
  const p = getParams(which === 'q' ? learner.q : learner.qTarget);
  const out: TensorMap = {};
  const names = Object.keys(p);
  names.forEach((k, i) => {
    const data = new Float32Array(p[k]!.data.length);
    if (i === names.length - 1) data.set(bias);
    out[k] = { shape: p[k]!.shape, data };
  });
  learner.setNetworkParams(which, out);
}

function batch(rewards: number[], terminated: number[]): TransitionBatch {
  const n = rewards.length;
  return { size: n, obs: new Float32Array(n), actions: new Int32Array(n), rewards: new Float32Array(rewards), nextObs: new Float32Array(n), terminated: new Uint8Array(terminated) };
}

test('DQN target: r + γ max Q_target(s′) when not terminated, r alone when terminated (truncation bootstraps)', () => {
  const learner = new DqnLearner(1, 2, { hidden: [16], gamma: 0.99, doubleQ: false }, new Rng(1));
  constantQ(learner, 'qTarget', [1, 3]);
  // a truncated step is stored with terminated = 0, so it bootstraps like the second row
  close(learner.tdTargets(batch([1, 1], [1, 0])), [1, 1 + 0.99 * 3], 1e-6);
  learner.dispose();
});

test('Double DQN target evaluates the online argmax with the target net: 1 + 0.99·Q_target(s′, 0) = 1.99', () => {
  const learner = new DqnLearner(1, 2, { hidden: [16], gamma: 0.99, doubleQ: true }, new Rng(1));
  constantQ(learner, 'qTarget', [1, 3]);
  constantQ(learner, 'q', [5, 0]);
  close(learner.tdTargets(batch([1], [0])), [1.99], 1e-6);
  learner.dispose();
});

test('an action outside the action space in a minibatch is named, not used as an index (fused and tfjs paths)', () => {
  for (const fused of [true, false]) {
    const learner = new DqnLearner(1, 2, { hidden: [4], fused }, new Rng(5));
    for (const bad of [7, -3]) {
      const b = batch([1, 1, 1], [0, 0, 0]);
      b.actions[2] = bad;
      assert.throws(() => learner.update(b), (e: Error) => e.message === `DQN minibatch row 2: action ${bad} is outside the action space Discrete(2)`);
      assert.throws(() => learner.computeGradients(b), /row 2: action/);
    }
    learner.dispose();
  }
});

test('hard and Polyak target updates', () => {
  const learner = new DqnLearner(1, 2, { hidden: [4] }, new Rng(2));
  constantQ(learner, 'q', [2, 2]);
  constantQ(learner, 'qTarget', [0, 0]);
  learner.updateTarget(0.25);
  learner.syncModels();
  const last = (m: tf.LayersModel) => Object.values(getParams(m)).at(-1)!.data;
  close(last(learner.qTarget), [0.5, 0.5]);
  learner.updateTarget(1);
  learner.syncModels();
  close(last(learner.qTarget), [2, 2]);
  learner.dispose();
});

test('ε decays linearly over explorationFraction of the run, then stays at the final value', () => {
  const c = epsilonSchedule({ learningStarts: 0, explorationInitialEps: 1, explorationFinalEps: 0.05, explorationFraction: 0.5 }, 1000);
  close([epsilonAt(c, 0), epsilonAt(c, 250), epsilonAt(c, 500), epsilonAt(c, 900)], [1, 0.525, 0.05, 0.05]);
});

test('ε is 1 before learningStarts, then follows the decay counted from step 0', () => {
  const c = epsilonSchedule({ learningStarts: 300, explorationInitialEps: 0.5, explorationFinalEps: 0.05, explorationFraction: 0.5 }, 1000);
  close([epsilonAt(c, 0), epsilonAt(c, 299), epsilonAt(c, 300), epsilonAt(c, 500)], [1, 1, 0.23, 0.05]);
});

test('the actor is greedy on the published parameters at ε = 0 and uniform at ε = 1', () => {
  const learner = new DqnLearner(1, 3, { hidden: [4] }, new Rng(3));
  constantQ(learner, 'q', [0, 2, 1]);
  const fwd = dqnForward(learner.getPolicyParams().params, 'relu');
  const out = new Int32Array(4);
  assert.equal([...dqnActor(fwd, new Float32Array(4), 4, 0, new Rng(1), out)], [1, 1, 1, 1]);
  const counts = [0, 0, 0];
  for (let i = 0; i < 300; i++) counts[dqnActor(fwd, new Float32Array(4), 1, 1, new Rng(i), out)[0]!]!++;
  assert.ok(counts.every((c) => c > 70), `counts ${counts}`);
  learner.dispose();
});

test('a DQN update leaks no tensors', () => {
  const learner = new DqnLearner(4, 2, { hidden: [32, 32], batchSize: 16 }, new Rng(4));
  const replay = new ReplayBuffer({ capacity: 64, obsDim: 4 });
  const rng = new Rng(5);
  for (let i = 0; i < 64; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 1, rng.fillNormal(new Float32Array(4)), rng.random() < 0.1);
  learner.update(replay.sample(16, rng));
  const before = tf.memory().numTensors;
  learner.update(replay.sample(16, rng));
  learner.updateTarget(0.5);
  learner.computeGradients(replay.sample(16, rng));
  assert.is(tf.memory().numTensors, before);
  learner.dispose();
});

test('save → load gives identical actions and an identical next update', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-dqn-'));
  try {
    const rng = new Rng(6);
    const replay = new ReplayBuffer({ capacity: 64, obsDim: 4 });
    for (let i = 0; i < 64; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 1, rng.fillNormal(new Float32Array(4)), false);
    const a = new DqnLearner(4, 2, { hidden: [16] }, new Rng(7));
    for (let i = 0; i < 3; i++) a.update(replay.sample(8, rng));
    await a.save(dir);
    const b = new DqnLearner(4, 2, { hidden: [16] }, new Rng(8));
    await b.load(dir);
    const obs = new Rng(9).fillNormal(new Float32Array(40));
    const act = (l: DqnLearner) => [...dqnActor(dqnForward(l.getPolicyParams().params, 'relu'), obs, 10, 0, new Rng(1), new Int32Array(10))];
    assert.equal(act(b), act(a));
    const mb = replay.sample(8, new Rng(10));
    assert.equal(b.update(mb), a.update(mb));
    const [pa, pb] = [a.getPolicyParams().params, b.getPolicyParams().params];
    for (const k of Object.keys(pa)) close(pb[k]!.data, pa[k]!.data, 0, k);
    a.dispose();
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a fused learner refuses a checkpoint without the fused Adam state before either Q network is written to', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-dqn-'));
  try {
    const rng = new Rng(6);
    const replay = new ReplayBuffer({ capacity: 64, obsDim: 4 });
    for (let i = 0; i < 64; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 1, rng.fillNormal(new Float32Array(4)), false);
    const a = new DqnLearner(4, 2, { hidden: [16], fused: false }, new Rng(7));
    a.update(replay.sample(8, rng));
    await a.save(dir);
    const b = new DqnLearner(4, 2, { hidden: [16] }, new Rng(8));
    const before = { q: getParams(b.q), qTarget: getParams(b.qTarget), policy: b.getPolicyParams().params };
    await b.load(dir).then(
      () => assert.unreachable('should be refused'),
      (e: Error) => assert.match(e.message, /state\.msgpack: adam: missing: the checkpoint was saved without the fused optimiser state \(config\.fused was false\)/),
    );
    const after = { q: getParams(b.q), qTarget: getParams(b.qTarget), policy: b.getPolicyParams().params };
    for (const which of ['q', 'qTarget', 'policy'] as const) {
      for (const k of Object.keys(before[which])) assert.equal(Array.from(after[which][k]!.data), Array.from(before[which][k]!.data), `${which} ${k} untouched`);
    }
    a.dispose();
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a fused learner refuses a checkpoint whose Adam state is not as long as its parameters before either Q network is written to (setState threw after both were loaded)", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-dqn-'));
  try {
    const a = new DqnLearner(4, 2, { hidden: [16] }, new Rng(7));
    await a.save(dir);
    const [ckpt] = readdirSync(dir).filter((f) => f.startsWith('ckpt-'));
    const stateFile = path.join(dir, ckpt!, 'state.msgpack');
    const state = decode(readFileSync(stateFile));
    const adam: unknown = typeof state === 'object' && state !== null && 'adam' in state ? state.adam : undefined;
    if (typeof adam !== 'object' || adam === null || !('m' in adam) || !(adam.m instanceof Float32Array)) throw new Error(`${stateFile}: no fused Adam state to shorten`);
    adam.m = adam.m.subarray(1);
    writeFileSync(stateFile, encode(state));
    const b = new DqnLearner(4, 2, { hidden: [16] }, new Rng(8));
    const before = { q: getParams(b.q), qTarget: getParams(b.qTarget) };
    await b.load(dir).then(
      () => assert.unreachable('should be refused'),
      (e: unknown) => assert.match(errorMessage(e), /state\.msgpack: adam\.m: \d+ values, the learner has \d+ parameters/),
    );
    for (const which of ['q', 'qTarget'] as const) {
      const after = getParams(b[which]);
      for (const k of Object.keys(before[which])) assert.equal(Array.from(after[k]!.data), Array.from(before[which][k]!.data), `${which} ${k} untouched`);
    }
    a.dispose();
    b.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('DQN improves on CartPole in a short seeded run', () => {
  const returns: number[] = [];
  const result = trainDqn({
    envId: 'CartPole-v1',
    totalTimesteps: 6000,
    config: { seed: 1, hidden: [64, 64], learningStarts: 500, trainFrequency: 64, gradientSteps: 32, explorationFraction: 0.3, targetUpdateInterval: 64 },
    onMetrics: (m) => {
      if (m['charts/episodic_return'] !== undefined) returns.push(m['charts/episodic_return']);
    },
  });
  const first = returns.slice(0, 20).reduce((a, b) => a + b, 0) / 20;
  const last = returns.slice(-5).reduce((a, b) => a + b, 0) / 5;
  assert.ok(last >= 2 * first, `first 20 episodes ${first.toFixed(1)}, last 5 ${last.toFixed(1)}`);
  result.learner.dispose();
});

test('maxGradNorm 0 means no clipping, as for the policy-gradient agents (one rule: base/configCheck.ts checkMaxGradNorm): one update equals the unclipped one, on the fused and the tfjs paths', () => {
  const rng = new Rng(11);
  const replay = new ReplayBuffer({ capacity: 32, obsDim: 4 });
  for (let i = 0; i < 32; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 10, rng.fillNormal(new Float32Array(4)), false);
  const mb = replay.sample(16, rng);
  for (const fused of [true, false]) {
    const stepped = (maxGradNorm: number): TensorMap => {
      const learner = new DqnLearner(4, 2, { hidden: [16], fused, maxGradNorm }, new Rng(12));
      assert.is(learner.config.maxGradNorm, maxGradNorm);
      learner.update(mb);
      const params = learner.getPolicyParams().params;
      learner.dispose();
      return params;
    };
    const [off, huge, tight] = [stepped(0), stepped(1e30), stepped(1e-3)];
    for (const k of Object.keys(off)) close(off[k]!.data, huge[k]!.data, 0, `fused=${fused} ${k}`);
    assert.ok(Object.keys(off).some((k) => off[k]!.data.some((v, i) => v !== tight[k]!.data[i])), `fused=${fused}: a tight clip changes the step`);
  }
  assert.throws(() => resolveDqnConfig({ maxGradNorm: -1 }), /DQN config: 'maxGradNorm' must be a number ≥ 0, got -1/);
});

test('a DQN seed beyond the safe integers is refused by the seed rule, naming the field (not later by the Rng)', () => {
  assert.throws(() => resolveDqnConfig({ seed: 1e17 }), (e: Error) => e instanceof RangeError && e.message === "DQN config: 'seed' must be a non-negative safe integer, got 100000000000000000");
  assert.throws(() => resolveDqnConfig({ seed: -1 }), /DQN config: 'seed' must be a non-negative safe integer, got -1/);
  assert.is(resolveDqnConfig({ seed: Number.MAX_SAFE_INTEGER }).seed, Number.MAX_SAFE_INTEGER);
});

test('bad DQN configs get errors naming the field', () => {
  assert.throws(() => resolveDqnConfig({ gamma: 1.5 }), /DQN config: 'gamma' must be a number ≥ 0 and ≤ 1, got 1.5/);
  assert.throws(() => resolveDqnConfig({ batchSize: 0 }), /'batchSize' must be an integer ≥ 1, got 0/);
  assert.throws(() => resolveDqnConfig({ hidden: [] }), /'hidden' must be a non-empty list/);
  assert.throws(() => resolveDqnConfig({ lr: 1 } as never), /unknown field 'lr'/);
  assert.throws(() => trainDqn({ envId: 'Pendulum-v1', totalTimesteps: 10 }), /needs a Discrete action space/);
});

test.run();
