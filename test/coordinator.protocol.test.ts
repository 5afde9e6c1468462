/**
 * The coordinator's socket under abuse (loopback, bounded): malformed msgpack, unknown message
 * types, wrong protocol versions, frames before the handshake, proofs made with a wrong token, oversized and text frames — each
 * is rejected with an error frame or a close code, the coordinator stays up, and a legitimate
 * remote worker doing real tasks at the same time gets every result right.
 */
import { test, until } from './helpers.js';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { packr } from '../core/tensors.js';
import { Rng } from '../base/rng.js';
import { errorMessage } from '../base/plainData.js';
import { Scheduler } from '../coordinator/scheduler.js';
import { CoordinatorServer } from '../coordinator/server.js';
import { CLOSE, PROTOCOL_VERSION } from '../protocol/constants.js';
import { HELLO_LIMITS, NONCE_BYTES, helloProblem, parsePeerMessage, type AuthMessage, type ChallengeMessage, type ControlMessage, type CoordinatorMessage, type ErrorMessage, type HelloMessage, type PeerMessage, type RefusedMessage, type TaskErrorMessage } from '../protocol/messages.js';
import { newNonce, workerProof } from '../protocol/auth.js';
import { rawBytes } from '../protocol/rawBytes.js';
import { runRemoteWorker } from '../workers/remote.js';
import { runTrial } from '../workers/trial.js';
import { REMOTE_TASK_KINDS, TASK_KINDS, type EnvStreamState, type GradientResult, type RolloutResult, type TrialResult, type TrialTask } from '../protocol/tasks.js';

const TOKEN = 'fuzz-token-0123456789';
let scheduler: Scheduler;
let server: CoordinatorServer;
let url: string;

test.before(async () => {
  scheduler = new Scheduler();
  server = new CoordinatorServer({ token: TOKEN, runId: 'fuzz', scheduler, maxPayload: 64 * 1024, heartbeatMs: 1000, helloTimeoutMs: 2000, maxBadFrames: 2000 });
  url = `ws://127.0.0.1:${await server.listen()}/ws`;
});

test.after(async () => {
  await scheduler.close();
  await server.close();
});

interface Conn {
  ws: WebSocket;
  errors: CoordinatorMessage[];
  closed: Promise<{ code: number; reason: string }>;
  opened: Promise<void>;
}

function connect(query = ''): Conn {
  const ws = new WebSocket(url + query);
  const errors: CoordinatorMessage[] = [];
  ws.on('message', (d) => errors.push(packr.unpack(d as Buffer) as CoordinatorMessage));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('open', () => resolve());
    ws.on('error', reject);
  });
  return { ws, errors, closed, opened };
}


test('every peer message with all its fields, optional ones included, parses to itself: the schemas drop nothing the types carry', () => {
  // Required<…>: a field added to a message type must be added here, and the schema that drops it fails this test
  const stream: Required<EnvStreamState> = { env: { x: Float64Array.of(0.5, -1), steps: 3, nested: [null, true, 'a', Int32Array.of(2)] }, obs: Float32Array.of(1, 2), returns: Float64Array.of(0.5), lengths: Int32Array.of(3), rng: [1, 2, 3, 4] };
  const rollout: Required<RolloutResult> = { kind: 'rollout', count: 1, obs: Float32Array.of(1, 2), actions: Int32Array.of(1), rewards: Float32Array.of(1), nextObs: Float32Array.of(2, 3), terminated: Uint8Array.of(1), episodeReturns: Float64Array.of(4), episodeLengths: Int32Array.of(4), episodeEnds: Int32Array.of(0), policyVersion: 2, stream };
  const trial: Required<TrialResult> = { kind: 'trial', trial: 1, finalScore: -13, curve: Float64Array.of(-20, -13), seconds: 0.5 };
  const tensors = { 'd/kernel': { shape: [2, 1], data: Float32Array.of(0.1, 0.2) } };
  const gradient: Required<GradientResult> = { kind: 'gradient', grads: tensors, metrics: { loss: 0.5 }, n: 4, stats: tensors };
  const auth: Required<AuthMessage> = { type: 'auth', protocol: PROTOCOL_VERSION, nonce: new Uint8Array(NONCE_BYTES), proof: new Uint8Array(32) };
  const hello: Required<HelloMessage> = { type: 'hello', protocol: PROTOCOL_VERSION, role: 'worker', name: 'w', threads: 2, kinds: ['rollout', 'trial', 'gradient'] };
  const taskError: Required<TaskErrorMessage> = { type: 'task_error', taskId: 3, message: 'boom' };
  const refused: Required<RefusedMessage> = { type: 'refused', taskId: 4, code: 'module_unusable', message: 'tampered' };
  const control: Required<ControlMessage> = { type: 'control', action: 'checkpoint' };
  const messages: PeerMessage[] = [auth, hello, ...[rollout, trial, gradient].map((result, taskId) => ({ type: 'result' as const, taskId, result })), taskError, refused, control];
  for (const m of messages) assert.equal(parsePeerMessage(m), { ok: true, message: m }, m.type);
});

