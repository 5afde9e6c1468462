/**
 * The names of nnlab's RL algorithms, listed once (tfjs-free, so specs can be parsed without
 * loading a backend). Specs (`agent.algo`), the CLI's `train`, sweeps and the spec check take
 * their lists from here.
 */

/** Every algorithm a spec's `agent.algo` may name. */
export const RL_ALGOS = ['dqn', 'qlearning', 'sarsa', 'expected-sarsa', 'reinforce', 'actor-critic', 'a2c'] as const;
export type RlAlgo = (typeof RL_ALGOS)[number];

/** The tabular agents: a whole run (or sweep trial) of one of them is one task. */
export const TABULAR_ALGOS = ['qlearning', 'sarsa', 'expected-sarsa'] as const satisfies readonly RlAlgo[];
export type TabularAlgo = (typeof TABULAR_ALGOS)[number];

/** Whether `algo` names a tabular agent. */
export function isTabular(algo: string): algo is TabularAlgo {
  return (TABULAR_ALGOS as readonly string[]).includes(algo);
}
