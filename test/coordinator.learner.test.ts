/**
 * The learner process as the DQN driver uses it: it owns the replay buffer (rounds bring new
 * transitions and it draws the minibatches). A learner killed with SIGKILL loses nothing: a new
 * process given the last state the coordinator acknowledged and the rounds since continues bit for
 * bit as an uninterrupted learner does, and the round the dead one held is answered by the new one exactly.
 */
import * as assert from 'uvu/assert';
import { initialDqnParams, resolveDqnConfig } from '../agents/dqn.js';
import { Rng } from '../base/rng.js';
import { InlineLearner, LearnerLost, ProcessLearner, type LearnerClient, type WantState } from '../drivers/learner.js';
import { parseFromLearner, parseToLearner } from '../workers/learnerMessages.js';
import { reachableImports, test, useCpu } from './helpers.js';
import type { DqnLearnerState, LearnerInit, TrainRequest } from '../protocol/messages.js';

const obsDim = 4;
const batchSize = 16;
const gradientSteps = 4;
// the learner process runs on the cpu backend, as the in-process reference does
process.env.NNLAB_BACKEND = 'cpu';
const config = resolveDqnConfig({ seed: 5, hidden: [16, 16], batchSize });
const init: LearnerInit = { type: 'init', obsDim, numActions: 2, config, ...initialDqnParams(obsDim, 2, config) };

/** Round `id`'s minibatches, drawn from a fixed generator so every learner sees the same data. */
function round(id: number): TrainRequest {
  const rng = new Rng(100 + id);
  const rows = gradientSteps * batchSize;
  const normal = (n: number) => rng.fillNormal(new Float32Array(n));
  return {
    type: 'train',
    id,
    obs: normal(rows * obsDim),
    actions: Int32Array.from({ length: rows }, () => rng.int(2)),
    rewards: Float32Array.from({ length: rows }, () => 1),
    nextObs: normal(rows * obsDim),
    terminated: Uint8Array.from({ length: rows }, () => (rng.uniform(0, 1) < 0.1 ? 1 : 0)),
    batchSize,
    phases: [{ gradientSteps, updateTarget: id % 2 === 0 }],
  };
}

test.before(useCpu);

const empty: TrainRequest = { type: 'train', id: 0, obs: new Float32Array(0), actions: new Int32Array(0), rewards: new Float32Array(0), nextObs: new Float32Array(0), terminated: new Uint8Array(0), batchSize, phases: [] };

function sameState(a: DqnLearnerState, b: DqnLearnerState, what: string): void {
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  assert.is(a.updates, b.updates, `${what}: updates`);
  assert.is(a.version, b.version, `${what}: version`);
  assert.is(a.adam.t, b.adam.t, `${what}: Adam t`);
  for (const k of ['online', 'target'] as const) assert.ok(bytes(a[k]).equals(bytes(b[k])), `${what}: ${k} weights differ`);
  assert.ok(bytes(a.adam.m).equals(bytes(b.adam.m)) && bytes(a.adam.v).equals(bytes(b.adam.v)), `${what}: Adam moments differ`);
  assert.is(a.replay.size, b.replay.size, `${what}: replay size`);
  assert.ok(bytes(a.replay.obs).equals(bytes(b.replay.obs)) && bytes(a.replay.rewards).equals(bytes(b.replay.rewards)), `${what}: replay buffers differ`);
  assert.equal([...a.replayRng], [...b.replayRng], `${what}: the sampling generator`);
}

test('a learner process killed with SIGKILL: a new one given the last state it sent and the rounds since continues bit for bit', async () => {
  const rounds = 6;
  const killAfter = 3;
  const withState = (r: TrainRequest): WantState => ({ ...r, wantState: true });
  // the reference: one uninterrupted learner process; replies carry the state only when asked
  const whole = await ProcessLearner.start(init);
  const start = (await whole.train(withState(empty))).state;
  for (let id = 1; id < rounds; id++) {
    const r = await whole.train(round(id));
    assert.is(r.state, undefined, 'a round that did not ask for the state does not carry it');
    assert.is(r.updates, id * gradientSteps);
  }
  const reference = await whole.train(withState(round(rounds)));
  await whole.close();

  // the same rounds, with the learner killed while it holds round killAfter + 1
  let learner: LearnerClient = await ProcessLearner.start(init);
  await learner.train({ ...empty, state: start });
  for (let id = 1; id <= killAfter; id++) await learner.train(round(id));
  // stopped first, so the round is surely held (not already answered) when the SIGKILL lands
  process.kill(learner.pid!, 'SIGSTOP');
  const held = learner.train(round(killAfter + 1));
  process.kill(learner.pid!, 'SIGKILL');
  await held.then(
    () => assert.unreachable('a killed learner answered'),
    (e: Error) => assert.ok(e instanceof LearnerLost, `expected LearnerLost, got ${e.message}`),
  );
  await learner.close();
  // as drivers/offPolicy.ts restarts it: the state it holds, the rounds since again, then the held round on
  learner = await ProcessLearner.start(init);
  await learner.train({ ...empty, state: start });
  for (let id = 1; id <= killAfter; id++) await learner.train(round(id));
  for (let id = killAfter + 1; id < rounds; id++) await learner.train(round(id));
  const last = await learner.train(withState(round(rounds)));
  await learner.close();
  sameState(last.state, reference.state, 'after the restart');
  assert.is(last.meanLoss, reference.meanLoss);

  // and an in-process learner from the same start agrees too (the process adds nothing)
  const inline = new InlineLearner(init, 'cpu');
  await inline.train({ ...empty, state: start });
  for (let id = 1; id < rounds; id++) await inline.train(round(id));
  const inl = await inline.train(withState(round(rounds)));
  await inline.close();
  sameState(inl.state, reference.state, 'in process');
});

