/**
 * The tabular entries of the RL registry (agents/registry.ts), apart because they are tfjs-free:
 * a thread running tabular trials (workers/trial.ts) takes its agent from here and never loads tfjs.
 */
import type { TabularAlgo } from './algos.js';
import { ExpectedSarsa } from './expectedSarsa.js';
import { QLearning } from './qlearning.js';
import { Sarsa } from './sarsa.js';
import { resolveTabularConfig, type TabularAgentClass, type TabularConfig } from './tabular.js';

/** A tabular algorithm's entry: its agent class and config check. */
export interface TabularEntry {
  family: 'tabular';
  Agent: TabularAgentClass;
  resolve: (config: unknown) => TabularConfig;
}

const tabular = (Agent: TabularAgentClass): TabularEntry => ({
  family: 'tabular',
  Agent,
  resolve: (c) => resolveTabularConfig(Agent.agentName, c),
});

export const TABULAR_AGENTS: Readonly<Record<TabularAlgo, TabularEntry>> = {
  qlearning: tabular(QLearning),
  sarsa: tabular(Sarsa),
  'expected-sarsa': tabular(ExpectedSarsa),
};
