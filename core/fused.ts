/**
 * Fused MLP training: forward, backward and Adam for a dense network in a few calls, on flat
 * Float32Arrays, with the matrix products done by the native SGEMM (core/native.ts) when the
 * addon is built and by a JavaScript GEMM otherwise. This file holds the GEMM choice and the flat
 * optimisers (Adam, RMSprop); the networks (FusedNet, and FusedMlp for the agents and the VAE)
 * are in fusedNet.ts.
 *
 * Why: a small network's training step through tfjs's op-by-op engine launches ~270 kernels and
 * costs 10–25 ms on 2 cores whatever the backend (bench:core), while the arithmetic is well under
 * a millisecond. The fused path does the same arithmetic — the equations below, the ones tfjs's
 * autograd and its Adam apply — without the per-op dispatch. Its gradients and Adam steps are
 * tested against tfjs autograd + tf.train.adam (test/core.fused.test.ts).
 *
 * Layer l (1..L), A₀ = X, with W_l [in, out] row-major as tfjs Dense kernels:
 *   Z_l = A_{l−1} W_l + b_l,   A_l = act(Z_l)     (act = relu / tanh on hidden layers, linear last)
 * Backward from G_L = ∂loss/∂A_L:
 *   dZ_l = G_l ⊙ act′(Z_l)     (relu: [A_l > 0]; tanh: 1 − A_l²)
 *   ∂W_l = A_{l−1}ᵀ dZ_l,   ∂b_l = Σ_rows dZ_l,   G_{l−1} = dZ_l W_lᵀ
 * Adam (Kingma & Ba 2015), after clipping g to global norm c (scale min(1, c / (‖g‖ + ε)), ε = CLIP_NORM_EPSILON = 1e-6):
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − α (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 */
import type { FusedActivation } from './activation.js';
import { loadNativeAddon, NATIVE_ACT, NATIVE_BIAS, type NativeAddon } from './nativeAddon.js';
import type { FusedAdamState, FusedRmspropState } from './flatParams.js';
import { ADAM_DEFAULTS, CLIP_NORM_EPSILON, RMSPROP_DEFAULTS } from './optimDefaults.js';

/** out[M×N] = op(A) op(B) (+ bias per column, then activation); op = transpose when the flag is set. */
export type Gemm = (
  a: Float32Array, b: Float32Array, out: Float32Array,
  M: number, N: number, K: number, transA: boolean, transB: boolean,
  bias: Float32Array | null, activation: FusedActivation,
) => void;

export type { FusedActivation };


/** A plain JavaScript GEMM (i-k-j order, float32 storage); the fallback when no addon is built. */
export const jsGemm: Gemm = (a, b, out, M, N, K, transA, transB, bias, activation) => {
  for (let i = 0; i < M; i++) {
    const o = i * N;
    if (bias !== null) for (let j = 0; j < N; j++) out[o + j] = bias[j]!;
    else out.fill(0, o, o + N);
    for (let k = 0; k < K; k++) {
      const aik = transA ? a[k * M + i]! : a[i * K + k]!;
      if (aik === 0) continue;
      if (transB) for (let j = 0; j < N; j++) out[o + j]! += aik * b[j * K + k]!;
      else {
        const bo = k * N;
        for (let j = 0; j < N; j++) out[o + j]! += aik * b[bo + j]!;
      }
    }
    if (activation === 'relu') for (let j = 0; j < N; j++) out[o + j] = out[o + j]! > 0 ? out[o + j]! : 0;
    else if (activation === 'tanh') for (let j = 0; j < N; j++) out[o + j] = Math.tanh(out[o + j]!);
  }
};

/** The addon's element-wise tails (native/src/optim.cc): fused Adam, a dense layer's backward tail and BCE-with-logits loops. */
type NativeTails = Pick<NativeAddon, 'adamStep' | 'denseDelta' | 'bceLogits'>;

let chosen: { gemm: Gemm; kind: 'native' | 'js' } | undefined;
let tails: NativeTails | undefined;

/** Native Adam, dense-delta and BCE loops when the addon is loaded (after `fusedGemm()`), else undefined. */
export function nativeTails(): NativeTails | undefined {
  return tails;
}

/**
 * The GEMM the fused path uses: the native addon's SGEMM when it loads (see core/native.ts),
 * else jsGemm. `NNLAB_FUSED_GEMM=js` forces the JavaScript one.
 */
