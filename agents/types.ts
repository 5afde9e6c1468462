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
import type { Metrics } from '../base/metrics.js';

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

/** A DQN learner's complete training state as data (online and target parameters, Adam, counters): agents/dqnFused.ts's, and the learner process's with its replay buffer (protocol/messages.ts). */
export interface DqnTrainingState {
  online: Float32Array;
  target: Float32Array;
  adam: FusedAdamState;
  updates: number;
  version: number;
}

/** What an off-policy learner does at one point of its schedule (agents/offPolicy.ts `OffPolicySchedule`): `gradientSteps` minibatch updates, then θ_target ← θ if `updateTarget`. */
export interface TrainPhase {
  gradientSteps: number;
  updateTarget: boolean;
}

/** DQN's ε-greedy exploration settings (part of agents/dqn.ts `DqnConfig`; agents/dqnActor.ts `epsilonAt`). */
export interface DqnExploration {
  /** Env steps of pure exploration before learning starts. */
  learningStarts: number;
  /** ε at the start of training. */
  explorationInitialEps: number;
  /** ε after the decay. */
  explorationFinalEps: number;
  /** Fraction of totalTimesteps over which ε decays linearly. */
  explorationFraction: number;
}

/** What DQN's ε depends on: the config's exploration settings, under their names, and the run's length (a rollout task carries it). */
export interface EpsilonSchedule extends DqnExploration {
  /** The run's env-step budget: ε decays over explorationFraction of it. */
  totalTimesteps: number;
}
