/**
 * A remote worker under a hostile or buggy coordinator — one that knows the token, or a man in the
 * middle of a plain ws:// link — with the real worker on a real socket: malformed tasks (wrong
 * types, sizes past the spec limits, missing fields, tensors that do not fill their shape, a kind
 * a remote worker does not take) and garbage frames are refused with a line naming the problem; a
 * task with an id is answered with a task_error and never run; the worker stays up and runs the
 * next good task exactly. One frame of every type a worker takes, every field set, parses to
 * itself; and before a coordinator proved the token, the worker takes no large frame from it.
 */
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { once } from 'node:events';
import { packr } from '../core/tensors.js';
import { CLOSE, PROTOCOL_VERSION } from '../protocol/constants.js';
import { NONCE_BYTES, PRE_AUTH_BYTES, TEXT_CHARS, type ChallengeMessage, type ErrorMessage, type ProofMessage, type TaskErrorMessage, type WelcomeMessage } from '../protocol/messages.js';
import { SPEC_LIMITS } from '../protocol/limits.js';
import type { EnvStreamState, GenerativeTrialTask, GradientTask, ModuleRef, RlTrialTask, RolloutTask, TrialTask } from '../protocol/tasks.js';
import { parseToRemoteWorker, type RemoteTaskMessage } from '../protocol/workerFrames.js';
import { runRemoteWorker } from '../workers/remote.js';
import { moduleCacheDir } from '../workers/envModules.js';
import { sha256Hex } from '../core/sha256.js';
import { runTrial } from '../workers/trial.js';
import { serveAsCoordinator } from './peer.js';
import { markerModule, test, until } from './helpers.js';
import { boundPort } from './net.js';
import { errorMessage } from '../base/plainData.js';

