/**
 * Loading nnlab's N-API addon (`build/Release/nnlab_native.node`, built from native/src by
 * node-gyp at `npm install`), apart from the tfjs backend built on it (native.ts): the fused
 * paths (core/fused.ts) use its SGEMM in threads that import no tfjs, e.g. rollout threads.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage, ownField } from '../base/plainData.js';

/** The addon's exports (native/src/addon.cc). */
export interface NativeAddon {
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array,
    batch: number, batchA: number, batchB: number, M: number, N: number, K: number,
    transA: number, transB: number,
    bias: Float32Array | null, biasMode: number, activation: number, alpha: number,
  ): void;
  conv2d(
    x: Float32Array, filter: Float32Array, y: Float32Array, geom: Int32Array,
    bias: Float32Array | null, biasMode: number, activation: number, alpha: number,
  ): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, geom: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, geom: Int32Array): void;
  info(): { simd: string; threads: number; parallelThreshold: number };
  setThreads(n: number): void;
  setParallelThreshold(multiplyAdds: number): void;
  setScalar(on: boolean): void;
  /** false: no AVX-512 tiles, the AVX2 kernel alone (the same bits; tests compare them). */
  setWide(on: boolean): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, mode: number): void;
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  sum(x: Float32Array, out: Float32Array, outer: number, reduce: number, inner: number): void;
  compare(op: number, a: Float32Array, b: Float32Array, out: Uint8Array, mode: number): void;
  select(cond: Uint8Array, t: Float32Array, e: Float32Array, out: Float32Array): void;
  batchNorm(
    x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array, offset: Float32Array,
    eps: number, out: Float32Array,
  ): void;
  adamTfjs(
    value: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    newValue: Float32Array, newM: Float32Array, newV: Float32Array,
    b1: number, c1: number, b2: number, c2: number, om1: number, om2: number, eps: number, negLr: number,
  ): void;
  batchNormGrad(
    x: Float32Array, dy: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array, eps: number,
    dx: Float32Array | null, dmean: Float32Array | null, dvariance: Float32Array | null,
    dscale: Float32Array | null, doffset: Float32Array | null,
  ): void;
  /** One Adam step in place on theta, m and v (native/src/optim.cc; used by core/fused.ts). */
  adamStep(theta: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, scale: number, lr: number, b1: number, b2: number, eps: number, c1: number, c2: number): void;
  /** A dense layer's backward tail: dZ = G ⊙ act′(A) (relu = 1, or linear = 0) and db = Σ_rows dZ, rows × cols (native/src/optim.cc). */
  denseDelta(relu: number, a: Float32Array, g: Float32Array, dz: Float32Array, db: Float32Array, rows: number, cols: number): void;
  /** Binary cross-entropy with logits: writes dLogits (scaled by gscale), returns the summed loss. */
  bceLogits(logits: Float32Array, x: Float32Array, dLogits: Float32Array, gscale: number): number;
}

/**
 * Every function NativeAddon declares, named once (`satisfies` makes tsc refuse a missing or an
 * extra name): what checkNativeAddon looks for in a loaded binary.
 */
const NATIVE_ADDON_FUNCTIONS = Object.keys({
  matmul: true, conv2d: true, conv2dBackpropInput: true, conv2dBackpropFilter: true, info: true, setThreads: true,
  setParallelThreshold: true, setScalar: true, setWide: true, binary: true, unary: true, sum: true, compare: true,
  select: true, batchNorm: true, adamTfjs: true, batchNormGrad: true, adamStep: true, denseDelta: true, bceLogits: true,
} satisfies Record<keyof NativeAddon, true>);

/**
 * Throws unless `exports` (what `file` loaded as) has every function NativeAddon declares: a
 * binary built from older sources (a stale build/) fails here, naming what it lacks, instead of
 * later with "addon.x is not a function" in the middle of a kernel.
 */
export function checkNativeAddon(exports: unknown, file: string): asserts exports is NativeAddon {
  const missing = NATIVE_ADDON_FUNCTIONS.filter((name) => typeof ownField(exports, name) !== 'function');
  if (missing.length > 0) {
    throw new Error(`native addon ${file} lacks ${missing.join(', ')} (built from older sources?): rebuild it with 'npm run install' (or 'npm rebuild')`);
  }
}

/**
 * The addon's numeric codes, one table per enum of native/src (the ABI; core/native.ts, core/fused.ts
 * and core/fusedConvNet.ts pass them): activations of the GEMM / convolution epilogue (gemm.h `Act`),
 * bias broadcasts of that epilogue (gemm.h `BiasMode`), element-wise binary, unary and comparison
 * ops and the broadcast modes of the binary and comparison ops (elementwise.h `BinaryOp`, `UnaryOp`,
 * `CompareOp`, `BroadcastMode`).
 */
export const NATIVE_ACT = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyRelu: 4, sigmoid: 5, tanh: 6 } as const;
export const NATIVE_BIAS = { none: 0, scalar: 1, perColumn: 2 } as const;
export const NATIVE_BINARY = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5, squaredDifference: 6, prelu: 7 } as const;
export const NATIVE_UNARY = {
  relu: 0, sqrt: 1, square: 2, exp: 3, log: 4, neg: 5, abs: 6, step: 7, sigmoid: 8, tanh: 9, rsqrt: 10, reciprocal: 11, leakyRelu: 12,
} as const;
/** Comparisons (tfjs bool results, bytes 0 / 1). */
export const NATIVE_COMPARE = { greater: 0, greaterEqual: 1, less: 2, lessEqual: 3, equal: 4, notEqual: 5 } as const;
/** same: a, b and out one size; bScalar / aScalar: that operand has one value; bPeriodic / aPeriodic: that operand repeats (a bias row). */
export const NATIVE_BROADCAST = { same: 0, bScalar: 1, aScalar: 2, bPeriodic: 3, aPeriodic: 4 } as const;

/** Package root: this file runs as dist/core/native.js. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where node-gyp puts the addon; NNLAB_NATIVE_ADDON overrides (tests, relocated builds). */
export function nativeAddonPath(): string {
  return process.env.NNLAB_NATIVE_ADDON ?? path.join(ROOT, 'build', 'Release', 'nnlab_native.node');
}

let addon: NativeAddon | undefined;

/** Loads the addon once; throws a one-line reason when it is missing or cannot load. */
export function loadNativeAddon(): NativeAddon {
  // NNLAB_NATIVE=off: the wasm / JavaScript fallback on purpose (how a machine without a C++
  // compiler runs, tested by test/native.kernels.test.ts).
  if (process.env.NNLAB_NATIVE === 'off') throw new Error('native addon disabled (NNLAB_NATIVE=off)');
  if (addon) return addon;
  const file = nativeAddonPath();
  if (!existsSync(file)) {
    throw new Error(
      `native addon not built (${path.relative(process.cwd(), file) || file} missing: node-gyp failed or was skipped at install; run 'npm rebuild' with a C++17 compiler)`,
    );
  }
  let exports: unknown;
  try {
    exports = createRequire(import.meta.url)(file);
  } catch (e) {
    throw new Error(`native addon failed to load (${file}): ${errorMessage(e).split('\n')[0]}`);
  }
  checkNativeAddon(exports, file);
  addon = exports;
  return addon;
}

/** True when the addon loads (without registering anything). */
export function nativeAvailable(): boolean {
  try {
    loadNativeAddon();
    return true;
  } catch {
    return false;
  }
}

/** SIMD path and thread count of the loaded addon. */
export function nativeInfo(): { simd: string; threads: number; parallelThreshold: number } {
  return loadNativeAddon().info();
}
