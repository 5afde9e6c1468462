/**
 * The registry of RL algorithms: one entry per name of agents/algos.ts, of the family named there,
 * each with what its callers need: the config check of a spec's `agent.config` (drivers/specCheck.ts),
 * and the tabular agent's class (tabularAgents.ts; workers/trial.ts, drivers/train.ts) or the deep
 * agent's single-process trainer (workers/deepTrial.ts, drivers/onPolicy.ts). Like
 * generative/models.ts for the generative kinds. A name without an entry, or with one of another
 * family, fails to compile.
 */
import { RL_FAMILY, type ConfigResolver, type RlAlgo, type RlFamily } from './algos.js';
import { TABULAR_AGENTS, type TabularEntry } from './tabularAgents.js';
import { resolveDqnConfig, trainDqn, type TrainDqnOptions, type TrainDqnResult } from './dqn.js';
import { resolveA2cConfig, trainA2c } from './a2c.js';
import { resolveActorCriticConfig, trainActorCritic } from './actorCritic.js';
import { resolveReinforceConfig, trainReinforce } from './reinforce.js';
import type { TrainPgOptions, TrainPgResult } from './onPolicy.js';
import type { PgLearnerConfig, PolicyGradientLearner } from './pgLearner.js';

/** Any policy-gradient learner, as its trainer returns it. */
export type PgLearner = PolicyGradientLearner<unknown, PgLearnerConfig>;

/** A trainer's options with the config as a spec or task gives it (the trainer's resolver checks it). */
export type WithSpecConfig<O> = Omit<O, 'config'> & { config?: Record<string, unknown> };

/** A policy-gradient algorithm's entry (REINFORCE, Actor-Critic, A2C): its config check and trainer. */
export interface PgEntry {
  family: 'policy-gradient';
  resolve: ConfigResolver;
  train(opts: WithSpecConfig<TrainPgOptions<PgLearnerConfig>>): TrainPgResult<PgLearner>;
}

/** DQN's entry: its config check and trainer. */
export interface DqnEntry {
  family: 'dqn';
  resolve: ConfigResolver;
  train(opts: WithSpecConfig<TrainDqnOptions>): TrainDqnResult;
}

export type RlAgentEntry = TabularEntry | PgEntry | DqnEntry;

/** The entry type of family `F`. */
export type EntryOf<F extends RlFamily> = Extract<RlAgentEntry, { family: F }>;

// a spec's or task's config is checked by the algorithm's resolver before its trainer sees it as typed
const pg = <C extends PgLearnerConfig>(resolve: (c: unknown) => C, train: (o: TrainPgOptions<C>) => TrainPgResult<PgLearner>): PgEntry => ({
  family: 'policy-gradient',
  resolve,
  train: (o) => train({ ...o, config: resolve(o.config ?? {}) }),
});

export const RL_AGENTS: { readonly [A in RlAlgo]: EntryOf<(typeof RL_FAMILY)[A]> } = {
  ...TABULAR_AGENTS,
  dqn: {
    family: 'dqn',
    resolve: resolveDqnConfig,
    train: (o) => trainDqn({ ...o, config: resolveDqnConfig(o.config ?? {}) }),
  },
  reinforce: pg(resolveReinforceConfig, trainReinforce),
  'actor-critic': pg(resolveActorCriticConfig, trainActorCritic),
  a2c: pg(resolveA2cConfig, trainA2c),
};
