/**
 * The piscina thread entry of `nnlab worker --queue`: runs one trial job's task (workers/trial.ts)
 * and sends its training curve to the worker's main thread through `port` as it grows, a batch at
 * most every 250 ms, so the main thread (which holds the job's lock in Redis) stays free.
 */
import type { MessagePort } from 'node:worker_threads';
import { runTrial } from './trial.js';
import type { TrialResult, TrialTask } from '../protocol/tasks.js';

export default async function ({ task, port }: { task: TrialTask; port: MessagePort }): Promise<TrialResult> {
  let pending: number[] = [];
  let last = performance.now();
  try {
    return await runTrial(task, (ret) => {
      pending.push(ret);
      const now = performance.now();
      if (now - last < 250) return;
      port.postMessage(pending);
      pending = [];
      last = now;
    });
  } finally {
    if (pending.length > 0) port.postMessage(pending);
    port.close();
  }
}
