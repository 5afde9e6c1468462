/**
 * Evaluation tasks: greedy episodes of a frozen DQN policy (agents/evaluate.ts `evaluatePolicy`,
 * the typed-array forward of agents/dqnActor.ts `greedyPolicy`: no tensors), on the blocks of
 * seeds a goal check plays (agents/evaluate.ts `GoalRule`).
 */
import { evaluatePolicy } from '../agents/evaluate.js';
import { greedyPolicy } from '../agents/dqnActor.js';
import { fusedGemm } from '../core/fused.js';
import { ensureModule } from './envModules.js';
import type { EvaluateResult, EvaluateTask } from '../protocol/tasks.js';

export async function runEvaluate(task: EvaluateTask): Promise<EvaluateResult> {
  await fusedGemm();
  if (task.env.module !== undefined) await ensureModule(task.env.module);
  const e = evaluatePolicy(task.env.id, greedyPolicy(task.policy.params, task.policy.activation), task.episodes, task.firstSeed, task.env.kwargs);
  return { kind: 'evaluate', returns: Float64Array.from(e.returns), lengths: Int32Array.from(e.lengths), policyVersion: task.policy.version };
}
