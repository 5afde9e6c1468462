/**
 * A remote worker: `nnlab worker --connect ws://HOST:PORT` (or `wss://` with `--tls-ca FILE`), the
 * run token from `NNLAB_TOKEN`, `--token-file` or `--token`. It connects to a coordinator and,
 * before it says anything about itself or takes a task, makes the coordinator prove that it knows
 * the token (challenge–response, protocol/auth.ts): the token itself is never sent; until then it
 * takes at most PRE_AUTH_BYTES from it. Then it says hello (threads, task kinds) and runs the tasks
 * it is sent on its own piscina threads — the same task kinds as local threads. Every frame from
 * the coordinator is checked first (protocol/workerFrames.ts): a malformed one is logged and dropped, a
 * malformed task (or one of a kind a remote worker does not take) is answered with a `task_error`
 * naming the bad field and never run, and the worker goes on with the next. A task that needs a
 * custom env module (shipped code) runs only if this worker allows it (`--allow-code`,
 * `--allow-module SHA256`); otherwise the worker answers with a `refused` frame naming the reason.
 * Results go back as msgpack frames with their typed arrays intact. A generative trial's files
 * (samples, generator) stay in a temporary folder that is removed when it ends: the coordinator
 * gets its curve and score, and this machine keeps nothing.
 */
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { Piscina } from 'piscina';
import { WebSocket } from 'ws';
import { packr } from '../core/tensors.js';
import { coordinatorProof, newNonce, proofsEqual, workerProof } from '../protocol/auth.js';
import { CLOSE, PATHS, PROTOCOL_VERSION } from '../protocol/constants.js';
import { FRAME_BYTES, HELLO_LIMITS, PRE_AUTH_BYTES, fitText, helloProblem, parseTaskResult, type PeerMessage } from '../protocol/messages.js';
import { parseToRemoteWorker } from '../protocol/workerFrames.js';
import { rawBytes } from '../protocol/rawBytes.js';
import { installShipped, type CodePolicy } from './envModules.js';
import { REMOTE_TASK_KINDS, type Task, type TaskResult } from '../protocol/tasks.js';
import { errorMessage } from '../base/plainData.js';

