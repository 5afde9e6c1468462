/**
 * What the tabular agents share: the Q table, the ε-greedy actor, and the on-policy step loop that
 * SARSA needs (choose a′ in s′ before updating Q(s, a), then take a′). The agents differ only in
 * their TD target (sarsa.ts, qlearning.ts, expectedSarsa.ts):
 *   Q(s, a) ← Q(s, a) + α (tdTarget − Q(s, a))
 * A terminated step has no bootstrap term; a truncated one (time limit) keeps it.
 */
import type { Env } from '../envs/index.js';
import { Discrete, make } from '../envs/index.js';
import { Rng } from '../base/rng.js';
import { argmax } from '../base/stats.js';
import { checkNumber, checkSeedField, configFields, DISCOUNT, POSITIVE_INTEGER } from '../base/configCheck.js';
import type { Learner, MetricsCallback, VersionedParams } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { evaluatePolicyOn, finalEvaluationOn, type FinalEvaluation } from './evaluate.js';
import { EPISODIC_LENGTH, EPISODIC_RETURN, TD_ERROR } from './metricNames.js';
import { z } from 'zod';
import { count, f64, rngStateSchema } from '../base/schemas.js';

/** What a tabular agent's load reads of the state its save wrote (core/stateFile.ts has no tfjs). */
const tabularSavedState = z.object({ q: f64, version: count, rng: rngStateSchema });

export interface TabularConfig {
  /** Step size α. */
  alpha: number;
  /** Discount γ. */
  gamma: number;
  /** Exploration rate ε of the ε-greedy behaviour policy. */
  epsilon: number;
  /** Initial value of every Q(s, a). */
  initialQ: number;
  /** Seed of the agent's Rng (action choice, tie-breaking). */
  seed: number;
}

export const TABULAR_DEFAULTS: Readonly<TabularConfig> = Object.freeze({ alpha: 0.5, gamma: 1, epsilon: 0.1, initialQ: 0, seed: 0 });

/**
 * A tabular agent's config from an unchecked record (a spec's, a trial task's) or a typed partial
 * one: the defaults under it, unknown fields refused, each field checked; `agent` names it in errors.
 */
export function resolveTabularConfig(agent: string, config: unknown): TabularConfig {
  const { alpha, gamma, epsilon, initialQ, seed } = configFields(agent, config, TABULAR_DEFAULTS);
  checkNumber(agent, 'alpha', alpha, { min: 0, max: 1, minExclusive: true });
  checkNumber(agent, 'gamma', gamma, DISCOUNT);
  checkNumber(agent, 'epsilon', epsilon, { min: 0, max: 1 });
  checkNumber(agent, 'initialQ', initialQ);
  checkSeedField(agent, 'seed', seed);
  return { alpha, gamma, epsilon, initialQ, seed };
}

export type QParams = { q: Float64Array; numStates: number; numActions: number };

/** One transition with the next action a′ already chosen by the behaviour policy (−1 at episode end). */
export interface TabularTransition {
  s: number;
  a: number;
  r: number;
  s2: number;
  a2: number;
  terminated: boolean;
}

/** A TD target: r + γ·(bootstrap from s′), zero bootstrap when terminated. */
export type TdTarget = (p: QParams, t: TabularTransition, gamma: number, epsilon: number) => number;

/**
 * Greedy action in s; ties broken uniformly at random when an Rng is given, else the first
 * (base/stats.ts `argmax`: the same `>` scan from action 0).
 */
export function greedyAction(p: QParams, s: number, rng?: Rng): number {
  const { q, numActions } = p;
  const base = s * numActions;
  if (rng === undefined) return argmax(q, base, numActions);
  let best = q[base]!;
  let bestA = 0;
  let ties = 1;
  for (let a = 1; a < numActions; a++) {
    const v = q[base + a]!;
    if (v > best) {
      best = v;
      bestA = a;
      ties = 1;
    } else if (v === best) {
      // reservoir choice among equal maxima
      ties++;
      if (rng.int(ties) === 0) bestA = a;
    }
  }
  return bestA;
}

/** max_a Q(s, a). */
export function maxQ(p: QParams, s: number): number {
  let m = -Infinity;
  for (let a = 0; a < p.numActions; a++) m = Math.max(m, p.q[s * p.numActions + a]!);
  return m;
}

