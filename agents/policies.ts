/**
 * Policy heads and the policy/value networks shared by the policy-gradient agents (REINFORCE,
 * one-step Actor-Critic, A2C). Written once, used by all three.
 *
 * Heads (each in two forms: typed-array math for actors, tfjs ops for learners):
 * - categorical over K actions from logits z:
 *     log π(a|s) = z_a − log Σ_k e^{z_k};      H = −Σ_k π_k log π_k
 * - diagonal Gaussian with a state-independent learned log-std (Schulman et al. 2015, TRPO §8):
 *     μ = f_θ(s), σ = e^{logStd}
 *     log π(a|s) = Σ_d [ −½ ((a_d − μ_d)/σ_d)² − log σ_d − ½ log 2π ]
 *     H = Σ_d [ log σ_d + ½ (1 + log 2π) ]
 *   Actions are sampled unbounded; the loop clips them to the Box before stepping the env and
 *   stores the unclipped action (whose log-prob was taken), as Stable-Baselines3 does.
 *
 * `PolicyValueNets` owns the tfjs side: a policy MLP (logits or μ), an optional value MLP V_φ,
 * the log-std variable, and one or two optimisers (one over everything, or α for θ and β for φ).
 * Each agent supplies only its loss. Parameters leave as data (`getParams`), gradients as data
 * (`computeGradients` / `applyGradients`) for data-parallel learners.
 *
 * The actor (`PolicyActor`) runs those parameters on FusedMlp, the one typed-array MLP forward
 * (core/fusedNet.ts): no tensors in rollout workers.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { HiddenActivation } from '../core/activation.js';
import { buildMlp, type Init } from '../core/nn.js';
import { makeOptimizer, type Optimizer, type OptimizerName, type OptimizerSpec } from '../core/optim.js';
import { namedVariables, readTensors, type TensorMap } from '../core/tensors.js';
import { loadCheckpoint, saveCheckpoint } from '../core/checkpoint.js';
import { f32 } from '../base/schemas.js';
import { FusedMlp } from '../core/fusedNet.js';
import type { Rng } from '../base/rng.js';
import type { Metrics } from '../base/metrics.js';
import { argmax } from '../base/stats.js';
import { Box, Discrete, type Space } from '../envs/index.js';
import { LOG_STD, POLICY_MODEL, POLICY_NET, VALUE_MODEL, VALUE_NET } from './netNames.js';

const LOG_2PI = Math.log(2 * Math.PI);

/** What the policy network's output means. */
export type PolicyHead =
  | { kind: 'categorical'; numActions: number }
  | { kind: 'gaussian'; actionDim: number; low: Float64Array; high: Float64Array };

/** The head for an env's action space: Discrete → categorical, Box → diagonal Gaussian. */
export function headFor(actionSpace: Space<unknown>, agent: string): PolicyHead {
  if (actionSpace instanceof Discrete) {
    if (actionSpace.start !== 0) throw new TypeError(`${agent} needs a Discrete action space starting at 0, got start ${actionSpace.start}`);
    return { kind: 'categorical', numActions: actionSpace.n };
  }
  if (actionSpace instanceof Box) return { kind: 'gaussian', actionDim: actionSpace.size, low: actionSpace.low, high: actionSpace.high };
  throw new TypeError(`${agent} needs a Discrete or Box action space, got ${String(actionSpace)}`);
}

/** Numbers per action: 1 for categorical, the Box size for Gaussian. */
export function actionDimOf(head: PolicyHead): number {
  return head.kind === 'categorical' ? 1 : head.actionDim;
}

/** Outputs of the policy network: K logits or D means. */
export function policyOutputDim(head: PolicyHead): number {
  return head.kind === 'categorical' ? head.numActions : head.actionDim;
}

// ---------------------------------------------------------------------------------------------
// Typed-array head math (actors)

/** log π(·|s) of one row of logits, written into `out` (log-sum-exp shifted by the max). */
export function logSoftmax(logits: ArrayLike<number>, offset: number, k: number, out: Float64Array): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < k; i++) max = Math.max(max, logits[offset + i]!);
  let sum = 0;
  for (let i = 0; i < k; i++) sum += Math.exp(logits[offset + i]! - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < k; i++) out[i] = logits[offset + i]! - lse;
  return out;
}

/** Categorical log π(a|s) from one row of logits. */
export function categoricalLogProb(logits: ArrayLike<number>, action: number): number {
  const lp = logSoftmax(logits, 0, logits.length, new Float64Array(logits.length));
  return lp[action]!;
}