export async function fusedGemm(): Promise<{ gemm: Gemm; kind: 'native' | 'js' }> {
  if (chosen !== undefined) return chosen;
  if (process.env.NNLAB_FUSED_GEMM !== 'js') {
    try {
      // throws when the addon is not built or NNLAB_NATIVE=off
      const addon = loadNativeAddon();
      const matmul = addon.matmul;
      tails = { adamStep: addon.adamStep, denseDelta: addon.denseDelta, bceLogits: addon.bceLogits };
      const gemm: Gemm = (a, b, out, M, N, K, transA, transB, bias, activation) =>
        matmul(a, b, out, 1, 1, 1, M, N, K, transA ? 1 : 0, transB ? 1 : 0, bias, bias === null ? NATIVE_BIAS.none : NATIVE_BIAS.perColumn, NATIVE_ACT[activation], 0);
      chosen = { gemm, kind: 'native' };
      return chosen;
    } catch {
      // no addon: the JavaScript GEMM below
    }
  }
  chosen = { gemm: jsGemm, kind: 'js' };
  return chosen;
}

/** Which GEMM `fusedGemm()` chose ('js' before it ran). */
export function currentGemmKind(): 'native' | 'js' {
  return chosen?.kind ?? 'js';
}

/** The GEMM already chosen by `fusedGemm()`, or jsGemm before that. */
export function currentGemm(): Gemm {
  return chosen?.gemm ?? jsGemm;
}

/** Adam with optional global-norm clipping over one flat parameter vector (module doc). */
export class FusedAdam {
  private m: Float32Array;
  private v: Float32Array;
  /** Steps taken (t of the bias correction). */
  t = 0;

  constructor(
    size: number,
    readonly lr: number,
    readonly beta1: number = ADAM_DEFAULTS.beta1,
    readonly beta2: number = ADAM_DEFAULTS.beta2,
    readonly epsilon: number = ADAM_DEFAULTS.epsilon,
    readonly clipNorm?: number,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /**
   * One update of θ with gradient g (g is clipped in place when clipNorm is set), at learning rate
   * `lr` (the constructor's unless a schedule passes another). Returns ‖g‖ before clipping.
   */
  step(theta: Float32Array, g: Float32Array, lr = this.lr): number {
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
    const norm = Math.sqrt(sq);
    const scale = this.clipNorm === undefined ? 1 : Math.min(1, this.clipNorm / (norm + CLIP_NORM_EPSILON));
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const native = nativeTails();
    if (native !== undefined) {
      native.adamStep(theta, g, this.m, this.v, scale, lr, b1, b2, eps, c1, c2);
      return norm;
    }
    const m = this.m;
    const v = this.v;
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i]! * scale;
      const mi = b1 * m[i]! + (1 - b1) * gi;
      const vi = b2 * v[i]! + (1 - b2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      theta[i]! -= (lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
    }
    return norm;
  }

  getState(): FusedAdamState {
    return { t: this.t, m: this.m.slice(), v: this.v.slice() };
  }

  setState(s: FusedAdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error(`FusedAdam.setState: ${s.m.length} moments for ${this.m.length} parameters`);
    this.t = s.t;
    this.m.set(s.m);
    this.v.set(s.v);
  }
}

/**
 * RMSprop as PyTorch's `torch.optim.RMSprop` (the WGAN paper's optimiser) on a flat vector:
 *   E[g²] ← ρ E[g²] + (1 − ρ) g²;   θ ← θ − α g / (√E[g²] + ε)
 */
export class FusedRmsprop {
  private sq: Float32Array;
  t = 0;

  constructor(
    size: number,
    readonly lr: number,
    readonly rho: number = RMSPROP_DEFAULTS.rho,
    readonly epsilon: number = RMSPROP_DEFAULTS.epsilon,
  ) {
    this.sq = new Float32Array(size);
  }

  /** One update at learning rate `lr` (the constructor's unless a schedule passes another). */
  step(theta: Float32Array, g: Float32Array, lr = this.lr): void {
    const { rho, epsilon } = this;
    const sq = this.sq;
    this.t++;
    for (let i = 0; i < theta.length; i++) {
      const gi = g[i]!;
      const s = rho * sq[i]! + (1 - rho) * gi * gi;
      sq[i] = s;
      theta[i]! -= (lr * gi) / (Math.sqrt(s) + epsilon);
    }
  }

  getState(): FusedRmspropState {
    return { t: this.t, sq: this.sq.slice() };
  }

  setState(s: FusedRmspropState): void {
    if (s.sq.length !== this.sq.length) throw new Error(`FusedRmsprop.setState: ${s.sq.length} values for ${this.sq.length} parameters`);
    this.t = s.t;
    this.sq.set(s.sq);
  }
}