/** The ε-greedy actor: a pure function of the Q table, the state and the Rng. */
export function epsilonGreedy(p: QParams, s: number, epsilon: number, rng: Rng): number {
  if (rng.random() < epsilon) return rng.int(p.numActions);
  return greedyAction(p, s, rng);
}

/** A tabular agent's constructor and name (in errors and checkpoints). */
interface TabularAgentCtor<A extends TabularAgent> {
  readonly agentName: string;
  new (numStates: number, numActions: number, config?: Partial<TabularConfig>): A;
}

/** A tabular agent's class (Sarsa, QLearning, …): a new agent for given table sizes, or for an env's Discrete spaces. */
export interface TabularAgentClass extends TabularAgentCtor<TabularAgent> {
  forEnv(env: Env, config?: Partial<TabularConfig>): TabularAgent;
}

/** An env a tabular agent learns: Discrete observation and action spaces (its observations and actions are numbers). */
export type DiscreteEnv = Env<number, number> & { readonly observationSpace: Discrete; readonly actionSpace: Discrete };

function hasDiscreteSpaces(env: Env): env is DiscreteEnv {
  return env.observationSpace instanceof Discrete && env.actionSpace instanceof Discrete;
}

/**
 * `env` checked to be one a tabular agent can learn: Discrete observation and action spaces
 * starting at 0 (they index its Q table). Otherwise a TypeError naming `who` and the spaces.
 */
export function discreteEnv(env: Env, who = 'a tabular agent'): DiscreteEnv {
  if (!hasDiscreteSpaces(env)) {
    throw new TypeError(`${who} needs Discrete observation and action spaces, got ${String(env.observationSpace)} and ${String(env.actionSpace)}`);
  }
  const { observationSpace: obs, actionSpace: act } = env;
  if (obs.start !== 0 || act.start !== 0) throw new TypeError(`${who} needs Discrete spaces starting at 0 (got start ${obs.start} and ${act.start})`);
  return env;
}

export class TabularAgent implements Learner<TabularTransition, QParams> {
  readonly config: Readonly<TabularConfig>;
  readonly params: QParams;
  readonly rng: Rng;
  private version = 0;

  constructor(
    readonly name: string,
    private readonly tdTarget: TdTarget,
    numStates: number,
    numActions: number,
    config: Partial<TabularConfig> = {},
  ) {
    const c = resolveTabularConfig(name, config);
    checkNumber(name, 'numStates', numStates, POSITIVE_INTEGER);
    checkNumber(name, 'numActions', numActions, POSITIVE_INTEGER);
    this.config = Object.freeze(c);
    this.params = { q: new Float64Array(numStates * numActions).fill(c.initialQ), numStates, numActions };
    this.rng = new Rng(c.seed);
  }

  /** A new agent of this class (Sarsa, QLearning, …) for an env with Discrete observation and action spaces starting at 0 (checked by discreteEnv). */
  static forEnv<A extends TabularAgent>(this: TabularAgentCtor<A>, env: Env, config: Partial<TabularConfig> = {}): A {
    const { observationSpace: obs, actionSpace: act } = discreteEnv(env, this.agentName);
    return new this(obs.n, act.n, config);
  }

  /** The behaviour policy (ε-greedy). */
  act(s: number): number {
    return epsilonGreedy(this.params, s, this.config.epsilon, this.rng);
  }

  /** Q(s, a) ← Q(s, a) + α (tdTarget − Q(s, a)). */
  update(t: TabularTransition): Metrics {
    const { q, numActions } = this.params;
    const i = t.s * numActions + t.a;
    const tdError = this.tdTarget(this.params, t, this.config.gamma, this.config.epsilon) - q[i]!;
    q[i]! += this.config.alpha * tdError;
    this.version++;
    return { [TD_ERROR]: tdError };
  }

  getPolicyParams(): VersionedParams<QParams> {
    return { version: this.version, params: { ...this.params, q: this.params.q.slice() } };
  }

  // core/checkpoint.js loads tfjs: imported only when a table is saved or loaded, so a tabular trial thread never loads it
  async save(dir: string): Promise<void> {
    const { saveCheckpoint } = await import('../core/checkpoint.js');
    await saveCheckpoint(dir, { state: { q: this.params.q, version: this.version, rng: this.rng.getState(), config: this.config }, meta: { agent: this.name } }, { step: this.version });
  }

