/**
 * A deep RL trial (DQN, REINFORCE, Actor-Critic, A2C) in the executing thread: the agent's
 * single-process trainer for `envSteps` env steps, then a greedy evaluation. Apart from
 * workers/trial.ts because it imports tfjs: trial.ts loads it on a thread's first deep trial.
 */
import { initBackend, backendInfo } from '../core/backend.js';
import { EVAL_SEEDS, evaluatePolicy } from '../agents/evaluate.js';
import { trainDqn, greedyPolicy, type DqnConfig } from '../agents/dqn.js';
import { trainA2c } from '../agents/a2c.js';
import { trainActorCritic } from '../agents/actorCritic.js';
import { trainReinforce } from '../agents/reinforce.js';
import type { TrainPgOptions } from '../agents/onPolicy.js';
import type { Metrics } from '../agents/types.js';
import { DEEP_TRIAL_ENV_STEPS, type RlTrialTask } from '../protocol/tasks.js';
import type { OnPoint } from './trial.js';

/** The policy-gradient trainers (also what `nnlab run` trains in process: drivers/onPolicy.ts). */
export const PG_TRAINERS = { reinforce: trainReinforce, 'actor-critic': trainActorCritic, a2c: trainA2c } as const;

/** Trains a deep RL trial's agent; its curve is the training episodes' returns, its score the greedy mean return. */
export async function runDeepTrial(task: RlTrialTask, onEpisode: OnPoint | undefined): Promise<{ curve: Float64Array; finalScore: number }> {
  if (backendInfo() === undefined) await initBackend();
  const returns: number[] = [];
  const onMetrics = (m: Metrics) => {
    const r = m['charts/episodic_return'];
    if (r === undefined) return;
    returns.push(r);
    onEpisode?.(r);
  };
  const common = { envId: task.env.id, kwargs: task.env.kwargs, totalTimesteps: task.envSteps ?? DEEP_TRIAL_ENV_STEPS, onMetrics };
  let finalScore: number;
  if (task.algo === 'dqn') {
    const { learner } = trainDqn({ ...common, config: task.config as Partial<DqnConfig> });
    try {
      const policy = greedyPolicy(learner.getPolicyParams().params, learner.config.activation);
      finalScore = evaluatePolicy(task.env.id, policy, task.evalEpisodes, EVAL_SEEDS.final(learner.config.seed), task.env.kwargs).meanReturn;
    } finally {
      learner.dispose();
    }
  } else {
    const train = PG_TRAINERS[task.algo as keyof typeof PG_TRAINERS];
    if (train === undefined) throw new Error(`trial: unknown algorithm '${String(task.algo)}'`);
    const { learner } = (train as (o: TrainPgOptions<Record<string, unknown>>) => ReturnType<typeof trainA2c>)({ ...common, config: task.config });
    try {
      const actor = learner.actor();
      finalScore = evaluatePolicy<Float32Array, number | Float32Array>(task.env.id, (obs) => actor.greedy(obs), task.evalEpisodes, EVAL_SEEDS.final(learner.config.seed), task.env.kwargs).meanReturn;
    } finally {
      learner.dispose();
    }
  }
  return { curve: Float64Array.from(returns), finalScore };
}
