/**
 * The scheduler: hands tasks to executors (the local piscina pool, remote workers, the
 * coordinator's own thread), tracks which executor holds each task, and when an executor dies
 * (a thread killed, a remote worker gone) puts its tasks back at the head of the queue for
 * another. A result is accepted once per task id: a late answer from a worker presumed dead is
 * dropped, so no work is lost or counted twice. Counts are kept for the tests and the dashboard.
 */
import type { Task, TaskKind, TaskResult } from '../workers/tasks.js';

/** Thrown by an executor whose worker died while holding a task: the task is requeued. */
export class ExecutorLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecutorLost';
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
  close(): Promise<void>;
}

export interface ExecutorStats {
  id: string;
  kind: Executor['kind'];
  alive: boolean;
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
  resolve: (r: TaskResult) => void;
  reject: (e: Error) => void;
  holder?: string;
  started?: number;
}

export interface SchedulerCounts {
  submitted: number;
  completed: number;
  /** Tasks put back because their executor died. */
  requeued: number;
  failed: number;
  /** Results dropped because their task was already done (or never assigned to that executor). */
  duplicates: number;
}

export class Scheduler {
  private readonly executors = new Map<string, { ex: Executor; busy: Set<number>; stats: ExecutorStats; items: number; seconds: number }>();
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<number, Pending>();
  private nextId = 1;
  readonly counts: SchedulerCounts = { submitted: 0, completed: 0, requeued: 0, failed: 0, duplicates: 0 };
  /** Called when executors or their state change (dashboard's worker table). */
  onChange: (() => void) | undefined;
  /** Called when an executor dies, with the ids of the tasks it held. */
  onLost: ((executor: string, taskIds: number[], reason: string) => void) | undefined;

  /**
   * Called on every dispatch (first or after a requeue) to bring a task up to date — e.g. a
   * requeued rollout gets the current policy parameters, not the ones of its first dispatch.
   */
  prepare: ((task: Task, attempt: number) => Task) | undefined;

  constructor(private readonly maxAttempts = 5) {}

  addExecutor(ex: Executor): void {
    if (this.executors.has(ex.id)) throw new Error(`executor '${ex.id}' is already registered`);
    this.executors.set(ex.id, {
      ex,
      busy: new Set(),
      items: 0,
      seconds: 0,
      stats: { id: ex.id, kind: ex.kind, alive: true, busy: 0, capacity: ex.capacity, tasksDone: 0, lost: 0, throughput: 0, lastSeen: Date.now() },
    });
    this.onChange?.();
    this.pump();
  }

  /** Removes an executor (its worker left or died); tasks it held go back to the queue. */
  removeExecutor(id: string, reason: string): void {
    const e = this.executors.get(id);
    if (e === undefined || !e.stats.alive) return;
    e.stats.alive = false;
    const held = [...e.busy];
    for (const taskId of held) this.requeue(taskId);
    e.busy.clear();
    e.stats.busy = 0;
    this.onLost?.(id, held, reason);
    this.onChange?.();
    this.pump();
  }

  /** Queues a task; resolves with its result, from whichever executor finishes it first. */
  submit(task: Task): Promise<TaskResult> {
    return new Promise((resolve, reject) => {
      this.counts.submitted++;
      this.queue.push({ id: this.nextId++, task, attempts: 0, resolve, reject });
      this.pump();
    });
  }

  /** Live executors that take a kind, and their total capacity. */
  capacity(kind: TaskKind): number {
    let n = 0;
    for (const e of this.executors.values()) if (e.stats.alive && e.ex.kinds.has(kind)) n += e.ex.capacity;
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

  /** Rejects everything still queued or running (the run is ending). */
  cancelAll(reason: string): void {
    for (const p of [...this.queue, ...this.inFlight.values()]) p.reject(new Error(reason));
    this.queue.length = 0;
    this.inFlight.clear();
    for (const e of this.executors.values()) e.busy.clear();
  }

  async close(): Promise<void> {
    this.cancelAll('scheduler closed');
    await Promise.all([...this.executors.values()].map((e) => e.ex.close().catch(() => undefined)));
    this.executors.clear();
  }

  private requeue(taskId: number): void {
    const p = this.inFlight.get(taskId);
    if (p === undefined) return;
    this.inFlight.delete(taskId);
    delete p.holder;
    this.counts.requeued++;
    if (p.attempts >= this.maxAttempts) {
      this.counts.failed++;
      p.reject(new Error(`task ${taskId} (${p.task.kind}) lost its executor ${p.attempts} times; giving up`));
      return;
    }
    this.queue.unshift(p);
  }

  private pickExecutor(kind: TaskKind): { ex: Executor; busy: Set<number> } | undefined {
    let best: { ex: Executor; busy: Set<number> } | undefined;
    let bestFree = 0;
    for (const e of this.executors.values()) {
      if (!e.stats.alive || !e.ex.kinds.has(kind)) continue;
      const free = e.ex.capacity - e.busy.size;
      if (free > bestFree) {
        best = e;
        bestFree = free;
      }
    }
    return best;
  }

  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const p = this.queue[i]!;
      const target = this.pickExecutor(p.task.kind);
      if (target === undefined) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.dispatch(p, target);
    }
  }

  private dispatch(p: Pending, target: { ex: Executor; busy: Set<number> }): void {
    const { ex } = target;
    p.attempts++;
    if (this.prepare !== undefined) p.task = this.prepare(p.task, p.attempts);
    p.holder = ex.id;
    p.started = performance.now();
    this.inFlight.set(p.id, p);
    target.busy.add(p.id);
    const entry = this.executors.get(ex.id)!;
    entry.stats.busy = target.busy.size;
    ex.run(p.id, p.task).then(
      (result) => this.finish(ex.id, p.id, result),
      (err: Error) => {
        if (err instanceof ExecutorLost) {
          // the worker holding it died: the executor goes, its tasks are requeued
          if (ex.kind === 'thread') {
            // a pool replaces a dead thread itself: only this task is requeued
            entry.stats.lost++;
            target.busy.delete(p.id);
            entry.stats.busy = target.busy.size;
            this.requeue(p.id);
            this.onLost?.(ex.id, [p.id], err.message);
            this.onChange?.();
            this.pump();
          } else this.removeExecutor(ex.id, err.message);
          return;
        }
        const mine = this.inFlight.get(p.id);
        if (mine === undefined || mine.holder !== ex.id) return;
        this.inFlight.delete(p.id);
        target.busy.delete(p.id);
        entry.stats.busy = target.busy.size;
        this.counts.failed++;
        p.reject(new Error(`task ${p.id} (${p.task.kind}) failed on ${ex.id}: ${err.message}`));
        this.pump();
      },
    );
  }

  private finish(executorId: string, taskId: number, result: TaskResult): void {
    const p = this.inFlight.get(taskId);
    const entry = this.executors.get(executorId);
    if (p === undefined || p.holder !== executorId || entry === undefined) {
      this.counts.duplicates++;
      return;
    }
    this.inFlight.delete(taskId);
    entry.busy.delete(taskId);
    entry.stats.busy = entry.busy.size;
    entry.stats.tasksDone++;
    entry.stats.lastSeen = Date.now();
    entry.items += result.kind === 'rollout' ? result.count : 1;
    entry.seconds += (performance.now() - p.started!) / 1000;
    entry.stats.throughput = entry.seconds > 0 ? entry.items / entry.seconds : 0;
    this.counts.completed++;
    p.resolve(result);
    this.onChange?.();
    this.pump();
  }
}
