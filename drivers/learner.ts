/**
 * The learner as the coordinator sees it: in its own process (`child_process.fork` of
 * workers/learnerProcess.js with IPC in 'advanced' serialization and its own NNLAB_BACKEND — the
 * "GPU worker process"), or inline in single-process runs. The coordinator keeps the learner's
 * last complete state from each reply, so a learner process that dies is replaced and the
 * interrupted round is re-sent with that state: the result is the same as if it had not died.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { DqnLearnerHost } from '../workers/dqnLearnerHost.js';
import type { FromLearner, LearnerInit, TrainReply, TrainRequest } from '../protocol/messages.js';

export class LearnerLost extends Error {}

export interface LearnerClient {
  readonly kind: 'process' | 'inline';
  readonly pid: number | undefined;
  readonly backend: string;
  train(req: TrainRequest): Promise<TrainReply>;
  close(): Promise<void>;
}

export class InlineLearner implements LearnerClient {
  readonly kind = 'inline';
  readonly pid = undefined;
  private readonly host: DqnLearnerHost;
  constructor(init: LearnerInit, readonly backend: string) {
    this.host = new DqnLearnerHost(init);
  }
  async train(req: TrainRequest): Promise<TrainReply> {
    return this.host.train(req);
  }
  async close(): Promise<void> {
    this.host.dispose();
  }
}

const ENTRY = new URL('../workers/learnerProcess.js', import.meta.url);

export class ProcessLearner implements LearnerClient {
  readonly kind = 'process';
  private child!: ChildProcess;
  private readonly waiting = new Map<number, { resolve: (r: TrainReply) => void; reject: (e: Error) => void }>();
  backend = 'unknown';
  private closing = false;
  /** Called when the process exits unexpectedly. */
  onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;

  private constructor() {}

  /** Forks the process, initialises the learner in it, and resolves once it is ready. */
  static async start(init: LearnerInit, backend?: string): Promise<ProcessLearner> {
    const l = new ProcessLearner();
    const env = { ...process.env };
    if (backend !== undefined) env.NNLAB_BACKEND = backend;
    l.child = fork(ENTRY, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const ready = new Promise<void>((resolve, reject) => {
      const early = (code: number | null, signal: NodeJS.Signals | null) => reject(new Error(`learner process exited during start (${signal ?? code})`));
      l.child.once('exit', early);
      l.child.on('message', (raw) => {
        const msg = raw as FromLearner;
        if (msg.type === 'ready') {
          l.backend = msg.backend;
          l.child.off('exit', early);
          resolve();
        } else if (msg.type === 'trained') {
          l.waiting.get(msg.id)?.resolve(msg);
          l.waiting.delete(msg.id);
        } else if (msg.type === 'failed') {
          l.waiting.get(msg.id)?.reject(new Error(`learner: ${msg.message}`));
          l.waiting.delete(msg.id);
        }
      });
    });
    // a failed send reports to its callback; any other error of the channel loses the rounds in flight (LearnerLost), not the run
    l.child.on('error', (e) => {
      for (const w of l.waiting.values()) w.reject(new LearnerLost(`learner process ${l.child.pid}: ${e.message}`));
      l.waiting.clear();
    });
    l.child.on('exit', (code, signal) => {
      for (const w of l.waiting.values()) w.reject(new LearnerLost(`learner process ${l.child.pid} died (${signal ?? `exit ${code}`})`));
      l.waiting.clear();
      if (!l.closing) l.onExit?.(code, signal);
    });
    l.child.send(init);
    await ready;
    return l;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  train(req: TrainRequest): Promise<TrainReply> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        reject(new LearnerLost(`learner process ${this.child.pid} is gone`));
        return;
      }
      this.waiting.set(req.id, { resolve, reject });
      // a learner that died a moment ago fails the write (EPIPE) before its exit is seen: the round is lost, not the run
      this.child.send(req, (err) => {
        if (err === null || !this.waiting.has(req.id)) return;
        this.waiting.delete(req.id);
        reject(new LearnerLost(`learner process ${this.child.pid} is gone (${err.message})`));
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      this.child.send({ type: 'shutdown' });
    } catch {
      this.child.kill('SIGKILL');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
