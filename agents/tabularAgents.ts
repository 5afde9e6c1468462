/**
 * The tabular entries of the RL registry (agents/registry.ts), apart because they are tfjs-free:
 * a thread running tabular trials (workers/trial.ts) takes its agent from here and never loads tfjs.
 */
import type { Env } from '../envs/index.js';
import type { ConfigResolver, TabularAlgo } from './algos.js';
import { ExpectedSarsa } from './expectedSarsa.js';
import { QLearning } from './qlearning.js';
import { Sarsa } from './sarsa.js';
import type { TabularAgent, TabularConfig } from './tabular.js';

/** A tabular agent's class: a new agent for given table sizes, or for an env's Discrete spaces. */
export interface TabularAgentClass {
  new (numStates: number, numActions: number, config?: Partial<TabularConfig>): TabularAgent;
  forEnv(env: Env<number, number>, config?: Partial<TabularConfig>): TabularAgent;
}

/** A tabular algorithm's entry: its agent class and config check. */
export interface TabularEntry {
  family: 'tabular';
  Agent: TabularAgentClass;
  resolve: ConfigResolver;
}

const tabular = (Agent: TabularAgentClass): TabularEntry => ({
  family: 'tabular',
  Agent,
  resolve: (c) => new Agent(1, 1, c as Partial<TabularConfig>).config,
});

export const TABULAR_AGENTS: Readonly<Record<TabularAlgo, TabularEntry>> = {
  qlearning: tabular(QLearning),
  sarsa: tabular(Sarsa),
  'expected-sarsa': tabular(ExpectedSarsa),
};
