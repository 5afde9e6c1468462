/**
 * Shapes shared by every agent. An agent is split in two (so the distributed coordinator can put
 * them in different threads or machines):
 * - an **actor**: a pure function of (policy parameters as data, observations, Rng) → actions,
 *   run by rollout workers with no optimiser;
 * - a **learner**: consumes experience as typed arrays, updates parameters, and publishes them
 *   with a version number.
 * Metrics leave through a callback with namespaced names (`charts/episodic_return`,
 * `losses/td_loss`, …); agents never print.
 */
import type { TensorMap } from '../core/tensors.js';
import type { FusedAdamState } from '../core/flatParams.js';

/** Metrics of one update or episode, namespaced as CleanRL does. */
export type Metrics = Record<string, number>;

/** Receives metrics with the global env step they belong to. */
export type MetricsCallback = (metrics: Metrics, envStep: number) => void;

/** Policy parameters as data: tensors as named Float32Arrays, or a Q table. */
export type PolicyParams = TensorMap | { q: Float64Array; numStates: number; numActions: number };

/** What a learner publishes to actors. */
export interface VersionedParams<P = PolicyParams> {
  version: number;
  params: P;
}

export interface Learner<Batch, P = PolicyParams> {
  /** One update on a batch of experience; returns its metrics. */
  update(batch: Batch): Metrics;
  getPolicyParams(): VersionedParams<P>;
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  dispose(): void;
}

/** A learner whose gradient can be computed on shards by several workers and averaged. */
export interface DataParallelLearner<Batch> {
  computeGradients(batch: Batch): { grads: TensorMap; metrics: Metrics };
  applyGradients(grads: TensorMap): Metrics;
}

/** Checks that a config field is a finite number in a range; throws naming the field and agent. */
export function checkNumber(agent: string, field: string, value: unknown, opts: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean } = {}): void {
  const { min, max, integer, minExclusive } = opts;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || (minExclusive ? value > min : value >= min)) &&
    (max === undefined || value <= max);
  if (!ok) {
    const range = `${min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`}${min !== undefined && max !== undefined ? ' and ' : ''}${max === undefined ? '' : `≤ ${max}`}`;
    throw new RangeError(`${agent} config: '${field}' must be ${integer ? 'an integer' : 'a number'}${range ? ' ' + range : ''}, got ${JSON.stringify(value)}`);
  }
}

/** Rejects config keys the agent does not know (a typo would otherwise be silently ignored). */
export function checkKnownKeys(agent: string, config: object, defaults: object): void {
  for (const key of Object.keys(config)) {
    if (!(key in defaults)) {
      throw new RangeError(`${agent} config: unknown field '${key}' (known: ${Object.keys(defaults).join(', ')})`);
    }
  }
}

/** A DQN learner's complete training state as data (online and target parameters, Adam, counters): agents/dqnFused.ts's, and the learner process's with its replay buffer (protocol/messages.ts). */
export interface DqnTrainingState {
  online: Float32Array;
  target: Float32Array;
  adam: FusedAdamState;
  updates: number;
  version: number;
}
