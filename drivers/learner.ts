/**
 * The learner as the coordinator sees it: in its own process (`child_process.fork` of
 * workers/learnerProcess.js with IPC in 'advanced' serialization and its own NNLAB_BACKEND — the
 * "GPU worker process"), or inline in single-process runs. The coordinator keeps the learner's
 * complete state as of its last checkpoint and the training rounds sent since, so a learner process
 * that dies is replaced, given that state and those rounds again, then the interrupted round: the
 * result is the same as if it had not died (drivers/offPolicy.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { DqnLearnerHost } from '../workers/dqnLearnerHost.js';
import type { FromLearner, GenerativeLearnerInit, GenerativeLearnerRequest, LearnerInit, TrainReply, TrainReplyWithState, TrainRequest } from '../protocol/messages.js';
import { parseFromLearner } from '../workers/learnerMessages.js';
import type { RngState } from '../base/rng.js';
import type { GenerativeKind } from '../generative/kinds.js';
import type { GenerativeLearner, ImageBatch } from '../generative/types.js';
import type { Metrics } from '../base/metrics.js';
import type { RemoteLearner } from '../generative/train.js';
import { errorMessage } from '../base/plainData.js';

export class LearnerLost extends Error {}

/** A round of no gradient steps: with `wantState`, it asks a learner for its state (and is how a run gets its initial parameters). */
export const EMPTY_ROUND: TrainRequest = { type: 'train', id: 0, obs: new Float32Array(0), actions: new Int32Array(0), rewards: new Float32Array(0), nextObs: new Float32Array(0), terminated: new Uint8Array(0), batchSize: 1, phases: [] };

export interface LearnerClient {
  readonly kind: 'process' | 'inline';
  readonly pid: number | undefined;
  readonly backend: string;
  /** One round; with `wantState: true` the reply carries the learner's complete state. */
  train(req: WantState): Promise<TrainReplyWithState>;
  train(req: TrainRequest): Promise<TrainReply>;
  close(): Promise<void>;
}

/** A round that asks for the learner's complete state. */
export type WantState = TrainRequest & { wantState: true };

/** The reply to `req`, refused if the round asked for the state and the reply lacks it. */
function withState(req: TrainRequest, r: TrainReply): TrainReply {
  if (req.wantState === true && r.state === undefined) throw new Error(`learner: the reply to training round ${req.id} lacks the state it asked for`);
  return r;
}

export class InlineLearner implements LearnerClient {
  readonly kind = 'inline';
  readonly pid = undefined;
  private readonly host: DqnLearnerHost;
  constructor(init: LearnerInit, readonly backend: string) {
    this.host = new DqnLearnerHost(init);
  }
  train(req: WantState): Promise<TrainReplyWithState>;
  train(req: TrainRequest): Promise<TrainReply>;
  async train(req: TrainRequest): Promise<TrainReply> {
    return withState(req, this.host.train(req));
  }
  async close(): Promise<void> {
    this.host.dispose();
  }
}

const ENTRY = new URL('../workers/learnerProcess.js', import.meta.url);

/** A reply to a request with an id (everything the learner process answers but 'ready'). */
type Reply = Exclude<FromLearner, { type: 'ready' }>;

/**
 * The learner process itself: forked with its own NNLAB_BACKEND, initialised with one learner
 * (`init` for DQN, `init-generative` for a generative model), then answering requests by id. A
 * request in flight when the process dies or its channel breaks fails with `LearnerLost`.
 */
export class LearnerProcess {
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  backend = 'unknown';
  private closing = false;
  /** Called when the process exits unexpectedly. */
  onExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;

  private constructor(private readonly child: ChildProcess) {}