  async load(dir: string): Promise<void> {
    const { loadCheckpoint } = await import('../core/checkpoint.js');
    const { state } = await loadCheckpoint(dir, { state: tabularSavedState });
    if (state.q.length !== this.params.q.length) throw new Error(`${this.name}.load: table of ${state.q.length} values, expected ${this.params.q.length}`);
    this.params.q.set(state.q);
    this.version = state.version;
    this.rng.setState(state.rng);
  }

  dispose(): void {}
}

export interface TabularRunOptions {
  episodes: number;
  /** Seed of the first reset (episode k resets with seed + k); default: the agent's seed. */
  seed?: number;
  onMetrics?: MetricsCallback;
}

/**
 * The shared on-policy loop: a ← π(s); repeat { s′, r ← step(a); a′ ← π(s′); update(s, a, r, s′, a′);
 * s, a ← s′, a′ } until the episode ends. Returns each episode's undiscounted return.
 */
export function trainTabular(env: Env<number, number>, agent: TabularAgent, opts: TabularRunOptions): Float64Array {
  const returns = new Float64Array(opts.episodes);
  const seed = opts.seed ?? agent.config.seed;
  let envStep = 0;
  for (let ep = 0; ep < opts.episodes; ep++) {
    let [s] = env.reset({ seed: seed + ep });
    let a = agent.act(s);
    let ret = 0;
    let length = 0;
    for (;;) {
      const [s2, r, terminated, truncated] = env.step(a);
      const a2 = terminated ? -1 : agent.act(s2);
      agent.update({ s, a, r, s2, a2, terminated });
      ret += r;
      length++;
      envStep++;
      if (terminated || truncated) break;
      s = s2;
      a = a2;
    }
    returns[ep] = ret;
    opts.onMetrics?.({ [EPISODIC_RETURN]: ret, [EPISODIC_LENGTH]: length }, envStep);
  }
  return returns;
}

/** Steps a greedy episode lasts at most (a greedy table may walk in circles in an env without a time limit). */
export const GREEDY_MAX_STEPS = 10_000;

/** The greedy policy of a Q table (ties: the first action). */
export function greedyTabularPolicy(p: QParams): (s: number) => number {
  return (s) => greedyAction(p, s);
}

/** Mean undiscounted return of the greedy policy over `episodes` (resets seeded seed, seed+1, …). */
export function evaluateGreedy(env: Env<number, number>, p: QParams, episodes: number, seed: number, maxSteps = GREEDY_MAX_STEPS): number {
  return evaluatePolicyOn(env, greedyTabularPolicy(p), episodes, seed, maxSteps).meanReturn;
}

/** A tabular agent trained and evaluated (trainAndEvaluateTabular). */
export interface TabularRun {
  agent: TabularAgent;
  /** Each training episode's undiscounted return. */
  curve: Float64Array;
  /** The final evaluation of its greedy policy. */
  final: FinalEvaluation;
}

/**
 * A tabular agent trained and then evaluated, defined once for `nnlab train` (drivers/train.ts) and
 * a tabular trial (workers/trial.ts): the env `env.id` made with `env.kwargs` and checked
 * (discreteEnv), a new `Agent` for it with `config`, `opts.episodes` training episodes
 * (trainTabular, `opts.onMetrics` hearing each), then the final evaluation of its greedy policy
 * over `opts.finalEpisodes` episodes on the final seeds of its seed, each at most GREEDY_MAX_STEPS
 * (agents/evaluate.ts finalEvaluationOn). The env is closed however this ends: a user env may hold
 * files, a renderer or a process.
 */
export function trainAndEvaluateTabular(
  Agent: TabularAgentClass,
  env: { id: string; kwargs?: Record<string, unknown> },
  config: Partial<TabularConfig>,
  opts: { episodes: number; finalEpisodes: number; onMetrics?: MetricsCallback },
): TabularRun {
  const made = make(env.id, env.kwargs);
  try {
    const discrete = discreteEnv(made, Agent.agentName);
    const agent = Agent.forEnv(discrete, config);
    const curve = trainTabular(discrete, agent, opts);
    const final = finalEvaluationOn(discrete, greedyTabularPolicy(agent.params), { episodes: opts.finalEpisodes, seed: agent.config.seed, maxSteps: GREEDY_MAX_STEPS });
    return { agent, curve, final };
  } finally {
    made.close();
  }
}
