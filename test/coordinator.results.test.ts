/**
 * The scheduler's handling of bad answers, on a real coordinator socket with a hand-written
 * worker beside an honest in-process executor: a trial with a NaN score, a result of another
 * kind than its task and a result frame that fails the schema are refused and redone elsewhere,
 * a late answer after the deadline is dropped, a task failing everywhere stops with every
 * executor's error, a gradient shard of another phase's parameters or short of one is refused
 * and redone elsewhere (the learner's step goes on); and the validator's messages for rollouts,
 * trials (RL and generative) and gradient shards, and for a result of another kind; a generative
 * trial's local folder is never sent to a remote worker.
 */
import { test, until } from './helpers.js';
import * as assert from 'uvu/assert';
import { BadResult, Scheduler, type Executor, type SchedulerOptions } from '../coordinator/scheduler.js';
import { CoordinatorServer } from '../coordinator/server.js';
import { InlineExecutor, checkedThreadResult } from '../coordinator/executors.js';
import { validateEvaluate, validateGradient, validateResult, validateRollout, validateTrial, envSpaces } from '../drivers/validate.js';
import { evaluatePolicy } from '../agents/evaluate.js';
import { greedyPolicy } from '../agents/dqnActor.js';
import type { TaskMessage } from '../protocol/messages.js';
import { runTrial } from '../workers/trial.js';
import { execute } from '../workers/thread.js';
import { RolloutRunner } from '../workers/rollout.js';
import type { EvaluateResult, EvaluateTask, GenerativeTrialTask, GradientTask, RolloutResult, RolloutTask, RlTrialTask, Task, TrialResult } from '../protocol/tasks.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DqnLearner } from '../agents/dqn.js';
import { makeGenerativeLearner } from '../generative/models.js';
import { dataParallelStep } from '../drivers/generative.js';
import { Rng } from '../base/rng.js';
import { connectPeer, type TestPeer } from './peer.js';
import { DICT_WALK_ID, STRUCTURED_OBS_DIM, TUPLE_WALK_ID } from './fixtures/structuredObsEnv.js';

const TOKEN = 'results-test-token';


/** Coordinators still open (closed after each test, whether it passed or not). */
const open: (() => Promise<void>)[] = [];
test.after.each(async () => {
  for (const close of open.splice(0)) await close();
});

/** A coordinator with the hand-written worker registered first (it gets the first task), then the honest inline executor. */
async function setup(onTask: (peer: TestPeer, m: TaskMessage) => void, opts: SchedulerOptions = {}, kind: 'trial' | 'gradient' = 'trial') {
  const scheduler = new Scheduler(opts);
  const server = new CoordinatorServer({ token: TOKEN, runId: 'results', scheduler });
  const port = await server.listen();
  const bad = connectPeer(`ws://127.0.0.1:${port}/ws`, TOKEN, { name: 'bad', kinds: [kind] });
  bad.onMessage = (m) => m.type === 'task' && onTask(bad, m);
  await until(`scheduler.capacity('${kind}') === 1`, () => scheduler.capacity(kind) === 1);
  scheduler.addExecutor(new InlineExecutor());
  open.push(async () => {
    await scheduler.close();
    await server.close();
  });
  return { scheduler, bad };
}

const trial = (over: Partial<RlTrialTask> = {}): RlTrialTask => ({ kind: 'trial', family: 'rl', runId: 'results', trial: 0, env: { id: 'CliffWalking-v1', kwargs: {} }, algo: 'qlearning', config: { seed: 3 }, episodes: 30, evalEpisodes: 1, ...over });

test('a trial result with a short curve is refused, named to the worker, and redone by another executor', async () => {
  const c = await setup((p, m) => p.send({ type: 'result', taskId: m.taskId, result: { kind: 'trial', trial: 0, finalScore: -13, curve: new Float64Array(29), seconds: 0.1 } }));
  const r = await c.scheduler.submit(trial());
  assert.is(r.finalScore, (await runTrial(trial())).finalScore);
  await until('c.bad.errors().length > 0', () => c.bad.errors().length > 0);
  assert.equal(c.bad.errors().map((e) => [e.code, e.message]), [['bad_result', 'task 1 refused: bad result: result.curve: length 29, expected 30 (one return per training episode); it goes to another worker']]);
  assert.is(c.scheduler.counts.invalid, 1);
  assert.is(c.scheduler.counts.completed, 1);
  assert.is(c.scheduler.stats().find((e) => e.kind === 'remote')!.strikes, 1);
});