/** Categorical entropy −Σ π log π from one row of logits. */
export function categoricalEntropy(logits: ArrayLike<number>): number {
  const lp = logSoftmax(logits, 0, logits.length, new Float64Array(logits.length));
  let h = 0;
  for (let i = 0; i < lp.length; i++) h -= Math.exp(lp[i]!) * lp[i]!;
  return h;
}

/** Diagonal Gaussian log-density of `action` (see module doc). */
export function gaussianLogProb(mean: ArrayLike<number>, logStd: ArrayLike<number>, action: ArrayLike<number>): number {
  let lp = 0;
  for (let d = 0; d < mean.length; d++) {
    const z = (action[d]! - mean[d]!) / Math.exp(logStd[d]!);
    lp += -0.5 * z * z - logStd[d]! - 0.5 * LOG_2PI;
  }
  return lp;
}

/** Diagonal Gaussian entropy Σ (log σ + ½(1 + log 2π)). */
export function gaussianEntropy(logStd: ArrayLike<number>): number {
  let h = 0;
  for (let d = 0; d < logStd.length; d++) h += logStd[d]! + 0.5 * (1 + LOG_2PI);
  return h;
}

// ---------------------------------------------------------------------------------------------
// tfjs head math (learners; call inside tidy or a loss closure)

/** log π(a|s) per row: logits [B, K], actions int32 [B] → [B]. */
export function categoricalLogProbTf(logits: tf.Tensor2D, actions: tf.Tensor1D): tf.Tensor1D {
  return tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(actions, logits.shape[1])), 1);
}

/** Entropy per row of a categorical from logits [B, K] → [B]. */
export function categoricalEntropyTf(logits: tf.Tensor2D): tf.Tensor1D {
  const lp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), 1)) as tf.Tensor1D;
}

/** Diagonal Gaussian log-density per row: mean [B, D], logStd [D], actions [B, D] → [B]. */
export function gaussianLogProbTf(mean: tf.Tensor2D, logStd: tf.Tensor1D, actions: tf.Tensor2D): tf.Tensor1D {
  const z = tf.div(tf.sub(actions, mean), tf.exp(logStd));
  return tf.sum(tf.sub(tf.mul(-0.5, tf.square(z)), tf.add(logStd, 0.5 * LOG_2PI)), 1);
}

/** Diagonal Gaussian entropy (a scalar: σ does not depend on the state). */
export function gaussianEntropyTf(logStd: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.add(logStd, 0.5 * (1 + LOG_2PI)));
}

// ---------------------------------------------------------------------------------------------
// Actor

/** Names of the networks inside published parameters (`pi_0_dense/kernel`, `vf_1_dense/bias`, `logStd`): netNames.ts. */
export { LOG_STD, POLICY_NET, VALUE_NET } from './netNames.js';

/** The dense layers of one network inside a published parameter map. */
export function pickNet(params: TensorMap, net: string): TensorMap {
  const out: TensorMap = {};
  for (const [k, v] of Object.entries(params)) if (k.startsWith(`${net}_`) && k.includes('/')) out[k] = v;
  return out;
}

/** One batch of actor decisions; arrays are reused by the next call. */
export interface ActorOutput {
  /** numEnvs actions (categorical) or numEnvs × actionDim (Gaussian), unclipped. */
  actions: Int32Array | Float32Array;
  logProbs: Float32Array;
  /** V(s) per env (zeros when the parameters carry no value network). */
  values: Float32Array;
}

/**
 * The policy-gradient actor: a pure function of published parameters, observations and an Rng.
 * Built once per parameter version (it keeps scratch buffers).
 */
export class PolicyActor {
  readonly pi: FusedMlp;
  readonly vf: FusedMlp | undefined;
  readonly logStd: Float32Array | undefined;
  private out: ActorOutput | undefined;
  private readonly scratch: Float64Array;

  constructor(
    params: TensorMap,
    readonly head: PolicyHead,
    activation: HiddenActivation,
  ) {
    this.pi = new FusedMlp(pickNet(params, POLICY_NET), activation);
    const v = pickNet(params, VALUE_NET);
    this.vf = Object.keys(v).length > 0 ? new FusedMlp(v, activation) : undefined;
    this.logStd = params[LOG_STD]?.data;
    if (head.kind === 'gaussian') this.gaussianLogStd(); // fails at construction, not at the first act
    if (this.pi.outDim !== policyOutputDim(head)) throw new Error(`PolicyActor: policy net has ${this.pi.outDim} outputs, the head needs ${policyOutputDim(head)}`);
    this.scratch = new Float64Array(this.pi.outDim);
  }

