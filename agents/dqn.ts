/**
 * DQN — Mnih et al. 2015, "Human-level control through deep reinforcement learning" (Nature 518),
 * with the Double DQN target of van Hasselt et al. 2016 as an option. Checked against
 * Stable-Baselines3's DQN (huber loss, Adam, global-norm clipping, hard/Polyak target updates)
 * and CleanRL's dqn.py.
 *
 * Update, for a minibatch (s, a, r, s′, terminated) sampled uniformly from the replay buffer:
 *   tdTarget = r + γ (1 − terminated) max_a′ Q_target(s′, a′)                 (DQN)
 *   tdTarget = r + γ (1 − terminated) Q_target(s′, argmax_a′ Q(s′, a′))        (Double DQN)
 *   tdLoss   = Huber(Q(s, a) − tdTarget)                                       (δ = 1)
 *   θ ← Adam(θ, ∇θ tdLoss), gradients clipped to global norm maxGradNorm
 *   θ_target ← τ θ + (1 − τ) θ_target every targetUpdateInterval env steps     (τ = 1: hard copy)
 * Only `terminated` stops bootstrapping: a time-limit truncation is stored with its true final
 * observation and bootstraps like any other step.
 *
 * The actor (`dqnActor`, in dqnActor.ts) is ε-greedy over Q computed by `dqnForward` (a
 * FusedMlp: the one typed-array MLP forward, core/fusedNet.ts) from the published parameters:
 * no tfjs in rollout workers, which import only that module.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer, type Optimizer, type OptimizerSpec } from '../core/optim.js';
import { huber } from '../core/losses.js';
import { blendWeights, getParams, setParams, namedVariables, computeGradients, type TensorMap } from '../core/tensors.js';
import { fusedAdamStateSchema } from '../core/stateFile.js';
import { count } from '../base/schemas.js';
import { checkDqnActions, FusedDqnUpdate } from './dqnFused.js';
import { loadCheckpoint, saveCheckpoint } from '../core/checkpoint.js';
import type { TransitionBatch } from '../core/replay.js';
import type { Rng } from '../base/rng.js';
import { clipNormOf } from '../base/configCheck.js';
import { resolveDqnConfig, type DqnConfig } from './dqnConfig.js';
import { Q_MODEL, Q_NET, Q_TARGET_MODEL, Q_TARGET_NET } from './netNames.js';
import { dqnActor, dqnForward, dqnStreams, epsilonAt, epsilonSchedule, greedyPolicy } from './dqnActor.js';
import { Discrete, probeEnv } from '../envs/index.js';
import { runOffPolicy, type OffPolicyOptions } from './offPolicy.js';
import { trainerGoalEvaluator, type EvalResult, type TrainEvalOptions } from './evaluate.js';
import { TD_LOSS } from './metricNames.js';
import type { DataParallelLearner, DqnTrainingState, Learner, VersionedParams } from './types.js';
import type { Metrics } from '../base/metrics.js';

/** The actor side (no tfjs): defined in dqnActor.ts, part of DQN's API here. */
export type { EpsilonSchedule } from './types.js';
export { epsilonAt, epsilonSchedule, dqnActor, greedyActions, dqnForward, greedyPolicy, dqnStreams } from './dqnActor.js';

/** DQN's settings, defaults and their check: defined in dqnConfig.ts (no tfjs, the learner process checks its init with it), part of DQN's API here. */
export { DQN_DEFAULTS, resolveDqnConfig, type DqnConfig } from './dqnConfig.js';

export type { DqnTrainingState } from './types.js';

/**
 * The parameters a DQN learner of this config starts from (online and target maps): what a learner
 * process is given, so it builds the same networks without tfjs.
 */
export function initialDqnParams(obsDim: number, numActions: number, config: DqnConfig): { online: TensorMap; target: TensorMap } {
  const learner = new DqnLearner(obsDim, numActions, config, dqnStreams(config.seed).learner);
  try {
    const f = learner.fusedUpdate;
    return { online: f.online.toMap(), target: f.target.toMap() };
  } finally {
    learner.dispose();
  }
}