test('a well-formed result of another kind than its task (a gradient for a trial) is refused and the task redone elsewhere', async () => {
  const c = await setup((p, m) => p.send({ type: 'result', taskId: m.taskId, result: { kind: 'gradient', grads: { w: { shape: [1], data: new Float32Array(1) } }, metrics: {}, n: 1 } }));
  const r = await c.scheduler.submit(trial());
  assert.is(r.kind, 'trial');
  assert.is(r.finalScore, (await runTrial(trial())).finalScore);
  await until('c.bad.errors().length > 0', () => c.bad.errors().length > 0);
  assert.equal(c.bad.errors().map((e) => [e.code, e.message]), [['bad_result', "task 1 refused: bad result: result.kind: 'gradient' answers a 'trial' task; it goes to another worker"]]);
  assert.is(c.scheduler.counts.invalid, 1);
});

test("a result of another kind than the submitted task is refused even when the validator lets it through (submit's result type rests on this check)", async () => {
  const scheduler = new Scheduler({ maxFailures: 1 });
  scheduler.validate = () => undefined;
  const wrong: Executor = { id: 'wrong', kind: 'inline', capacity: 1, kinds: new Set(['trial']), run: async () => ({ kind: 'evaluate', returns: new Float64Array(1), lengths: new Int32Array([1]), policyVersion: 0 }), close: async () => undefined };
  scheduler.addExecutor(wrong);
  try {
    const err = await scheduler.submit(trial()).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.is(err?.message, "task 1 (trial) failed 1 times: wrong: bad result: result.kind: 'evaluate' answers a 'trial' task");
    assert.is(scheduler.counts.invalid, 1);
    assert.is(scheduler.counts.completed, 0);
  } finally {
    await scheduler.close();
  }
});

test('a result frame that fails the schema (a NaN score) fails the task it answers at once, not at a deadline', async () => {
  const c = await setup((p, m) => p.send({ type: 'result', taskId: m.taskId, result: { kind: 'trial', trial: 0, finalScore: NaN, curve: new Float64Array(30), seconds: 0.1 } }));
  const t0 = Date.now();
  await c.scheduler.submit(trial());
  assert.ok(Date.now() - t0 < 5000);
  await until('c.bad.errors().length > 0', () => c.bad.errors().length > 0);
  const e = c.bad.errors();
  assert.is(e.length, 1);
  assert.is(e[0]!.code, 'bad_result');
  assert.match(e[0]!.message, /^task 1 refused: bad result: result\.finalScore: .*NaN/);
  assert.is(e[0]!.taskId, 1);
});

test('an answer after the deadline is dropped, not counted; the worker is suspect until it answers', async () => {
  let answer: (() => void) | undefined;
  const c = await setup((p, m) => (answer = () => p.send({ type: 'result', taskId: m.taskId, result: { kind: 'trial', trial: 0, finalScore: 12345, curve: new Float64Array(30), seconds: 1 } })), { taskTimeout: 0.3 });
  const r = await c.scheduler.submit(trial());
  assert.is.not(r.finalScore, 12345);
  const remote = () => c.scheduler.stats().find((e) => e.kind === 'remote')!;
  assert.is(remote().state, 'suspect');
  assert.is(c.scheduler.capacity('trial'), 1, 'a suspect worker takes no new tasks');
  await until('c.bad.errors().length > 0', () => c.bad.errors().length > 0);
  assert.is(c.bad.errors()[0]!.code, 'task_timeout');
  answer!();
  await until('c.scheduler.counts.late === 1', () => c.scheduler.counts.late === 1);
  assert.is(c.scheduler.counts.completed, 1);
  assert.is(remote().state, 'alive');
  assert.is(c.scheduler.capacity('trial'), 2);
});

