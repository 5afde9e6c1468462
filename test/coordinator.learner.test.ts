/**
 * The learner process as the DQN driver uses it: it owns the replay buffer (rounds bring new
 * transitions and it draws the minibatches). A learner killed with SIGKILL loses nothing: a new
 * process given the last state the coordinator acknowledged and the rounds since continues bit for
 * bit as an uninterrupted learner does, and the round the dead one held is answered by the new one exactly.
 */
import * as assert from 'uvu/assert';
import { initialDqnParams, resolveDqnConfig } from '../agents/dqn.js';
import { Rng } from '../base/rng.js';
import { InlineLearner, LearnerLost, ProcessLearner, type LearnerClient } from '../drivers/learner.js';
import { reachableImports, test, useCpu } from './helpers.js';
import type { DqnLearnerState, LearnerInit, TrainRequest } from '../protocol/messages.js';

const obsDim = 4;
const batchSize = 16;
const gradientSteps = 4;
// the learner process runs on the cpu backend, as the in-process reference does
process.env.NNLAB_BACKEND = 'cpu';
const config = resolveDqnConfig({ seed: 5, hidden: [16, 16], batchSize });
const init: LearnerInit = { type: 'init', obsDim, numActions: 2, config: { ...config }, ...initialDqnParams(obsDim, 2, config) };

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
  const withState = (r: TrainRequest): TrainRequest => ({ ...r, wantState: true });
  // the reference: one uninterrupted learner process; replies carry the state only when asked
  const whole = await ProcessLearner.start(init);
  const start = (await whole.train(withState(empty))).state!;
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
  sameState(last.state!, reference.state!, 'after the restart');
  assert.is(last.meanLoss, reference.meanLoss);

  // and an in-process learner from the same start agrees too (the process adds nothing)
  const inline = new InlineLearner(init, 'cpu');
  await inline.train({ ...empty, state: start });
  for (let id = 1; id < rounds; id++) await inline.train(round(id));
  const inl = await inline.train(withState(round(rounds)));
  await inline.close();
  sameState(inl.state!, reference.state!, 'in process');
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

test('a learner given a malformed config refuses it, naming the field (in process and as a process)', async () => {
  assert.throws(() => new InlineLearner({ ...init, config: { ...config, gamma: 'high' } }, 'cpu'), (e: Error) => e.message === `DQN learner config: 'gamma' must be a finite number, got "high"`);
  assert.throws(() => new InlineLearner({ ...init, config: { ...config, activation: 'gelu' } }, 'cpu'), (e: Error) => e.message === `DQN learner config: 'activation' must be 'relu' or 'tanh', got "gelu"`);
  assert.throws(() => new InlineLearner({ ...init, config: { ...config, bufferSize: 0 } }, 'cpu'), (e: Error) => e.message === `DQN learner config: 'bufferSize' must be a positive integer, got 0`);
  assert.throws(() => new InlineLearner({ ...init, config: { ...config, seed: 1.5 } }, 'cpu'), (e: Error) => e.message === `DQN learner config: 'seed' must be an integer, got 1.5`);
  const { doubleQ: _d, ...noDoubleQ } = config;
  assert.throws(() => new InlineLearner({ ...init, config: noDoubleQ }, 'cpu'), /'doubleQ' must be true or false, got undefined/);
  let failed: Error | undefined;
  await ProcessLearner.start({ ...init, config: { ...config, tau: Number.NaN } }).then((l) => l.close(), (e: Error) => (failed = e));
  assert.is(failed?.message, `learner process: DQN learner config: 'tau' must be a finite number, got NaN`);
});

test("a round whose transitions' arrays disagree is refused, naming the sizes; the learner's buffer is untouched", async () => {
  const learner = new InlineLearner(init, 'cpu');
  const r = round(1);
  await learner.train({ ...r, nextObs: r.nextObs.subarray(obsDim) }).then(
    () => assert.unreachable('a malformed round was trained'),
    (e: Error) => assert.match(e.message, /train request 1: the transitions' arrays do not agree \(64 rewards, 64 observations of 4, 63 next/),
  );
  const state = (await learner.train({ ...empty, wantState: true })).state!;
  assert.is(state.replay.size, 0, 'nothing of the refused round entered the buffer');
  assert.is(state.updates, 0);
  await learner.close();
});

test('the DQN learner process loads no tfjs: its host and the GEMM reach no tfjs package', () => {
  for (const file of ['workers/dqnLearnerHost.js', 'core/fused.js']) {
    const { files, packages } = reachableImports(file);
    assert.ok(files.length >= 2, `${file}: followed its imports (${files.length} files)`);
    assert.equal(packages.filter((p) => p.startsWith('@tensorflow/')), [], `tfjs packages reachable from ${file}`);
  }
  // the process imports those two for a DQN learner, and tfjs's backends only for a generative one
  const entry = reachableImports('workers/learnerProcess.js');
  assert.ok(entry.packages.some((p) => p.startsWith('@tensorflow/')), 'the generative branch does load tfjs (the check can see it)');
});

test.run();