/** What DqnLearner.load reads of the state it saved (the fused Adam's state only when config.fused was true). */
const dqnSavedState = z.object({ version: count, updates: count, adam: fusedAdamStateSchema.optional() });
/**
 * What a learner with the fused update (config.fused) over `parameters` flat parameters loads: the
 * same, with the fused Adam's state required and as long as the parameters. It is checked with the
 * rest of state.msgpack, so a checkpoint that fails either is refused before either Q network is
 * written to (core/checkpoint.ts loadCheckpoint).
 */
function dqnFusedSavedState(parameters: number) {
  return dqnSavedState.transform((s, ctx) => {
    if (s.adam === undefined) {
      ctx.addIssue({ code: 'custom', path: ['adam'], message: 'missing: the checkpoint was saved without the fused optimiser state (config.fused was false)' });
      return z.NEVER;
    }
    for (const moment of ['m', 'v'] as const) {
      if (s.adam[moment].length !== parameters) {
        ctx.addIssue({ code: 'custom', path: ['adam', moment], message: `${s.adam[moment].length} values, the learner has ${parameters} parameters` });
        return z.NEVER;
      }
    }
    return { ...s, adam: s.adam };
  });
}

/** The DQN learner: online and target Q networks, Adam, the TD update. */
export class DqnLearner implements Learner<TransitionBatch, TensorMap>, DataParallelLearner<TransitionBatch> {
  readonly config: Readonly<DqnConfig>;
  readonly q: tf.Sequential;
  readonly qTarget: tf.Sequential;
  readonly optimizer: Optimizer;
  private readonly vars: Map<string, tf.Variable>;
  /** The fused update (dqnFused.ts) when config.fused; the tfjs models are then synced on save. */
  private readonly fused?: FusedDqnUpdate;
  /** The tfjs path's counters (the fused path's live in `fused`). */
  private tfVersion = 0;
  private tfUpdates = 0;

  /** Gradient steps taken. */
  get updates(): number {
    return this.fused?.updates ?? this.tfUpdates;
  }

  private get version(): number {
    return this.fused?.version ?? this.tfVersion;
  }

  constructor(
    readonly obsDim: number,
    readonly numActions: number,
    config: Partial<DqnConfig>,
    rng: Rng,
  ) {
    this.config = Object.freeze(resolveDqnConfig(config));
    const spec = { name: Q_NET, inputDim: obsDim, hidden: this.config.hidden, outputDim: numActions, activation: this.config.activation, init: 'torchDefault' as const };
    this.q = buildMlp(spec, rng);
    this.qTarget = buildMlp({ ...spec, name: Q_TARGET_NET }, rng);
    this.qTarget.setWeights(this.q.getWeights());
    const opt: OptimizerSpec = { name: 'adam', lr: this.config.learningRate, clipNorm: clipNormOf(this.config.maxGradNorm) };
    this.optimizer = makeOptimizer(opt);
    this.vars = namedVariables(this.q);
    if (this.config.fused) this.fused = new FusedDqnUpdate(getParams(this.q), getParams(this.qTarget), numActions, this.config);
  }

  /** Sets the parameters of the online or target network (tfjs model and fused copy). */
  setNetworkParams(which: 'q' | 'qTarget', params: TensorMap): void {
    setParams(which === 'q' ? this.q : this.qTarget, params);
    if (this.fused !== undefined) {
      const net = which === 'q' ? this.fused.online : this.fused.target;
      net.flatten(params, net.params);
    }
  }

  /** tdTarget = r + γ (1 − terminated) · bootstrap(s′), no gradient. */
  private tdTarget(b: TransitionBatch): tf.Tensor1D {
    return tf.tidy(() => {
      const nextObs = tf.tensor2d(b.nextObs, [b.size, this.obsDim]);
      const qNextTarget = this.qTarget.predict(nextObs) as tf.Tensor2D;
      let bootstrap: tf.Tensor1D;
      if (this.config.doubleQ) {
        const aStar = tf.argMax(this.q.predict(nextObs) as tf.Tensor2D, 1) as tf.Tensor1D;
        bootstrap = tf.sum(tf.mul(qNextTarget, tf.oneHot(aStar, this.numActions)), 1);
      } else {
        bootstrap = tf.max(qNextTarget, 1);
      }
      const notTerminated = tf.sub(1, tf.tensor1d(b.terminated, 'float32'));
      return tf.add(tf.tensor1d(b.rewards), tf.mul(this.config.gamma, tf.mul(notTerminated, bootstrap)));
    });
  }

