/**
 * REINFORCE — Williams 1992, "Simple statistical gradient-following algorithms for connectionist
 * reinforcement learning" (Machine Learning 8); Sutton & Barto 2018, §13.3 (and §13.4 with a
 * baseline); course seed 001, table "汇总":
 *   sample τ = s_0, a_0, r_1, s_1, … with π_θ
 *   G_t = Σ_{k≥t} γ^{k−t} r_{k+1}                                   (reward-to-go, discountedReturns)
 *   θ ← θ + α Σ_t γ^t (G_t − b(s_t)) ∇θ log π_θ(a_t|s_t)
 *   b(s) = V_φ(s) (optional learned baseline):  φ ← φ + β (G_t − V_φ(s_t)) ∇φ V_φ(s_t)
 * The γ^t factor is the seed's and Sutton & Barto's (§13.3: the gradient of the discounted start
 * value); most implementations (Stable-Baselines-style, PyTorch's examples/reinforce.py) drop it —
 * `gammaT: false`. With several episodes per update the sum over t is averaged over episodes;
 * with `optimizer: 'sgd'` and one episode the step is exactly the rule above (the tests check it
 * on a linear softmax policy worked by hand).
 *
 * Loss form (minimised): policyLoss = −(1/N_episodes) Σ_t c_t log π_θ(a_t|s_t), with
 * c_t = γ^t A_t computed as data, A_t = G_t − V_φ(s_t) (or G_t; optionally standardised);
 * valueLoss = mean_t ½ (G_t − V_φ(s_t))².
 */
