/**
 * DQN's actor side, apart from the learner (dqn.ts) so that a rollout thread imports no tfjs:
 * the ε schedule, the ε-greedy actor and the greedy policy over Q(s, ·) computed by
 * `dqnForward` (a FusedMlp: the one typed-array MLP forward, core/fusedNet.ts) from published
 * parameters.
 */
import { FusedMlp, type FusedNet } from '../core/fusedNet.js';
import type { TensorMap } from '../core/tensors.js';
import { Rng } from '../base/rng.js';
import { argmax } from '../base/stats.js';
import type { DqnConfig } from './dqnConfig.js';
import type { DqnExploration, EpsilonSchedule } from './types.js';

/** A DQN config's ε schedule over a run of `totalTimesteps` env steps (its ε fields only). */
export function epsilonSchedule(c: DqnExploration, totalTimesteps: number): EpsilonSchedule {
  const { learningStarts, explorationInitialEps, explorationFinalEps, explorationFraction } = c;
  return { learningStarts, explorationInitialEps, explorationFinalEps, explorationFraction, totalTimesteps };
}

/**
 * DQN's ε at global env step `step`, SB3's schedule: 1 (uniformly random actions) before
 * learningStarts; then linear from explorationInitialEps to explorationFinalEps over
 * explorationFraction · totalTimesteps (counted from step 0), then flat.
 */
export function epsilonAt(s: EpsilonSchedule, step: number): number {
  if (step < s.learningStarts) return 1;
  const span = s.explorationFraction * s.totalTimesteps;
  if (span <= 0) return s.explorationFinalEps;
  const progress = Math.min(1, step / span);
  return s.explorationInitialEps + progress * (s.explorationFinalEps - s.explorationInitialEps);
}

/**
 * The DQN actor: ε-greedy over Q(s, ·) = q.forward(obs), for a batch of envs.
 * Writes actions into `out` (one per env) and returns it.
 */
export function dqnActor(q: FusedNet, obs: Float32Array, numEnvs: number, epsilon: number, rng: Rng, out: Int32Array): Int32Array {
  const numActions = q.outDim;
  greedyActions(q, obs, numEnvs, out);
  if (epsilon > 0) for (let e = 0; e < numEnvs; e++) if (rng.random() < epsilon) out[e] = rng.int(numActions);
  return out;
}

/** argmax_a Q(obs_e, a) for each of numEnvs observations (ties: the lowest action), into out. */
export function greedyActions(q: FusedNet, obs: Float32Array, numEnvs: number, out: Int32Array): Int32Array {
  const numActions = q.outDim;
  const values = q.forward(obs, numEnvs);
  for (let e = 0; e < numEnvs; e++) out[e] = argmax(values, e * numActions, numActions);
  return out;
}

/** The actor's network for published DQN parameters. */
export function dqnForward(params: TensorMap, activation: DqnConfig['activation']): FusedMlp {
  return new FusedMlp(params, activation);
}

/** The greedy policy of published DQN parameters, for evaluation. */
export function greedyPolicy(params: TensorMap, activation: DqnConfig['activation']): (obs: Float32Array) => number {
  const forward = dqnForward(params, activation);
  const out = new Int32Array(1);
  return (obs) => greedyActions(forward, obs, 1, out)[0]!;
}

/**
 * The random streams of one DQN seed, split in this order from `new Rng(seed)`: the learner's
 * initialisation, the actor's ε draws, replay sampling. The one-process loop (dqn.ts `trainDqn`)
 * and a distributed run (its learner, its first rollout runner, its replay) draw from the same
 * streams, so a run with no threads is the one-process loop, number for number.
 */
export function dqnStreams(seed: number): { learner: Rng; actor: Rng; replay: Rng } {
  const root = new Rng(seed);
  const learner = root.split();
  const actor = root.split();
  return { learner, actor, replay: root.split() };
}