test('a task that fails on every executor stops after 3 tries, naming each executor and its error', async () => {
  const c = await setup((p, m) => p.send({ type: 'task_error', taskId: m.taskId, message: 'boom' }));
  const err = await c.scheduler.submit(trial({ env: { id: 'NoSuchEnv-v0', kwargs: {} } })).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err !== undefined, 'the task did not fail');
  assert.match(err.message, /^task 1 \(trial\) failed 3 times: remote-\d+-bad: task error: boom; inline: task error: .*NoSuchEnv.*; remote-\d+-bad: task error: boom$/);
  assert.is(c.scheduler.counts.failed, 1);
});

test("a task whose executor rejects with a string (a user env's `throw 'boom'`) is a task error naming it, not 'undefined'", async () => {
  const scheduler = new Scheduler({ maxFailures: 1 });
  // what an inline or thread executor passes on when the task's env throws a string
  const throwsString: Executor = { id: 'strings', kind: 'inline', capacity: 1, kinds: new Set(['trial']), run: () => Promise.reject('boom'), close: async () => undefined };
  scheduler.addExecutor(throwsString);
  try {
    const err = await scheduler.submit(trial()).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.is(err instanceof Error ? err.message : err, 'task 1 (trial) failed 1 times: strings: task error: boom');
    assert.is(scheduler.counts.taskErrors, 1);
  } finally {
    await scheduler.close();
  }
});

// ---- the validator's messages ----

/** A DQN policy's parameters for an obsDim-input, 2- or 4-action network. */
function policyParams(obsDim: number, actions: number) {
  const learner = new DqnLearner(obsDim, actions, { hidden: [4] }, new Rng(0));
  const params = learner.getPolicyParams().params;
  learner.dispose();
  return params;
}

const rolloutTask: RolloutTask = {
  kind: 'rollout',
  runId: 'v',
  env: { id: 'CartPole-v1', kwargs: {} },
  numEnvs: 2,
  steps: 8,
  envStep: 0,
  seed: 1,
  policy: { algo: 'dqn', activation: 'relu', params: policyParams(4, 2), version: 0, epsilon: { explorationInitialEps: 1, explorationFinalEps: 1, explorationFraction: 1, totalTimesteps: 100, learningStarts: 100 } },
};

test('rollout results: each inconsistency is named with its field', async () => {
  const good = (await execute(rolloutTask)) as RolloutResult;
  const spaces = envSpaces(rolloutTask.env);
  assert.is(validateRollout(rolloutTask, good, spaces), undefined);
  const cases: [string, (r: RolloutResult) => void][] = [
    ['result.count: 15, expected 16 (steps 8 × numEnvs 2)', (r) => (r.count = 15)],
    ['result.nextObs[3]: -Infinity is not a finite number', (r) => (r.nextObs[3] = -Infinity)],
    ['result.terminated[4]: 2, expected 0 or 1', (r) => (r.terminated[4] = 2)],
    ['result.episodeReturns/episodeLengths/episodeEnds: lengths 1/0/1 differ (one entry per ended episode)', (r) => Object.assign(r, { episodeReturns: new Float64Array([1]), episodeLengths: new Int32Array(0), episodeEnds: new Int32Array([3]) })],
    ['result.episodeEnds[0]: 16 is outside the task\'s transitions [0, 16)', (r) => Object.assign(r, { episodeReturns: new Float64Array([1]), episodeLengths: new Int32Array([1]), episodeEnds: new Int32Array([16]) })],
    ['result.episodeReturns[0]: NaN is not a finite number', (r) => Object.assign(r, { episodeReturns: new Float64Array([NaN]), episodeLengths: new Int32Array([1]), episodeEnds: new Int32Array([0]) })],
    ['result.policyVersion: 4 is newer than the task\'s policy (version 0)', (r) => (r.policyVersion = 4)],
  ];
  for (const [message, spoil] of cases) {
    const r: RolloutResult = { ...good, obs: good.obs.slice(), nextObs: good.nextObs.slice(), terminated: good.terminated.slice() };
    spoil(r);
    assert.is(validateRollout(rolloutTask, r, spaces), message);
  }
  // a Discrete observation space (FrozenLake): observations are states in [0, 16)
  const lake: RolloutTask = { ...rolloutTask, runId: 'v-lake', env: { id: 'FrozenLake-v1', kwargs: {} }, policy: { ...rolloutTask.policy, params: policyParams(1, 4) } };
  const lr = (await execute(lake)) as RolloutResult;
  assert.is(validateRollout(lake, lr, envSpaces(lake.env)), undefined);
  lr.obs[2] = 16;
  assert.is(validateRollout(lake, lr, envSpaces(lake.env)), 'result.obs[2]: 16 is outside the observation space Discrete(16)');
});

