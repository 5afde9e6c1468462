/**
 * DQN's settings (agents/dqn.ts has the algorithm), its defaults and its one config check, apart
 * from dqn.ts because they are tfjs-free: the learner process (workers/dqnLearnerHost.ts) checks the
 * config of its init with the same rule as a spec's.
 */
import { checkBoolean, checkChoice, checkLayerSizes, checkMaxGradNorm, checkNumber, checkSeedField, configFields, DISCOUNT, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../core/activation.js';
import type { DqnExploration } from './types.js';

/** DQN's settings (its exploration ones in agents/types.ts `DqnExploration`, which a rollout task carries). */
export interface DqnConfig extends DqnExploration {
  /** Hidden layer sizes of the Q network. */
  hidden: number[];
  /** Hidden activation. */
  activation: HiddenActivation;
  /** Adam learning rate. */
  learningRate: number;
  /** Discount γ. */
  gamma: number;
  /** Minibatch size of each gradient step. */
  batchSize: number;
  /** Replay buffer capacity (transitions). */
  bufferSize: number;
  /** Collect this many env steps (summed over envs) between training phases. */
  trainFrequency: number;
  /** Gradient steps per training phase. */
  gradientSteps: number;
  /** Env steps between target network updates. */
  targetUpdateInterval: number;
  /** Polyak coefficient τ of the target update (1 = hard copy). */
  tau: number;
  /** Clip gradients to this global L2 norm (0: no clipping; base/configCheck.ts `checkMaxGradNorm`). */
  maxGradNorm: number;
  /** Use the Double DQN target. */
  doubleQ: boolean;
  /** Train with the fused MLP path (core/fused.ts: one flat forward/backward/Adam, native SGEMM)
   *  instead of tfjs autograd op by op; same equations, ~10x fewer milliseconds per update. */
  fused: boolean;
  /** Seed of weights, replay sampling and exploration. */
  seed: number;
}

/**
 * Stable-Baselines3 rl-zoo's tuned CartPole-v1 hyperparameters (reaches 500 in ~50k steps there),
 * with the Double DQN target: with it nnlab's DQN reached 475 within 50k steps on all of seeds 0–4;
 * with the plain max target, seed 2 had not by 100k (bench:learning).
 */
export const DQN_DEFAULTS: Readonly<DqnConfig> = Object.freeze({
  hidden: [256, 256],
  activation: 'relu',
  learningRate: 2.3e-3,
  gamma: 0.99,
  batchSize: 64,
  bufferSize: 100_000,
  learningStarts: 1000,
  trainFrequency: 256,
  gradientSteps: 128,
  targetUpdateInterval: 10,
  tau: 1,
  explorationInitialEps: 1,
  explorationFinalEps: 0.04,
  explorationFraction: 0.16,
  maxGradNorm: 10,
  doubleQ: true,
  fused: true,
  seed: 0,
});

/**
 * DQN's config from an unchecked record (a spec's, a learner process's init) or a typed partial
 * one: the defaults under it, unknown fields refused, each field checked by its rule; a bad one is a
 * RangeError naming it (`DQN config: 'gamma' must be a number ≥ 0 and ≤ 1, got 2`).
 */
export function resolveDqnConfig(config: unknown): DqnConfig {
  const O = 'DQN';
  const c = configFields(O, config, DQN_DEFAULTS);
  checkLayerSizes(O, 'hidden', c.hidden);
  checkChoice(O, 'activation', c.activation, HIDDEN_ACTIVATIONS);
  checkNumber(O, 'learningRate', c.learningRate, POSITIVE);
  checkNumber(O, 'gamma', c.gamma, DISCOUNT);
  checkNumber(O, 'batchSize', c.batchSize, POSITIVE_INTEGER);
  checkNumber(O, 'bufferSize', c.bufferSize, POSITIVE_INTEGER);
  checkNumber(O, 'trainFrequency', c.trainFrequency, POSITIVE_INTEGER);
  checkNumber(O, 'gradientSteps', c.gradientSteps, POSITIVE_INTEGER);
  checkNumber(O, 'targetUpdateInterval', c.targetUpdateInterval, POSITIVE_INTEGER);
  checkNumber(O, 'learningStarts', c.learningStarts, { min: 0, integer: true });
  checkNumber(O, 'tau', c.tau, { min: 0, max: 1, minExclusive: true });
  const unit = { min: 0, max: 1 };
  checkNumber(O, 'explorationInitialEps', c.explorationInitialEps, unit);
  checkNumber(O, 'explorationFinalEps', c.explorationFinalEps, unit);
  checkNumber(O, 'explorationFraction', c.explorationFraction, unit);
  checkMaxGradNorm(O, c.maxGradNorm);
  checkBoolean(O, 'doubleQ', c.doubleQ);
  checkBoolean(O, 'fused', c.fused);
  checkSeedField(O, 'seed', c.seed);
  return {
    hidden: [...c.hidden],
    activation: c.activation,
    learningRate: c.learningRate,
    gamma: c.gamma,
    batchSize: c.batchSize,
    bufferSize: c.bufferSize,
    learningStarts: c.learningStarts,
    trainFrequency: c.trainFrequency,
    gradientSteps: c.gradientSteps,
    targetUpdateInterval: c.targetUpdateInterval,
    tau: c.tau,
    explorationInitialEps: c.explorationInitialEps,
    explorationFinalEps: c.explorationFinalEps,
    explorationFraction: c.explorationFraction,
    maxGradNorm: c.maxGradNorm,
    doubleQ: c.doubleQ,
    fused: c.fused,
    seed: c.seed,
  };
}