test('a learner that died a moment ago, its exit not yet seen: the round is LearnerLost (EPIPE), the coordinator lives', async () => {
  const learner = await ProcessLearner.start(init);
  await learner.train(empty);
  process.kill(learner.pid!, 'SIGKILL');
  // block this thread (no event is handled, so its exit is not seen) until the child is surely gone
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  await learner.train(round(1)).then(
    () => assert.unreachable('a dead learner answered'),
    (e: Error) => assert.ok(e instanceof LearnerLost, `expected LearnerLost, got ${e.message}`),
  );
  await learner.close();
});

test("a learner process checks its init's config by DQN's one rule, naming the field (a gamma of 2 was taken before)", async () => {
  for (const [bad, message] of [
    [{ gamma: 2 }, `'gamma' must be a number ≥ 0 and ≤ 1, got 2`],
    [{ tau: Number.NaN }, `'tau' must be a number > 0 and ≤ 1, got NaN`],
    [{ bufferSize: 0 }, `'bufferSize' must be an integer ≥ 1, got 0`],
  ] as const) {
    let failed: Error | undefined;
    await ProcessLearner.start({ ...init, config: { ...config, ...bad } }).then((l) => l.close(), (e: Error) => (failed = e));
    assert.is(failed?.message, `learner process: a message from the coordinator: config: DQN config: ${message}`);
  }
});

test('the learner channel refuses malformed messages on both sides, naming the field', () => {
  const refused = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: Error) => pattern.test(e.message), String(pattern));
  // to the learner: a config field of the wrong kind or unknown, a request's typed arrays, an unknown type
  refused(() => parseToLearner({ ...init, config: { ...config, activation: 'gelu' } }), /config: DQN config: 'activation' must be one of 'relu', 'tanh', got "gelu"/);
  refused(() => parseToLearner({ ...init, config: { ...config, gama: 0.9 } }), /config: DQN config: unknown field 'gama'/);
  refused(() => parseToLearner({ ...round(1), obs: [1, 2, 3, 4] }), /^a message from the coordinator: obs: .*Float32Array.*, got \[1, 2, 3, 4\]/);
  refused(() => parseToLearner({ type: 'train!', id: 1 }), /^a message from the coordinator: type:/);
  assert.is(parseToLearner(round(1)).type, 'train');
  // a generative init names a model kind of the registry's list (was any string, refused only by the process's factory)
  const genInit = { type: 'init-generative', kind: 'wgan-gp', config: {}, rng: new Rng(1).getState() };
  assert.is(parseToLearner(genInit).type, 'init-generative');
  refused(() => parseToLearner({ ...genInit, kind: 'wgan_gp' }), /^a message from the coordinator: kind: .*"vae".*"cdcgan", got "wgan_gp"$/);
  // from the learner: a reply whose parameters are not tensors, a failure without a message
  const reply = { type: 'trained', id: 1, updates: 4, version: 4, params: { w: { shape: [2], data: new Float32Array(2) } }, meanLoss: 0.5, seconds: 0.01 };
  assert.is(parseFromLearner(reply).type, 'trained');
  refused(() => parseFromLearner({ ...reply, params: { w: { shape: [3], data: new Float32Array(2) } } }), /^a message from the learner process: params\.w\.data: 2 values for shape \[3\] \(3\)$/);
  refused(() => parseFromLearner({ type: 'failed', id: 3 }), /^a message from the learner process: message:/);
});

test("a round whose transitions' arrays disagree is refused, naming the sizes; the learner's buffer is untouched", async () => {
  const learner = new InlineLearner(init, 'cpu');
  const r = round(1);
  await learner.train({ ...r, nextObs: r.nextObs.subarray(obsDim) }).then(
    () => assert.unreachable('a malformed round was trained'),
    (e: Error) => assert.match(e.message, /train request 1: the transitions' arrays do not agree \(64 rewards, 64 observations of 4, 63 next/),
  );
  const state = (await learner.train({ ...empty, wantState: true })).state;
  assert.is(state.replay.size, 0, 'nothing of the refused round entered the buffer');
  assert.is(state.updates, 0);
  await learner.close();
});

test('an inline round with no whole positive batchSize is refused, naming it (a batchSize of 0 was a TypeError on a missing minibatch)', async () => {
  const learner = new InlineLearner(init, 'cpu');
  for (const bad of [0, 1.5]) {
    await learner.train({ ...round(1), batchSize: bad }).then(
      () => assert.unreachable(`a round of batchSize ${bad} was trained`),
      (e: Error) => assert.match(e.message, new RegExp(`^train request 1: batchSize must be a positive integer, got ${bad}$`)),
    );
  }
  // a round of no steps (a state request) still draws nothing and answers
  assert.is((await learner.train({ ...empty, wantState: true })).state.updates, 0);
  await learner.close();
});

test('the DQN learner process loads no tfjs: its host and the GEMM reach no tfjs package', () => {
  for (const file of ['workers/dqnLearnerHost.js', 'workers/learnerMessages.js', 'core/fused.js']) {
    const { files, packages } = reachableImports(file);
    assert.ok(files.length >= 2, `${file}: followed its imports (${files.length} files)`);
    assert.equal(packages.filter((p) => p.startsWith('@tensorflow/')), [], `tfjs packages reachable from ${file}`);
  }
  // the process imports those two for a DQN learner, and tfjs's backends only for a generative one
  const entry = reachableImports('workers/learnerProcess.js');
  assert.ok(entry.packages.some((p) => p.startsWith('@tensorflow/')), 'the generative branch does load tfjs (the check can see it)');
});

test.run();