test('rollout results from envs with Tuple and Dict observations (shape []): rows of their flat size are accepted, others refused', async () => {
  for (const id of [TUPLE_WALK_ID, DICT_WALK_ID]) {
    const task: RolloutTask = { ...rolloutTask, runId: `v-${id}`, env: { id, kwargs: {} }, policy: { ...rolloutTask.policy, params: policyParams(STRUCTURED_OBS_DIM, 2) } };
    const spaces = envSpaces(task.env);
    assert.is(spaces.obsDim, STRUCTURED_OBS_DIM, `${id}: the flat size, as a vector env's row holds it`);
    const good = (await execute(task)) as RolloutResult;
    assert.is(validateRollout(task, good, spaces), undefined, `${id}: an honest rollout`);
    // one number per observation: what multiplying out the shape [] would have asked for
    const oneEach: RolloutResult = { ...good, obs: good.obs.filter((_, i) => i % STRUCTURED_OBS_DIM === 0) };
    assert.is(validateRollout(task, oneEach, spaces), 'result.obs: length 16, expected 80 (16 transitions × 5 numbers)');
    const longNext: RolloutResult = { ...good, nextObs: Float32Array.of(...good.nextObs, 0) };
    assert.is(validateRollout(task, longNext, spaces), 'result.nextObs: length 81, expected 80 (16 transitions × 5 numbers)');
  }
});

test('a rollout that continues an env stream: the stream comes back continued, and a bad one is named with its field', async () => {
  const first = (await execute({ ...rolloutTask, runId: 'v-stream0' })) as RolloutResult;
  assert.is(first.stream, undefined, 'a task without a stream gets none back');
  // a stream starts from the envs of another executor's runner; this one continues it exactly
  const origin = new RolloutRunner(2, 'CartPole-v1', {}, 7);
  const stream = origin.getState();
  const task: RolloutTask = { ...rolloutTask, runId: 'v-stream', stream };
  const a = (await execute(task)) as RolloutResult;
  const b = origin.run(task);
  assert.equal(Array.from(a.obs), Array.from(b.obs), 'the stream continued where it stood');
  assert.equal(Array.from(a.stream!.obs), Array.from(origin.getState().obs));
  origin.close();
  const spaces = envSpaces(task.env);
  assert.is(validateRollout(task, a, spaces), undefined);
  const cases: [string, (r: RolloutResult) => void][] = [
    ['result.stream: missing (the task continues an env stream; its result carries the stream on)', (r) => delete r.stream],
    ['result.stream.obs: length 4, expected 8 (2 envs × 4 numbers)', (r) => (r.stream = { ...r.stream!, obs: new Float32Array(4) })],
    ['result.stream.returns[1]: NaN is not a finite number', (r) => (r.stream = { ...r.stream!, returns: new Float64Array([0, NaN]) })],
    ['result.stream.rng: expected four 32-bit unsigned words, not all zero', (r) => (r.stream = { ...r.stream!, rng: [1, 2, 3, -4] })],
    ['result.stream.rng: expected four 32-bit unsigned words, not all zero', (r) => (r.stream = { ...r.stream!, rng: [0, 0, 0, 0] })],
    ["result.stream.env: restoreState: the snapshot's env.close would replace a method of the live env", (r) => (r.stream = { ...r.stream!, env: { close: 1 } })],
  ];
  for (const [message, spoil] of cases) {
    const r: RolloutResult = { ...a };
    spoil(r);
    assert.is(validateRollout(task, r, spaces), message);
  }
});

