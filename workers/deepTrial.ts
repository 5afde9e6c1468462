/**
 * A deep RL trial (DQN, REINFORCE, Actor-Critic, A2C) in the executing thread: the agent's
 * single-process trainer for `envSteps` env steps, then a greedy evaluation. Apart from
 * workers/trial.ts because it imports tfjs: trial.ts loads it on a thread's first deep trial.
 */
import { initBackend, backendInfo } from '../core/backend.js';
import { finalEvaluation } from '../agents/evaluate.js';
import { greedyPolicy } from '../agents/dqnActor.js';
import { isRlAlgo } from '../agents/algos.js';
import { RL_AGENTS } from '../agents/registry.js';
import type { Metrics } from '../base/metrics.js';
import { EPISODIC_RETURN } from '../agents/metricNames.js';
import { defaultEnvSteps, type RlTrialTask } from '../protocol/tasks.js';
import type { OnPoint } from './trial.js';

/** Trains a deep RL trial's agent; its curve is the training episodes' returns, its score the greedy mean return. */
export async function runDeepTrial(task: RlTrialTask, onEpisode: OnPoint | undefined): Promise<{ curve: Float64Array; finalScore: number }> {
  if (backendInfo() === undefined) await initBackend();
  const returns: number[] = [];
  const onMetrics = (m: Metrics) => {
    const r = m[EPISODIC_RETURN];
    if (r === undefined) return;
    returns.push(r);
    onEpisode?.(r);
  };
  const opts = { envId: task.env.id, kwargs: task.env.kwargs, config: task.config, totalTimesteps: task.envSteps ?? defaultEnvSteps(task.algo), onMetrics };
  // a task that crossed a socket may name anything
  if (!isRlAlgo(task.algo)) throw new Error(`trial: unknown algorithm '${String(task.algo)}'`);
  const entry = RL_AGENTS[task.algo];
  let finalScore: number;
  if (entry.family === 'dqn') {
    const { learner } = entry.train(opts);
    try {
      const policy = greedyPolicy(learner.getPolicyParams().params, learner.config.activation);
      finalScore = finalEvaluation(task.env.id, policy, { episodes: task.evalEpisodes, seed: learner.config.seed, kwargs: task.env.kwargs }).meanReturn;
    } finally {
      learner.dispose();
    }
  } else if (entry.family === 'policy-gradient') {
    const { learner } = entry.train(opts);
    try {
      const actor = learner.actor();
      finalScore = finalEvaluation(task.env.id, (obs) => actor.greedy(obs), { episodes: task.evalEpisodes, seed: learner.config.seed, kwargs: task.env.kwargs }).meanReturn;
    } finally {
      learner.dispose();
    }
  } else {
    throw new Error(`trial: '${task.algo}' is a tabular agent (workers/trial.ts trains it)`);
  }
  return { curve: Float64Array.from(returns), finalScore };
}