test("a peer's result is checked with the same atoms as a state file: tensors fill their shape, an Rng state is four 32-bit words; the reason is one short line", () => {
  const reason = (m: unknown): string => {
    const r = parsePeerMessage(m);
    return r.ok ? '' : r.reason;
  };
  const grads = (data: Float32Array, name = 'd/kernel') => ({ type: 'result', taskId: 1, result: { kind: 'gradient', grads: { [name]: { shape: [2, 1], data } }, metrics: {}, n: 4 } });
  assert.is(reason(grads(Float32Array.of(0.1))), 'result.grads.d/kernel.data: 1 values for shape [2, 1] (2)');
  const stream = { env: null, obs: Float32Array.of(1), returns: Float64Array.of(0), lengths: Int32Array.of(0) };
  const rollout = (rng: unknown) => ({
    type: 'result',
    taskId: 2,
    result: { kind: 'rollout', count: 0, obs: new Float32Array(0), actions: new Int32Array(0), rewards: new Float32Array(0), nextObs: new Float32Array(0), terminated: new Uint8Array(0), episodeReturns: new Float64Array(0), episodeLengths: new Int32Array(0), episodeEnds: new Int32Array(0), policyVersion: 0, stream: { ...stream, rng } },
  });
  assert.is(reason(rollout([1, 2, 3, 4])), '');
  assert.match(reason(rollout([0.5, 2, 3, 4])), /^result\.stream\.rng\.0: .*expected int\b/);
  assert.match(reason(rollout([-1, 2, 3, 4])), /^result\.stream\.rng\.0: Too small/);
  assert.match(reason(rollout([0, 0, 0, 0])), /^result\.stream\.rng: an Rng state that is not all zero$/);
  const forged = reason(grads(Float32Array.of(0.1), `x\nrefused ${'k'.repeat(10_000)}`));
  assert.ok(forged.startsWith('result.grads.x\\u000arefused kkk') && forged.length <= 501, `one short line: ${forged.slice(0, 60)}… (${forged.length})`);
});

test('rawBytes: a frame as ws gives it (a Buffer, an ArrayBuffer or a list of fragments) is one Buffer of the same bytes, which decodes to the message sent', () => {
  const message = { type: 'hello', values: new Float32Array([1.5, -2, 3]) };
  const bytes = packr.pack(message);
  const arrayBuffer = Uint8Array.from(bytes).buffer;
  const fragments = [bytes.subarray(0, 3), bytes.subarray(3, 7), bytes.subarray(7)];
  assert.is(rawBytes(bytes), bytes, 'a Buffer is passed through');
  for (const data of [bytes, arrayBuffer, fragments]) {
    const b = rawBytes(data);
    assert.ok(Buffer.isBuffer(b) && b.equals(bytes));
    assert.equal(packr.unpack(b), message);
  }
});

test('a frame before the handshake, or a proof made with a wrong token, closes with 4401', async () => {
  const a = connect();
  await a.opened;
  await until('a.errors.length > 0', () => a.errors.length > 0);
  assert.is(a.errors[0]!.type, 'challenge', 'an unauthenticated peer is challenged first');
  a.ws.send(packr.pack({ type: 'control', action: 'stop' }));
  assert.is((await a.closed).code, CLOSE.unauthorized);
  assert.is((a.errors.find((m) => m.type === 'error') as { code: string }).code, 'unauthorized');
  const b = connect();
  await b.opened;
  await until('b.errors.length > 0', () => b.errors.length > 0);
  const { nonce } = b.errors[0] as ChallengeMessage;
  const mine = newNonce();
  b.ws.send(packr.pack({ type: 'auth', protocol: PROTOCOL_VERSION, nonce: mine, proof: workerProof('wrong', nonce, mine) }));
  assert.is((await b.closed).code, CLOSE.unauthorized);
  assert.not.ok(b.errors.some((m) => m.type === 'proof'), 'no proof for a peer that failed its own');
});

