/**
 * The names of nnlab's RL algorithms and the family of each, listed once (tfjs-free and
 * import-free, so specs, the CLI's help and protocol's schemas read them without loading a backend;
 * test/architecture.test.ts IMPORT_FREE keeps it so).
 * agents/registry.ts gives each algorithm its one entry (config resolver, trainer or tabular
 * class); its type makes every name here have one, of the family named here.
 */

/** Every algorithm a spec's `agent.algo` (or a trial task's `algo`) may name. */
export const RL_ALGOS = ['dqn', 'qlearning', 'sarsa', 'expected-sarsa', 'reinforce', 'actor-critic', 'a2c'] as const;
export type RlAlgo = (typeof RL_ALGOS)[number];

/**
 * How an algorithm trains: `tabular` for a number of episodes, one whole run (or sweep trial) per
 * task; `policy-gradient` on-policy for env steps, in process; `dqn` off-policy for env steps, with
 * a replay buffer (rollout threads and a learner process in a run).
 */
export type RlFamily = 'dqn' | 'tabular' | 'policy-gradient';

/** The family of each algorithm. */
export const RL_FAMILY = {
  dqn: 'dqn',
  qlearning: 'tabular',
  sarsa: 'tabular',
  'expected-sarsa': 'tabular',
  reinforce: 'policy-gradient',
  'actor-critic': 'policy-gradient',
  a2c: 'policy-gradient',
} as const satisfies Readonly<Record<RlAlgo, RlFamily>>;

/** The algorithms of family `F`. */
export type AlgoOf<F extends RlFamily> = { [A in RlAlgo]: (typeof RL_FAMILY)[A] extends F ? A : never }[RlAlgo];
export type TabularAlgo = AlgoOf<'tabular'>;

/** Whether `algo` names an RL algorithm. */
export function isRlAlgo(algo: string): algo is RlAlgo {
  return (RL_ALGOS as readonly string[]).includes(algo);
}

/** Whether `algo` names a tabular agent. */
export function isTabular(algo: string): algo is TabularAlgo {
  return isRlAlgo(algo) && RL_FAMILY[algo] === 'tabular';
}

/** The tabular agents (a whole run or sweep trial of one of them is one task), in RL_ALGOS's order. */
export const TABULAR_ALGOS: readonly TabularAlgo[] = RL_ALGOS.filter(isTabular);

/** An algorithm's config check: the full config (defaults filled); throws a RangeError naming an unknown or bad field. */
export type ConfigResolver = (config: Record<string, unknown>) => object;
