/**
 * Fused MLP training: forward, backward and Adam for a dense network in a few calls, on flat
 * Float32Arrays, with the matrix products done by the native SGEMM (core/native.ts) when the
 * addon is built and by a JavaScript GEMM otherwise.
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
 * Adam (Kingma & Ba 2015), after clipping g to global norm c (scale min(1, c / (‖g‖ + 1e-6))):
 *   m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − α (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)
 */
import type { TensorMap } from './tensors.js';

/** out[M×N] = op(A) op(B) (+ bias per column, then activation); op = transpose when the flag is set. */
export type Gemm = (
  a: Float32Array, b: Float32Array, out: Float32Array,
  M: number, N: number, K: number, transA: boolean, transB: boolean,
  bias: Float32Array | null, activation: FusedActivation,
) => void;

export type FusedActivation = 'linear' | 'relu' | 'tanh';

/** The addon's activation codes (native/src/gemm.h `Act`). */
const NATIVE_ACT: Record<FusedActivation, number> = { linear: 0, relu: 1, tanh: 6 };

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

type NativeMatmul = (
  a: Float32Array, b: Float32Array, out: Float32Array, batch: number, batchA: number, batchB: number,
  M: number, N: number, K: number, transA: number, transB: number,
  bias: Float32Array | null, biasMode: number, activation: number, alpha: number,
) => void;

/** The addon's element-wise tails (native/src/optim.cc), when it loaded. */
interface NativeTails {
  adamStep(theta: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scale: number, lr: number, b1: number, b2: number, eps: number, c1: number, c2: number): void;
  bceLogits(logits: Float32Array, x: Float32Array, dLogits: Float32Array, gscale: number): number;
}

let chosen: { gemm: Gemm; kind: 'native' | 'js' } | undefined;
let tails: NativeTails | undefined;

/** Native Adam and BCE loops when the addon is loaded (after `fusedGemm()`), else undefined. */
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
      const nativeModule = './native.js'; // optional: absent when the addon is not part of this build
      const mod = (await import(nativeModule)) as { loadNativeAddon: () => { matmul: NativeMatmul } & Partial<NativeTails> };
      const addon = mod.loadNativeAddon();
      const matmul = addon.matmul;
      if (addon.adamStep !== undefined && addon.bceLogits !== undefined) tails = addon as NativeTails;
      const gemm: Gemm = (a, b, out, M, N, K, transA, transB, bias, activation) =>
        matmul(a, b, out, 1, 1, 1, M, N, K, transA ? 1 : 0, transB ? 1 : 0, bias, bias === null ? 0 : 2, NATIVE_ACT[activation], 0);
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

interface LayerView {
  inDim: number;
  outDim: number;
  W: Float32Array;
  b: Float32Array;
  dW: Float32Array;
  db: Float32Array;
}

/** A dense network over one flat parameter vector (and one flat gradient vector of the same layout). */
export class FusedMlp {
  readonly params: Float32Array<ArrayBufferLike>;
  readonly grads: Float32Array<ArrayBufferLike>;
  readonly names: string[];
  readonly shapes: number[][];
  private readonly layers: LayerView[];
  private acts: Float32Array[] = [];
  private deltas: Float32Array[] = [];
  private batch = 0;
  private input: Float32Array = new Float32Array(0);

