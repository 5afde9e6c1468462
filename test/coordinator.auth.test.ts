/**
 * Hostile peers on loopback, with real sockets and real `nnlab worker` processes: a coordinator
 * that does not know the token gets no token and no hello, and cannot make the worker run code;
 * shipped code runs only with --allow-code, only from the worker's own cache, re-hashed; TLS
 * with the worker checking the coordinator's certificate; a slow upload by an authenticated peer
 * is life, not death; an unauthenticated peer cannot make the coordinator buffer a big frame nor
 * hold more than 16 unauthenticated connections; a page from another origin cannot open the socket;
 * an upgrade request whose target is no URL is refused, not a crash.
 */
import * as assert from 'uvu/assert';
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { packr } from '../core/tensors.js';
import { coordinatorProof, newNonce } from '../protocol/auth.js';
import { CLOSE, PROTOCOL_VERSION } from '../protocol/constants.js';
import type { CoordinatorMessage, PeerMessage, RunStateMessage } from '../protocol/messages.js';
import { runExperiment } from '../coordinator/run.js';
import { Scheduler } from '../coordinator/scheduler.js';
import { CoordinatorServer } from '../coordinator/server.js';
import { ensureModule, moduleCacheDir, moduleRef } from '../workers/envModules.js';
import { sha256Hex } from '../core/sha256.js';
import { runTrial } from '../workers/trial.js';
import type { EvaluateTask, ModuleRef, TrialTask } from '../protocol/tasks.js';
import { CLI, markerModule, markerModuleSource, test, useCpu, until } from './helpers.js';
import { boundPort } from './net.js';
import { errorMessage } from '../base/plainData.js';

const GRIDMAZE = pathToFileURL(fileURLToPath(new URL('../experiments/gridmaze.js', import.meta.url))).href;
const TOKEN = `auth-test-token-${randomBytes(8).toString('hex')}`;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-auth-'));
const tokenFile = path.join(tmp, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);

test.before(async () => {
  await useCpu();
});
test.after(() => rmSync(tmp, { recursive: true, force: true }));