import * as tf from '@tensorflow/tfjs';
import { discountedReturns, standardizeAdvantages } from './rollout.js';
import { checkBoolean, checkNumber, DISCOUNT, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import { ENTROPY, POLICY_LOSS, VALUE_LOSS } from './metricNames.js';
import type { TensorMap } from '../core/tensors.js';
import { pgEvaluator, policyEnvSizes, runEpisodes, type EpisodeBatch, type TrainPgOptions, type TrainPgResult } from './onPolicy.js';
import { PolicyGradientLearner, resolvePgConfig, type PgLearnerConfig } from './pgLearner.js';
import type { LossParts, PolicyHead } from './policies.js';
import type { DataParallelLearner, Learner } from './types.js';

/** REINFORCE's settings: the shared policy-gradient ones (PgLearnerConfig; `optimizer` steps θ and φ apart) and these. */
export interface ReinforceConfig extends PgLearnerConfig {
  /** Step size α of the policy. */
  learningRate: number;
  /** Learn a value baseline b(s) = V_φ(s). */
  baseline: boolean;
  /** Step size β of the baseline. */
  valueLearningRate: number;
  /** Discount γ. */
  gamma: number;
  /** Weight step t by γ^t as the seed and Sutton & Barto §13.3 do (false: as most implementations). */
  gammaT: boolean;
  /** Whole episodes collected per update. */
  episodesPerUpdate: number;
  /** Standardise the advantages over each batch (before the γ^t weight). */
  normalizeAdvantages: boolean;
  /** Weight of an entropy bonus (0: the plain rule). */
  entCoef: number;
}

/** Tuned on CartPole-v1: greedy 100-episode mean ≥ 475 on seeds 0–4 within 11k–28k env steps (γ^t kept, as the seed). */
export const REINFORCE_DEFAULTS: Readonly<ReinforceConfig> = Object.freeze({
  hidden: [64],
  activation: 'tanh',
  optimizer: 'adam',
  learningRate: 1e-2,
  baseline: true,
  valueLearningRate: 1e-2,
  gamma: 0.99,
  gammaT: true,
  episodesPerUpdate: 4,
  normalizeAdvantages: true,
  entCoef: 0,
  maxGradNorm: 0,
  initLogStd: 0,
  seed: 0,
});

export function resolveReinforceConfig(config: unknown): ReinforceConfig {
  const A = 'REINFORCE';
  const { pg, fields: c } = resolvePgConfig(A, config, REINFORCE_DEFAULTS);
  checkNumber(A, 'learningRate', c.learningRate, POSITIVE);
  checkBoolean(A, 'baseline', c.baseline);
  checkNumber(A, 'valueLearningRate', c.valueLearningRate, POSITIVE);
  checkNumber(A, 'gamma', c.gamma, DISCOUNT);
  checkBoolean(A, 'gammaT', c.gammaT);
  checkNumber(A, 'episodesPerUpdate', c.episodesPerUpdate, POSITIVE_INTEGER);
  checkBoolean(A, 'normalizeAdvantages', c.normalizeAdvantages);
  checkNumber(A, 'entCoef', c.entCoef, { min: 0 });
  return { ...pg, learningRate: c.learningRate, baseline: c.baseline, valueLearningRate: c.valueLearningRate, gamma: c.gamma, gammaT: c.gammaT, episodesPerUpdate: c.episodesPerUpdate, normalizeAdvantages: c.normalizeAdvantages, entCoef: c.entCoef };
}

/** The REINFORCE learner: a policy network, an optional baseline network, α and β optimisers. */
export class ReinforceLearner extends PolicyGradientLearner<EpisodeBatch, ReinforceConfig> implements Learner<EpisodeBatch, TensorMap>, DataParallelLearner<EpisodeBatch> {
  constructor(obsDim: number, head: PolicyHead, config: Partial<ReinforceConfig> = {}) {
    const c = resolveReinforceConfig(config);
    super('REINFORCE', obsDim, head, c, { withValue: c.baseline, optimizers: 'split', policyLr: c.learningRate, valueLr: c.valueLearningRate });
  }

  /**
   * The per-step data of the update: G_t (reward-to-go of its episode) and the policy-gradient
   * coefficient c_t = γ^t A_t / N_episodes, A_t = G_t − V_φ(s_t) (see module doc).
   */
  coefficients(b: EpisodeBatch): { returns: Float32Array; coef: Float32Array } {
    const { gamma, gammaT, normalizeAdvantages } = this.config;
    const returns = new Float32Array(b.size);
    const discount = new Float32Array(b.size);
    let offset = 0;
    for (const length of b.episodeLengths) {
      returns.set(discountedReturns(b.rewards.subarray(offset, offset + length), gamma), offset);
      let g = 1;
      for (let t = 0; t < length; t++, g *= gamma) discount[offset + t] = gammaT ? g : 1; // γ^t
      offset += length;
    }
    if (offset !== b.size) throw new RangeError(`REINFORCE: episode lengths sum to ${offset}, batch has ${b.size} steps`);
    const adv = returns.slice();
    if (this.nets.value !== undefined) {
      const v = tf.tidy(() => this.nets.values(tf.tensor2d(b.obs.subarray(0, b.size * this.obsDim), [b.size, this.obsDim])));
      const values = v.dataSync();
      v.dispose();
      for (let i = 0; i < b.size; i++) adv[i]! -= values[i]!; // A_t = G_t − V(s_t)
    }
    if (normalizeAdvantages) standardizeAdvantages(adv);
    const coef = new Float32Array(b.size);
    const n = b.episodeLengths.length;
    for (let i = 0; i < b.size; i++) coef[i] = (discount[i]! * adv[i]!) / n;
    return { returns, coef };
  }

  protected override withLoss<T>(b: EpisodeBatch, run: (f: () => LossParts) => T): T {
    const { returns, coef } = this.coefficients(b);
    const withValue = this.nets.value !== undefined;
    const { entCoef } = this.config;
    return run(() => {
      const obs = tf.tensor2d(b.obs.subarray(0, b.size * this.obsDim), [b.size, this.obsDim]);
      const { logProb, entropy: h } = this.nets.logProbAndEntropy(obs, b.actions);
      const policyLoss = tf.neg(tf.sum(tf.mul(tf.tensor1d(coef), logProb))) as tf.Scalar; // −Σ_t γ^t A_t log π / N
      const entropy = tf.mean(h) as tf.Scalar;
      const valueLoss = withValue ? (tf.mul(0.5, tf.mean(tf.squaredDifference(tf.tensor1d(returns), this.nets.values(obs)))) as tf.Scalar) : tf.scalar(0); // ½ mean (G − V)²
      const loss = tf.sub(tf.add(policyLoss, valueLoss), tf.mul(entCoef, entropy)) as tf.Scalar;
      return { loss, report: { [POLICY_LOSS]: policyLoss, [VALUE_LOSS]: valueLoss, [ENTROPY]: entropy } };
    });
  }
}

/** Trains REINFORCE on a registered env with the shared episode loop. */
export function trainReinforce(opts: TrainPgOptions<ReinforceConfig>): TrainPgResult<ReinforceLearner> {
  const config = resolveReinforceConfig(opts.config ?? {});
  const { obsDim, head } = policyEnvSizes(opts.envId, opts.kwargs, 'REINFORCE');
  const learner = new ReinforceLearner(obsDim, head, config);
  let actor = learner.actor();
  const ev = pgEvaluator(opts, config.seed, () => actor);
  const result = runEpisodes({
    envId: opts.envId,
    kwargs: opts.kwargs ?? {},
    head,
    episodesPerUpdate: config.episodesPerUpdate,
    totalTimesteps: opts.totalTimesteps,
    seed: config.seed,
    act: (obs, numEnvs) => actor.act(obs, numEnvs, learner.rng),
    update: (batch) => learner.update(batch),
    onParamsUpdated: () => {
      actor = learner.actor();
    },
    ...(opts.onMetrics !== undefined ? { onMetrics: opts.onMetrics } : {}),
    ...(ev !== undefined ? { evaluate: ev.evaluate, evalInterval: ev.evalInterval } : {}),
  });
  return { learner, ...result, ...(ev?.result ?? {}) };
}