test('a malformed hello from a peer that showed the token (threads or a name past HELLO_LIMITS) closes with 4400 naming the field; before the proof it is 4401', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ threads: HELLO_LIMITS.threads + 1 }, /^malformed hello: threads: Too big: expected number to be <=1024$/],
    [{ name: 'n'.repeat(HELLO_LIMITS.name + 1) }, /^malformed hello: name: Too big: expected string to have <=128 characters$/],
  ];
  for (const [over, message] of cases) {
    const c = connect(`?token=${TOKEN}`);
    await c.opened;
    c.ws.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'worker', name: 'w', threads: 2, ...over }));
    assert.is((await c.closed).code, CLOSE.badHello, JSON.stringify(over).slice(0, 40));
    const error = c.errors.find((m): m is ErrorMessage => m.type === 'error');
    assert.is(error?.code, 'bad_message');
    assert.match(error?.message ?? '', message);
  }
  // a peer that has not proved the token learns nothing about hellos: unauthorized
  const a = connect();
  await a.opened;
  await until('a.errors.length > 0', () => a.errors.length > 0);
  a.ws.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'worker', name: 'w', threads: HELLO_LIMITS.threads + 1 }));
  assert.is((await a.closed).code, CLOSE.unauthorized);
  // the worker says so before it connects
  assert.is(helloProblem({ threads: HELLO_LIMITS.threads + 1 }), '--threads must be a whole number from 1 to 1024, got 1025');
  assert.is(helloProblem({ threads: 0 }), '--threads must be a whole number from 1 to 1024, got 0');
  assert.is(helloProblem({ name: 'n'.repeat(129) }), '--name is 129 characters; at most 128');
  assert.is(helloProblem({ name: 'w', threads: HELLO_LIMITS.threads }), undefined);
  const refused = await runRemoteWorker({ url, token: TOKEN, threads: HELLO_LIMITS.threads + 1, log: () => {} }).then(
    () => 'connected',
    (e: unknown) => errorMessage(e),
  );
  assert.is(refused, 'remote worker: --threads must be a whole number from 1 to 1024, got 1025');
});

test("a worker's hello without kinds takes every kind REMOTE_TASK_KINDS names (gradient shards too), never 'evaluate'; one with kinds, only those", async () => {
  const s = new Scheduler();
  const srv = new CoordinatorServer({ token: TOKEN, runId: 'kinds', scheduler: s });
  const u = `ws://127.0.0.1:${await srv.listen()}/ws?token=${TOKEN}`;
  const worker = (over: Partial<HelloMessage>) => {
    const ws = new WebSocket(u);
    ws.on('open', () => ws.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'worker', name: 'k', ...over })));
    return ws;
  };
  const capacities = () => TASK_KINDS.map((k) => [k, s.capacity(k)]);
  try {
    const all = worker({});
    await until('the worker without kinds', () => s.capacity('trial') === 1);
    const remote = new Set<string>(REMOTE_TASK_KINDS);
    assert.equal(capacities(), TASK_KINDS.map((k) => [k, remote.has(k) ? 1 : 0]));
    all.terminate();
    await until('the worker gone', () => s.capacity('trial') === 0);
    worker({ kinds: ['trial'] });
    await until('the trial worker', () => s.capacity('trial') === 1);
    assert.equal(capacities(), TASK_KINDS.map((k) => [k, k === 'trial' ? 1 : 0]));
  } finally {
    await s.close();
    await srv.close();
  }
});

test('a wrong token in the URL is refused at the upgrade with HTTP 401', async () => {
  const ws = new WebSocket(`${url}?token=nope`);
  ws.on('error', () => undefined);
  const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (req, res) => {
    resolve(res.statusCode ?? 0);
    req.destroy();
  }));
  assert.is(status, 401);
});