export interface RemoteWorkerOptions {
  url: string;
  token: string;
  threads?: number;
  name?: string;
  /** PEM certificate(s) of the authority that signed the coordinator's TLS certificate (wss://). */
  ca?: string | Buffer;
  /** Run any shipped env module (default false). */
  allowCode?: boolean;
  /** Run the shipped env modules with these sha256 hashes. */
  allowModules?: Iterable<string>;
  /** Time for the coordinator to prove it knows the token (default 15 s). */
  handshakeTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Runs until the coordinator closes the connection; resolves with the number of tasks done. */
export async function runRemoteWorker(opts: RemoteWorkerOptions): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  // a hello past HELLO_LIMITS is refused by the coordinator (CLOSE.badHello): said here, before connecting; the defaults stay within them
  const problem = helloProblem(opts);
  if (problem !== undefined) throw new Error(`remote worker: ${problem}`);
  const threads = opts.threads ?? Math.min(HELLO_LIMITS.threads, Math.max(1, os.availableParallelism?.() ?? os.cpus().length));
  const name = opts.name ?? os.hostname().slice(0, HELLO_LIMITS.name);
  const policy: CodePolicy = { allowCode: opts.allowCode ?? false, allowModules: new Set(opts.allowModules ?? []) };
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new Error(`--connect ${JSON.stringify(opts.url)}: not a URL (expected ws://HOST:PORT or wss://HOST:PORT)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--connect ${opts.url}: expected a ws:// or wss:// URL`);
  if (opts.ca !== undefined && url.protocol !== 'wss:') throw new Error(`--tls-ca needs a wss:// URL (got ${url.protocol}//)`);
  if (url.search !== '') throw new Error(`--connect ${opts.url}: the URL must not carry a query (the token is never sent; give it with NNLAB_TOKEN or --token-file)`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = PATHS.socket;
  const pool = new Piscina({ filename: new URL('./threadEntry.cjs', import.meta.url).href, minThreads: threads, maxThreads: threads });
  const ws = new WebSocket(url.href, { maxPayload: FRAME_BYTES.toWorker, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
  let done = 0;
  const send = (m: PeerMessage) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(packr.pack(m));
  };
  // the handshake: challenge from the coordinator → our proof → its proof → our hello
  let state: 'challenge' | 'proof' | 'ready' = 'challenge';
  const nonceW = newNonce();
  let nonceC: Uint8Array | undefined;
  let deadline: NodeJS.Timeout | undefined;
  try {
    return await new Promise<number>((resolve, reject) => {
      const fail = (why: string) => {
        reject(new Error(why));
        ws.terminate();
      };
      deadline = setTimeout(() => fail(`the coordinator at ${url.host} did not prove within ${(opts.handshakeTimeoutMs ?? 15_000) / 1000} s that it knows the run token`), opts.handshakeTimeoutMs ?? 15_000);
      ws.on('error', (e) => fail(`cannot reach coordinator at ${url.href}: ${e.message}`));
      ws.on('close', (code, reason) => {
        if (state === 'ready' && (code === CLOSE.runEnded || code === CLOSE.normal)) resolve(done);
        else if (code === CLOSE.codeRefused) reject(new Error(`this worker refused the run's shipped code (${reason.toString()}); the coordinator let it go. Start it with --allow-code (or --allow-module SHA256) only if you trust that coordinator's operator to run code here`));
        else reject(new Error(`coordinator closed the connection (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`));
      });
      // Until the coordinator proved that it knows the token it may send PRE_AUTH_BYTES (it needs ~100),
      // counted on the raw socket as they arrive (as the coordinator counts a peer's): the first chunk
      // past the limit ends the connection, so a large frame from a fake coordinator is never buffered.
      // The socket is read only once ws reads it ('open'): a 'data' listener added at 'upgrade' would
      // start the socket flowing before ws listens, and ws would miss the first frames.
      let socket: Duplex | undefined;
      let received = 0;
      ws.on('upgrade', (res) => (socket = res.socket));
      ws.on('open', () =>
        socket?.on('data', (chunk: Buffer) => {
          if (state === 'ready') return;
          received += chunk.length;
          if (received > PRE_AUTH_BYTES) fail(`the coordinator at ${url.host} sent more than ${PRE_AUTH_BYTES} bytes before proving that it knows the run token`);
        }),
      );
      ws.on('message', (data) => {
        let value: unknown;
        try {
          value = packr.unpack(rawBytes(data));
        } catch (e) {
          if (state !== 'ready') return fail(`the coordinator sent an undecodable frame during the handshake: ${errorMessage(e)}`);
          log(`ignoring an undecodable frame from the coordinator: ${errorMessage(e)}`);
          return;
        }
        // every frame is checked before it is acted on: the coordinator may be buggy, or a man in the middle of ws://
        const parsed = parseToRemoteWorker(value);
        if (state === 'challenge') {
          if (!parsed.ok) return fail(`the coordinator sent a malformed frame instead of a challenge (${parsed.reason})`);
          const msg = parsed.message;
          if (msg.type === 'error') return fail(`the coordinator refused this worker: ${msg.code}: ${msg.message}`);
          if (msg.type !== 'challenge') return fail(`the coordinator sent '${msg.type}' instead of a challenge`);
          if (msg.protocol !== PROTOCOL_VERSION) return fail(`the coordinator speaks protocol ${msg.protocol}, this worker ${PROTOCOL_VERSION}: use the same nnlab version on both`);
          nonceC = msg.nonce;
          state = 'proof';
          send({ type: 'auth', protocol: PROTOCOL_VERSION, nonce: nonceW, proof: workerProof(opts.token, nonceC, nonceW) });
          return;
        }
        if (state === 'proof') {
          if (parsed.ok && parsed.message.type === 'error') return fail(`the coordinator refused this worker: ${parsed.message.code}: ${parsed.message.message}`);
          if (!parsed.ok || parsed.message.type !== 'proof' || !proofsEqual(parsed.message.proof, coordinatorProof(opts.token, nonceW, nonceC!))) {
            return fail(`the coordinator at ${url.host} did not prove that it knows the run token${parsed.ok ? '' : ` (malformed frame: ${parsed.reason})`}: disconnected without sending anything else`);
          }
          clearTimeout(deadline);
          state = 'ready';
          send({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'worker', name, threads, kinds: [...REMOTE_TASK_KINDS] });
          return;
        }
        if (!parsed.ok) {
          // a bad task is answered (the coordinator gives it to another executor) and never run
          if (parsed.taskId === undefined) return log(`ignoring a malformed frame from the coordinator: ${parsed.reason}`);
          log(`refusing task ${parsed.taskId} from the coordinator: ${parsed.reason}`);
          send({ type: 'task_error', taskId: parsed.taskId, message: fitText(`refused without running it: ${parsed.reason}`) });
          return;
        }
        const msg = parsed.message;
        switch (msg.type) {
          case 'welcome':
            log(`connected to run ${msg.runId} as worker ${msg.peerId} with ${threads} threads${url.protocol === 'ws:' ? ' (plain ws://: traffic is not encrypted; see docs/security.md)' : ''}`);
            return;
          case 'error':
            log(`coordinator: ${msg.code}: ${msg.message}`);
            return;
          case 'task': {
            const { taskId } = msg;
            // checked, and without an outDir (a generative trial writes in a temporary folder here) or a crash
            let task: Task = msg.task;
            if ((task.kind === 'rollout' || (task.kind === 'trial' && task.family === 'rl')) && task.env.module !== undefined) {
              const installed = installShipped(task.env.module, policy);
              if (!installed.ok) {
                log(`refusing task ${taskId}: ${installed.message}`);
                send({ type: 'refused', taskId, code: installed.code, message: installed.message });
                return;
              }
              task = { ...task, env: { ...task.env, module: installed.ref } };
            }
            void runTask(pool, task).then(
              (result) => {
                done++;
                send({ type: 'result', taskId, result });
              },
              // a user env may throw a non-Error or a message past TEXT_CHARS: either is still this task's error, never a frame the coordinator refuses as a bad result
              (e: unknown) => send({ type: 'task_error', taskId, message: fitText(errorMessage(e)) }),
            );
            return;
          }
          case 'challenge':
          case 'proof':
            log(`ignoring a '${msg.type}' frame after the handshake`);
            return;
        }
      });
    });
  } finally {
    clearTimeout(deadline);
    ws.terminate();
    await pool.destroy();
  }
}

/**
 * Runs a task on one of this worker's threads. piscina's run returns any: the thread's answer is
 * checked (protocol/messages.ts parseTaskResult) before it is sent, and a malformed one is this
 * worker's task error, named, instead of a frame the coordinator would refuse as a bad result.
 */
async function runTask(pool: Piscina, task: Task): Promise<TaskResult> {
  const out: unknown = await pool.run(task);
  const r = parseTaskResult(out);
  if (!r.ok) throw new Error(`a thread of this worker answered the ${task.kind} task with a malformed result: ${r.reason}`);
  return r.result;
}