/** A real `nnlab worker` process; resolves with its exit code and everything it printed. */
function worker(args: string[], env: Record<string, string> = {}): { exited: Promise<{ code: number | null; out: string }>; kill: () => void } {
  const child = spawn(process.execPath, [CLI, 'worker', '--threads', '1', ...args], { env: { ...process.env, NNLAB_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
  return { exited, kill: () => child.kill('SIGKILL') };
}

function trialTask(trial: number, module?: ModuleRef): TrialTask {
  return { kind: 'trial', family: 'rl', runId: 'auth', trial, env: { id: 'CliffWalking-v1', kwargs: {}, ...(module !== undefined ? { module } : {}) }, algo: 'qlearning', config: { seed: trial }, episodes: 30, evalEpisodes: 1 };
}

/**
 * A coordinator written in the test: records every raw byte the worker sends and every decoded
 * frame; `script` drives the conversation.
 */
async function scriptedCoordinator(script: (ws: WebSocket, frames: PeerMessage[]) => void): Promise<{ url: string; raw: () => Buffer; frames: PeerMessage[]; close: () => Promise<void> }> {
  const server = http.createServer();
  const chunks: Buffer[] = [];
  server.on('connection', (s) => s.on('data', (d: Buffer) => chunks.push(d)));
  const wss = new WebSocketServer({ server });
  const frames: PeerMessage[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (d) => frames.push(packr.unpack(d as Buffer) as PeerMessage));
    script(ws, frames);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `ws://127.0.0.1:${boundPort(server)}`,
    raw: () => Buffer.concat(chunks),
    frames,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const send = (ws: WebSocket, m: CoordinatorMessage | Record<string, unknown>) => ws.send(packr.pack(m));

test('a coordinator that does not know the token gets neither the token nor a hello, and cannot make the worker run code', async () => {
  const marker = path.join(tmp, 'fake-coordinator-ran-code');
  const module = markerModule(marker);
  // 1) it plays the handshake but cannot make the proof, then sends a task with shipped code anyway
  const fake = await scriptedCoordinator((ws, frames) => {
    send(ws, { type: 'challenge', protocol: PROTOCOL_VERSION, nonce: newNonce() });
    ws.on('message', () => {
      if (frames.length !== 1) return;
      send(ws, { type: 'proof', proof: new Uint8Array(randomBytes(32)) });
      send(ws, { type: 'welcome', protocol: PROTOCOL_VERSION, peerId: 1, runId: 'fake' });
      send(ws, { type: 'task', taskId: 1, task: trialTask(0, module) });
    });
  });
  const w = worker(['--connect', fake.url, '--allow-code'], { NNLAB_TOKEN: TOKEN });
  const { code, out } = await w.exited;
  assert.is.not(code, 0, out);
  assert.match(out, 'did not prove that it knows the run token');
  assert.not.ok(fake.raw().includes(Buffer.from(TOKEN)), 'the token left the worker');
  assert.equal(fake.frames.map((f) => f.type), ['auth'], 'nothing but the proof of the worker');
  assert.not.ok(existsSync(marker), 'the shipped module ran');
  await fake.close();

  // 2) it skips the handshake and sends a task at once
  const rude = await scriptedCoordinator((ws) => send(ws, { type: 'task', taskId: 1, task: trialTask(0, module) }));
  const w2 = worker(['--connect', rude.url, '--allow-code', '--token-file', tokenFile]);
  const second = await w2.exited;
  assert.is.not(second.code, 0, second.out);
  assert.match(second.out, "sent 'task' instead of a challenge");
  assert.not.ok(rude.raw().includes(Buffer.from(TOKEN)), 'the token left the worker');
  assert.is(rude.frames.length, 0);
  assert.not.ok(existsSync(marker), 'the shipped module ran');
  await rude.close();
});

test('shipped code is imported only from the cache, re-hashed: a named path and a tampered cached copy are refused', async () => {
  const evilMarker = path.join(tmp, 'named-path-ran');
  const evilSource = markerModuleSource(evilMarker);
  const evilPath = path.join(tmp, 'evil.js');
  writeFileSync(evilPath, evilSource);
  const tamperMarker = path.join(tmp, 'tampered-cache-ran');
  const evalMarker = path.join(tmp, 'evaluate-task-ran');
  const evalSource = markerModuleSource(evalMarker);
  const legit = `export const legit = ${JSON.stringify(randomBytes(8).toString('hex'))};\n`;
  const legitHash = sha256Hex(legit);
  const cachedDir = path.join(moduleCacheDir(), legitHash);
  mkdirSync(cachedDir, { recursive: true });
  writeFileSync(path.join(cachedDir, 'mod.js'), markerModuleSource(tamperMarker)); // edited on disk after it was cached
  try {
    const refusals: PeerMessage[] = [];
    const taskErrors: PeerMessage[] = [];
    const coordinator = await scriptedCoordinator((ws, frames) => {
      const nonceC = newNonce();
      send(ws, { type: 'challenge', protocol: PROTOCOL_VERSION, nonce: nonceC });
      ws.on('message', () => {
        const last = frames[frames.length - 1]!;
        if (last.type === 'auth') send(ws, { type: 'proof', proof: coordinatorProof(TOKEN, last.nonce, nonceC) });
        if (last.type === 'hello') {
          send(ws, { type: 'welcome', protocol: PROTOCOL_VERSION, peerId: 1, runId: 'scripted' });
          // a module the worker lacks, "available" at a path of the coordinator's choosing (its hash matches)
          send(ws, { type: 'task', taskId: 1, task: trialTask(0, { hash: sha256Hex(evilSource), filename: 'evil.js', path: evilPath }) });
          // a module whose cached copy was edited
          send(ws, { type: 'task', taskId: 2, task: trialTask(1, { hash: legitHash, filename: 'mod.js', path: '/nonexistent/mod.js', source: legit }) });
          // an evaluation task (a kind only the coordinator's own threads take) carrying code
          const evaluate: EvaluateTask = { kind: 'evaluate', runId: 'scripted', env: { id: 'CartPole-v1', kwargs: {}, module: { hash: sha256Hex(evalSource), filename: 'ev.js', path: '/nonexistent/ev.js', source: evalSource } }, policy: { algo: 'dqn', activation: 'relu', params: {}, version: 0 }, firstSeed: 0, episodes: 1 };
          send(ws, { type: 'task', taskId: 3, task: evaluate });
        }
        if (last.type === 'refused') refusals.push(last);
        if (last.type === 'task_error') taskErrors.push(last);
        if (refusals.length === 2 && taskErrors.length === 1) ws.close(CLOSE.runEnded, 'done');
      });
    });
    const w = worker(['--connect', coordinator.url, '--allow-code', '--token-file', tokenFile]);
    const { code, out } = await w.exited;
    assert.is(code, 0, out);
    assert.equal(refusals.map((r) => r.type === 'refused' && [r.taskId, r.code]), [[1, 'module_unusable'], [2, 'module_unusable']]);
    assert.match(JSON.stringify(refusals[1]), 'does not match its hash');
    assert.not.ok(existsSync(evilMarker), 'a module at a path named by the coordinator was imported');
    assert.not.ok(existsSync(tamperMarker), 'a tampered cached module was imported');
    assert.ok(taskErrors[0]?.type === 'task_error' && taskErrors[0].taskId === 3 && /a remote worker does not take 'evaluate' tasks/.test(taskErrors[0].message), JSON.stringify(taskErrors));
    assert.not.ok(existsSync(evalMarker), "an evaluation task's module was imported");
    await coordinator.close();
  } finally {
    rmSync(cachedDir, { recursive: true, force: true });
  }
});

test('a module edited on disk after its hash was taken is not imported (threads re-hash before import)', async () => {
  const marker = path.join(tmp, 'edited-ran');
  const file = path.join(tmp, 'edited.js');
  writeFileSync(file, `export const x = ${JSON.stringify(randomBytes(8).toString('hex'))};\n`);
  const ref = moduleRef(file);
  writeFileSync(file, markerModuleSource(marker));
  try {
    await ensureModule(ref);
    assert.unreachable('imported');
  } catch (e) {
    assert.match(errorMessage(e), 'modified on disk');
  }
  assert.not.ok(existsSync(marker));
});

/** A q-learning sweep on a custom env (GridMaze through a module that leaves a marker where NNLAB_TEST_MARKER says). */
function gridmazeSpec(moduleFile: string) {
  writeFileSync(moduleFile, `import { writeFileSync } from 'node:fs';\nif (process.env.NNLAB_TEST_MARKER) writeFileSync(process.env.NNLAB_TEST_MARKER, 'imported');\nexport * from ${JSON.stringify(GRIDMAZE)}; // ${randomBytes(8).toString('hex')}\n`);
  return {
    name: 'shipped',
    env: { id: 'GridMaze-v0', module: moduleFile, kwargs: {} },
    agent: { algo: 'qlearning', config: { alpha: 0.5, gamma: 0.95, epsilon: 0.1 } },
    seed: 0,
    budget: { episodes: 40 },
    workers: { rollout: 1, remote: 1 },
    eval: { finalEpisodes: 5 },
    sweep: { parameters: { 'agent.config.alpha': [0.1, 0.5] }, seeds: 2 },
  };
}

test('a worker without --allow-code refuses shipped code: the coordinator logs why, shows it on the dashboard row, and gives the tasks to others', async () => {
  const marker = path.join(tmp, 'refusing-worker-ran-code');
  const lines: string[] = [];
  const states: RunStateMessage[] = [];
  let w: ReturnType<typeof worker> | undefined;
  let dash: WebSocket | undefined;
  const result = await runExperiment({
    spec: gridmazeSpec(path.join(tmp, 'refused.js')),
    runsDir: path.join(tmp, 'runs'),
    token: TOKEN,
    log: (l) => lines.push(l),
    progressOut: null,
    handleSignals: false,
    onListening: ({ port }) => {
      dash = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`);
      dash.on('open', () => dash!.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'dashboard', name: 'test' })));
      dash.on('message', (d) => {
        const m = packr.unpack(d as Buffer) as CoordinatorMessage;
        if (m.type === 'run_state') states.push(m);
      });
      w = worker(['--connect', `ws://127.0.0.1:${port}`, '--name', 'careful'], { NNLAB_TOKEN: TOKEN, NNLAB_TEST_MARKER: marker });
    },
  });
  const { code, out } = await w!.exited;
  dash?.terminate();
  assert.is(result.state, 'finished');
  assert.is(result.trials?.length, 4);
  assert.is.not(code, 0, out);
  assert.match(out, 'without --allow-code');
  assert.not.ok(existsSync(marker), 'the worker imported shipped code without --allow-code');
  assert.ok(lines.some((l) => /remote worker remote-\d+-careful refused task \d+ \(code_not_allowed\)/.test(l)), lines.join('\n'));
  const row = states.flatMap((s) => s.workers).find((r) => r.id.endsWith('-careful') && !r.alive);
  assert.ok(row !== undefined, 'a dead row for the worker');
  assert.match(row!.reason ?? '', 'code_not_allowed');
  const remoteDone = states.flatMap((s) => s.workers).filter((r) => r.id.endsWith('-careful')).reduce((m, r) => Math.max(m, r.tasksDone), 0);
  assert.is(remoteDone, 0);
});

test('with --allow-code the remote worker runs the shipped custom env', async () => {
  const marker = path.join(tmp, 'allowed-worker-ran-code');
  let w: ReturnType<typeof worker> | undefined;
  const events: { type: string }[] = [];
  await runExperiment({
    spec: gridmazeSpec(path.join(tmp, 'allowed.js')),
    runsDir: path.join(tmp, 'runs'),
    token: TOKEN,
    log: () => {},
    progressOut: null,
    handleSignals: false,
    onEvent: (e) => events.push(e),
    onListening: ({ port }) => {
      w = worker(['--connect', `ws://127.0.0.1:${port}`, '--allow-code', '--name', 'trusting'], { NNLAB_TOKEN: TOKEN, NNLAB_TEST_MARKER: marker });
    },
  });
  const { code, out } = await w!.exited;
  assert.is(code, 0, out);
  assert.match(out, /this worker did [1-9]\d* tasks/);
  assert.ok(existsSync(marker), 'the worker imported the module');
});

// ---- TLS -------------------------------------------------------------------------------------

const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A self-signed certificate for 127.0.0.1, made now (no committed keys). */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = path.join(tmp, `${name}.crt`);
  const key = path.join(tmp, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${name}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

test('TLS: a worker that trusts the coordinator\'s certificate computes over wss; one with another CA refuses to connect', async () => {
  if (!openssl) {
    console.log('coordinator.auth: TLS test SKIPPED — openssl not found');
    return;
  }
  const good = selfSigned('coordinator');
  const other = selfSigned('someone-else');
  const scheduler = new Scheduler();
  const server = new CoordinatorServer({ token: TOKEN, runId: 'tls', scheduler, tls: { cert: readFileSync(good.cert), key: readFileSync(good.key) } });
  const port = await server.listen();
  try {
    const health = await new Promise<number>((resolve, reject) => https.get({ host: '127.0.0.1', port, path: '/healthz', ca: readFileSync(good.cert) }, (res) => resolve(res.statusCode ?? 0)).on('error', reject));
    assert.is(health, 200);
    const wrong = worker(['--connect', `wss://127.0.0.1:${port}`, '--tls-ca', other.cert, '--token-file', tokenFile]);
    const refused = await wrong.exited;
    assert.is.not(refused.code, 0, refused.out);
    assert.match(refused.out, /cannot reach coordinator.*(certificate|self.signed)/i);
    assert.is(scheduler.capacity('trial'), 0);

    const w = worker(['--connect', `wss://127.0.0.1:${port}`, '--tls-ca', good.cert, '--token-file', tokenFile]);
    await until('the TLS worker', () => scheduler.capacity('trial') > 0);
    const task = trialTask(3);
    const got = await scheduler.submit(task);
    const expected = await runTrial(task);
    assert.is(got.finalScore, expected.finalScore);
    assert.equal(Array.from(got.curve), Array.from(expected.curve));
    await server.close();
    const { code, out } = await w.exited;
    assert.is(code, 0, out);
  } finally {
    await scheduler.close();
    await server.close().catch(() => undefined);
  }
});

// ---- frames and connections (raw sockets) ----------------------------------------------------

/** A WebSocket client written by hand, so the test decides how fast each byte goes. */
async function rawConnect(port: number, query = ''): Promise<{ sock: net.Socket; frames: { opcode: number; payload: Buffer }[]; closed: Promise<void> }> {
  const sock = net.connect(port, '127.0.0.1');
  const frames: { opcode: number; payload: Buffer }[] = [];
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
  sock.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString();
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.split('\r\n')[0]));
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve();
      }
      for (;;) {
        if (buf.length < 2) return;
        let len = buf[1]! & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) return;
        frames.push({ opcode: buf[0]! & 0x0f, payload: buf.subarray(at, at + len) });
        buf = buf.subarray(at + len);
      }
    });
    sock.write(`GET /ws${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  });
  return { sock, frames, closed };
}

/** The header of one masked (all-zero mask) binary client frame of `len` bytes. */
function frameHeader(len: number): Buffer {
  if (len < 126) return Buffer.from([0x82, 0x80 | len, 0, 0, 0, 0]);
  if (len < 65536) return Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff, 0, 0, 0, 0]);
  const h = Buffer.alloc(14);
  h[0] = 0x82;
  h[1] = 0x80 | 127;
  h.writeBigUInt64BE(BigInt(len), 2);
  return h;
}

const decoded = (f: { payload: Buffer }) => packr.unpack(f.payload) as CoordinatorMessage;
const closeCode = (frames: { opcode: number; payload: Buffer }[]) => {
  const c = frames.find((f) => f.opcode === 8);
  return c === undefined ? undefined : c.payload.readUInt16BE(0);
};

test('a slow 2 MiB upload by an authenticated peer is life for the heartbeat; an unauthenticated 1 MiB frame is refused with 1009 as it starts', async () => {
  const scheduler = new Scheduler();
  const controls: string[] = [];
  const server = new CoordinatorServer({ token: TOKEN, runId: 'frames', scheduler, heartbeatMs: 100, onControl: (a) => controls.push(a) });
  const port = await server.listen();
  try {
    // authenticated (token in the URL + hello), then a 2 MiB frame at ~1 MB/s: ~20 heartbeats, no pong possible
    const a = await rawConnect(port, `?token=${TOKEN}`);
    const hello = packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'dashboard', name: 'slow' });
    a.sock.write(Buffer.concat([frameHeader(hello.length), hello]));
    await until('welcome', () => a.frames.some((f) => f.opcode === 2 && decoded(f).type === 'welcome'), 5000);
    const big = Buffer.from(packr.pack({ type: 'control', action: 'checkpoint', pad: new Uint8Array(2 * 1024 * 1024) }));
    a.sock.write(frameHeader(big.length));
    let closedEarly = false;
    void a.closed.then(() => (closedEarly = true));
    for (let at = 0; at < big.length && !closedEarly; at += 32 * 1024) {
      a.sock.write(big.subarray(at, at + 32 * 1024));
      await new Promise((r) => setTimeout(r, 30));
    }
    await until('the upload to arrive', () => controls.length > 0 || closedEarly, 5000);
    assert.not.ok(closedEarly, `the uploading peer was cut off (close ${closeCode(a.frames)})`);
    assert.equal(controls, ['checkpoint']);
    a.sock.destroy();

    // unauthenticated: 1 MiB announced, sent in 16 KiB pieces; refused after the first 64 KiB
    const b = await rawConnect(port);
    await until('challenge', () => b.frames.length > 0, 5000);
    assert.is(decoded(b.frames[0]!).type, 'challenge');
    const total = 1024 * 1024;
    b.sock.write(frameHeader(total));
    let sent = 0;
    const t0 = Date.now();
    while (sent < total && closeCode(b.frames) === undefined) {
      b.sock.write(Buffer.alloc(16 * 1024));
      sent += 16 * 1024;
      await new Promise((r) => setTimeout(r, 2));
    }
    await until('the close frame', () => closeCode(b.frames) !== undefined, 2000);
    assert.is(closeCode(b.frames), CLOSE.tooLarge);
    assert.ok(sent <= 256 * 1024, `the coordinator read ${sent} bytes of an unauthenticated frame before refusing it`);
    assert.ok(Date.now() - t0 < 1000, 'refused quickly');
    assert.is(server.rejected.too_large_before_auth, 1);
    await b.closed;
  } finally {
    await scheduler.close();
    await server.close();
  }
});

test('at most 16 connections may be unauthenticated at once (more close with 1013); a page from another origin is refused', async () => {
  const scheduler = new Scheduler();
  const server = new CoordinatorServer({ token: TOKEN, runId: 'cap', scheduler, helloTimeoutMs: 20_000 });
  const port = await server.listen();
  const open = (opts: { origin?: string; query?: string } = {}) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${opts.query ?? ''}`, opts.origin !== undefined ? { origin: opts.origin } : {});
    const msgs: CoordinatorMessage[] = [];
    ws.on('message', (d) => msgs.push(packr.unpack(d as Buffer) as CoordinatorMessage));
    ws.on('error', () => undefined);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const status = new Promise<number>((resolve) => {
      ws.on('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      ws.on('open', () => resolve(101));
    });
    return { ws, msgs, closed, status };
  };
  try {
    const held = Array.from({ length: 16 }, () => open());
    await until('16 challenges', () => held.every((c) => c.msgs.length > 0), 10_000);
    const extra = open();
    assert.is(await extra.closed, CLOSE.tryAgainLater);
    assert.is(extra.msgs.length, 0, 'no challenge for a connection over the cap');
    for (const c of held) c.ws.terminate();
    await Promise.all(held.map((c) => c.closed));
    const later = open();
    await until('a challenge once the others left', () => later.msgs.length > 0, 5000);
    later.ws.terminate();

    const evil = open({ origin: 'http://evil.example', query: `?token=${TOKEN}` });
    assert.is(await evil.status, 403);
    const own = open({ origin: `http://127.0.0.1:${port}`, query: `?token=${TOKEN}` });
    assert.is(await own.status, 101);
    own.ws.terminate();
    assert.is(server.rejected.bad_origin, 1);
  } finally {
    await scheduler.close();
    await server.close();
  }
});

