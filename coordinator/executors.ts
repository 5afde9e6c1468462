/**
 * Executors the scheduler hands tasks to: the local piscina thread pool, and the coordinator's
 * own thread (single-process runs). Remote workers are executors too (server.ts).
 */
import { Piscina } from 'piscina';
import { execute } from '../workers/thread.js';
import { ExecutorLost, type Executor } from './scheduler.js';
import { TASK_KINDS, type Task, type TaskKind, type TaskResult } from '../protocol/tasks.js';
import { errorMessage } from '../base/plainData.js';

const THREAD_FILE = new URL('../workers/thread.js', import.meta.url).href;

/** The variables of `env` that are set (process.env's type allows undefined values; a thread's env holds strings only). */
export function definedEnv(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
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
    try {
      return (await this.pool.run(task)) as TaskResult;
    } catch (e) {
      const msg = errorMessage(e);
      if (/worker exited|terminated/i.test(msg)) throw new ExecutorLost(`a rollout thread of ${this.id} died (${msg})`);
      throw e;
    }
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
