/**
 * A remote worker: `nnlab worker --connect ws://HOST:PORT` (or `wss://` with `--tls-ca FILE`), the
 * run token from `NNLAB_TOKEN`, `--token-file` or `--token`. It connects to a coordinator and,
 * before it says anything about itself or takes a task, makes the coordinator prove that it knows
 * the token (challenge–response, protocol/auth.ts): the token itself is never sent. Then it
 * says hello (threads, task kinds) and runs the tasks it is sent on its own piscina threads — the
 * same task kinds as local threads. A task that needs a custom env module (shipped code) runs only
 * if this worker allows it (`--allow-code`, `--allow-module SHA256`); otherwise the worker answers
 * with a `refused` frame naming the reason. Results go back as msgpack frames with their typed
 * arrays intact. A generative trial's files (samples, generator) stay in a temporary folder that
 * is removed when it ends: the coordinator gets its curve and score, and this machine keeps nothing.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { WebSocket } from 'ws';
import { packr } from '../core/tensors.js';
import { coordinatorProof, newNonce, proofsEqual, workerProof } from '../protocol/auth.js';
import { PROTOCOL_VERSION, CLOSE, NONCE_BYTES, type CoordinatorMessage, type PeerMessage } from '../protocol/messages.js';
import { installShipped, type CodePolicy } from './envModules.js';
import { REMOTE_TASK_KINDS, type Task, type TaskResult } from '../protocol/tasks.js';

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
  const threads = opts.threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const policy: CodePolicy = { allowCode: opts.allowCode ?? false, allowModules: new Set(opts.allowModules ?? []) };
  const url = new URL(opts.url);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--connect ${opts.url}: expected a ws:// or wss:// URL`);
  if (opts.ca !== undefined && url.protocol !== 'wss:') throw new Error(`--tls-ca needs a wss:// URL (got ${url.protocol}//)`);
  if (url.search !== '') throw new Error(`--connect ${opts.url}: the URL must not carry a query (the token is never sent; give it with NNLAB_TOKEN or --token-file)`);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  const pool = new Piscina({ filename: new URL('./thread.js', import.meta.url).href, minThreads: threads, maxThreads: threads });
  const ws = new WebSocket(url.href, { maxPayload: 256 * 1024 * 1024, ...(opts.ca !== undefined ? { ca: opts.ca } : {}) });
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
        if (state === 'ready' && (code === CLOSE.runEnded || code === 1000)) resolve(done);
        else if (code === CLOSE.codeRefused) reject(new Error(`this worker refused the run's shipped code (${reason.toString()}); the coordinator let it go. Start it with --allow-code (or --allow-module SHA256) only if you trust that coordinator's operator to run code here`));
        else reject(new Error(`coordinator closed the connection (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`));
      });
      ws.on('message', (data) => {
        let msg: CoordinatorMessage;
        try {
          msg = packr.unpack(data as Buffer) as CoordinatorMessage;
        } catch (e) {
          if (state !== 'ready') return fail(`the coordinator sent an undecodable frame during the handshake: ${(e as Error).message}`);
          log(`ignoring an undecodable frame: ${(e as Error).message}`);
          return;
        }
        if (state !== 'ready' && msg.type === 'error') return fail(`the coordinator refused this worker: ${msg.code}: ${msg.message}`);
        if (state === 'challenge') {
          if (msg.type !== 'challenge') return fail(`the coordinator sent '${String(msg.type)}' instead of a challenge`);
          if (msg.protocol !== PROTOCOL_VERSION) return fail(`the coordinator speaks protocol ${msg.protocol}, this worker ${PROTOCOL_VERSION}: use the same nnlab version on both`);
          if (!(msg.nonce instanceof Uint8Array) || msg.nonce.length !== NONCE_BYTES) return fail(`the coordinator's challenge has no ${NONCE_BYTES}-byte nonce`);
          nonceC = msg.nonce;
          state = 'proof';
          send({ type: 'auth', protocol: PROTOCOL_VERSION, nonce: nonceW, proof: workerProof(opts.token, nonceC, nonceW) });
          return;
        }
        if (state === 'proof') {
          if (msg.type !== 'proof' || !(msg.proof instanceof Uint8Array) || !proofsEqual(msg.proof, coordinatorProof(opts.token, nonceW, nonceC!))) {
            return fail(`the coordinator at ${url.host} did not prove that it knows the run token: disconnected without sending anything else`);
          }
          clearTimeout(deadline);
          state = 'ready';
          send({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'worker', name: opts.name ?? os.hostname(), threads, kinds: [...REMOTE_TASK_KINDS] });
          return;
        }
        switch (msg.type) {
          case 'welcome':
            log(`connected to run ${msg.runId} as worker ${msg.peerId} with ${threads} threads${url.protocol === 'ws:' ? ' (plain ws://: traffic is not encrypted; see docs/security.md)' : ''}`);
            return;
          case 'error':
            log(`coordinator: ${msg.code}: ${msg.message}`);
            return;
          case 'task': {
            const { taskId } = msg;
            let task: Task = msg.task;
            if (!isRemoteKind(task.kind)) {
              // an evaluation decides what a run saves: the coordinator runs it on its own threads
              send({ type: 'task_error', taskId, message: `a remote worker does not take '${task.kind}' tasks (it takes ${REMOTE_TASK_KINDS.join(', ')})` });
              return;
            }
            // a generative trial writes its files in a temporary folder here, whatever the coordinator named
            if (task.kind === 'trial' && task.family === 'generative' && task.outDir !== undefined) {
              const { outDir: _ignored, ...rest } = task;
              task = rest;
            }
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
              (e: Error) => send({ type: 'task_error', taskId, message: e.message }),
            );
            return;
          }
          default:
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

function isRemoteKind(kind: string): boolean {
  return REMOTE_TASK_KINDS.some((k) => k === kind);
}

function runTask(pool: Piscina, task: Task): Promise<TaskResult> {
  return pool.run(task) as Promise<TaskResult>;
}
