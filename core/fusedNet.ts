/**
 * The one typed-array dense-network engine of nnlab, outside tfjs: forward and backward of a dense
 * network on flat Float32Arrays, matrix products on the native SGEMM (fused.ts `currentGemm()`; a
 * JavaScript GEMM without the addon). Everything that runs an MLP without tfjs runs this forward:
 * the rollout actors (agents/dqn.ts `dqnForward`, agents/policies.ts `PolicyActor`, a batch of
 * numEnvs rows per env step), the DQN learner (batched, with backward), the VAE and the MLP GANs.
 * A per-layer activation (any `Activation` but softmax) and optional batchnorm. Every equation
 * below is what tfjs autograd computes for the same tfjs model (tested against it). `FusedMlp` is
 * the common case: one hidden activation, a linear output, and Polyak blending for target networks.
 *
 * Layer l (1..L), A₀ = X, W_l [in, out] row-major as tfjs Dense kernels:
 *   Z_l = A_{l−1} W_l + b_l,   A_l = act_l(Z_l)
 * in float32 storage as tfjs-cpu computes it. ReLU, tanh and linear run in the GEMM's epilogue;
 * the others after it (sigmoid 1/(1 + e^−z), ELU z > 0 ? z : e^z − 1, softplus log(1 + e^z),
 * z past 20 taken as z). Every batch size runs on the net's GEMM, an actor's single row included:
 * with the addon, one native call per layer beats the JavaScript loops from 1 row on (2–20× at
 * batch 1–4 on 4-64-64-2 and 4-256-256-2, docs/core.md).
 * Backward from G_L = ∂loss/∂A_L, with act′ written from A (relu: [A > 0]; leakyRelu: A > 0 ? 1 : α;
 * tanh: 1 − A²; sigmoid: A(1 − A); elu: A ≥ 0 ? 1 : A + 1; softplus: σ(Z) = 1 − e^−A):
 *   dZ_l = G_l ⊙ act′_l,   ∂W_l = A_{l−1}ᵀ dZ_l,   ∂b_l = Σ_rows dZ_l,   G_{l−1} = dZ_l W_lᵀ
 *
 * A batchnorm layer (Ioffe & Szegedy 2015; a dense layer without bias, then BN, then act, as
 * core/nn.ts builds it) normalises Z over the N rows of the batch in training mode:
 *   μ = mean Z,  σ² = mean (Z − μ)²,  Ẑ = (Z − μ)/√(σ² + ε),  A = act(γ Ẑ + β)
 *   running averages (tfjs convention, momentum m = 0.9): μ̄ ← m μ̄ + (1 − m) μ, σ̄² ← m σ̄² + (1 − m) σ²
 * and uses μ̄, σ̄² at inference (`forward(x, rows, false)`). Backward, with dY = G ⊙ act′:
 *   ∂γ = Σ dY ⊙ Ẑ,  ∂β = Σ dY,  dẐ = γ dY,  dZ = (N dẐ − Σ dẐ − Ẑ Σ(dẐ ⊙ Ẑ)) / (N √(σ² + ε))
 *
 * Second derivatives: `addInputGradientLoss` differentiates a loss of the input gradient (WGAN-GP's
 * penalty, which lives with the model in generative/gradientPenalty.ts), as FusedConvNet's does.
 */
import { LEAKY_RELU_ALPHA, type NetActivation } from './activation.js';
import { BN_EPSILON, BN_MOMENTUM } from './batchNorm.js';
import { fillFromMap, sliceMap } from './flatParams.js';
import { currentGemm, nativeTails, type FusedActivation, type Gemm } from './fused.js';
import type { TensorMap } from './tensors.js';
import type { LayerSpec } from './nn.js';
import { sigmoid } from '../base/logistic.js';

export type { NetActivation };

/** Whether the GEMM's epilogue applies this activation (then the forward does it in the same call). */
function inEpilogue(act: NetActivation): act is FusedActivation {
  return act === 'relu' || act === 'tanh' || act === 'linear';
}