const TOKEN = `remote-test-token-${randomBytes(8).toString('hex')}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-remote-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));


const tensors = { 'q/kernel': { shape: [4, 2], data: new Float32Array(8).fill(0.25) }, 'q/bias': { shape: [2], data: Float32Array.of(0, 1) } };
const stream: Required<EnvStreamState> = { env: { x: Float64Array.of(0.5, -1), steps: 3, nested: [null, true, 'a', Int32Array.of(2)] }, obs: Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8), returns: Float64Array.of(0.5, 1), lengths: Int32Array.of(3, 4), rng: [1, 2, 3, 4] };
const moduleRef: Required<ModuleRef> = { hash: 'a'.repeat(64), filename: 'maze.js', path: '/coordinator/maze.js', source: 'export {};' };
// Required<…>: a field added to a task type must be added here, and a schema that drops it fails the round trip
const rollout: Omit<Required<RolloutTask>, 'crash'> = {
  kind: 'rollout',
  runId: 'run-1',
  env: { id: 'CartPole-v1', kwargs: { maxEpisodeSteps: 200 }, module: moduleRef },
  numEnvs: 2,
  steps: 32,
  envStep: 1024,
  policy: { algo: 'dqn', activation: 'tanh', params: tensors, version: 3, epsilon: { learningStarts: 256, explorationInitialEps: 1, explorationFinalEps: 0.05, explorationFraction: 0.1, totalTimesteps: 10_000 } },
  seed: 7,
  stream,
};
const rlTrial: Required<RlTrialTask> = { kind: 'trial', family: 'rl', runId: 'run-1', trial: 2, env: { id: 'CliffWalking-v1', kwargs: {}, module: moduleRef }, algo: 'qlearning', config: { alpha: 0.5 }, episodes: 30, envSteps: 5000, evalEpisodes: 3 };
const generativeTrial: Omit<Required<GenerativeTrialTask>, 'outDir'> = { kind: 'trial', family: 'generative', runId: 'run-1', trial: 1, model: { kind: 'vae', config: { latentDim: 2 } }, seed: 4, epochs: 2, stepsPerEpoch: 10, batchSize: 16, evaluate: true, evalSamples: 100 };
const gradient: Required<GradientTask> = { kind: 'gradient', runId: 'run-1', model: { kind: 'dcgan', config: {}, seed: 1 }, phase: 'critic', params: tensors, paramsVersion: 5, phaseParams: ['q/kernel', 'q/bias'], batch: { n: 2, images: new Float32Array(2 * 784), labels: Uint8Array.of(3, 9) } };

const { stream: _stream, ...noStream } = rollout;
const taskFrame = (taskId: number, task: unknown) => ({ type: 'task', taskId, task });
/** The reason a frame is refused (the test fails if it is accepted). */
function reason(value: unknown): string {
  const r = parseToRemoteWorker(value);
  if (r.ok) assert.unreachable(`accepted: ${JSON.stringify(value)}`);
  return r.ok ? '' : r.reason;
}

test('every frame a worker takes, with all its fields, parses to itself: the schemas drop nothing the types carry', () => {
  const challenge: Required<ChallengeMessage> = { type: 'challenge', protocol: PROTOCOL_VERSION, nonce: new Uint8Array(NONCE_BYTES) };
  const proof: Required<ProofMessage> = { type: 'proof', proof: new Uint8Array(32) };
  const welcome: Required<WelcomeMessage> = { type: 'welcome', protocol: PROTOCOL_VERSION, peerId: 2, runId: 'run-1' };
  const error: Required<ErrorMessage> = { type: 'error', code: 'task_timeout', message: 'no result within 2.0 s', taskId: 9 };
  const tasks: RemoteTaskMessage[] = [rollout, rlTrial, generativeTrial, gradient].map((task, taskId) => ({ type: 'task', taskId, task }));
  for (const m of [challenge, proof, welcome, error, ...tasks]) {
    // through msgpack as on the socket: typed arrays and all
    assert.equal(parseToRemoteWorker(packr.unpack(packr.pack(m))), { ok: true, message: m }, m.type === 'task' ? `task ${m.task.kind}` : m.type);
  }
});

test("the two task fields a coordinator may not set are dropped: a trial's outDir, a rollout's crash", () => {
  const withOutDir: GenerativeTrialTask = { ...generativeTrial, outDir: '/home/someone/.ssh' };
  const r = parseToRemoteWorker(taskFrame(1, withOutDir));
  assert.ok(r.ok && r.message.type === 'task' && !('outDir' in r.message.task), JSON.stringify(r));
  const crashing: RolloutTask = { ...rollout, crash: true };
  const c = parseToRemoteWorker(taskFrame(2, crashing));
  assert.ok(c.ok && c.message.type === 'task' && !('crash' in c.message.task), 'crash dropped');
});

test('a malformed frame is refused with the path of the bad field; a task frame keeps its id so the worker can answer it', () => {
  // wrong types, missing fields
  assert.match(reason(taskFrame(1, { ...rlTrial, episodes: 'many' })), /^task\.episodes: Invalid input: expected number, received string$/);
  const { env: _env, ...noEnv } = rlTrial;
  assert.match(reason(taskFrame(1, noEnv)), /^task\.env: Invalid input: expected object, received undefined$/);
  assert.match(reason(taskFrame(1, { ...rlTrial, algo: 'alphazero' })), /^task\.algo: /);
  assert.match(reason(taskFrame(1, { ...rollout, policy: { ...rollout.policy, activation: 'gelu' } })), /^task\.policy\.activation: /);
  assert.match(reason(taskFrame(1, { ...generativeTrial, model: { kind: 'diffusion', config: {} } })), /^task\.model\.kind: /);
  // sizes past the spec limits (protocol/limits.ts)
  assert.match(reason(taskFrame(1, { ...noStream, numEnvs: 4096, steps: 1000 })), /^task\.steps: numEnvs × steps = 4096000 transitions; at most 1,000,000$/);
  assert.match(reason(taskFrame(1, { ...noStream, numEnvs: SPEC_LIMITS.numEnvs + 1 })), /^task\.numEnvs: Too big: expected number to be <=4096$/);
  assert.match(reason(taskFrame(1, { ...rollout, steps: SPEC_LIMITS.rolloutSteps + 1 })), /^task\.steps: Too big/);
  assert.match(reason(taskFrame(1, { ...rlTrial, episodes: 1e12 })), /^task\.episodes: Too big: expected number to be <=1000000$/);
  assert.match(reason(taskFrame(1, { ...generativeTrial, seed: -1 })), /^task\.seed: Too small/);
  assert.match(reason(taskFrame(1, { ...gradient, batch: { ...gradient.batch, n: 1e6 } })), /^task\.batch\.n: Too big/);
  // arrays that do not fit the task
  assert.match(reason(taskFrame(1, { ...rollout, policy: { ...rollout.policy, params: { 'q/kernel': { shape: [4, 128], data: new Float32Array(4) } } } })), /^task\.policy\.params\.q\/kernel\.data: 4 values for shape \[4, 128\] \(512\)$/);
  assert.match(reason(taskFrame(1, { ...rollout, stream: { ...stream, returns: Float64Array.of(1, 2, 3) } })), /^task\.stream\.returns: length 3, expected numEnvs 2$/);
  assert.match(reason(taskFrame(1, { ...gradient, batch: { n: 2, images: new Float32Array(10), labels: Uint8Array.of(1, 2) } })), /^task\.batch\.images: length 10, expected 2 images × 784 pixels$/);
  assert.match(reason(taskFrame(1, { ...gradient, batch: { ...gradient.batch, labels: Uint8Array.of(1, 12) } })), /^task\.batch\.labels\.1: 12 is not a digit 0–9$/);
  assert.match(reason(taskFrame(1, { ...rollout, stream: { ...stream, obs: [1, 2] } })), /^task\.stream\.obs: /);
  // kinds and types a remote worker does not take; a long name is quoted short
  assert.match(reason(taskFrame(1, { kind: 'evaluate', runId: 'r' })), /^task\.kind: a remote worker does not take 'evaluate' tasks \(it takes rollout, trial, gradient\)$/);
  assert.match(reason(taskFrame(1, { kind: 'x'.repeat(1_000_000) })), /^task\.kind: a remote worker does not take 'x{40}…' tasks/);
  assert.match(reason(taskFrame(1, { kind: 'a\nforged log line' })), /does not take 'a\\nforged log line' tasks/);
  const forged = reason(taskFrame(1, { ...rollout, policy: { ...rollout.policy, params: { 'w\nrefusing task 9': { shape: [2], data: new Float32Array(1) } } } }));
  assert.is(forged, 'task.policy.params.w\\u000arefusing task 9.data: 1 values for shape [2] (2)', 'one line, whatever the names along the path');
  const long = reason(taskFrame(1, { ...rollout, policy: { ...rollout.policy, params: { ['k'.repeat(10_000)]: tensors['q/bias'] } } }));
  assert.ok(long.startsWith('task.policy.params.kkk') && long.length <= 501, `a reason is short: ${long.length} characters`);
  assert.match(reason({ type: 'metrics', runId: 'r', points: [] }), /^type: a remote worker does not take 'metrics' frames \(it takes challenge, proof, welcome, task, error\)$/);
  assert.match(reason({ runId: 'r' }), /^type: a frame needs a type \(it takes challenge, proof, welcome, task, error\)$/);
  assert.match(reason(taskFrame(1, { runId: 'r' })), /^task\.kind: a task needs a kind \(it takes rollout, trial, gradient\)$/);
  assert.match(reason({ type: 'error', code: 'gremlins', message: 'x' }), /^code: /);
  assert.match(reason([1, 'hello', null]), /^message: Invalid input: expected object, received array$/);
  assert.match(reason(null), /^message: /);
  // a module ref's hash and file name follow protocol/tasks.ts's SHA256_HEX and MODULE_FILENAME, at the frame
  const withRef = (ref: Partial<ModuleRef>) => taskFrame(1, { ...rlTrial, env: { ...rlTrial.env, module: { ...moduleRef, ...ref } } });
  assert.is(reason(withRef({ hash: 'A'.repeat(64) })), 'task.env.module.hash: a sha256 in hex (64 characters 0-9a-f)');
  assert.is(reason(withRef({ hash: 'a'.repeat(65) })), 'task.env.module.hash: a sha256 in hex (64 characters 0-9a-f)');
  for (const filename of ['../evil.js', '.hidden.js', 'maze.ts', 'a/b.js']) {
    assert.is(reason(withRef({ filename })), 'task.env.module.filename: a plain .js or .mjs file name (letters, digits, _ . - only, not starting with a dot)', filename);
  }
  assert.ok(parseToRemoteWorker(withRef({ filename: 'grid-maze.v2.mjs' })).ok);
  // the id of a task frame comes back when it is a valid one
  const bad = parseToRemoteWorker(taskFrame(41, { ...rlTrial, trial: -1 }));
  assert.equal(bad, { ok: false, reason: 'task.trial: Too small: expected number to be >=0', taskId: 41 });
  const noId = parseToRemoteWorker(taskFrame(-1, rlTrial));
  assert.ok(!noId.ok && noId.taskId === undefined && /^taskId: /.test(noId.reason), JSON.stringify(noId));
});

test('a hostile coordinator: malformed tasks and garbage frames are refused and named, none is run, the worker stays up and runs the next good task', async () => {
  const marker = path.join(tmp, 'malformed-task-ran');
  const payload = markerModule(marker);
  const coordinator = await serveAsCoordinator(TOKEN);
  const lines: string[] = [];
  // --allow-code: the old worker would have installed and run the marker module of the malformed tasks
  const worker = runRemoteWorker({ url: coordinator.url, token: TOKEN, threads: 1, name: 'target', allowCode: true, log: (l) => lines.push(l) });
  let settled = false;
  void worker.then(
    () => (settled = true),
    () => (settled = true),
  );
  try {
    const c = await coordinator.worker;
    const good: TrialTask = { kind: 'trial', family: 'rl', runId: 'hostile', trial: 0, env: { id: 'CliffWalking-v1', kwargs: {} }, algo: 'qlearning', config: { seed: 3 }, episodes: 40, evalEpisodes: 2 };
    const withCode = { ...good, env: { ...good.env, module: payload } };
    // garbage frames: not msgpack, an unknown type, not an object, a text frame, a task without a valid id
    c.send(Uint8Array.of(0xc1));
    c.send({ type: 'nope', x: 1 });
    c.send([1, 'hello', null]);
    c.send('{"type":"task"}');
    c.send(taskFrame(-5, withCode));
    // malformed tasks with ids: wrong type, sizes past the limits, a missing field, a kind not for remote workers
    c.send(taskFrame(1, { ...withCode, episodes: 'many' }));
    c.send(taskFrame(2, { ...noStream, env: { ...rollout.env, module: payload }, numEnvs: 1, steps: SPEC_LIMITS.rolloutSteps + 1 }));
    const { env: _env, ...noEnv } = withCode;
    c.send(taskFrame(3, noEnv));
    c.send(taskFrame(4, { kind: 'evaluate', runId: 'hostile', env: withCode.env, policy: { algo: 'dqn', activation: 'relu', params: {}, version: 0 }, firstSeed: 0, episodes: 1 }));
    // then a good task
    c.send(taskFrame(5, good));
    await until("the good task's result", () => c.received.some((m) => m.type === 'result'), 60_000);
    await until('an answer to every malformed task', () => c.received.filter((m) => m.type === 'task_error').length >= 4);

    const errors = c.received.filter((m): m is TaskErrorMessage => m.type === 'task_error');
    assert.equal(errors.map((e) => e.taskId), [1, 2, 3, 4], 'one task_error per malformed task with an id, none for the rest');
    const expected = [/task\.episodes: Invalid input: expected number, received string/, /task\.steps: Too big: expected number to be <=100000/, /task\.env: Invalid input: expected object/, /task\.kind: a remote worker does not take 'evaluate' tasks/];
    errors.forEach((e, i) => assert.match(e.message, expected[i]!));
    const results = c.received.filter((m) => m.type === 'result');
    assert.is(results.length, 1, 'only the good task ran');
    const r = results[0]!;
    assert.ok(r.type === 'result' && r.taskId === 5 && r.result.kind === 'trial');
    const inline = await runTrial(good);
    assert.equal(Array.from(r.result.kind === 'trial' ? r.result.curve : []), Array.from(inline.curve), 'the good task ran exactly as inline');
    assert.not.ok(existsSync(marker), 'a malformed task was run (its module imported)');
    assert.not.ok(existsSync(path.join(moduleCacheDir(), payload.hash)), "a malformed task's module was installed");
    assert.equal(c.invalid, [], 'the worker sent only valid frames');

    // every refusal is a log line naming the problem
    const ignored = lines.filter((l) => /^ignoring (an undecodable|a malformed) frame from the coordinator: /.test(l));
    assert.is(ignored.length, 5, lines.join('\n'));
    assert.ok(lines.some((l) => /^ignoring a malformed frame from the coordinator: type: a remote worker does not take 'nope' frames/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^ignoring a malformed frame from the coordinator: taskId: Too small/.test(l)), lines.join('\n'));
    for (const id of [1, 2, 3, 4]) assert.ok(lines.some((l) => l.startsWith(`refusing task ${id} from the coordinator: task.`)), `no log line for task ${id}:\n${lines.join('\n')}`);

    // still up: it ends only when the run ends, having done one task
    assert.not.ok(settled, 'the worker stopped');
    c.ws.close(CLOSE.runEnded, 'done');
    assert.is(await worker, 1);
  } finally {
    await coordinator.close();
    await worker.catch(() => 0);
    rmSync(path.join(moduleCacheDir(), payload.hash), { recursive: true, force: true });
  }
});

/** A shipped module that throws `thrown` (source text) when imported: a user env failing its task. */
function throwingModule(thrown: string): ModuleRef {
  const source = `throw ${thrown}; // ${randomBytes(8).toString('hex')}\n`;
  return { hash: sha256Hex(source), filename: 'throws.js', path: '/nonexistent/throws.js', source };
}