test('an upgrade whose request target is no URL (`//[`, `//h:99999`) is refused with 400 before authentication; the coordinator serves the next peer', async () => {
  const scheduler = new Scheduler();
  const server = new CoordinatorServer({ token: TOKEN, runId: 'badurl', scheduler });
  const port = await server.listen();
  /** The status line the coordinator answers a raw upgrade request for `target` with. */
  const statusLine = (target: string) =>
    new Promise<string>((resolve, reject) => {
      const sock = net.connect(port, '127.0.0.1');
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('error', reject);
      sock.on('close', () => resolve(got.split('\r\n')[0] ?? ''));
      sock.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
  try {
    assert.is(await statusLine('//['), 'HTTP/1.1 400 Bad Request');
    assert.is(await statusLine('//h:99999'), 'HTTP/1.1 400 Bad Request');
    assert.is(server.rejected.bad_request, 2);
    const next = await rawConnect(port);
    await until('a challenge for the next peer', () => next.frames.length > 0, 5000);
    assert.is(decoded(next.frames[0]!).type, 'challenge');
    next.sock.destroy();
  } finally {
    await scheduler.close();
    await server.close();
  }
});

test('an empty NNLAB_TOKEN is no token: the run draws its own; an empty token is refused by the run and by the server', async () => {
  const saved = process.env.NNLAB_TOKEN;
  process.env.NNLAB_TOKEN = '';
  try {
    let token: string | undefined;
    const spec = { name: 'empty-token', env: { id: 'CliffWalking-v1' }, agent: { algo: 'qlearning' }, budget: { episodes: 3 }, eval: { finalEpisodes: 1 } };
    const result = await runExperiment({ spec, runsDir: path.join(tmp, 'runs'), log: () => {}, progressOut: null, handleSignals: false, onListening: (info) => (token = info.token) });
    assert.is(result.state, 'finished', result.message);
    assert.match(token ?? '', /^[0-9a-f]{32}$/, 'a random token, not the empty one');
    await runExperiment({ spec, runsDir: path.join(tmp, 'runs'), token: '', log: () => {}, progressOut: null, handleSignals: false }).then(
      () => assert.unreachable('a run with an empty token started'),
      (e: Error) => assert.match(e.message, 'the run token is empty'),
    );
  } finally {
    if (saved === undefined) delete process.env.NNLAB_TOKEN;
    else process.env.NNLAB_TOKEN = saved;
  }
  assert.throws(() => new CoordinatorServer({ token: '', runId: 'empty', scheduler: new Scheduler() }), /the run token is empty/);
});

test('the token from --token-file or NNLAB_TOKEN; --token with --token-file is a usage error', async () => {
  const both = worker(['--connect', 'ws://127.0.0.1:9', '--token', 'a', '--token-file', tokenFile]);
  const r = await both.exited;
  assert.is(r.code, 2, r.out);
  assert.match(r.out, '--token or --token-file, not both');
  const none = worker(['--connect', 'ws://127.0.0.1:9']);
  const n = await none.exited;
  assert.is(n.code, 2, n.out);
  assert.match(n.out, 'NNLAB_TOKEN, --token-file FILE or --token T');
  const empty = path.join(tmp, 'empty-token');
  writeFileSync(empty, '\n');
  const e = await worker(['--connect', 'ws://127.0.0.1:9', '--token-file', empty]).exited;
  assert.is(e.code, 2, e.out);
  assert.match(e.out, 'the first line is empty');
});

test.run();