test('evaluation results: one finite return and a positive length per episode, for the version asked', async () => {
  const task: EvaluateTask = { kind: 'evaluate', runId: 'v-eval', env: { id: 'CartPole-v1', kwargs: {} }, policy: { algo: 'dqn', activation: 'relu', params: policyParams(4, 2), version: 3 }, firstSeed: 10, episodes: 3 };
  const good = (await execute(task)) as EvaluateResult;
  assert.is(validateEvaluate(task, good), undefined);
  // the same episodes as evaluatePolicy plays in the coordinator: a goal check is the same wherever it runs
  const here = evaluatePolicy('CartPole-v1', greedyPolicy(task.policy.params, 'relu'), 3, 10);
  assert.equal(Array.from(good.returns), here.returns);
  const cases: [string, EvaluateResult][] = [
    ['result.returns: length 2, expected 3 (one return per episode)', { ...good, returns: good.returns.subarray(0, 2) }],
    ['result.returns[0]: Infinity is not a finite number', { ...good, returns: new Float64Array([Infinity, 1, 1]) }],
    ['result.lengths[2]: 0, expected a positive length', { ...good, lengths: new Int32Array([1, 1, 0]) }],
    ["result.policyVersion: 2, expected the task's 3", { ...good, policyVersion: 2 }],
  ];
  for (const [message, r] of cases) assert.is(validateEvaluate(task, r), message);
});

test("a thread's answer is checked where the executor receives it (piscina returns any): a malformed one is the executor's BadResult naming the field", () => {
  const sound: TrialResult = { kind: 'trial', trial: 0, finalScore: -13, curve: Float64Array.of(-20, -13), seconds: 0.1 };
  assert.equal(checkedThreadResult(sound, 'threads', trial()), sound);
  const evaluated: EvaluateResult = { kind: 'evaluate', returns: Float64Array.of(9.5), lengths: Int32Array.of(10), policyVersion: 2 };
  assert.equal(checkedThreadResult(evaluated, 'threads', trial()), evaluated);
  for (const [out, field] of [
    [undefined, /result: /],
    [{ ...sound, curve: [-20, -13] }, /result\.curve: /],
    [{ ...sound, finalScore: Number.NaN }, /result\.finalScore: /],
    [{ ...sound, kind: 'gradient' }, /result\.grads: /],
    [{ ...evaluated, lengths: Float64Array.of(10) }, /result\.lengths: /],
  ] as const) {
    assert.throws(
      () => checkedThreadResult(out, 'threads', trial()),
      (e: unknown) => e instanceof BadResult && e.message.startsWith('a thread of threads answered a trial task with a malformed result: ') && field.test(e.message),
      JSON.stringify(out),
    );
  }
});

test('trial results: the trial index, the score and the curve', () => {
  const t = trial();
  const ok: TrialResult = { kind: 'trial', trial: 0, finalScore: -13, curve: new Float64Array(30), seconds: 0.5 };
  assert.is(validateTrial(t, ok), undefined);
  assert.is(validateTrial(t, { ...ok, trial: 1 }), 'result.trial: 1 answers trial 0');
  assert.is(validateTrial(t, { ...ok, finalScore: Infinity }), 'result.finalScore: Infinity is not a finite number');
  assert.is(validateTrial(t, { ...ok, curve: new Float64Array(29) }), 'result.curve: length 29, expected 30 (one return per training episode)');
  assert.is(validateTrial(t, { ...ok, curve: Float64Array.from({ length: 30 }, (_, i) => (i === 7 ? NaN : 0)) }), 'result.curve[7]: NaN is not a finite number');
});

test('any result: one of another kind than its task is refused by name, one of its kind gets its kind\'s checks', () => {
  const t = trial();
  const ok: TrialResult = { kind: 'trial', trial: 0, finalScore: -13, curve: new Float64Array(30), seconds: 0.5 };
  const evaluation: EvaluateResult = { kind: 'evaluate', returns: new Float64Array(1), lengths: Int32Array.of(1), policyVersion: 0 };
  assert.is(validateResult(t, ok), undefined);
  assert.is(validateResult(t, { ...ok, trial: 1 }), 'result.trial: 1 answers trial 0');
  assert.is(validateResult(t, evaluation), "result.kind: 'evaluate' answers a 'trial' task");
  assert.is(validateResult(rolloutTask, ok), "result.kind: 'trial' answers a 'rollout' task");
});

