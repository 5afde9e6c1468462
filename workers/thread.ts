/**
 * The piscina worker thread's handler (its pools start from the CommonJS workers/threadEntry.cts,
 * which imports this): one typed task in, one typed result out, its buffers moved (transferred)
 * back rather than copied. Threads keep per-run rollout envs between tasks.
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { runRollout } from './rollout.js';
import { runTrial } from './trial.js';
import { runEvaluate } from './evaluate.js';
import { resultBuffers, type Task, type TaskResult } from '../protocol/tasks.js';

export async function execute(task: Task): Promise<TaskResult> {
  switch (task.kind) {
    case 'rollout':
      if (task.crash === true) process.exit(70); // fault injection: this thread dies mid-task
      return runRollout(task);
    case 'trial':
      return runTrial(task);
    case 'gradient':
      return (await import('./gradient.js')).runGradient(task);
    case 'evaluate':
      return runEvaluate(task);
    default:
      throw new Error(`unknown task kind '${(task as { kind: unknown }).kind}'`);
  }
}

/** Moves the result's typed-array buffers to the caller instead of copying them. */
class Moved {
  constructor(private readonly value: TaskResult) {}
  get [transferableSymbol](): ArrayBuffer[] {
    return resultBuffers(this.value);
  }
  get [valueSymbol](): TaskResult {
    return this.value;
  }
}

export default async function (task: Task): Promise<unknown> {
  const result = await execute(task);
  return move(new Moved(result));
}
