/**
 * A2C — the synchronous variant of A3C (Mnih et al. 2016, "Asynchronous methods for deep
 * reinforcement learning", ICML), with GAE(λ) (Schulman et al. 2016). Checked against
 * Stable-Baselines3's A2C (one update per n-step rollout of all envs, loss = policy + vf_coef·value
 * − ent_coef·entropy, global-norm clipping, truncation bootstrapped with γ V(final obs)).
 *
 * Per update, on numSteps × numEnvs transitions collected by the current policy:
 *   δ_t  = r_t + γ V(s_{t+1}) (1 − done_t) − V(s_t)          r_t += γ V(final obs) when truncated
 *   A_t  = δ_t + γλ (1 − done_t) A_{t+1}                     λ = 1: the n-step advantage
 *   (A standardised over the rollout when normalizeAdvantages; returns keep the raw A_t)
 *   R_t  = A_t + V(s_t)
 *   policyLoss = −mean_t A_t log π_θ(a_t|s_t)
 *   valueLoss  = mean_t (R_t − V_φ(s_t))²
 *   entropy    = mean_t H(π_θ(·|s_t))
 *   loss = policyLoss + vfCoef · valueLoss − entCoef · entropy;  (θ, φ, log σ) ← opt(∇loss), clipped to maxGradNorm
 * Discrete actions use a categorical head, Box actions a diagonal Gaussian with a learned
 * state-independent log σ (policies.ts); sampled actions are clipped to the Box by the loop.
 */
