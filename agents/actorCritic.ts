/**
 * One-step Actor-Critic — Sutton & Barto 2018, §13.5 ("One-step Actor–Critic (episodic)");
 * course seed 001, table "汇总". For each transition (s, a, r, s′):
 *   G(s) = r + γ V_φ(s′)                        (tdTarget; r alone when terminated — truncation bootstraps)
 *   δ    = G(s) − V_φ(s)
 *   φ ← φ + β δ ∇φ V_φ(s)                        (critic)
 *   θ ← θ + α λ δ ∇θ log π_θ(a|s)               (actor)
 *   λ ← γ λ                                     (λ = 1 at each episode start, so λ = γ^t)
 * The seed writes this λ (Sutton & Barto's I); `discountI: false` drops it, as most deep-RL code does.
 *
 * Batched: every env step of a vector env of `numEnvs` envs gives numEnvs transitions and one
 * update on their mean (numEnvs = 1 is the textbook algorithm). Loss form (minimised):
 *   criticLoss = mean ½ δ²   (∇ = −δ ∇V: the critic rule above under SGD)
 *   actorLoss  = −mean λ δ log π(a|s)   (δ, λ as constants)
 * with two optimisers, step sizes α (actorLr) and β (criticLr).
 */
import * as tf from '@tensorflow/tfjs';
import { checkBoolean, checkNumber, DISCOUNT, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import { ENTROPY, POLICY_LOSS, VALUE_LOSS } from './metricNames.js';
import type { TensorMap } from '../core/tensors.js';
import { pgEvaluator, policyEnvSizes, runOnPolicy, type StepRollout, type TrainPgOptions, type TrainPgResult } from './onPolicy.js';
import { PolicyGradientLearner, resolvePgConfig, type PgLearnerConfig } from './pgLearner.js';
import type { LossParts, PolicyHead } from './policies.js';
import type { DataParallelLearner, Learner } from './types.js';

/** One-step Actor-Critic's settings: the shared policy-gradient ones (PgLearnerConfig; `optimizer` steps actor and critic apart) and these. */
export interface ActorCriticConfig extends PgLearnerConfig {
  /** Actor step size α. */
  actorLr: number;
  /** Critic step size β. */
  criticLr: number;
  /** Discount γ. */
  gamma: number;
  /** Scale the actor step by λ = γ^t as the seed and Sutton & Barto §13.5 do. */
  discountI: boolean;
  /** Parallel envs; one update per vector step on their numEnvs transitions (1: the textbook). */
  numEnvs: number;
  /** Weight of an entropy bonus on the actor (0: the plain rule). */
  entCoef: number;
}

/** Tuned on CartPole-v1: greedy 100-episode mean ≥ 475 on seeds 0–4 within 30k–70k env steps (λ = γ^t kept, as the seed). */
export const ACTOR_CRITIC_DEFAULTS: Readonly<ActorCriticConfig> = Object.freeze({
  hidden: [64],
  activation: 'tanh',
  optimizer: 'adam',
  actorLr: 1e-3,
  criticLr: 5e-3,
  gamma: 0.99,
  discountI: true,
  numEnvs: 16,
  entCoef: 0,
  maxGradNorm: 0,
  initLogStd: 0,
  seed: 0,
});

export function resolveActorCriticConfig(config: unknown): ActorCriticConfig {
  const A = 'ActorCritic';
  const { pg, fields: c } = resolvePgConfig(A, config, ACTOR_CRITIC_DEFAULTS);
  checkNumber(A, 'actorLr', c.actorLr, POSITIVE);
  checkNumber(A, 'criticLr', c.criticLr, POSITIVE);
  checkNumber(A, 'gamma', c.gamma, DISCOUNT);
  checkBoolean(A, 'discountI', c.discountI);
  checkNumber(A, 'numEnvs', c.numEnvs, POSITIVE_INTEGER);
  checkNumber(A, 'entCoef', c.entCoef, { min: 0 });
  return { ...pg, actorLr: c.actorLr, criticLr: c.criticLr, gamma: c.gamma, discountI: c.discountI, numEnvs: c.numEnvs, entCoef: c.entCoef };
}

/** Transitions (s, a, r, s′, terminated) with the actor's step scale λ. */
export interface AcBatch {
  size: number;
  obs: Float32Array;
  actions: Int32Array | Float32Array;
  rewards: Float32Array;
  /** s′ (the true last observation when the episode ended). */
  nextObs: Float32Array;
  /** 1 stops bootstrapping; a truncated step has 0 here. */
  terminated: Uint8Array;
  /** λ of each transition. */
  discounts: Float32Array;
}

/** λ_t = γ^t: λ ← γλ from λ = 1 at the episode's first step (1 everywhere when discountI is off). */
export function acBatch(r: StepRollout, gamma: number, discountI: boolean): AcBatch {
  const n = r.numSteps * r.numEnvs;
  const discounts = new Float32Array(n);
  for (let i = 0; i < n; i++) discounts[i] = discountI ? gamma ** r.episodeStep[i]! : 1;
  return { size: n, obs: r.obs, actions: r.actions, rewards: r.rewards, nextObs: r.nextObs, terminated: r.terminated, discounts };
}

/** The one-step Actor-Critic learner: actor and critic networks with step sizes α and β. */
export class ActorCriticLearner extends PolicyGradientLearner<AcBatch, ActorCriticConfig> implements Learner<AcBatch, TensorMap>, DataParallelLearner<AcBatch> {
  constructor(obsDim: number, head: PolicyHead, config: Partial<ActorCriticConfig> = {}) {
    const c = resolveActorCriticConfig(config);
    super('ActorCritic', obsDim, head, c, { withValue: true, optimizers: 'split', policyLr: c.actorLr, valueLr: c.criticLr });
  }

  /** G(s) = r + γ (1 − terminated) V_φ(s′) and δ = G(s) − V_φ(s), as constants [B]. */
  tdTargetAndError(b: AcBatch): { tdTarget: tf.Tensor1D; tdError: tf.Tensor1D } {
    return tf.tidy(() => {
      const n = b.size * this.obsDim;
      const both = new Float32Array(2 * n);
      both.set(b.obs.subarray(0, n));
      both.set(b.nextObs.subarray(0, n), n);
      const v = this.nets.values(tf.tensor2d(both, [2 * b.size, this.obsDim]));
      const [vS, vNext] = tf.split(v, 2) as [tf.Tensor1D, tf.Tensor1D];
      const notTerminated = tf.sub(1, tf.tensor1d(b.terminated.subarray(0, b.size), 'float32'));
      const tdTarget = tf.add(tf.tensor1d(b.rewards.subarray(0, b.size)), tf.mul(this.config.gamma, tf.mul(notTerminated, vNext))) as tf.Tensor1D;
      return { tdTarget, tdError: tf.sub(tdTarget, vS) as tf.Tensor1D };
    });
  }

  /** The loss closure holds δ and G(s) of the batch; they are freed once `run` returns. */
  protected override withLoss<T>(b: AcBatch, run: (f: () => LossParts) => T): T {
    const { tdTarget, tdError } = this.tdTargetAndError(b);
    const { entCoef } = this.config;
    try {
      return run(() => {
        const obs = tf.tensor2d(b.obs.subarray(0, b.size * this.obsDim), [b.size, this.obsDim]);
        const criticLoss = tf.mul(0.5, tf.mean(tf.squaredDifference(tdTarget, this.nets.values(obs)))) as tf.Scalar; // ½ δ²
        const { logProb, entropy: h } = this.nets.logProbAndEntropy(obs, b.actions);
        const actorLoss = tf.neg(tf.mean(tf.mul(tf.mul(tf.tensor1d(b.discounts.subarray(0, b.size)), tdError), logProb))) as tf.Scalar; // −λ δ log π
        const entropy = tf.mean(h) as tf.Scalar;
        const loss = tf.sub(tf.add(actorLoss, criticLoss), tf.mul(entCoef, entropy)) as tf.Scalar;
        return { loss, report: { [POLICY_LOSS]: actorLoss, [VALUE_LOSS]: criticLoss, [ENTROPY]: entropy } };
      });
    } finally {
      tf.dispose([tdTarget, tdError]);
    }
  }
}

/** Trains one-step Actor-Critic with the shared on-policy loop (numSteps = 1). */
export function trainActorCritic(opts: TrainPgOptions<ActorCriticConfig>): TrainPgResult<ActorCriticLearner> {
  const config = resolveActorCriticConfig(opts.config ?? {});
  const { obsDim, head } = policyEnvSizes(opts.envId, opts.kwargs, 'ActorCritic');
  const learner = new ActorCriticLearner(obsDim, head, config);
  let actor = learner.actor();
  const ev = pgEvaluator(opts, config.seed, () => actor);
  const result = runOnPolicy({
    envId: opts.envId,
    kwargs: opts.kwargs ?? {},
    head,
    numEnvs: config.numEnvs,
    numSteps: 1,
    totalTimesteps: opts.totalTimesteps,
    seed: config.seed,
    act: (obs, numEnvs) => actor.act(obs, numEnvs, learner.rng),
    update: (rollout) => learner.update(acBatch(rollout, config.gamma, config.discountI)),
    onParamsUpdated: () => {
      actor = learner.actor();
    },
    ...(opts.onMetrics !== undefined ? { onMetrics: opts.onMetrics } : {}),
    ...(ev !== undefined ? { evaluate: ev.evaluate, evalInterval: ev.evalInterval } : {}),
  });
  return { learner, ...result, ...(ev?.result ?? {}) };
}
