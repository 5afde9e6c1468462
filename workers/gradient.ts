/**
 * Data-parallel gradients (synchronous SGD, as PyTorch DDP without synchronised batchnorm): a
 * thread holds a copy of a generative model, takes the current parameters (when their version
 * changed) and one shard of a minibatch, and returns the gradient of one phase's loss on that shard
 * as data. The learner averages the shards' gradients weighted by shard size — the full batch's
 * mean gradient — and applies it with its optimiser.
 */
import { initBackend, backendInfo } from '../core/backend.js';
import { makeGenerativeLearner } from '../generative/models.js';
import type { GenerativeLearner } from '../generative/types.js';
import type { GradientResult, GradientTask } from '../protocol/tasks.js';

/**
 * The model copy of the run this thread computes gradients for. A thread serves one run at a time
 * (a run's thread pool, a remote worker's connection), so a task of another run means the earlier
 * run's gradient work is over: its copy is disposed (closeGradients) before the new one is made,
 * and a thread that served several runs one after another (the coordinator's own, running tasks
 * inline) holds only the current run's.
 */
const models = new Map<string, { learner: GenerativeLearner; version: number }>();

export async function runGradient(task: GradientTask): Promise<GradientResult> {
  if (backendInfo() === undefined) await initBackend();
  let m = models.get(task.runId);
  if (m === undefined) {
    for (const earlier of [...models.keys()]) closeGradients(earlier);
    m = { learner: makeGenerativeLearner(task.model.kind, task.model.config, task.model.seed), version: -1 };
    models.set(task.runId, m);
  }
  if (m.version !== task.paramsVersion) {
    m.learner.setParams(task.params);
    m.version = task.paramsVersion;
  }
  const { grads, metrics } = m.learner.computeGradients(task.phase, task.batch);
  const stats = m.learner.runningStats?.();
  return { kind: 'gradient', grads, metrics, n: task.batch.n, ...(stats !== undefined && Object.keys(stats).length > 0 ? { stats } : {}) };
}

/** Forgets a run's model copy and frees its tensors. */
export function closeGradients(runId: string): void {
  models.get(runId)?.learner.dispose();
  models.delete(runId);
}
