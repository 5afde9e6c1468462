/**
 * A trial: one whole tabular training run (a sweep point), trained and evaluated greedily in the
 * executing thread. Sweeps spread trials over threads and remote workers.
 */
import { make, type Env } from '../envs/index.js';
import { QLearning } from '../agents/qlearning.js';
import { Sarsa } from '../agents/sarsa.js';
import { ExpectedSarsa } from '../agents/expectedSarsa.js';
import { evaluateGreedy, trainTabular, type TabularConfig } from '../agents/tabular.js';
import { EVAL_SEEDS } from '../agents/evaluate.js';
import { ensureModule } from './envModules.js';
import type { TrialResult, TrialTask } from './tasks.js';

const AGENTS = { qlearning: QLearning, sarsa: Sarsa, 'expected-sarsa': ExpectedSarsa } as const;

export async function runTrial(task: TrialTask): Promise<TrialResult> {
  const t0 = performance.now();
  if (task.env.module !== undefined) await ensureModule(task.env.module);
  const Agent = AGENTS[task.algo];
  if (Agent === undefined) throw new Error(`trial: unknown tabular algorithm '${String(task.algo)}'`);
  const env = make(task.env.id, task.env.kwargs) as Env<number, number>;
  try {
    const agent = Agent.forEnv(env, task.config as Partial<TabularConfig>);
    const curve = trainTabular(env, agent, { episodes: task.episodes });
    const finalScore = evaluateGreedy(env, agent.params, task.evalEpisodes, EVAL_SEEDS.final(agent.config.seed));
    return { kind: 'trial', trial: task.trial, finalScore, curve, seconds: (performance.now() - t0) / 1000 };
  } finally {
    env.close();
  }
}
