/**
 * The scheduler: hands tasks to executors (the local piscina pool, remote workers, the
 * coordinator's own thread), tracks which executor holds each task, and when an executor dies
 * (a thread killed, a remote worker gone) puts its tasks back at the head of the queue for
 * another. Every dispatch of a task has its own id (the task id on the wire): an answer is
 * accepted once, for the dispatch still live, so no work is lost or counted twice.
 *
 * One bad worker never ends a run. Every result is checked against its task (validate.ts); a bad
 * one, a `task_error`, or no answer before the task's deadline sends the task to another executor
 * (a different one where possible) and tells the worker why; a task fails the run only after
 * `maxFailures` such failures, with a message naming each executor and its problem. A remote
 * worker that misses a deadline is suspect (no new tasks until it answers); one with
 * `maxStrikes` bad results, task errors or missed deadlines is quarantined: dropped, its
 * connection closed naming the reason. Local executors run this repository's code: they are never
 * quarantined, their failures only count against the task.
 */
import { answers, type ResultFor, type Task, type TaskKind, type TaskResult } from '../protocol/tasks.js';
import type { ExecutorState, TaskFaultCode } from '../protocol/messages.js';
import { validateResult, wrongKind } from '../drivers/validate.js';
import type { SchedulerCounts, TaskScheduler } from '../drivers/context.js';
import { median } from '../base/stats.js';
import { errorMessage } from '../base/plainData.js';

export type { SchedulerCounts };

export type { ExecutorState, TaskFaultCode };

/** Thrown by an executor whose worker died while holding a task: the task is requeued. */
export class ExecutorLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorLost';
  }
}

/** Thrown by an executor whose worker answered with a result that failed the protocol's schema. */
export class BadResult extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadResult';
  }
}

export interface Executor {
  readonly id: string;
  readonly kind: 'thread' | 'remote' | 'inline';
  /** Tasks it runs at once. */
  readonly capacity: number;
  readonly kinds: ReadonlySet<TaskKind>;
  /** Runs a task; rejects with ExecutorLost if the worker died, with another error if the task failed. */
  run(taskId: number, task: Task): Promise<TaskResult>;
  /** Tells the worker that its answer to a task was refused, or the task taken back (remote: an error frame). */
  refuse?(taskId: number, code: TaskFaultCode, message: string): void;
  /** Drops the worker for good (remote: closes its connection naming the reason). */
  quarantine?(reason: string): void;
  close(): Promise<void>;
}

export interface ExecutorStats {
  id: string;
  kind: Executor['kind'];
  alive: boolean;
  state: ExecutorState;
  /** Why it is suspect, quarantined or dead. */
  reason?: string;
  /** Bad results, task errors and missed deadlines so far. */
  strikes: number;
  busy: number;
  capacity: number;
  tasksDone: number;
  lost: number;
  /** Items (env steps, trials) per second over its finished tasks. */
  throughput: number;
  lastSeen: number;
}

interface Pending {
  id: number;
  task: Task;
  attempts: number;
  /**
   * Resolves `submit`'s promise with a result if it is of the submitted task's kind (what
   * `submit`'s type promises; `prepare` may have rewritten the task); otherwise returns the
   * problem and resolves nothing.
   */
  answer: (r: TaskResult) => string | undefined;
  reject: (e: Error) => void;
  /** Bad results, task errors and missed deadlines, in order. */
  failures: { executor: string; problem: string }[];
  /** Executors that failed it (it goes to another if one can take it). */
  avoid: Set<string>;
}

/** A live dispatch: its task, the executor that holds it, and when it was dispatched (performance.now()). */
interface InFlight {
  p: Pending;
  holder: Entry;
  started: number;
}

interface Entry {
  ex: Executor;
  /** Dispatch ids it holds (a timed-out one stays until the worker answers). */
  busy: Set<number>;
  stats: ExecutorStats;
  items: number;
  seconds: number;
  /** While suspect: since when it has been silent, and the deadline it missed. */
  silent?: { since: number; ms: number };
}


