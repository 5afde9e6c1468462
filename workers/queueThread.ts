/**
 * The piscina thread's handler of `nnlab worker --queue` (its pool starts from the CommonJS
 * workers/queueThreadEntry.cts, which imports this): runs one trial job's task (workers/trial.ts)
 * and records its training curve as it grows in the shared `progress` slot (workers/trialProgress.ts),
 * which the worker's main thread (it holds the job's lock in Redis) reads when it reports.
 */
import { runTrial } from './trial.js';
import { TrialProgress } from './trialProgress.js';
import type { TrialResult, TrialTask } from '../protocol/tasks.js';

/** What the worker's main thread passes for one job: its task and the progress slot's shared memory. */
export interface QueueThreadPayload {
  task: TrialTask;
  progress: SharedArrayBuffer;
}

export default async function ({ task, progress }: QueueThreadPayload): Promise<TrialResult> {
  const slot = new TrialProgress(progress);
  return runTrial(task, (point) => slot.push(point));
}