test('generative trial results: one finite score per epoch, the last as the final score, a classifier score within [1, 10]', () => {
  const vae: GenerativeTrialTask = { kind: 'trial', family: 'generative', runId: 'v', trial: 2, model: { kind: 'vae', config: {} }, seed: 0, epochs: 3, evaluate: false };
  const ok: TrialResult = { kind: 'trial', trial: 2, finalScore: -120, curve: Float64Array.from([-200, -150, -120]), seconds: 1 };
  assert.is(validateTrial(vae, ok), undefined);
  assert.is(validateTrial(vae, { ...ok, trial: 0 }), 'result.trial: 0 answers trial 2');
  assert.is(validateTrial(vae, { ...ok, curve: Float64Array.from([-150, -120]) }), 'result.curve: length 2, expected 3 (one score per training epoch)');
  assert.is(validateTrial(vae, { ...ok, curve: Float64Array.from([-200, Infinity, -120]) }), 'result.curve[1]: Infinity is not a finite number');
  assert.is(validateTrial(vae, { ...ok, finalScore: NaN }), 'result.finalScore: NaN is not a finite number');
  assert.is(validateTrial(vae, { ...ok, finalScore: -100 }), "result.finalScore: -100, expected the last epoch's score -120");
  // evaluated with the classifier, the scores are classifier scores: exp(E KL) over 10 classes
  const gan: GenerativeTrialTask = { ...vae, model: { kind: 'gan', config: {} }, evaluate: true, epochs: 2 };
  const scored: TrialResult = { ...ok, finalScore: 7.5, curve: Float64Array.from([3, 7.5]) };
  assert.is(validateTrial(gan, scored), undefined);
  assert.is(validateTrial(gan, { ...scored, curve: Float64Array.from([0.5, 7.5]) }), "result.curve[0]: 0.5 is outside the classifier score's range [1, 10]");
  assert.is(validateTrial(gan, { ...scored, finalScore: 42, curve: Float64Array.from([3, 42]) }), "result.curve[1]: 42 is outside the classifier score's range [1, 10]");
});