export interface SchedulerOptions {
  /** Times a task may lose its executor (a death) before it fails. */
  maxAttempts?: number;
  /** Bad results, task errors and missed deadlines a task may have before it fails the run. */
  maxFailures?: number;
  /** Strikes that quarantine a remote worker. */
  maxStrikes?: number;
  /** Fixed task deadline in seconds (spec `workers.taskTimeout`); default: `timeoutFactor` × the median task time of the kind, at least `minTimeout`. */
  taskTimeout?: number;
  timeoutFactor?: number;
  /** Floor of the default deadline, seconds. */
  minTimeout?: number;
}

/** Median task times are taken over this many recent tasks of a kind. */
const TIMES_KEPT = 64;

export class Scheduler implements TaskScheduler {
  private readonly executors = new Map<string, Entry>();
  private readonly queue: Pending[] = [];
  /** Live dispatches by dispatch id. */
  private readonly inFlight = new Map<number, InFlight>();
  /** Dispatches whose deadline passed (an answer to one is late). */
  private readonly retired = new Set<number>();
  private readonly times = new Map<TaskKind, number[]>();
  private nextId = 1;
  private nextDispatch = 1;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly opts: Required<Omit<SchedulerOptions, 'taskTimeout'>> & { taskTimeout?: number };
  readonly counts: SchedulerCounts = { submitted: 0, completed: 0, requeued: 0, failed: 0, duplicates: 0, invalid: 0, taskErrors: 0, timeouts: 0, late: 0, quarantined: 0 };
  /** Called when executors or their state change (dashboard's worker table). */
  onChange: (() => void) | undefined;
  /** Called when an executor dies, with the ids of the tasks it held. */
  onLost: ((executor: string, taskIds: number[], reason: string) => void) | undefined;
  /** Called when an executor fails a task (bad result, task error, missed deadline); the task is retried or fails. */
  onFault: ((executor: string, taskId: number, code: TaskFaultCode, problem: string) => void) | undefined;
  /** Called when a remote worker is quarantined. */
  onQuarantine: ((executor: string, reason: string) => void) | undefined;

  /**
   * Called on every dispatch (first or after a requeue) to bring a task up to date — e.g. a
   * requeued rollout gets the current policy parameters, not the ones of its first dispatch.
   */
  prepare: ((task: Task, attempt: number) => Task) | undefined;

  /** Checks a result against its task; a problem (one line) refuses it. */
  validate: (task: Task, result: TaskResult) => string | undefined = validateResult;

  constructor(opts: SchedulerOptions = {}) {
    this.opts = { maxAttempts: 5, maxFailures: 3, maxStrikes: 3, timeoutFactor: 10, minTimeout: 10, ...opts };
  }

  addExecutor(ex: Executor): void {
    if (this.executors.has(ex.id)) throw new Error(`executor '${ex.id}' is already registered`);
    this.executors.set(ex.id, {
      ex,
      busy: new Set(),
      items: 0,
      seconds: 0,
      stats: { id: ex.id, kind: ex.kind, alive: true, state: 'alive', strikes: 0, busy: 0, capacity: ex.capacity, tasksDone: 0, lost: 0, throughput: 0, lastSeen: Date.now() },
    });
    this.onChange?.();
    this.pump();
  }

  /** Removes an executor (its worker left or died); tasks it held go back to the queue. */
  removeExecutor(id: string, reason: string): void {
    const e = this.executors.get(id);
    if (e === undefined || !e.stats.alive) return;
    const held = this.drop(e, 'dead', reason);
    this.onLost?.(id, held, reason);
    this.onChange?.();
    this.pump();
  }