import * as tf from '@tensorflow/tfjs';
import { RolloutBuffer, standardizeAdvantages } from './rollout.js';
import { checkBoolean, checkNumber, DISCOUNT, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import { ENTROPY, POLICY_LOSS, VALUE_LOSS } from './metricNames.js';
import type { TensorMap } from '../core/tensors.js';
import { pgEvaluator, policyEnvSizes, runOnPolicy, type StepRollout, type TrainPgOptions, type TrainPgResult } from './onPolicy.js';
import { PolicyGradientLearner, resolvePgConfig, type PgLearnerConfig } from './pgLearner.js';
import type { LossParts, PolicyActor, PolicyHead } from './policies.js';
import type { DataParallelLearner, Learner } from './types.js';

/** A2C's settings: the shared policy-gradient ones (PgLearnerConfig; one `optimizer` over the summed loss) and these. */
export interface A2cConfig extends PgLearnerConfig {
  /** Learning rate. */
  learningRate: number;
  /** Parallel envs of the vector env. */
  numEnvs: number;
  /** Steps per env per update (n of the n-step return). */
  numSteps: number;
  /** Discount γ. */
  gamma: number;
  /** GAE λ (1: plain n-step returns). */
  gaeLambda: number;
  /** Weight of the entropy bonus. */
  entCoef: number;
  /** Weight of the value loss. */
  vfCoef: number;
  /** Standardise advantages over each whole rollout (in `a2cBatch`, so data-parallel shards see the same values). */
  normalizeAdvantages: boolean;
}

/**
 * Tuned on CartPole-v1 and Acrobot-v1: greedy 100-episode mean ≥ 475 / ≥ −100 on seeds 0–4 within
 * 20k–121k / 20k–182k env steps (eval every 10k steps).
 */
export const A2C_DEFAULTS: Readonly<A2cConfig> = Object.freeze({
  hidden: [64, 64],
  activation: 'tanh',
  optimizer: 'adam',
  learningRate: 1e-3,
  numEnvs: 16,
  numSteps: 8,
  gamma: 0.99,
  gaeLambda: 0.95,
  entCoef: 0.01,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  normalizeAdvantages: true,
  initLogStd: 0,
  seed: 0,
});

export function resolveA2cConfig(config: unknown): A2cConfig {
  const A = 'A2C';
  const { pg, fields: c } = resolvePgConfig(A, config, A2C_DEFAULTS);
  checkNumber(A, 'learningRate', c.learningRate, POSITIVE);
  checkNumber(A, 'numEnvs', c.numEnvs, POSITIVE_INTEGER);
  checkNumber(A, 'numSteps', c.numSteps, POSITIVE_INTEGER);
  checkNumber(A, 'gamma', c.gamma, DISCOUNT);
  checkNumber(A, 'gaeLambda', c.gaeLambda, { min: 0, max: 1 });
  checkNumber(A, 'entCoef', c.entCoef, { min: 0 });
  checkNumber(A, 'vfCoef', c.vfCoef, { min: 0 });
  checkBoolean(A, 'normalizeAdvantages', c.normalizeAdvantages);
  return { ...pg, learningRate: c.learningRate, numEnvs: c.numEnvs, numSteps: c.numSteps, gamma: c.gamma, gaeLambda: c.gaeLambda, entCoef: c.entCoef, vfCoef: c.vfCoef, normalizeAdvantages: c.normalizeAdvantages };
}

/** What one A2C update consumes: observations, actions, and the advantages / returns of GAE. */
export interface A2cBatch {
  size: number;
  obs: Float32Array;
  actions: Int32Array | Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/**
 * Turns a collected rollout into an A2C batch with the shared RolloutBuffer: truncated steps get
 * r += γ V(final obs) (`bootstrapTruncated`), then GAE(λ) with V(s_T) of the step after the last;
 * optionally the advantages are standardised over the whole rollout (agents/rollout.ts `standardizeAdvantages`).
 */
export function a2cBatch(r: StepRollout, actor: PolicyActor, gamma: number, lambda: number, buffer: RolloutBuffer, normalizeAdvantages = false): A2cBatch {
  const { numSteps, numEnvs, obsDim, actionDim } = r;
  const dones = new Uint8Array(numEnvs);
  buffer.reset();
  for (let t = 0; t < numSteps; t++) {
    const b = t * numEnvs;
    for (let e = 0; e < numEnvs; e++) dones[e] = r.terminated[b + e]! | r.truncated[b + e]!;
    buffer.add({
      obs: r.obs.subarray(b * obsDim, (b + numEnvs) * obsDim),
      actions: r.actions.subarray(b * actionDim, (b + numEnvs) * actionDim),
      rewards: r.rewards.subarray(b, b + numEnvs),
      dones,
      values: r.values.subarray(b, b + numEnvs),
      logProbs: r.logProbs.subarray(b, b + numEnvs),
    });
    for (let e = 0; e < numEnvs; e++) {
      if (r.truncated[b + e] === 1 && r.terminated[b + e] === 0) buffer.bootstrapTruncated(e, actor.value(r.nextObs.subarray((b + e) * obsDim, (b + e + 1) * obsDim)), gamma);
    }
  }
  const lastB = (numSteps - 1) * numEnvs;
  const lastValues = actor.valuesInto(r.nextObs.subarray(lastB * obsDim), numEnvs, new Float32Array(numEnvs));
  buffer.computeReturnsAndAdvantages(lastValues, gamma, lambda);
  if (normalizeAdvantages) standardizeAdvantages(buffer.advantages);
  return { size: numSteps * numEnvs, obs: buffer.obs, actions: buffer.actions, advantages: buffer.advantages, returns: buffer.returns };
}

/** The A2C learner: policy and value networks, one optimiser over the summed loss. */
export class A2cLearner extends PolicyGradientLearner<A2cBatch, A2cConfig> implements Learner<A2cBatch, TensorMap>, DataParallelLearner<A2cBatch> {
  /** One optimiser (lr = learningRate) over the summed loss, θ and φ clipped together to maxGradNorm (0: not clipped). */
  constructor(obsDim: number, head: PolicyHead, config: Partial<A2cConfig> = {}) {
    const c = resolveA2cConfig(config);
    super('A2C', obsDim, head, c, { withValue: true, optimizers: 'shared', policyLr: c.learningRate, valueLr: c.learningRate });
  }

  protected override withLoss<T>(b: A2cBatch, run: (f: () => LossParts) => T): T {
    const { vfCoef, entCoef } = this.config;
    return run(() => {
      const obs = tf.tensor2d(b.obs.subarray(0, b.size * this.obsDim), [b.size, this.obsDim]);
      const advantages = tf.tensor1d(b.advantages.subarray(0, b.size));
      const { logProb, entropy: h } = this.nets.logProbAndEntropy(obs, b.actions);
      const policyLoss = tf.neg(tf.mean(tf.mul(advantages, logProb))) as tf.Scalar; // −mean A log π
      const valueLoss = tf.mean(tf.squaredDifference(tf.tensor1d(b.returns.subarray(0, b.size)), this.nets.values(obs))) as tf.Scalar; // mean (R − V)²
      const entropy = tf.mean(h) as tf.Scalar;
      const loss = tf.sub(tf.add(policyLoss, tf.mul(vfCoef, valueLoss)), tf.mul(entCoef, entropy)) as tf.Scalar;
      return { loss, report: { [POLICY_LOSS]: policyLoss, [VALUE_LOSS]: valueLoss, [ENTROPY]: entropy } };
    });
  }
}

/** Trains A2C on a registered env with the shared on-policy loop. */
export function trainA2c(opts: TrainPgOptions<A2cConfig>): TrainPgResult<A2cLearner> {
  const config = resolveA2cConfig(opts.config ?? {});
  const { obsDim, head } = policyEnvSizes(opts.envId, opts.kwargs, 'A2C');
  const learner = new A2cLearner(obsDim, head, config);
  let actor = learner.actor();
  const buffer = new RolloutBuffer({ numSteps: config.numSteps, numEnvs: config.numEnvs, obsDim, actionDim: head.kind === 'categorical' ? 1 : head.actionDim, actionType: head.kind === 'categorical' ? 'discrete' : 'continuous' });
  const ev = pgEvaluator(opts, config.seed, () => actor);
  const result = runOnPolicy({
    envId: opts.envId,
    kwargs: opts.kwargs ?? {},
    head,
    numEnvs: config.numEnvs,
    numSteps: config.numSteps,
    totalTimesteps: opts.totalTimesteps,
    seed: config.seed,
    act: (obs, numEnvs) => actor.act(obs, numEnvs, learner.rng),
    update: (rollout) => learner.update(a2cBatch(rollout, actor, config.gamma, config.gaeLambda, buffer, config.normalizeAdvantages)),
    onParamsUpdated: () => {
      actor = learner.actor();
    },
    ...(opts.onMetrics !== undefined ? { onMetrics: opts.onMetrics } : {}),
    ...(ev !== undefined ? { evaluate: ev.evaluate, evalInterval: ev.evalInterval } : {}),
  });
  return { learner, ...result, ...(ev?.result ?? {}) };
}