  /** The TD targets of a batch as data (for inspection and tests). */
  tdTargets(b: TransitionBatch): Float32Array {
    if (this.fused !== undefined) return this.fused.tdTargets(b).slice();
    const t = this.tdTarget(b);
    const out = t.dataSync() as Float32Array;
    t.dispose();
    return out;
  }

  private lossFn(b: TransitionBatch, tdTarget: tf.Tensor1D): () => tf.Scalar {
    return () =>
      tf.tidy(() => {
        const qAll = this.q.apply(tf.tensor2d(b.obs, [b.size, this.obsDim])) as tf.Tensor2D;
        const qTaken = tf.sum(tf.mul(qAll, tf.oneHot(tf.tensor1d(b.actions, 'int32'), this.numActions)), 1);
        return huber(qTaken, tdTarget) as tf.Scalar;
      });
  }

  /** One gradient step on a minibatch. */
  update(b: TransitionBatch): Metrics {
    if (this.fused !== undefined) return { [TD_LOSS]: this.fused.update(b) };
    checkDqnActions(b, this.numActions);
    const tdTarget = this.tdTarget(b);
    const loss = this.optimizer.minimize(this.lossFn(b, tdTarget), [...this.vars.values()]);
    const tdLoss = loss.dataSync()[0]!;
    tf.dispose([loss, tdTarget]);
    this.tfUpdates++;
    this.tfVersion++;
    return { [TD_LOSS]: tdLoss };
  }

  computeGradients(b: TransitionBatch): { grads: TensorMap; metrics: Metrics } {
    if (this.fused !== undefined) {
      const loss = this.fused.lossAndGrad(b);
      return { grads: this.fused.online.gradMap(), metrics: { [TD_LOSS]: loss } };
    }
    checkDqnActions(b, this.numActions);
    const tdTarget = this.tdTarget(b);
    try {
      const { loss, grads } = computeGradients(this.lossFn(b, tdTarget), this.vars);
      return { grads, metrics: { [TD_LOSS]: loss } };
    } finally {
      tdTarget.dispose();
    }
  }

  applyGradients(grads: TensorMap): Metrics {
    if (this.fused !== undefined) {
      this.fused.step(this.fused.online.flatten(grads));
      return {};
    }
    this.optimizer.applyGradientMap(this.vars, grads);
    this.tfUpdates++;
    this.tfVersion++;
    return {};
  }

  /** θ_target ← τ θ + (1 − τ) θ_target. */
  updateTarget(tau = this.config.tau): void {
    if (this.fused !== undefined) {
      this.fused.updateTarget(tau);
      return;
    }
    blendWeights(this.qTarget.trainableWeights, this.q.trainableWeights, tau);
  }

  getPolicyParams(): VersionedParams<TensorMap> {
    return { version: this.version, params: this.fused !== undefined ? this.fused.online.toMap() : getParams(this.q) };
  }

  /**
   * Everything needed to continue training exactly (online and target parameters, Adam moments,
   * counters) as flat typed arrays, for a learner process the coordinator may restart. Fused path only.
   */
  getTrainingState(): DqnTrainingState {
    return this.requireFused('getTrainingState').getState();
  }

  setTrainingState(s: DqnTrainingState): void {
    this.requireFused('setTrainingState').setState(s);
  }

  /** The fused update itself (a learner process continues it without tfjs: workers/dqnLearnerHost.ts). */
  get fusedUpdate(): FusedDqnUpdate {
    return this.requireFused('fusedUpdate');
  }

  private requireFused(what: string): FusedDqnUpdate {
    if (this.fused === undefined) throw new Error(`DQN.${what} needs the fused training path (config.fused = true, the default)`);
    return this.fused;
  }

  /** Copies the fused parameters into the tfjs models (before saving or exporting them). */
  syncModels(): void {
    if (this.fused === undefined) return;
    setParams(this.q, this.fused.online.toMap());
    setParams(this.qTarget, this.fused.target.toMap());
  }

  async save(dir: string): Promise<void> {
    this.syncModels();
    const state = { version: this.version, updates: this.updates, config: this.config, adam: this.fused?.adam.getState() };
    await saveCheckpoint(
      dir,
      { models: { [Q_MODEL]: this.q, [Q_TARGET_MODEL]: this.qTarget }, optimizers: this.fused === undefined ? { q: this.optimizer } : {}, state },
      { step: this.updates },
    );
  }