/** Z → act(Z) in place over the first n values (for the activations not applied in the GEMM's epilogue). */
function activate(z: Float32Array, n: number, act: NetActivation, leakyAlpha: number): void {
  switch (act) {
    case 'linear':
      break;
    case 'relu':
      for (let k = 0; k < n; k++) if (z[k]! < 0) z[k] = 0;
      break;
    case 'leakyRelu':
      for (let k = 0; k < n; k++) if (z[k]! < 0) z[k]! *= leakyAlpha;
      break;
    case 'tanh':
      for (let k = 0; k < n; k++) z[k] = Math.tanh(z[k]!);
      break;
    case 'sigmoid':
      for (let k = 0; k < n; k++) z[k] = sigmoid(z[k]!);
      break;
    case 'elu':
      for (let k = 0; k < n; k++) if (z[k]! <= 0) z[k] = Math.expm1(z[k]!);
      break;
    case 'softplus':
      for (let k = 0; k < n; k++) if (z[k]! <= 20) z[k] = Math.log1p(Math.exp(z[k]!));
      break;
  }
}

/** What a dense layer shows outside FusedNet (generative/gradientPenalty.ts reads it). */
export interface DenseView {
  readonly inDim: number;
  readonly outDim: number;
  readonly act: NetActivation;
  /** Kernel [inDim, outDim], row-major, and ∂loss/∂kernel. */
  readonly W: Float32Array;
  readonly dW: Float32Array;
}

interface Layer {
  inDim: number;
  outDim: number;
  act: NetActivation;
  W: Float32Array;
  /** Bias, or β of a batchnorm layer. */
  b: Float32Array;
  dW: Float32Array;
  db: Float32Array;
  bn?: BatchNorm;
}

interface BatchNorm {
  gamma: Float32Array;
  dGamma: Float32Array;
  /** Running averages μ̄ and σ̄² (not trained; in `stats`). */
  mean: Float32Array;
  variance: Float32Array;
  /** Names of the running averages in the tfjs twin (`…_bn/moving_mean`, `…_bn/moving_variance`). */
  meanName: string;
  varianceName: string;
  /** 1/√(σ² + ε) of the last training forward. */
  invStd: Float32Array;
  /** Whether the last forward used batch statistics (backward needs it). */
  training: boolean;
}

export { BN_MOMENTUM, BN_EPSILON };

/** The layer specs of `buildSequential` for the same network (so the tfjs twin has the same parameters). */
export function denseSpecs(sizes: number[], activations: NetActivation[], batchNorm: boolean[] = []): LayerSpec[] {
  return sizes.map((units, i) => ({ type: 'dense' as const, units, activation: activations[i]!, ...(batchNorm[i] ? { batchNorm: true } : {}) }));
}

/** A dense network over one flat parameter vector and one flat gradient vector of the same layout. */
export class FusedNet {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly names: string[];
  readonly shapes: number[][];
  private readonly layers: Layer[];
  private acts: Float32Array[] = [];
  private deltas: Float32Array[] = [];
  private rows = 0;
  private input: Float32Array = new Float32Array(0);

