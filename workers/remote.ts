/**
 * A remote worker: `nnlab worker --connect ws://HOST:PORT --token T [--threads N]`. It connects to
 * a coordinator, says hello (protocol version, token, threads, task kinds), and runs the tasks it
 * is sent on its own piscina threads — the same task kinds as local threads, custom env modules
 * included (their source arrives with the first task that needs them). Results go back as msgpack
 * frames with their typed arrays intact.
 */
import os from 'node:os';
import { Piscina } from 'piscina';
import { WebSocket } from 'ws';
import { packr } from '../core/tensors.js';
import { PROTOCOL_VERSION, CLOSE, type CoordinatorMessage, type PeerMessage } from '../coordinator/protocol.js';
import { TASK_KINDS, type Task, type TaskResult } from './tasks.js';

export interface RemoteWorkerOptions {
  url: string;
  token: string;
  threads?: number;
  name?: string;
  log?: (line: string) => void;
}

/** Runs until the coordinator closes the connection; resolves with the number of tasks done. */
export async function runRemoteWorker(opts: RemoteWorkerOptions): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const threads = opts.threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const pool = new Piscina({ filename: new URL('./thread.js', import.meta.url).href, minThreads: threads, maxThreads: threads });
  const url = new URL(opts.url);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ws';
  const ws = new WebSocket(url.href, { maxPayload: 256 * 1024 * 1024 });
  let done = 0;
  const send = (m: PeerMessage) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(packr.pack(m));
  };
  try {
    return await new Promise<number>((resolve, reject) => {
      ws.on('error', (e) => reject(new Error(`cannot reach coordinator at ${url.href}: ${e.message}`)));
      ws.on('open', () => send({ type: 'hello', protocol: PROTOCOL_VERSION, token: opts.token, role: 'worker', name: opts.name ?? os.hostname(), threads, kinds: [...TASK_KINDS] }));
      ws.on('close', (code, reason) => {
        if (code === CLOSE.runEnded || code === 1000) resolve(done);
        else reject(new Error(`coordinator closed the connection (${code}${reason.length > 0 ? `: ${reason.toString()}` : ''})`));
      });
      ws.on('message', (data) => {
        let msg: CoordinatorMessage;
        try {
          msg = packr.unpack(data as Buffer) as CoordinatorMessage;
        } catch (e) {
          log(`ignoring an undecodable frame: ${(e as Error).message}`);
          return;
        }
        switch (msg.type) {
          case 'welcome':
            log(`connected to run ${msg.runId} as worker ${msg.peerId} with ${threads} threads`);
            return;
          case 'error':
            log(`coordinator: ${msg.code}: ${msg.message}`);
            return;
          case 'task':
            void runTask(pool, msg.task).then(
              (result) => {
                done++;
                send({ type: 'result', taskId: msg.taskId, result });
              },
              (e: Error) => send({ type: 'task_error', taskId: msg.taskId, message: e.message }),
            );
            return;
          default:
            return;
        }
      });
    });
  } finally {
    ws.terminate();
    await pool.destroy();
  }
}

function runTask(pool: Piscina, task: Task): Promise<TaskResult> {
  return pool.run(task) as Promise<TaskResult>;
}