  /** log σ of a Gaussian head; throws when the parameters lack it. */
  private gaussianLogStd(): Float32Array {
    if (this.logStd === undefined) throw new Error(`PolicyActor: Gaussian parameters lack '${LOG_STD}'`);
    return this.logStd;
  }

  private buffers(numEnvs: number): ActorOutput {
    if (this.out === undefined || this.out.logProbs.length !== numEnvs) {
      const n = numEnvs * actionDimOf(this.head);
      this.out = { actions: this.head.kind === 'categorical' ? new Int32Array(n) : new Float32Array(n), logProbs: new Float32Array(numEnvs), values: new Float32Array(numEnvs) };
    }
    return this.out;
  }

  /** Samples a ~ π(·|s) for each row of `obs`, with log π(a|s) and V(s). */
  act(obs: Float32Array, numEnvs: number, rng: Rng): ActorOutput {
    const out = this.buffers(numEnvs);
    const y = this.pi.forward(obs, numEnvs);
    const head = this.head;
    if (head.kind === 'categorical') {
      const k = head.numActions;
      for (let e = 0; e < numEnvs; e++) {
        const lp = logSoftmax(y, e * k, k, this.scratch);
        // inverse-CDF draw from π(·|s)
        let u = rng.random();
        let a = k - 1;
        for (let i = 0; i < k; i++) {
          u -= Math.exp(lp[i]!);
          if (u < 0) {
            a = i;
            break;
          }
        }
        out.actions[e] = a;
        out.logProbs[e] = lp[a]!;
      }
    } else {
      const d = head.actionDim;
      const logStd = this.gaussianLogStd();
      for (let e = 0; e < numEnvs; e++) {
        let lp = 0;
        for (let i = 0; i < d; i++) {
          const z = rng.normal();
          out.actions[e * d + i] = y[e * d + i]! + Math.exp(logStd[i]!) * z; // a = μ + σ z
          lp += -0.5 * z * z - logStd[i]! - 0.5 * LOG_2PI;
        }
        out.logProbs[e] = lp;
      }
    }
    this.valuesInto(obs, numEnvs, out.values);
    return out;
  }

  /** V(s) per row (zeros without a value network). */
  valuesInto(obs: Float32Array, numEnvs: number, out: Float32Array): Float32Array {
    if (this.vf === undefined) return out.fill(0);
    out.set(this.vf.forward(obs, numEnvs).subarray(0, numEnvs));
    return out;
  }

  /** V(s) of one observation. */
  value(obs: Float32Array): number {
    return this.vf === undefined ? 0 : this.vf.forward(obs, 1)[0]!;
  }

  /** The deterministic policy for evaluation: argmax π (categorical) or μ clipped to the Box (Gaussian). */
  greedy(obs: Float32Array): number | Float32Array {
    const y = this.pi.forward(obs, 1);
    if (this.head.kind === 'categorical') return argmax(y);
    const a = new Float32Array(this.head.actionDim);
    for (let i = 0; i < a.length; i++) a[i] = Math.min(this.head.high[i]!, Math.max(this.head.low[i]!, y[i]!));
    return a;
  }
}

/** Clips Gaussian actions to the Box into `out` (the env gets the clipped copy). */
export function clipToBox(actions: ArrayLike<number>, head: PolicyHead & { kind: 'gaussian' }, numEnvs: number, out: Float32Array): Float32Array {
  const d = head.actionDim;
  for (let e = 0; e < numEnvs; e++) {
    for (let i = 0; i < d; i++) out[e * d + i] = Math.min(head.high[i]!, Math.max(head.low[i]!, actions[e * d + i]!));
  }
  return out;
}

/**
 * What the env is given for a policy's actions of `numEnvs` rows: a Gaussian head's clipped into
 * its Box (into one buffer, reused), a categorical head's as they are.
 */
export function envActionsFor(head: PolicyHead, numEnvs: number): (actions: Int32Array | Float32Array) => Int32Array | Float32Array {
  if (head.kind !== 'gaussian') return (a) => a;
  const out = new Float32Array(numEnvs * head.actionDim);
  return (a) => clipToBox(a, head, numEnvs, out);
}

// ---------------------------------------------------------------------------------------------
// Learner networks

