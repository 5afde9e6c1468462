/**
 * A trial: one whole training run of any RL agent (a sweep point), trained and then evaluated
 * greedily in the executing thread. Tabular agents train for `episodes` episodes; the deep agents
 * (DQN, REINFORCE, Actor-Critic, A2C) for `envSteps` env steps with their single-process trainers.
 * The same function runs a sweep's trial tasks (threads, WebSocket workers) and the trial jobs of
 * a queue-backed sweep (workers/queueWorker.ts).
 */
import { make, type Env } from '../envs/index.js';
import { initBackend, backendInfo } from '../core/backend.js';
import { QLearning } from '../agents/qlearning.js';
import { Sarsa } from '../agents/sarsa.js';
import { ExpectedSarsa } from '../agents/expectedSarsa.js';
import { evaluateGreedy, trainTabular, type TabularConfig } from '../agents/tabular.js';
import { EVAL_SEEDS, evaluatePolicy } from '../agents/evaluate.js';
import { trainDqn, greedyPolicy, type DqnConfig } from '../agents/dqn.js';
import { trainA2c } from '../agents/a2c.js';
import { trainActorCritic } from '../agents/actorCritic.js';
import { trainReinforce } from '../agents/reinforce.js';
import type { TrainPgOptions } from '../agents/onPolicy.js';
import type { Metrics } from '../agents/types.js';
import { ensureModule } from './envModules.js';
import { DEEP_TRIAL_ENV_STEPS, type TrialResult, type TrialTask } from '../protocol/tasks.js';

const TABULAR = { qlearning: QLearning, sarsa: Sarsa, 'expected-sarsa': ExpectedSarsa } as const;

/** The policy-gradient trainers (also what `nnlab run` trains in process: coordinator/inProcess.ts). */
export const PG_TRAINERS = { reinforce: trainReinforce, 'actor-critic': trainActorCritic, a2c: trainA2c } as const;

/** Called with the return of each training episode as it ends (a queue job reports these as progress). */
export type OnEpisode = (episodicReturn: number) => void;

/** Runs one whole trial (module doc); `onEpisode` sees the training curve as it grows. */
export async function runTrial(task: TrialTask, onEpisode?: OnEpisode): Promise<TrialResult> {
  const t0 = performance.now();
  if (task.env.module !== undefined) await ensureModule(task.env.module);
  const { curve, finalScore } = Object.hasOwn(TABULAR, task.algo) ? runTabular(task, onEpisode) : await runDeep(task, onEpisode);
  return { kind: 'trial', trial: task.trial, finalScore, curve, seconds: (performance.now() - t0) / 1000 };
}

function runTabular(task: TrialTask, onEpisode: OnEpisode | undefined): { curve: Float64Array; finalScore: number } {
  const Agent = TABULAR[task.algo as keyof typeof TABULAR];
  const env = make(task.env.id, task.env.kwargs) as Env<number, number>;
  try {
    const agent = Agent.forEnv(env, task.config as Partial<TabularConfig>);
    const opts: Parameters<typeof trainTabular>[2] = { episodes: task.episodes };
    if (onEpisode !== undefined) opts.onMetrics = (m) => onEpisode(m['charts/episodic_return']!);
    const curve = trainTabular(env, agent, opts);
    return { curve, finalScore: evaluateGreedy(env, agent.params, task.evalEpisodes, EVAL_SEEDS.final(agent.config.seed)) };
  } finally {
    env.close();
  }
}

async function runDeep(task: TrialTask, onEpisode: OnEpisode | undefined): Promise<{ curve: Float64Array; finalScore: number }> {
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
