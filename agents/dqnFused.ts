/**
 * DQN's update (dqn.ts, where the rule is written out) on the fused path, apart from dqn.ts so that
 * a learner process imports no tfjs: the online and target Q networks as FusedMlp (one flat forward
 * and backward on the native SGEMM, core/fusedNet.ts), Adam as FusedAdam, and per minibatch
 *   tdTarget = r + γ (1 − terminated) Q_target(s′, ·) (max, or the online argmax with doubleQ)
 *   tdLoss   = Huber(Q(s, a) − tdTarget), δ = 1, mean over the batch; θ ← Adam(θ, ∇θ tdLoss)
 * `DqnLearner` holds one of these when `config.fused` (the default) and keeps its tfjs models for
 * saving; the learner process (workers/dqnLearnerHost.ts) holds one alone, built from the
 * parameters the coordinator's learner started with.
 */
import { clipNormOf } from '../base/configCheck.js';
import { FusedAdam } from '../core/fused.js';
import { ADAM_DEFAULTS } from '../core/optimDefaults.js';
import { FusedMlp } from '../core/fusedNet.js';
import type { TensorMap } from '../core/tensors.js';
import type { TransitionBatch } from '../core/replay.js';
import type { DqnConfig } from './dqnConfig.js';
import type { DqnTrainingState } from './types.js';
import { argmax } from '../base/stats.js';

/** The settings of dqn.ts's config that the update reads. */
export type FusedDqnConfig = Pick<DqnConfig, 'activation' | 'learningRate' | 'gamma' | 'maxGradNorm' | 'doubleQ' | 'tau'>;

/** Actions index Q's rows: one outside [0, numActions) would read and write past them (the coordinator validates results; this names what got through). */
export function checkDqnActions(b: TransitionBatch, numActions: number): void {
  for (let r = 0; r < b.size; r++) {
    const a = b.actions[r]!;
    if (!Number.isInteger(a) || a < 0 || a >= numActions) throw new RangeError(`DQN minibatch row ${r}: action ${a} is outside the action space Discrete(${numActions})`);
  }
}

export class FusedDqnUpdate {
  readonly online: FusedMlp;
  readonly target: FusedMlp;
  readonly adam: FusedAdam;
  private gOut = new Float32Array(0);
  private td = new Float32Array(0);
  /** Gradient steps taken, and the version of the online parameters (one per step). */
  updates = 0;
  version = 0;

  /** From the online and target parameter maps (`getParams(buildMlp(...))`'s layout). */
  constructor(
    online: TensorMap,
    target: TensorMap,
    readonly numActions: number,
    readonly config: Readonly<FusedDqnConfig>,
  ) {
    this.online = new FusedMlp(online, config.activation);
    this.target = new FusedMlp(target, config.activation);
    const { beta1, beta2, epsilon } = ADAM_DEFAULTS; // the tfjs DQN's makeOptimizer defaults
    this.adam = new FusedAdam(this.online.params.length, config.learningRate, beta1, beta2, epsilon, clipNormOf(config.maxGradNorm));
  }

  /** tdTarget = r + γ (1 − terminated) · bootstrap(s′), into a reused array. */
  tdTargets(b: TransitionBatch): Float32Array {
    if (this.td.length !== b.size) this.td = new Float32Array(b.size);
    const nA = this.numActions;
    let greedy: Int32Array | undefined;
    if (this.config.doubleQ) {
      const qNext = this.online.forward(b.nextObs, b.size);
      greedy = new Int32Array(b.size);
      for (let r = 0; r < b.size; r++) greedy[r] = argmax(qNext, r * nA, nA);
    }
    const qNextTarget = this.target.forward(b.nextObs, b.size);
    for (let r = 0; r < b.size; r++) {
      let bootstrap: number;
      if (greedy !== undefined) bootstrap = qNextTarget[r * nA + greedy[r]!]!;
      else {
        bootstrap = qNextTarget[r * nA]!;
        for (let a = 1; a < nA; a++) bootstrap = Math.max(bootstrap, qNextTarget[r * nA + a]!);
      }
      this.td[r] = b.rewards[r]! + this.config.gamma * (1 - b.terminated[r]!) * bootstrap;
    }
    return this.td;
  }

  /** Huber loss of Q(s, a) against the TD target; leaves ∂loss/∂θ in online.grads. */
  lossAndGrad(b: TransitionBatch): number {
    checkDqnActions(b, this.numActions);
    const td = this.tdTargets(b);
    const nA = this.numActions;
    const q = this.online.forward(b.obs, b.size);
    if (this.gOut.length !== b.size * nA) this.gOut = new Float32Array(b.size * nA);
    this.gOut.fill(0);
    let loss = 0;
    for (let r = 0; r < b.size; r++) {
      const a = b.actions[r]!;
      const x = q[r * nA + a]! - td[r]!;
      const ax = Math.abs(x);
      // Huber (δ = 1): ½x² inside, |x| − ½ outside; ∂/∂Q = clip(x, −1, 1), mean over the batch
      loss += ax <= 1 ? 0.5 * x * x : ax - 0.5;
      this.gOut[r * nA + a] = Math.max(-1, Math.min(1, x)) / b.size;
    }
    this.online.backward(this.gOut);
    return loss / b.size;
  }

  /** One gradient step on a minibatch; returns its TD loss. */
  update(b: TransitionBatch): number {
    const loss = this.lossAndGrad(b);
    this.step(this.online.grads);
    return loss;
  }

  /** One Adam step with flat gradients (online.grads, or a mean of shards' as online.flatten gives it). */
  step(grads: Float32Array): void {
    this.adam.step(this.online.params, grads);
    this.updates++;
    this.version++;
  }

  /** θ_target ← τ θ + (1 − τ) θ_target. */
  updateTarget(tau = this.config.tau): void {
    this.target.blendFrom(this.online, tau);
  }

  getState(): DqnTrainingState {
    return { online: this.online.params.slice(), target: this.target.params.slice(), adam: this.adam.getState(), updates: this.updates, version: this.version };
  }

  setState(s: DqnTrainingState): void {
    if (s.online.length !== this.online.params.length || s.target.length !== this.target.params.length) {
      throw new Error(`DQN training state: ${s.online.length} parameters for a network of ${this.online.params.length}`);
    }
    this.online.params.set(s.online);
    this.target.params.set(s.target);
    this.adam.setState(s.adam);
    this.updates = s.updates;
    this.version = s.version;
  }

}