test('a wrong protocol version closes with 4400 and says which version the coordinator speaks', async () => {
  const c = connect();
  await c.opened;
  await until('c.errors.length > 0', () => c.errors.length > 0);
  const { nonce } = c.errors[0] as ChallengeMessage;
  const mine = newNonce();
  c.ws.send(packr.pack({ type: 'auth', protocol: PROTOCOL_VERSION + 1, nonce: mine, proof: workerProof(TOKEN, nonce, mine) }));
  assert.is((await c.closed).code, CLOSE.badHello);
  assert.match((c.errors.find((m) => m.type === 'error') as { message: string }).message, new RegExp(`speaks ${PROTOCOL_VERSION}`));
});

test('an oversized frame from an authenticated peer closes with 1009; a silent peer is closed at the hello deadline', async () => {
  const c = connect(`?token=${TOKEN}`);
  await c.opened;
  c.ws.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'dashboard', name: 'big' }));
  await until('c.errors.some((m) => m.type === \'welcome\')', () => c.errors.some((m) => m.type === 'welcome'));
  c.ws.send(new Uint8Array(200 * 1024));
  assert.is((await c.closed).code, 1009);
  const silent = connect();
  await silent.opened;
  assert.is((await silent.closed).code, CLOSE.helloTimeout);
});

test('10k malformed frames are each rejected while a real worker computes correct results', async () => {
  // a legitimate remote worker doing real trial tasks during the fuzzing
  const worker = runRemoteWorker({ url, token: TOKEN, threads: 1, name: 'honest', log: () => {} });
  await until('scheduler.capacity(\'trial\') > 0', () => scheduler.capacity('trial') > 0);
  const tasks: TrialTask[] = [0, 1, 2, 3].map((i) => ({ kind: 'trial', family: 'rl', runId: 'fuzz', trial: i, env: { id: 'CliffWalking-v1', kwargs: {} }, algo: 'qlearning', config: { seed: i }, episodes: 60, evalEpisodes: 1 }));
  const results = Promise.all(tasks.map((t) => scheduler.submit(t)));

  const rng = new Rng(7);
  const garbage = (k: number): Uint8Array | string => {
    switch (k % 6) {
      case 0: // random bytes (mostly invalid msgpack)
        return Uint8Array.from({ length: 1 + rng.int(64) }, () => rng.int(256));
      case 1: // valid msgpack, unknown message type
        return packr.pack({ type: `nope-${k}`, x: k });
      case 2: // known type, wrong fields
        return packr.pack({ type: 'result', taskId: -k, result: { kind: 'rollout', count: 'many' } });
      case 3: // a result for a task this peer does not hold
        return packr.pack({ type: 'task_error', taskId: 1_000_000 + k, message: 'x' });
      case 4: // not even an object
        return packr.pack([k, 'hello', null]);
      default: // a text frame
        return `{"type":"hello","n":${k}}`;
    }
  };
  let sent = 0;
  let rejectedFrames = 0;
  while (sent < 10_000) {
    const c = connect(`?token=${TOKEN}`);
    await c.opened;
    c.ws.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'dashboard', name: 'fuzzer' }));
    const batch = 1000;
    for (let k = 0; k < batch; k++) c.ws.send(garbage(sent + k));
    sent += batch;
    // welcome (+ nothing else for a bare scheduler) then one error frame per bad frame
    await until('c.errors.filter((m) => m.type === \'error\').length >= batch', () => c.errors.filter((m) => m.type === 'error').length >= batch, 10_000);
    const errs = c.errors.filter((m) => m.type === 'error') as { code: string }[];
    assert.ok(errs.every((e) => ['bad_msgpack', 'bad_message', 'not_allowed', 'unknown_task'].includes(e.code)), JSON.stringify(errs.find((e) => !['bad_msgpack', 'bad_message', 'not_allowed', 'unknown_task'].includes(e.code))));
    rejectedFrames += errs.length;
    c.ws.close();
    await c.closed;
  }
  assert.is(rejectedFrames, 10_000);

  // the coordinator is still up, and the honest worker's results are exactly the inline ones
  const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
  assert.is(res.status, 200);
  const got = await results;
  for (const t of tasks) {
    const expected = await runTrial(t);
    const r = got[t.trial]!;
    assert.is(r.finalScore, expected.finalScore);
    assert.equal(Array.from(r.curve), Array.from(expected.curve));
  }
  assert.is(scheduler.counts.completed, 4);
  assert.is(scheduler.counts.duplicates, 0);
  await server.close();
  assert.is(await worker, 4);
});

test.run();