  /**
   * Closes this machine's thread executors for the rest of the run (the run found its own thread
   * faster): they take no more tasks, their threads end and free their memory, and the worker
   * table shows them closed with `reason`. Tasks they hold go back to the queue; remote workers
   * are not touched (they may leave on their own).
   */
  async closeThreads(reason: string): Promise<void> {
    const closing = [...this.executors.values()].filter((e) => e.ex.kind === 'thread' && e.stats.alive);
    for (const e of closing) this.drop(e, 'closed', reason);
    this.onChange?.();
    this.pump();
    await Promise.all(closing.map((e) => e.ex.close()));
  }

  /** Queues a task; resolves with its result, from whichever executor finishes it first. */
  submit<T extends Task>(task: T): Promise<ResultFor<T>> {
    return new Promise((resolve, reject) => {
      this.counts.submitted++;
      const answer = (r: TaskResult): string | undefined => {
        if (!answers(task, r)) return wrongKind(task, r);
        resolve(r);
        return undefined;
      };
      this.queue.push({ id: this.nextId++, task, attempts: 0, answer, reject, failures: [], avoid: new Set() });
      this.pump();
    });
  }

  /** Executors that take tasks of a kind now (alive, not suspect), and their total capacity. */
  capacity(kind: TaskKind): number {
    let n = 0;
    for (const e of this.executors.values()) if (e.stats.state === 'alive' && e.ex.kinds.has(kind)) n += e.ex.capacity;
    return n;
  }

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.inFlight.size;
  }

  stats(): ExecutorStats[] {
    return [...this.executors.values()].map((e) => ({ ...e.stats }));
  }

  /** Marks an executor as seen now (heartbeat). */
  touch(id: string): void {
    const e = this.executors.get(id);
    if (e !== undefined) e.stats.lastSeen = Date.now();
  }

  /** The deadline of a task of this kind in ms, or undefined while there is none (no fixed timeout, and no task of the kind finished yet). */
  deadline(kind: TaskKind): number | undefined {
    if (this.opts.taskTimeout !== undefined) return this.opts.taskTimeout * 1000;
    const t = this.times.get(kind);
    if (t === undefined || t.length === 0) return undefined;
    return Math.max(this.opts.minTimeout * 1000, this.opts.timeoutFactor * median(t));
  }

  /** Rejects everything still queued or running (the run is ending). */
  cancelAll(reason: string): void {
    for (const p of this.queue) p.reject(new Error(reason));
    for (const { p } of this.inFlight.values()) p.reject(new Error(reason));
    this.queue.length = 0;
    this.inFlight.clear();
    for (const e of this.executors.values()) e.busy.clear();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.cancelAll('scheduler closed');
    await Promise.all([...this.executors.values()].map((e) => e.ex.close().catch(() => undefined)));
    this.executors.clear();
  }

  /** Marks an executor gone (dead, quarantined or closed) and requeues the dispatches it held; returns their task ids. */
  private drop(e: Entry, state: 'dead' | 'quarantined' | 'closed', reason: string): number[] {
    e.stats.alive = false;
    e.stats.state = state;
    e.stats.reason = reason;
    delete e.silent;
    const held: number[] = [];
    for (const d of e.busy) {
      const run = this.inFlight.get(d);
      if (run !== undefined) held.push(run.p.id);
      this.requeue(d);
    }
    e.busy.clear();
    e.stats.busy = 0;
    return held;
  }

  /** Puts a live dispatch's task back at the head of the queue (its executor died). */
  private requeue(dispatch: number): void {
    const run = this.inFlight.get(dispatch);
    if (run === undefined) return;
    const { p } = run;
    this.inFlight.delete(dispatch);
    this.counts.requeued++;
    if (p.attempts - p.failures.length >= this.opts.maxAttempts) {
      this.counts.failed++;
      p.reject(new Error(`task ${p.id} (${p.task.kind}) lost its executor ${p.attempts} times; giving up`));
      return;
    }
    this.queue.unshift(p);
  }

  /** Whether an executor runs code from elsewhere (only those are suspected and quarantined). */
  private static untrusted(e: Entry): boolean {
    return e.ex.kind === 'remote';
  }

  /**
   * The executor for a task: a free one that has not failed it, else — when every executor that
   * could take it has failed it — a free one of those; undefined to wait.
   */
  private pickExecutor(p: Pending): Entry | undefined {
    let best: Entry | undefined;
    let fallback: Entry | undefined;
    let fresh = false;
    for (const e of this.executors.values()) {
      if (e.stats.state !== 'alive' || !e.ex.kinds.has(p.task.kind)) continue;
      const free = e.ex.capacity - e.busy.size;
      if (p.avoid.has(e.ex.id)) {
        if (free > 0 && (fallback === undefined || free > fallback.ex.capacity - fallback.busy.size)) fallback = e;
        continue;
      }
      fresh = true;
      if (free > 0 && (best === undefined || free > best.ex.capacity - best.busy.size)) best = e;
    }
    return best ?? (fresh ? undefined : fallback);
  }

  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const p = this.queue[i]!;
      const target = this.pickExecutor(p);
      if (target === undefined) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.dispatch(p, target);
    }
  }

  private dispatch(p: Pending, target: Entry): void {
    const { ex } = target;
    const d = this.nextDispatch++;
    p.attempts++;
    if (this.prepare !== undefined) p.task = this.prepare(p.task, p.attempts);
    const run: InFlight = { p, holder: target, started: performance.now() };
    this.inFlight.set(d, run);
    target.busy.add(d);
    target.stats.busy = target.busy.size;
    this.sweeper ??= setInterval(() => this.sweep(), 250).unref();
    ex.run(d, p.task).then(
      (result) => this.settle(run, d, { result }),
      // an executor rejects with anything its task threw: a user env may throw a string
      (error: unknown) => this.settle(run, d, { error }),
    );
  }

  /** An answer to dispatch `d` (a result, a failure or the worker's death). */
  private settle(run: InFlight, d: number, out: { result: TaskResult } | { error: unknown }): void {
    const { p, holder: entry } = run;
    if (this.executors.get(entry.ex.id) !== entry) return; // the scheduler was closed
    const live = this.inFlight.get(d) === run;
    if ('error' in out && out.error instanceof ExecutorLost) {
      if (entry.ex.kind === 'thread') {
        // a pool replaces a dead thread itself: only this task is requeued
        entry.busy.delete(d);
        entry.stats.busy = entry.busy.size;
        entry.stats.lost++;
        if (live) {
          this.requeue(d);
          this.onLost?.(entry.ex.id, [p.id], out.error.message);
        }
        this.onChange?.();
        this.pump();
      } else this.removeExecutor(entry.ex.id, out.error.message);
      return;
    }
    entry.busy.delete(d);
    entry.stats.busy = entry.busy.size;
    entry.stats.lastSeen = Date.now();
    if (entry.stats.state === 'suspect') {
      // it answered: it takes tasks again
      entry.stats.state = 'alive';
      delete entry.stats.reason;
      delete entry.silent;
    }
    if (!live) {
      // a late answer (its deadline passed and the task went elsewhere) is dropped, never counted
      if (this.retired.delete(d)) this.counts.late++;
      else this.counts.duplicates++;
      this.onChange?.();
      this.pump();
      return;
    }
    this.inFlight.delete(d);
    if ('result' in out) {
      let problem: string | undefined;
      try {
        problem = this.validate(p.task, out.result);
      } catch (e) {
        problem = `the result could not be checked (${errorMessage(e)})`;
      }
      problem ??= this.complete(run, out.result);
      if (problem === undefined) return;
      this.counts.invalid++;
      this.fail(entry, p, d, 'bad_result', `bad result: ${problem}`);
    } else if (out.error instanceof BadResult) {
      this.counts.invalid++;
      this.fail(entry, p, d, 'bad_result', `bad result: ${out.error.message}`);
    } else {
      this.counts.taskErrors++;
      this.fail(entry, p, d, 'task_error', `task error: ${errorMessage(out.error)}`);
    }
  }

  /** Answers a task with a sound result; returns the problem, answering nothing, if the result is not of the submitted task's kind. */
  private complete({ p, holder: entry, started }: InFlight, result: TaskResult): string | undefined {
    const wrong = p.answer(result);
    if (wrong !== undefined) return wrong;
    entry.stats.tasksDone++;
    const seconds = (performance.now() - started) / 1000;
    entry.items += result.kind === 'rollout' ? result.count : 1;
    entry.seconds += seconds;
    entry.stats.throughput = entry.seconds > 0 ? entry.items / entry.seconds : 0;
    let t = this.times.get(p.task.kind);
    if (t === undefined) this.times.set(p.task.kind, (t = []));
    t.push(seconds * 1000);
    if (t.length > TIMES_KEPT) t.shift();
    this.counts.completed++;
    this.onChange?.();
    this.pump();
    return undefined;
  }

  /**
   * An executor failed a task (dispatch `d`, already taken off the live ones): the worker is
   * told, a remote one gets a strike, and the task goes to another executor — or, after
   * `maxFailures` failures, fails naming every executor and its problem.
   */
  private fail(entry: Entry, p: Pending, d: number, code: TaskFaultCode, problem: string): void {
    const id = entry.ex.id;
    p.failures.push({ executor: id, problem });
    p.avoid.add(id);
    const last = p.failures.length >= this.opts.maxFailures;
    entry.ex.refuse?.(d, code, `task ${d} refused: ${problem}; ${last ? `it failed ${p.failures.length} times: the run gives it up` : 'it goes to another worker'}`);
    this.onFault?.(id, p.id, code, problem);
    if (last) {
      this.counts.failed++;
      p.reject(new Error(`task ${p.id} (${p.task.kind}) failed ${p.failures.length} times: ${p.failures.map((f) => `${f.executor}: ${f.problem}`).join('; ')}`));
    } else {
      this.counts.requeued++;
      this.queue.unshift(p);
    }
    if (Scheduler.untrusted(entry)) this.strike(entry, problem);
    this.onChange?.();
    this.pump();
  }

  /** One more strike against a remote worker; at `maxStrikes` it is quarantined. */
  private strike(entry: Entry, problem: string): void {
    entry.stats.strikes++;
    if (entry.stats.strikes < this.opts.maxStrikes || !entry.stats.alive) return;
    const reason = `${entry.stats.strikes} bad answers, the last: ${problem}`;
    this.counts.quarantined++;
    const held = this.drop(entry, 'quarantined', reason);
    this.onQuarantine?.(entry.ex.id, reason);
    if (held.length > 0) this.onLost?.(entry.ex.id, held, `quarantined: ${reason}`);
    entry.ex.quarantine?.(reason);
  }

  /** Deadlines: a live dispatch past its kind's deadline is taken back; a suspect worker still silent a deadline later gets another strike. */
  private sweep(): void {
    const now = performance.now();
    for (const [d, { p, holder: entry, started }] of this.inFlight) {
      const ms = this.deadline(p.task.kind);
      if (ms === undefined || now - started < ms) continue;
      this.inFlight.delete(d);
      this.retired.add(d); // its slot stays busy until the worker answers
      this.counts.timeouts++;
      if (Scheduler.untrusted(entry) && entry.stats.state === 'alive') {
        entry.stats.state = 'suspect';
        entry.stats.reason = `no answer to task ${d} within ${(ms / 1000).toFixed(1)} s`;
        entry.silent = { since: now, ms };
      }
      this.fail(entry, p, d, 'task_timeout', `no result within ${(ms / 1000).toFixed(1)} s`);
    }
    for (const e of this.executors.values()) {
      if (e.silent === undefined || now - e.silent.since < e.silent.ms) continue;
      e.silent.since = now;
      this.strike(e, `still silent ${(e.silent.ms / 1000).toFixed(1)} s after a missed deadline`);
      this.onChange?.();
    }
    if (this.inFlight.size === 0 && ![...this.executors.values()].some((e) => e.silent !== undefined)) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }
}