  /**
   * From a parameter map laid out as `getParams(buildSequential(...))` returns it for dense layers
   * (kernel then bias per layer, or kernel then `…_bn/gamma`, `…_bn/beta` for a batchnorm layer)
   * and one activation per layer. A batchnorm layer's running averages start at μ̄ = 0, σ̄² = 1
   * (as tfjs's) and are read and written with `statsMap` / `flatten`.
   */
  constructor(
    params: TensorMap,
    activations: NetActivation[],
    readonly leakyAlpha = LEAKY_RELU_ALPHA,
    /** The GEMM this net multiplies with (the native SGEMM, or the JavaScript one). */
    readonly gemm: Gemm = currentGemm(),
  ) {
    const entries = Object.entries(params);
    if (entries.length === 0) throw new Error('FusedNet: the parameter map has no dense layers');
    this.names = entries.map(([n]) => n);
    this.shapes = entries.map(([, t]) => t.shape.slice());
    const total = entries.reduce((n, [, t]) => n + t.data.length, 0);
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);
    this.layers = [];
    let offset = 0;
    const take = (n: number, data: Float32Array): [Float32Array, Float32Array] => {
      const p = this.params.subarray(offset, offset + n);
      const g = this.grads.subarray(offset, offset + n);
      p.set(data);
      offset += n;
      return [p, g];
    };
    for (let i = 0; i < entries.length; ) {
      const [kName, kernel] = entries[i]!;
      const next = entries[i + 1];
      if (kernel.shape.length !== 2 || next === undefined || next[1].shape.length !== 1) {
        throw new Error(`FusedNet: expected dense kernel/bias pairs (or kernel/gamma/beta), got '${kName}' [${kernel.shape}]`);
      }
      if (next[1].shape[0] !== kernel.shape[1]) throw new Error(`FusedNet: '${next[0]}' has ${next[1].shape[0]} values, expected ${kernel.shape[1]} (the units of '${kName}')`);
      const prev = this.layers[this.layers.length - 1];
      if (prev !== undefined && kernel.shape[0] !== prev.outDim) throw new Error(`FusedNet: '${kName}' takes ${kernel.shape[0]} inputs after a layer of ${prev.outDim}`);
      const [inDim, outDim] = kernel.shape as [number, number];
      const act = activations[this.layers.length];
      if (act === undefined) throw new Error(`FusedNet: more dense layers than the ${activations.length} activations`);
      const [W, dW] = take(inDim * outDim, kernel.data);
      if (next[0].endsWith('/gamma')) {
        const beta = entries[i + 2];
        if (beta === undefined || !beta[0].endsWith('/beta') || beta[1].data.length !== outDim) throw new Error(`FusedNet: '${next[0]}' must be followed by its beta`);
        const [gamma, dGamma] = take(outDim, next[1].data);
        const [b, db] = take(outDim, beta[1].data);
        const prefix = next[0].slice(0, -'/gamma'.length);
        const bn: BatchNorm = {
          gamma,
          dGamma,
          mean: new Float32Array(outDim),
          variance: new Float32Array(outDim).fill(1),
          meanName: `${prefix}/moving_mean`,
          varianceName: `${prefix}/moving_variance`,
          invStd: new Float32Array(outDim),
          training: true,
        };
        this.layers.push({ inDim, outDim, act, W, b, dW, db, bn });
        i += 3;
      } else {
        const [b, db] = take(outDim, next[1].data);
        this.layers.push({ inDim, outDim, act, W, b, dW, db });
        i += 2;
      }
    }
    if (this.layers.length !== activations.length) throw new Error(`FusedNet: ${this.layers.length} dense layers but ${activations.length} activations`);
  }

  /** Whether any layer is batch-normalised (its output then depends on the whole batch). */
  get hasBatchNorm(): boolean {
    return this.layers.some((l) => l.bn !== undefined);
  }

  get inDim(): number {
    return this.layers[0]!.inDim;
  }

  get outDim(): number {
    return this.layers[this.layers.length - 1]!.outDim;
  }

  /** Activation buffers per row count (a GAN alternates a few batch shapes; kept, not reallocated). */
  private readonly bufferSets = new Map<number, { acts: Float32Array[]; deltas: Float32Array[]; zHats: Float32Array[] }>();
  /** Ẑ of each batchnorm layer at the last forward (empty arrays elsewhere). */
  private zHats: Float32Array[] = [];

  private buffers(rows: number): void {
    if (this.rows === rows) return;
    this.rows = rows;
    let set = this.bufferSets.get(rows);
    if (set === undefined) {
      set = {
        acts: this.layers.map((l) => new Float32Array(rows * l.outDim)),
        deltas: this.layers.map((l) => new Float32Array(rows * l.outDim)),
        zHats: this.layers.map((l) => new Float32Array(l.bn ? rows * l.outDim : 0)),
      };
      if (this.bufferSets.size >= 4) this.bufferSets.clear();
      this.bufferSets.set(rows, set);
    }
    this.acts = set.acts;
    this.deltas = set.deltas;
    this.zHats = set.zHats;
  }

  /**
   * A_L for `rows` rows of x; activations are kept for `backward`. The result array is reused.
   * `training` (default true) normalises batchnorm layers with the batch's statistics and updates
   * their running averages; false uses the running averages (sampling, the saved generator).
   */
  forward(x: Float32Array, rows: number, training = true): Float32Array {
    if (x.length < rows * this.inDim) throw new RangeError(`FusedNet.forward: ${x.length} inputs for ${rows} rows of ${this.inDim}`);
    this.buffers(rows);
    this.input = x;
    const gemm = this.gemm;
    let a = x;
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i]!;
      const out = this.acts[i]!;
      // Z = A W + b, with act in the same call when the epilogue has it (not under batchnorm: BN comes first)
      const act = l.act;
      const fused = l.bn === undefined && inEpilogue(act);
      gemm(a, l.W, out, rows, l.outDim, l.inDim, false, false, l.bn ? null : l.b, fused ? act : 'linear');
      if (l.bn) this.batchNorm(l, l.bn, out, this.zHats[i]!, rows, training);
      if (!fused) activate(out, rows * l.outDim, act, this.leakyAlpha);
      a = out;
    }
    return a;
  }

  /** Z (rows × outDim, in place) → γ Ẑ + β, keeping Ẑ; module doc. */
  private batchNorm(l: Layer, bn: BatchNorm, z: Float32Array, zHat: Float32Array, rows: number, training: boolean): void {
    const d = l.outDim;
    bn.training = training;
    // μ and 1/√(σ² + ε): the batch's (updating the running averages) or the running averages
    let mu: ArrayLike<number> = bn.mean;
    if (training) {
      const mean = new Float64Array(d);
      const sq = new Float64Array(d);
      for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) mean[j]! += z[r * d + j]!;
      for (let j = 0; j < d; j++) mean[j]! /= rows;
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < d; j++) {
          const c = z[r * d + j]! - mean[j]!;
          sq[j]! += c * c;
        }
      }
      for (let j = 0; j < d; j++) {
        const variance = sq[j]! / rows;
        bn.invStd[j] = 1 / Math.sqrt(variance + BN_EPSILON);
        bn.mean[j] = BN_MOMENTUM * bn.mean[j]! + (1 - BN_MOMENTUM) * mean[j]!;
        bn.variance[j] = BN_MOMENTUM * bn.variance[j]! + (1 - BN_MOMENTUM) * variance;
      }
      mu = mean;
    } else {
      for (let j = 0; j < d; j++) bn.invStd[j] = 1 / Math.sqrt(bn.variance[j]! + BN_EPSILON);
    }
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) {
        const h = (z[o + j]! - mu[j]!) * bn.invStd[j]!;
        zHat[o + j] = h;
        z[o + j] = bn.gamma[j]! * h + l.b[j]!;
      }
    }
  }

  /** dY (rows × outDim, in place) → dZ; writes ∂γ and ∂β. Module doc. */
  private batchNormBackward(l: Layer, bn: BatchNorm, dY: Float32Array, zHat: Float32Array, rows: number): void {
    const d = l.outDim;
    const sumD = new Float64Array(d);
    const sumDH = new Float64Array(d);
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) {
        sumD[j]! += dY[o + j]!;
        sumDH[j]! += dY[o + j]! * zHat[o + j]!;
      }
    }
    for (let j = 0; j < d; j++) {
      l.db[j] = sumD[j]!;
      bn.dGamma[j] = sumDH[j]!;
    }
    if (!bn.training) {
      // inference statistics are constants: dZ = γ dY / √(σ̄² + ε)
      for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) dY[r * d + j]! *= bn.gamma[j]! * bn.invStd[j]!;
      return;
    }
    // with dẐ = γ dY: Σ dẐ = γ Σ dY, Σ dẐ Ẑ = γ Σ dY Ẑ
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) {
        const g = bn.gamma[j]!;
        dY[o + j] = ((g * bn.invStd[j]!) / rows) * (rows * dY[o + j]! - sumD[j]! - zHat[o + j]! * sumDH[j]!);
      }
    }
  }

  /** act′ of layer i at its last forward, written from A into `out` (length rows × outDim). */
  private slope(i: number, out: Float32Array): void {
    const l = this.layers[i]!;
    const A = this.acts[i]!;
    const n = this.rows * l.outDim;
    switch (l.act) {
      case 'linear':
        out.fill(1, 0, n);
        break;
      case 'relu':
        for (let k = 0; k < n; k++) out[k] = A[k]! > 0 ? 1 : 0;
        break;
      case 'leakyRelu':
        for (let k = 0; k < n; k++) out[k] = A[k]! > 0 ? 1 : this.leakyAlpha;
        break;
      case 'tanh':
        for (let k = 0; k < n; k++) out[k] = 1 - A[k]! * A[k]!;
        break;
      case 'sigmoid':
        for (let k = 0; k < n; k++) out[k] = A[k]! * (1 - A[k]!);
        break;
      case 'elu':
        for (let k = 0; k < n; k++) out[k] = A[k]! >= 0 ? 1 : A[k]! + 1;
        break;
      case 'softplus':
        for (let k = 0; k < n; k++) out[k] = -Math.expm1(-A[k]!);
        break;
    }
  }

  /**
   * Writes ∂loss/∂θ into `grads` given gOut = ∂loss/∂A_L (rows × outDim) of the last forward
   * With `gInput`, also writes ∂loss/∂X there.
   */
  backward(gOut: Float32Array, gInput?: Float32Array): Float32Array {
    const rows = this.rows;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!;
      const A = this.acts[i]!;
      const dZ = this.deltas[i]!;
      const G = i === this.layers.length - 1 ? gOut : dZ;
      const n = rows * l.outDim;
      const prev = i === 0 ? this.input : this.acts[i - 1]!;
      const native = nativeTails();
      if (native !== undefined && l.bn === undefined && (l.act === 'relu' || l.act === 'linear')) {
        // the two loops below (act′ and ∂b) in one native pass, the same numbers
        native.denseDelta(l.act === 'relu' ? 1 : 0, A, G, dZ, l.db, rows, l.outDim);
        this.weightGrads(i, prev, gInput);
        continue;
      }
      // dZ_l = G_l ⊙ act′_l
      switch (l.act) {
        case 'linear':
          if (G !== dZ) dZ.set(G.subarray(0, n));
          break;
        case 'relu':
          for (let k = 0; k < n; k++) dZ[k] = A[k]! > 0 ? G[k]! : 0;
          break;
        case 'leakyRelu':
          for (let k = 0; k < n; k++) dZ[k] = A[k]! > 0 ? G[k]! : G[k]! * this.leakyAlpha;
          break;
        case 'tanh':
          for (let k = 0; k < n; k++) dZ[k] = G[k]! * (1 - A[k]! * A[k]!);
          break;
        case 'sigmoid':
          for (let k = 0; k < n; k++) dZ[k] = G[k]! * A[k]! * (1 - A[k]!);
          break;
        case 'elu':
          for (let k = 0; k < n; k++) dZ[k] = A[k]! >= 0 ? G[k]! : G[k]! * (A[k]! + 1);
          break;
        case 'softplus':
          for (let k = 0; k < n; k++) dZ[k] = G[k]! * -Math.expm1(-A[k]!);
          break;
      }
      if (l.bn) {
        // dZ holds dY = G ⊙ act′ here: ∂γ, ∂β, then dY → dZ through the normalisation
        this.batchNormBackward(l, l.bn, dZ, this.zHats[i]!, rows);
      } else {
        // ∂b = Σ_rows dZ
        l.db.fill(0);
        for (let r = 0; r < rows; r++) {
          const o = r * l.outDim;
          for (let j = 0; j < l.outDim; j++) l.db[j]! += dZ[o + j]!;
        }
      }
      this.weightGrads(i, prev, gInput);
    }
    return this.grads;
  }

  /** Layer i's ∂W = A_{l−1}ᵀ dZ, and the gradient it passes down, G_{l−1} = dZ W_lᵀ (∂X with `gInput` at layer 0). */
  private weightGrads(i: number, prev: Float32Array, gInput: Float32Array | undefined): void {
    const l = this.layers[i]!;
    const dZ = this.deltas[i]!;
    const rows = this.rows;
    this.gemm(prev, dZ, l.dW, l.inDim, l.outDim, rows, true, false, null, 'linear');
    if (i > 0) this.gemm(dZ, l.W, this.deltas[i - 1]!, rows, l.inDim, l.outDim, false, true, null, 'linear');
    else if (gInput !== undefined) this.gemm(dZ, l.W, gInput, rows, l.inDim, l.outDim, false, true, null, 'linear');
  }

  /** The dense layers: kernels and their gradient slots are views into `params` and `grads`. */
  get denseLayers(): readonly DenseView[] {
    return this.layers;
  }

  /** act′ of layer i at the rows [rowStart, rowStart + count) of the last forward. */
  slopeRows(i: number, rowStart: number, count: number): Float32Array {
    const l = this.layers[i]!;
    const all = new Float32Array(this.rows * l.outDim);
    this.slope(i, all);
    return all.slice(rowStart * l.outDim, (rowStart + count) * l.outDim);
  }

  /**
   * Double backward for a scalar net (one linear output unit, no batchnorm, hidden activations
   * relu, leakyRelu or linear), as core/fusedConvNet.ts's: at the rows [rowStart, rowStart + count)
   * of the last forward, the input gradient g = ∂f/∂x, then, with v̄ = outer(g) = ∂P/∂g for a loss
   * P(g) of it (WGAN-GP's penalty: generative/gradientPenalty.ts), adds ∂P/∂W to `grads`. With the
   * slopes s_l = act′_l (constant between kinks), g is linear in each W_l:
   *   δ_L = 1;   v_l = δ_l W_lᵀ;   δ_{l−1} = v_l ⊙ s_{l−1};   g = v_1
   * and going back up with v̄_1 = v̄:
   *   ∂W_l += v̄_lᵀ δ_l,   δ̄_l = v̄_l W_l,   v̄_{l+1} = δ̄_l ⊙ s_l
   * The slopes' own derivative is 0 almost everywhere, and so is the biases' gradient. Returns g.
   */
  addInputGradientLoss(rowStart: number, count: number, outer: (g: Float32Array) => Float32Array): Float32Array {
    const layers = this.layers;
    const L = layers.length;
    if (this.outDim !== 1 || layers[L - 1]!.act !== 'linear') throw new Error('FusedNet.addInputGradientLoss: needs one linear output unit');
    if (this.hasBatchNorm) throw new Error('FusedNet.addInputGradientLoss: a batch-normalised net has no per-sample input gradient (WGAN-GP §4 drops critic batchnorm)');
    if (!Number.isInteger(rowStart) || !Number.isInteger(count) || rowStart < 0 || count < 1 || rowStart + count > this.rows) {
      throw new RangeError(`FusedNet.addInputGradientLoss: rows [${rowStart}, ${rowStart + count}) are not within the ${this.rows} of the last forward`);
    }
    for (let i = 0; i < L - 1; i++) {
      const a = layers[i]!.act;
      if (a !== 'relu' && a !== 'leakyRelu' && a !== 'linear') throw new Error(`FusedNet.addInputGradientLoss: activation '${a}' is not piecewise linear`);
    }
    const slopes: Float32Array[] = [];
    for (let i = 0; i < L - 1; i++) slopes.push(this.slopeRows(i, rowStart, count));
    // forward chain: δ_L = 1, v_l = δ_l W_lᵀ, δ_{l−1} = v_l ⊙ s_{l−1}
    const delta: Float32Array[] = new Array<Float32Array>(L);
    const v: Float32Array[] = new Array<Float32Array>(L);
    delta[L - 1] = new Float32Array(count).fill(1);
    for (let i = L - 1; i >= 0; i--) {
      const l = layers[i]!;
      v[i] = new Float32Array(count * l.inDim);
      this.gemm(delta[i]!, l.W, v[i]!, count, l.inDim, l.outDim, false, true, null, 'linear');
      if (i > 0) {
        const s = slopes[i - 1]!;
        const d = new Float32Array(count * l.inDim);
        for (let k = 0; k < d.length; k++) d[k] = v[i]![k]! * s[k]!;
        delta[i - 1] = d;
      }
    }
    const g = v[0]!;
    const vBar = outer(g);
    if (vBar.length !== g.length) throw new RangeError(`FusedNet.addInputGradientLoss: outer returned ${vBar.length} values for ${g.length}`);
    // backward of the chain: ∂W_l += v̄_lᵀ δ_l; δ̄_l = v̄_l W_l; v̄_{l+1} = δ̄_l ⊙ s_l
    let vb = vBar;
    for (let i = 0; i < L; i++) {
      const l = layers[i]!;
      const dW = new Float32Array(l.inDim * l.outDim);
      this.gemm(vb, delta[i]!, dW, l.inDim, l.outDim, count, true, false, null, 'linear');
      for (let k = 0; k < dW.length; k++) l.dW[k]! += dW[k]!;
      if (i < L - 1) {
        const dBar = new Float32Array(count * l.outDim);
        this.gemm(vb, l.W, dBar, count, l.outDim, l.inDim, false, false, null, 'linear');
        const s = slopes[i]!;
        for (let k = 0; k < dBar.length; k++) dBar[k]! *= s[k]!;
        vb = dBar;
      }
    }
    return g;
  }

  /** θ ← clip(θ, −c, c) for every parameter (WGAN's weight clipping; biases included, as the paper's code). */
  clip(c: number): void {
    const p = this.params;
    for (let k = 0; k < p.length; k++) {
      const x = p[k]!;
      p[k] = x > c ? c : x < -c ? -c : x;
    }
  }

  /** The parameters as a TensorMap with the tfjs names (copies); batchnorm running averages are in `statsMap`. */
  toMap(): TensorMap {
    return this.slices(this.params);
  }

  /** The running averages of the batchnorm layers by their tfjs names (copies; empty without batchnorm). */
  statsMap(): TensorMap {
    const out: TensorMap = {};
    for (const l of this.layers) {
      if (!l.bn) continue;
      out[l.bn.meanName] = { shape: [l.outDim], data: l.bn.mean.slice() };
      out[l.bn.varianceName] = { shape: [l.outDim], data: l.bn.variance.slice() };
    }
    return out;
  }

  /** Sets the running averages named in `stats` (others keep their values). */
  setStats(stats: TensorMap): void {
    for (const l of this.layers) {
      if (!l.bn) continue;
      for (const [name, target] of [[l.bn.meanName, l.bn.mean], [l.bn.varianceName, l.bn.variance]] as const) {
        const t = stats[name];
        if (t === undefined) continue;
        if (t.data.length !== target.length) throw new Error(`FusedNet: '${name}' has ${t.data.length} values, expected ${target.length}`);
        target.set(t.data);
      }
    }
  }

  /** The gradient as a TensorMap with the parameter names (copies). */
  gradMap(): TensorMap {
    return this.slices(this.grads);
  }

  private slices(flat: Float32Array): TensorMap {
    return sliceMap(this.names, this.shapes, flat);
  }

  /**
   * Copies a named map (same names and sizes) into `into` (default: the parameters). Into the
   * parameters, batchnorm running averages present in the map are copied too.
   */
  flatten(map: TensorMap, into: Float32Array = this.params): Float32Array {
    if (into === this.params) this.setStats(map);
    return fillFromMap(this.names, this.shapes, map, into, 'FusedNet');
  }
}

/**
 * A dense network with one hidden activation and a linear output (the layout `getParams(buildMlp(...))`
 * returns: kernel/bias pairs), as the DQN's Q-network and the VAE's encoder and decoder use it.
 */
export class FusedMlp extends FusedNet {
  constructor(
    params: TensorMap,
    readonly hiddenActivation: NetActivation,
    gemm: Gemm = currentGemm(),
  ) {
    const layers = Math.max(1, Math.floor(Object.keys(params).length / 2));
    super(params, [...new Array<NetActivation>(layers - 1).fill(hiddenActivation), 'linear'], LEAKY_RELU_ALPHA, gemm);
  }

  /** θ ← τ θ_other + (1 − τ) θ. */
  blendFrom(other: FusedNet, tau: number): void {
    if (other.params.length !== this.params.length) throw new Error('FusedMlp.blendFrom: different sizes');
    if (tau === 1) this.params.set(other.params);
    else for (let i = 0; i < this.params.length; i++) this.params[i] = tau * other.params[i]! + (1 - tau) * this.params[i]!;
  }
}