  /** Forks the process, initialises its learner, and resolves once it is ready. */
  static async start(init: LearnerInit | GenerativeLearnerInit, backend?: string): Promise<LearnerProcess> {
    const env = { ...process.env };
    if (backend !== undefined) env.NNLAB_BACKEND = backend;
    const l = new LearnerProcess(fork(ENTRY, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ready = new Promise<void>((resolve, reject) => {
      const early = (code: number | null, signal: NodeJS.Signals | null) => reject(new Error(`learner process exited during start (${signal ?? code})`));
      l.child.once('exit', early);
      l.child.on('message', (raw) => {
        let msg: FromLearner;
        try {
          msg = parseFromLearner(raw);
        } catch (e) {
          // a learner that says what it should not is not trusted further: the start or the requests in flight fail with why, and it is stopped
          const refused = new Error(`learner process ${l.child.pid}: ${errorMessage(e)}`);
          l.closing = true;
          l.child.off('exit', early);
          l.child.kill('SIGKILL');
          reject(refused);
          for (const w of l.waiting.values()) w.reject(refused);
          l.waiting.clear();
          return;
        }
        if (msg.type === 'ready') {
          l.backend = msg.backend;
          l.child.off('exit', early);
          resolve();
        } else if (msg.type === 'failed' && msg.id === -1) {
          l.child.off('exit', early);
          l.child.kill('SIGKILL');
          reject(new Error(`learner process: ${msg.message}`));
        } else if (msg.type === 'failed') {
          l.waiting.get(msg.id)?.reject(new Error(`learner: ${msg.message}`));
          l.waiting.delete(msg.id);
        } else {
          l.waiting.get(msg.id)?.resolve(msg);
          l.waiting.delete(msg.id);
        }
      });
    });
    // a failed send reports to its callback; any other error of the channel loses the requests in flight (LearnerLost), not the run
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

  /** Sends a request and resolves with the reply of the same id. */
  request(req: TrainRequest | GenerativeLearnerRequest): Promise<Reply> {
    return new Promise((resolve, reject) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        reject(new LearnerLost(`learner process ${this.child.pid} is gone`));
        return;
      }
      this.waiting.set(req.id, { resolve, reject });
      // a learner that died a moment ago fails the write (EPIPE) before its exit is seen: the request is lost, not the run
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

/** A DQN learner in its own process. */
export class ProcessLearner implements LearnerClient {
  readonly kind = 'process';
  private constructor(readonly proc: LearnerProcess) {}

  static async start(init: LearnerInit, backend?: string): Promise<ProcessLearner> {
    return new ProcessLearner(await LearnerProcess.start(init, backend));
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get backend(): string {
    return this.proc.backend;
  }

  train(req: WantState): Promise<TrainReplyWithState>;
  train(req: TrainRequest): Promise<TrainReply>;
  async train(req: TrainRequest): Promise<TrainReply> {
    const r = await this.proc.request(req);
    if (r.type !== 'trained') throw new Error(`learner: a '${r.type}' reply to training round ${req.id}`);
    return withState(req, r);
  }

  close(): Promise<void> {
    return this.proc.close();
  }
}

/**
 * A DQN learner process that takes over once it is ready. Forking it and loading its imports take
 * about a tenth of a second (no tfjs: agents/dqnFused.ts), a round or two of a small net; until then the same learner
 * (workers/dqnLearnerHost.ts, on the coordinator's backend) trains in the coordinator's thread, and
 * the process's first round carries that learner's state, so every round's result is what the
 * process alone would have computed. Used when the process runs on the coordinator's backend.
 */
export class WarmStartLearner implements LearnerClient {
  readonly kind = 'process';
  private inline: InlineLearner | undefined;
  private proc: ProcessLearner | undefined;
  private failure: Error | undefined;

  constructor(
    init: LearnerInit,
    coordinatorBackend: string,
    private readonly starting: Promise<ProcessLearner>,
  ) {
    this.inline = new InlineLearner(init, coordinatorBackend);
    starting.then(
      (p) => (this.proc = p),
      // kept as an Error to rethrow: a non-Error rejection is named (errorMessage)
      (e: unknown) => (this.failure = e instanceof Error ? e : new Error(`the learner process did not start: ${errorMessage(e)}`)),
    );
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get backend(): string {
    return this.proc?.backend ?? this.inline?.backend ?? 'unknown';
  }

  train(req: WantState): Promise<TrainReplyWithState>;
  train(req: TrainRequest): Promise<TrainReply>;
  async train(req: TrainRequest): Promise<TrainReply> {
    if (this.failure !== undefined) throw this.failure;
    if (this.proc === undefined) {
      if (this.inline === undefined) throw new Error('learner: neither the process nor the learner in this thread is there (closed?)');
      return this.inline.train(req);
    }
    if (this.inline !== undefined) {
      // the hand-over: the process continues from the coordinator's learner as it is now
      const state = req.state ?? (await this.inline.train({ ...EMPTY_ROUND, id: req.id, wantState: true })).state;
      await this.inline.close();
      this.inline = undefined;
      return this.proc.train({ ...req, state });
    }
    return this.proc.train(req);
  }

  async close(): Promise<void> {
    await this.inline?.close();
    await (await this.starting.catch(() => undefined))?.close();
  }
}

/**
 * A generative model trained in the learner process (generative/train.ts `RemoteLearner`): one
 * iteration per request; the driver's copy pulls the parameters before it samples or evaluates;
 * saves are the process's own, optimiser state included.
 */
export class GenerativeProcessLearner implements RemoteLearner {
  private nextId = 1;
  private proc: LearnerProcess | undefined;

  constructor(private readonly backendName?: string) {}

  async start(kind: GenerativeKind, config: Record<string, unknown>, rng: RngState, loadDir?: string): Promise<void> {
    this.proc = await LearnerProcess.start({ type: 'init-generative', kind, config, rng, ...(loadDir !== undefined ? { loadDir } : {}) }, this.backendName);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get backend(): string {
    return this.proc?.backend ?? 'unknown';
  }

  private async ask(req: GenerativeLearnerRequest): Promise<Reply> {
    if (this.proc === undefined) throw new Error('generative learner process: not started');
    return this.proc.request(req);
  }

  async trainStep(batches: ImageBatch[]): Promise<Metrics> {
    const r = await this.ask({ type: 'gen-step', id: this.nextId++, batches });
    if (r.type !== 'gen-stepped') throw new Error(`learner: a '${r.type}' reply to a training step`);
    return r.metrics;
  }

  async pull(local: GenerativeLearner): Promise<void> {
    const r = await this.ask({ type: 'gen-pull', id: this.nextId++ });
    if (r.type !== 'gen-params') throw new Error(`learner: a '${r.type}' reply to a parameter pull`);
    local.setParams(r.params);
    if (r.stats !== undefined) local.setRunningStats?.(r.stats);
  }

  async save(dir: string): Promise<void> {
    const r = await this.ask({ type: 'gen-save', id: this.nextId++, dir });
    if (r.type !== 'gen-saved') throw new Error(`learner: a '${r.type}' reply to a save`);
  }

  async close(): Promise<void> {
    await this.proc?.close();
  }
}