  /** Builds the network from a parameter map laid out as `getParams(buildMlp(...))` returns it. */
  constructor(
    params: TensorMap,
    readonly hiddenActivation: FusedActivation,
    private readonly gemm: Gemm = currentGemm(),
  ) {
    const entries = Object.entries(params);
    this.names = entries.map(([n]) => n);
    this.shapes = entries.map(([, t]) => t.shape.slice());
    const total = entries.reduce((n, [, t]) => n + t.data.length, 0);
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);
    this.layers = [];
    let offset = 0;
    for (let i = 0; i < entries.length; i += 2) {
      const [kName, kernel] = entries[i]!;
      const bias = entries[i + 1]?.[1];
      if (kernel.shape.length !== 2 || bias === undefined || bias.shape.length !== 1 || bias.shape[0] !== kernel.shape[1]) {
        throw new Error(`FusedMlp: expected dense kernel/bias pairs, got '${kName}' [${kernel.shape}]`);
      }
      const [inDim, outDim] = kernel.shape as [number, number];
      const W = this.params.subarray(offset, offset + inDim * outDim);
      const dW = this.grads.subarray(offset, offset + inDim * outDim);
      W.set(kernel.data);
      offset += inDim * outDim;
      const b = this.params.subarray(offset, offset + outDim);
      const db = this.grads.subarray(offset, offset + outDim);
      b.set(bias.data);
      offset += outDim;
      this.layers.push({ inDim, outDim, W, b, dW, db });
    }
  }

  get inDim(): number {
    return this.layers[0]!.inDim;
  }

  get outDim(): number {
    return this.layers[this.layers.length - 1]!.outDim;
  }

  private buffers(batch: number): void {
    if (this.batch === batch) return;
    this.batch = batch;
    this.acts = this.layers.map((l) => new Float32Array(batch * l.outDim));
    this.deltas = this.layers.map((l) => new Float32Array(batch * l.outDim));
  }

  /** A_L for `batch` rows of x; the activations are kept for `backward`. The result is reused. */
  forward(x: Float32Array, batch: number): Float32Array {
    this.buffers(batch);
    this.input = x;
    let a = x;
    this.layers.forEach((l, i) => {
      const act = i === this.layers.length - 1 ? 'linear' : this.hiddenActivation;
      this.gemm(a, l.W, this.acts[i]!, batch, l.outDim, l.inDim, false, false, l.b, act);
      a = this.acts[i]!;
    });
    return a;
  }

  /**
   * Fills `grads` with ∂loss/∂θ given gOut = ∂loss/∂A_L (batch × outDim) of the last forward.
   * With `gInput`, also writes ∂loss/∂X (batch × inDim) there, for a network feeding this one.
   */
  backward(gOut: Float32Array, gInput?: Float32Array): Float32Array {
    const batch = this.batch;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i]!;
      const A = this.acts[i]!;
      // dZ_l = G_l ⊙ act′(Z_l), written into deltas[i]
      const dZ = this.deltas[i]!;
      const G = i === this.layers.length - 1 ? gOut : dZ;
      const n = batch * l.outDim;
      if (i === this.layers.length - 1) dZ.set(G.subarray(0, n));
      else if (this.hiddenActivation === 'relu') for (let k = 0; k < n; k++) dZ[k] = A[k]! > 0 ? G[k]! : 0;
      else for (let k = 0; k < n; k++) dZ[k] = G[k]! * (1 - A[k]! * A[k]!);
      const prev = i === 0 ? this.input : this.acts[i - 1]!;
      // ∂W = A_{l−1}ᵀ dZ      ([in × batch] · [batch × out])
      this.gemm(prev, dZ, l.dW, l.inDim, l.outDim, batch, true, false, null, 'linear');
      // ∂b = Σ_rows dZ
      l.db.fill(0);
      for (let r = 0; r < batch; r++) for (let j = 0; j < l.outDim; j++) l.db[j]! += dZ[r * l.outDim + j]!;
      // G_{l−1} = dZ W_lᵀ, into the previous layer's delta buffer (its act′ is applied next turn)
      if (i > 0) this.gemm(dZ, l.W, this.deltas[i - 1]!, batch, l.inDim, l.outDim, false, true, null, 'linear');
      else if (gInput !== undefined) this.gemm(dZ, l.W, gInput, batch, l.inDim, l.outDim, false, true, null, 'linear');
    }
    return this.grads;
  }

  /** The parameters as a TensorMap with the original names (copies). */
  toMap(): TensorMap {
    const out: TensorMap = {};
    let offset = 0;
    this.names.forEach((name, i) => {
      const shape = this.shapes[i]!;
      const n = shape.reduce((a, b) => a * b, 1);
      out[name] = { shape: shape.slice(), data: this.params.slice(offset, offset + n) };
      offset += n;
    });
    return out;
  }

  /** The gradient as a TensorMap with the parameter names (copies). */
  gradMap(): TensorMap {
    const out: TensorMap = {};
    let offset = 0;
    this.names.forEach((name, i) => {
      const shape = this.shapes[i]!;
      const n = shape.reduce((a, b) => a * b, 1);
      out[name] = { shape: shape.slice(), data: this.grads.slice(offset, offset + n) };
      offset += n;
    });
    return out;
  }

  /** Flattens a named map (same names and sizes) into `into` (default: a new array). */
  flatten(map: TensorMap, into?: Float32Array): Float32Array {
    const out: Float32Array = into ?? new Float32Array(this.params.length);
    let offset = 0;
    this.names.forEach((name, i) => {
      const t = map[name];
      const n = this.shapes[i]!.reduce((a, b) => a * b, 1);
      if (t === undefined || t.data.length !== n) throw new Error(`FusedMlp: '${name}' missing or of the wrong size`);
      out.set(t.data, offset);
      offset += n;
    });
    return out;
  }

  /** θ ← τ θ_other + (1 − τ) θ. */
  blendFrom(other: FusedMlp, tau: number): void {
    if (other.params.length !== this.params.length) throw new Error('FusedMlp.blendFrom: different sizes');
    if (tau === 1) this.params.set(other.params);
    else for (let i = 0; i < this.params.length; i++) this.params[i] = tau * other.params[i]! + (1 - tau) * this.params[i]!;
  }
}

export interface FusedAdamState {
  t: number;
  m: Float32Array;
  v: Float32Array;
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
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-8,
    readonly clipNorm?: number,
  ) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** One update of θ with gradient g (g is clipped in place when clipNorm is set). Returns ‖g‖ before clipping. */
  step(theta: Float32Array, g: Float32Array): number {
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
    const norm = Math.sqrt(sq);
    const scale = this.clipNorm === undefined ? 1 : Math.min(1, this.clipNorm / (norm + 1e-6));
    this.t++;
    const { beta1: b1, beta2: b2, epsilon: eps } = this;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    const native = nativeTails();
    if (native !== undefined) {
      native.adamStep(theta as Float32Array, g as Float32Array, this.m, this.v, scale, this.lr, b1, b2, eps, c1, c2);
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
      theta[i]! -= (this.lr * (mi / c1)) / (Math.sqrt(vi / c2) + eps);
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