test("a task whose env throws a string, or an Error whose message passes TEXT_CHARS, is answered with a task_error naming it (not a frame the coordinator refuses)", async () => {
  const throwsString = throwingModule("'boom: a string, not an Error'");
  const throwsLong = throwingModule(`new Error('x'.repeat(${TEXT_CHARS * 2}))`);
  const coordinator = await serveAsCoordinator(TOKEN);
  const worker = runRemoteWorker({ url: coordinator.url, token: TOKEN, threads: 1, name: 'target', allowCode: true, log: () => undefined });
  try {
    const c = await coordinator.worker;
    const task = (module: ModuleRef): TrialTask => ({ kind: 'trial', family: 'rl', runId: 'throws', trial: 0, env: { id: 'CliffWalking-v1', kwargs: {}, module }, algo: 'qlearning', config: { seed: 3 }, episodes: 5, evalEpisodes: 1 });
    c.send(taskFrame(1, task(throwsString)));
    c.send(taskFrame(2, task(throwsLong)));
    await until('an answer to both tasks', () => c.received.filter((m) => m.type === 'task_error').length + c.invalid.length >= 2, 60_000);
    assert.equal(c.invalid, [], 'the worker sent only valid frames');
    const errors = c.received.filter((m): m is TaskErrorMessage => m.type === 'task_error').sort((a, b) => a.taskId - b.taskId);
    assert.equal(errors.map((e) => e.taskId), [1, 2]);
    assert.is(errors[0]!.message, 'boom: a string, not an Error');
    assert.is(errors[1]!.message.length, TEXT_CHARS);
    assert.ok(errors[1]!.message.startsWith('xxx') && errors[1]!.message.endsWith('…'), 'the long message, cut where marked');
    c.ws.close(CLOSE.runEnded, 'done');
    assert.is(await worker, 0);
  } finally {
    await coordinator.close();
    await worker.catch(() => 0);
    for (const m of [throwsString, throwsLong]) rmSync(path.join(moduleCacheDir(), m.hash), { recursive: true, force: true });
  }
});