test('a malformed generative trial result from a remote worker is refused and the trial redone here; the remote never sees the local folder', async () => {
  // the rogue peer answers with a curve one epoch short; the honest inline executor retrains the trial into outDir
  let seen: Task | undefined;
  const c = await setup((p, m) => {
    seen = m.task;
    p.send({ type: 'result', taskId: m.taskId, result: { kind: 'trial', trial: 0, finalScore: -100, curve: Float64Array.from([-100]), seconds: 0.1 } });
  });
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-gen-trial-'));
  try {
    const task: GenerativeTrialTask = { kind: 'trial', family: 'generative', runId: 'results', trial: 0, model: { kind: 'vae', config: { hidden: [16], latentDim: 2 } }, seed: 1, epochs: 2, stepsPerEpoch: 2, batchSize: 16, evaluate: false, outDir };
    const r = await c.scheduler.submit(task);
    assert.is(r.curve.length, 2);
    assert.is(r.finalScore, r.curve[1]);
    assert.ok(r.curve.every((x) => Number.isFinite(x) && x < 0), `test ELBOs ${Array.from(r.curve).join(', ')}`);
    await until('c.bad.errors().length > 0', () => c.bad.errors().length > 0);
    assert.equal(c.bad.errors().map((e) => e.message), ['task 1 refused: bad result: result.curve: length 1, expected 2 (one score per training epoch); it goes to another worker']);
    assert.ok(seen !== undefined && seen.kind === 'trial' && seen.family === 'generative' && !('outDir' in seen), `the remote got ${JSON.stringify(seen)}`);
    assert.ok(existsSync(path.join(outDir, 'generator', 'model.json')), 'the local executor wrote the generator into outDir');
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
});

test("gradient shards: exactly the phase's parameters, shaped like them, finite", () => {
  const task: GradientTask = {
    kind: 'gradient',
    runId: 'v',
    model: { kind: 'gan', config: {}, seed: 0 },
    phase: 'critic',
    params: { 'g/kernel': { shape: [3, 2], data: new Float32Array(6) }, 'd/kernel': { shape: [2, 3], data: new Float32Array(6) }, 'd/bias': { shape: [3], data: new Float32Array(3) } },
    paramsVersion: 1,
    phaseParams: ['d/kernel', 'd/bias'],
    batch: { n: 4, images: new Float32Array(4 * 784), labels: new Uint8Array(4) },
  };
  const grads = { 'd/kernel': { shape: [2, 3], data: new Float32Array(6) }, 'd/bias': { shape: [3], data: new Float32Array(3) } };
  assert.is(validateGradient(task, { kind: 'gradient', grads, metrics: { loss: 1 }, n: 4 }), undefined);
  assert.is(validateGradient(task, { kind: 'gradient', grads, metrics: {}, n: 3 }), "result.n: 3, expected the shard's 4 rows");
  assert.is(validateGradient(task, { kind: 'gradient', grads: { ...grads, 'x/kernel': grads['d/kernel'] }, metrics: {}, n: 4 }), 'result.grads.x/kernel: the model has no parameter of that name');
  // the learner could average neither: a parameter of the other phase, or one of this phase left out
  assert.is(validateGradient(task, { kind: 'gradient', grads: { ...grads, 'g/kernel': task.params['g/kernel']! }, metrics: {}, n: 4 }), "result.grads.g/kernel: not a parameter the 'critic' phase trains");
  assert.is(validateGradient(task, { kind: 'gradient', grads: { 'd/kernel': grads['d/kernel'] }, metrics: {}, n: 4 }), "result.grads.d/bias: missing, a parameter the 'critic' phase trains");
  assert.is(validateGradient(task, { kind: 'gradient', grads: { ...grads, 'd/kernel': { shape: [3, 2], data: new Float32Array(6) } }, metrics: {}, n: 4 }), 'result.grads.d/kernel: shape [3, 2], expected [2, 3]');
  assert.is(validateGradient(task, { kind: 'gradient', grads: { ...grads, 'd/bias': { shape: [3], data: new Float32Array([0, NaN, 0]) } }, metrics: {}, n: 4 }), 'result.grads.d/bias.data[1]: NaN is not a finite number');
  assert.is(validateGradient(task, { kind: 'gradient', grads, metrics: { loss: NaN }, n: 4 }), 'result.metrics.loss: NaN is not a finite number');
  assert.is(validateGradient(task, { kind: 'gradient', grads: {}, metrics: {}, n: 4 }), 'result.grads: no gradients');
});

test("a shard answering with the other phase's gradients, or leaving one out, is refused and redone elsewhere: the learner's step goes on", async () => {
  const model = { kind: 'gan' as const, config: { latentDim: 4, generatorHidden: [16], criticHidden: [8] }, seed: 3 };
  const learner = makeGenerativeLearner(model.kind, model.config, model.seed);
  // the hostile worker holds a real copy and computes real gradients, of the wrong set
  const copy = makeGenerativeLearner(model.kind, model.config, model.seed);
  const c = await setup(
    (p, m) => {
      if (m.task.kind !== 'gradient') return;
      copy.setParams(m.task.params);
      const grads =
        m.task.phase === 'critic'
          ? copy.computeGradients('generator', m.task.batch).grads
          : Object.fromEntries(Object.entries(copy.computeGradients('generator', m.task.batch).grads).slice(1));
      p.send({ type: 'result', taskId: m.taskId, result: { kind: 'gradient', grads, metrics: {}, n: m.task.batch.n } });
    },
    {},
    'gradient',
  );
  try {
    assert.equal(learner.schedule(), ['critic', 'generator']);
    const before = learner.getParams();
    const rng = new Rng(4);
    const batch = () => ({ n: 8, images: Float32Array.from({ length: 8 * 784 }, () => rng.uniform(-1, 1)), labels: new Uint8Array(8) });
    await dataParallelStep(c.scheduler, 'results', model, 1)(learner, [batch(), batch()]);
    const after = learner.getParams();
    assert.ok(Object.keys(before).some((k) => before[k]!.data.some((v, i) => v !== after[k]!.data[i])), 'the step trained');
    await until('c.bad.errors().length === 2', () => c.bad.errors().length === 2);
    const [g0] = learner.phaseParamNames('generator');
    assert.equal(c.bad.errors().map((e) => e.message), [
      `task 1 refused: bad result: result.grads.${g0}: not a parameter the 'critic' phase trains; it goes to another worker`,
      `task 3 refused: bad result: result.grads.${g0}: missing, a parameter the 'generator' phase trains; it goes to another worker`,
    ]);
    assert.is(c.scheduler.counts.invalid, 2);
    assert.is(c.scheduler.counts.completed, 2);
  } finally {
    learner.dispose();
    copy.dispose();
  }
});

test.run();
