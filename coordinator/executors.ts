/**
 * Executors the scheduler hands tasks to: the local piscina thread pool, and the coordinator's
 * own thread (single-process runs). Remote workers are executors too (server.ts).
 */
import { Piscina } from 'piscina';
import { execute } from '../workers/thread.js';
import { BadResult, ExecutorLost, type Executor } from './scheduler.js';
import { TASK_KINDS, type Task, type TaskKind, type TaskResult } from '../protocol/tasks.js';
import { errorMessage } from '../base/plainData.js';
import { parseTaskResult } from '../protocol/messages.js';

/** The threads' entry: CommonJS around workers/thread.ts, never the ES module itself (workers/esmHandler.cts says why). */
const THREAD_FILE = new URL('../workers/threadEntry.cjs', import.meta.url).href;

/** The variables of `env` that are set (process.env's type allows undefined values; a thread's env holds strings only). */
export function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * A thread's answer to `task`, checked by the result schemas (protocol/messages.ts parseTaskResult)
 * where it is received: a malformed one is the executor's BadResult, naming it and the bad field
 * (the scheduler gives the task to another executor), never a result taken on trust.
 */
export function checkedThreadResult(out: unknown, executor: string, task: Task): TaskResult {
  const r = parseTaskResult(out);
  if (!r.ok) throw new BadResult(`a thread of ${executor} answered a ${task.kind} task with a malformed result: ${r.reason}`);
  return r.result;
}

/** piscina threads on this machine; a thread that dies is replaced by the pool, its task requeued. */
export class ThreadPoolExecutor implements Executor {
  readonly kind = 'thread';
  readonly kinds: ReadonlySet<TaskKind> = new Set(TASK_KINDS);
  private readonly pool: Piscina;

  constructor(
    readonly id: string,
    readonly capacity: number,
    env: Record<string, string | undefined> = process.env,
  ) {
    this.pool = new Piscina({ filename: THREAD_FILE, minThreads: capacity, maxThreads: capacity, idleTimeout: 60_000, env: definedEnv(env) });
  }

  async run(_taskId: number, task: Task): Promise<TaskResult> {
    let out: unknown; // piscina's run returns any: checkedThreadResult says whether it is a result
    try {
      out = await this.pool.run(task);
    } catch (e) {
      const msg = errorMessage(e);
      if (/worker exited|terminated/i.test(msg)) throw new ExecutorLost(`a thread of ${this.id} died running a ${task.kind} task (${msg})`); // the pool runs every kind of task
      throw e;
    }
    return checkedThreadResult(out, this.id, task);
  }

  get threads(): number {
    return this.pool.threads.length;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs tasks in the calling thread, one at a time (single-process runs; deterministic). */
export class InlineExecutor implements Executor {
  readonly kind = 'inline';
  readonly capacity = 1;
  readonly kinds: ReadonlySet<TaskKind> = new Set(TASK_KINDS);
  constructor(readonly id = 'inline') {}

  run(_taskId: number, task: Task): Promise<TaskResult> {
    if (task.kind === 'rollout' && task.crash === true) return Promise.reject(new ExecutorLost('inline executor: injected crash'));
    return execute(task);
  }

  async close(): Promise<void> {}
}