/** A fake coordinator (it does not know the token) that sends `first` as soon as a worker connects. */
async function fakeCoordinator(first: Uint8Array): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    ws.send(first);
  });
  return {
    url: `ws://127.0.0.1:${boundPort(wss)}`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

test('before the coordinator proved the token the worker takes no large frame and no malformed challenge: it disconnects and says why', async () => {
  const big = await fakeCoordinator(packr.pack({ type: 'challenge', protocol: PROTOCOL_VERSION, nonce: new Uint8Array(NONCE_BYTES), padding: new Uint8Array(4 * 1024 * 1024) }));
  try {
    await runRemoteWorker({ url: big.url, token: TOKEN, threads: 1, log: () => {} });
    assert.unreachable('the worker took a 4 MiB frame before the handshake');
  } catch (e) {
    assert.match(errorMessage(e), `sent more than ${PRE_AUTH_BYTES} bytes before proving that it knows the run token`);
  } finally {
    await big.close();
  }
  const short = await fakeCoordinator(packr.pack({ type: 'challenge', protocol: PROTOCOL_VERSION, nonce: new Uint8Array(5) }));
  try {
    await runRemoteWorker({ url: short.url, token: TOKEN, threads: 1, log: () => {} });
    assert.unreachable('the worker took a 5-byte nonce');
  } catch (e) {
    assert.match(errorMessage(e), 'the coordinator sent a malformed frame instead of a challenge (nonce: a 32-byte nonce)');
  } finally {
    await short.close();
  }
});

test('a --connect value that is no URL, or not a ws:// one, is refused naming the flag and the value', async () => {
  const refusal = (url: string) =>
    runRemoteWorker({ url, token: TOKEN, threads: 1, log: () => {} }).then(
      () => 'connected',
      (e: unknown) => errorMessage(e),
    );
  assert.is(await refusal('//h:99999'), '--connect "//h:99999": not a URL (expected ws://HOST:PORT or wss://HOST:PORT)');
  assert.is(await refusal('localhost:7070'), '--connect localhost:7070: expected a ws:// or wss:// URL');
});

test.run();