export interface NetsSpec {
  obsDim: number;
  head: PolicyHead;
  hidden: number[];
  activation: HiddenActivation;
  /** Build a value network V_φ. */
  withValue: boolean;
  /** Initial log σ of a Gaussian head. */
  initLogStd: number;
  /**
   * 'shared': one optimiser (lr = policyLr) over every parameter and the summed loss, gradients
   * clipped together (A2C); 'split': θ with policyLr (α) and φ with valueLr (β), clipped apart.
   */
  optimizers: 'shared' | 'split';
  optimizer: OptimizerName;
  policyLr: number;
  valueLr: number;
  /** Extra optimiser settings (eps, rho, …). */
  optimizerExtra?: Partial<OptimizerSpec>;
  maxGradNorm?: number;
}

/** What a loss closure returns: the scalar to minimise and named scalars to report. */
export interface LossParts {
  loss: tf.Scalar;
  report: Record<string, tf.Scalar>;
}

/** A loss's gradients as data plus its reported values (not protocol/tasks.ts's GradientResult, a gradient task's answer). */
export interface LossGradients {
  grads: TensorMap;
  metrics: Metrics;
}

export class PolicyValueNets {
  readonly policy: tf.Sequential;
  readonly value: tf.Sequential | undefined;
  readonly logStd: tf.Variable<tf.Rank.R1> | undefined;
  /** Every trainable variable by name, in optimiser order (θ, log σ, φ). */
  readonly vars: Map<string, tf.Variable>;
  readonly policyVars: Map<string, tf.Variable>;
  readonly valueVars: Map<string, tf.Variable>;
  /** 'all' (shared) or 'policy' + 'value' (split). */
  readonly optimizers: Record<string, Optimizer>;

  constructor(
    readonly spec: NetsSpec,
    rng: Rng,
  ) {
    const { obsDim, head, hidden, activation } = spec;
    // A small output layer makes the initial policy near uniform / near zero-mean (Andrychowicz et al. 2021).
    const outputInit: Init = { normal: 0.01 };
    this.policy = buildMlp({ name: POLICY_NET, inputDim: obsDim, hidden, outputDim: policyOutputDim(head), activation, init: 'torchDefault', outputInit }, rng);
    this.value = spec.withValue ? buildMlp({ name: VALUE_NET, inputDim: obsDim, hidden, outputDim: 1, activation, init: 'torchDefault' }, rng) : undefined;
    this.policyVars = namedVariables(this.policy);
    if (head.kind === 'gaussian') {
      this.logStd = tf.tidy(() => tf.variable(tf.fill<tf.Rank.R1>([head.actionDim], spec.initLogStd), true));
      this.policyVars.set(LOG_STD, this.logStd);
    }
    this.valueVars = this.value === undefined ? new Map() : namedVariables(this.value);
    this.vars = new Map([...this.policyVars, ...this.valueVars]);
    const opt = (lr: number): Optimizer => {
      const s: OptimizerSpec = { name: spec.optimizer, lr, ...(spec.optimizerExtra ?? {}) };
      if (spec.maxGradNorm !== undefined) s.clipNorm = spec.maxGradNorm;
      return makeOptimizer(s);
    };
    this.optimizers = spec.optimizers === 'shared' || this.value === undefined ? { all: opt(spec.policyLr) } : { policy: opt(spec.policyLr), value: opt(spec.valueLr) };
  }

  /** Policy outputs (logits or μ) for obs [B, obsDim]. */
  policyOut(obs: tf.Tensor2D): tf.Tensor2D {
    return this.policy.apply(obs) as tf.Tensor2D;
  }

  /** V(s) as [B]. */
  values(obs: tf.Tensor2D): tf.Tensor1D {
    if (this.value === undefined) throw new Error('PolicyValueNets: no value network');
    return tf.squeeze(this.value.apply(obs) as tf.Tensor2D, [1]) as tf.Tensor1D;
  }

  /** log π(a|s) [B] and entropy [B] of the head. `actions` as stored (Int32Array or Float32Array B×D). */
  logProbAndEntropy(obs: tf.Tensor2D, actions: Int32Array | Float32Array): { logProb: tf.Tensor1D; entropy: tf.Tensor1D } {
    const out = this.policyOut(obs);
    const head = this.spec.head;
    if (head.kind === 'categorical') {
      const a = tf.tensor1d(actions instanceof Int32Array ? actions : Int32Array.from(actions), 'int32');
      return { logProb: categoricalLogProbTf(out, a), entropy: categoricalEntropyTf(out) };
    }
    const b = obs.shape[0];
    const a = tf.tensor2d(actions instanceof Float32Array ? actions : Float32Array.from(actions), [b, head.actionDim]);
    const logStd = this.logStd;
    if (logStd === undefined) throw new Error('PolicyValueNets: a Gaussian head without its logStd variable');
    return { logProb: gaussianLogProbTf(out, logStd, a), entropy: tf.broadcastTo(gaussianEntropyTf(logStd), [b]) as tf.Tensor1D };
  }