  /** Restores what `save` wrote; a checkpoint refused (a bad file, or no fused Adam state of the right length for the fused path) leaves the learner as it was. */
  async load(dir: string): Promise<void> {
    const models = { [Q_MODEL]: this.q, [Q_TARGET_MODEL]: this.qTarget };
    const fused = this.fused;
    if (fused !== undefined) {
      const { state } = await loadCheckpoint(dir, { models, state: dqnFusedSavedState(fused.online.params.length) });
      fused.online.flatten(getParams(this.q), fused.online.params);
      fused.target.flatten(getParams(this.qTarget), fused.target.params);
      fused.adam.setState(state.adam);
      fused.version = state.version;
      fused.updates = state.updates;
    } else {
      const { state } = await loadCheckpoint(dir, { models, optimizers: { q: this.optimizer }, state: dqnSavedState });
      this.tfVersion = state.version;
      this.tfUpdates = state.updates;
    }
  }

  dispose(): void {
    this.q.dispose();
    this.qTarget.dispose();
    this.optimizer.dispose();
  }
}

export interface TrainDqnOptions extends TrainEvalOptions {
  config?: Partial<DqnConfig>;
  totalTimesteps: number;
  numEnvs?: number;
}

export interface TrainDqnResult {
  learner: DqnLearner;
  envSteps: number;
  wallSeconds: number;
  /** Env steps at which the greedy evaluation first reached the goal (undefined if never). */
  goalReachedAt?: number;
  lastEval?: EvalResult;
  /** The evaluation on fresh episodes that confirmed the goal (or the last one that failed to). */
  final?: EvalResult;
}

/** The sizes of DQN's Q-network for an env: its observation size and number of actions (a clear error for an env DQN cannot take). */
export function dqnEnvSizes(envId: string, kwargs: Record<string, unknown> = {}): { obsDim: number; numActions: number } {
  const { obsDim, actionSpace } = probeEnv(envId, kwargs);
  if (!(actionSpace instanceof Discrete)) throw new TypeError(`DQN needs a Discrete action space; ${envId} has ${String(actionSpace)}`);
  return { obsDim, numActions: actionSpace.n };
}

/** Trains DQN on a registered env with the shared off-policy loop. */
export function trainDqn(opts: TrainDqnOptions): TrainDqnResult {
  const config = resolveDqnConfig(opts.config ?? {});
  const streams = dqnStreams(config.seed);
  const { obsDim, numActions } = dqnEnvSizes(opts.envId, opts.kwargs);
  const learner = new DqnLearner(obsDim, numActions, config, streams.learner);
  const actorRng = streams.actor;
  const replayRng = streams.replay;
  let forward = dqnForward(learner.getPolicyParams().params, config.activation);
  const epsilon = epsilonSchedule(config, opts.totalTimesteps);
  const goalCheck = trainerGoalEvaluator(opts, config.seed, () => greedyPolicy(learner.getPolicyParams().params, config.activation));
  const loopOpts: OffPolicyOptions = {
    envId: opts.envId,
    numEnvs: opts.numEnvs ?? 1,
    totalTimesteps: opts.totalTimesteps,
    seed: config.seed,
    learner,
    rng: replayRng,
    act: (obs, numEnvs, envStep, out) => dqnActor(forward, obs, numEnvs, epsilonAt(epsilon, envStep), actorRng, out),
    onParamsUpdated: () => {
      forward = dqnForward(learner.getPolicyParams().params, config.activation);
    },
  };
  if (opts.kwargs !== undefined) loopOpts.kwargs = opts.kwargs;
  if (opts.onMetrics !== undefined) loopOpts.onMetrics = opts.onMetrics;
  if (goalCheck !== undefined) {
    loopOpts.evaluate = goalCheck.evaluate;
    loopOpts.evalInterval = goalCheck.evalInterval;
  }
  const result = runOffPolicy(loopOpts);
  const out: TrainDqnResult = { learner, envSteps: result.envSteps, wallSeconds: result.wallSeconds };
  if (goalCheck?.result.goalReachedAt !== undefined) out.goalReachedAt = goalCheck.result.goalReachedAt;
  if (goalCheck?.result.lastEval !== undefined) out.lastEval = goalCheck.result.lastEval;
  if (goalCheck?.result.final !== undefined) out.final = goalCheck.result.final;
  return out;
}