  private gradsOf(f: () => LossParts): { value: tf.Scalar; grads: tf.NamedTensorMap; report: Record<string, tf.Scalar> } {
    let report: Record<string, tf.Scalar> = {};
    const list = [...this.vars.values()];
    const { value, grads } = tf.variableGrads(() => {
      const parts = f();
      report = Object.fromEntries(Object.entries(parts.report).map(([k, v]) => [k, tf.keep(v)]));
      return parts.loss;
    }, list);
    return { value, grads, report };
  }

  private static readReport(report: Record<string, tf.Scalar>): Metrics {
    const names = Object.keys(report);
    if (names.length === 0) return {};
    const stacked = tf.stack(names.map((n) => report[n]!));
    const values = stacked.dataSync();
    tf.dispose([stacked, ...Object.values(report)]);
    return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
  }

  /** One optimisation step on the loss; returns the reported values. No tensor survives. */
  step(f: () => LossParts): Metrics {
    const { value, grads, report } = this.gradsOf(f);
    for (const [name, vars] of this.optimizerVars()) {
      const list = [...vars.values()];
      this.optimizers[name]!.applyGradients(
        list,
        list.map((v) => (grads[v.name] ??= tf.zerosLike(v))),
      );
    }
    tf.dispose([value, ...Object.values(grads)]);
    return PolicyValueNets.readReport(report);
  }

  /** Gradients of the loss as data (named as in `vars`), for data-parallel learners. */
  computeGradients(f: () => LossParts): LossGradients {
    const { value, grads, report } = this.gradsOf(f);
    const data = readTensors([...this.vars].map(([n, v]) => [n, (grads[v.name] ??= tf.zerosLike(v))] as [string, tf.Tensor]));
    tf.dispose([value, ...Object.values(grads)]);
    return { grads: data, metrics: PolicyValueNets.readReport(report) };
  }

  /** Applies gradients given as data (e.g. averaged over workers) with the optimiser(s). */
  applyGradients(grads: TensorMap): void {
    for (const [name, vars] of this.optimizerVars()) {
      const part: TensorMap = {};
      for (const k of vars.keys()) {
        const g = grads[k];
        if (g === undefined) throw new Error(`applyGradients: gradient for '${k}' is missing`);
        part[k] = g;
      }
      this.optimizers[name]!.applyGradientMap(vars, part);
    }
  }

  private optimizerVars(): [string, Map<string, tf.Variable>][] {
    return 'all' in this.optimizers ? [['all', this.vars]] : [['policy', this.policyVars], ['value', this.valueVars]];
  }

  /** Every parameter as data: policy layers, value layers, log σ (what actors receive). */
  getParams(): TensorMap {
    return readTensors([...this.vars]);
  }

  private models(): Record<string, tf.LayersModel> {
    return this.value === undefined ? { [POLICY_MODEL]: this.policy } : { [POLICY_MODEL]: this.policy, [VALUE_MODEL]: this.value };
  }

  /** Saves weights, optimiser slots, log σ and the agent's own state; returns the checkpoint's directory. */
  async save(dir: string, state: Record<string, unknown>, step: number, meta: Record<string, string | number>): Promise<string> {
    const logStd = this.logStd === undefined ? null : Float32Array.from(this.logStd.dataSync() as Float32Array);
    return saveCheckpoint(dir, { models: this.models(), optimizers: this.optimizers, state: { ...state, logStd }, meta }, { step });
  }

  /**
   * Restores what `save` wrote; returns the agent's state, checked against `agentState` (the schema
   * of what the agent saved) before any weight is touched, as the log σ of a Gaussian head is.
   */
  async load<S>(dir: string, agentState: z.ZodType<S>): Promise<S> {
    const size = this.logStd?.size;
    // a categorical head has no log σ (saved as null): whatever is there is not read
    const logStd = size === undefined ? z.unknown() : f32.refine((a) => a.length === size, `a log σ of ${size} values`);
    const { state } = await loadCheckpoint(dir, { models: this.models(), optimizers: this.optimizers, state: z.intersection(agentState, z.object({ logStd })) });
    const variable = this.logStd;
    if (variable !== undefined && state.logStd instanceof Float32Array) {
      const saved = state.logStd;
      tf.tidy(() => variable.assign(tf.tensor1d(saved)));
    }
    return state;
  }

  dispose(): void {
    this.policy.dispose();
    this.value?.dispose();
    this.logStd?.dispose();
    for (const o of Object.values(this.optimizers)) o.dispose();
  }
}
