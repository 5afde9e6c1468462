/**
 * The `native` tfjs backend: tfjs's own CPU backend (`MathBackendCPU`, every cpu kernel copied
 * over) with the hot kernels replaced by nnlab's N-API addon (`build/Release/nnlab_native.node`,
 * built from native/src by node-gyp at `npm install`):
 *
 *   BatchMatMul, _FusedMatMul   blocked SGEMM, AVX2/FMA micro-kernel (scalar fallback), 2 threads
 *                               above a size threshold, bias + activation fused into the epilogue
 *   Conv2D, FusedConv2D         im2col + SGEMM (NHWC, dilation 1)
 *   Conv2DBackpropInput         SGEMM + col2im (also what conv2dTranspose runs)
 *   Conv2DBackpropFilter        im2col + SGEMM, per-thread partial sums
 *   Add Sub Multiply RealDiv Maximum Minimum SquaredDifference Prelu (same shape, scalar or trailing
 *   broadcast), Relu Sqrt Square Exp Log Neg Abs Step Sigmoid Tanh Rsqrt Reciprocal LeakyRelu,
 *   Greater GreaterEqual Less LessEqual Equal NotEqual (bool results), Select (tf.where), and Sum /
 *   Mean over one contiguous block of axes: plain C++ loops. Tile of a vector over leading dims:
 *   block copies. tfjs's cpu versions cost 10-20 ns per element, which made a DQN step (~270 kernels,
 *   nearly all small ops, when measured in 2026-11; ~190 since core/losses.ts's closed-form
 *   gradients) slower on this backend than on wasm.
 *   FusedBatchNorm (tf.batchNorm), and its gradient as one kernel (BATCH_NORM_GRAD, one pass
 *   instead of ~20 ops); Mean's gradient as one broadcast copy. These two gradients are registered
 *   over tfjs's and apply only while the native backend is active (see registerBatchNormGradient).
 *
 * Each accelerated kernel mirrors the attribute handling of the cpu kernel it replaces. Cases the
 * addon does not cover (non-float32 dtypes, NCHW, dilation > 1, batch shapes the cpu kernel
 * broadcasts by modulo, empty tensors) run the original cpu kernel; bias shapes other than [N] or
 * a scalar, and prelu, run the native product followed by the cpu Add / activation kernels.
 *
 * If the addon is missing (the build failed or was skipped at install) or `NNLAB_NATIVE=off`,
 * `registerNativeBackend` throws a one-line reason, and backend choice falls through to wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { LEAKY_RELU_ALPHA } from './activation.js';
import { loadNativeAddon, NATIVE_ACT, NATIVE_BIAS, NATIVE_BINARY as B, NATIVE_BROADCAST, NATIVE_COMPARE as C, NATIVE_UNARY as U } from './nativeAddon.js';

/** Loading the addon (no tfjs): defined in nativeAddon.ts, part of this backend's API here. */
export { loadNativeAddon, nativeAddonPath, nativeAvailable, nativeInfo, type NativeAddon } from './nativeAddon.js';

/** Binary elementwise kernels and their op codes (native/src/elementwise.h BinaryOp). */
const BINARY: Record<string, number> = {
  [tf.Add]: B.add, [tf.Sub]: B.sub, [tf.Multiply]: B.mul, [tf.RealDiv]: B.div, [tf.Maximum]: B.max, [tf.Minimum]: B.min,
  [tf.SquaredDifference]: B.squaredDifference,
};
/** Unary elementwise kernels and their op codes (native/src/elementwise.h UnaryOp). */
const UNARY: Record<string, number> = {
  [tf.Relu]: U.relu, [tf.Sqrt]: U.sqrt, [tf.Square]: U.square, [tf.Exp]: U.exp, [tf.Log]: U.log, [tf.Neg]: U.neg, [tf.Abs]: U.abs,
  [tf.Step]: U.step, [tf.Sigmoid]: U.sigmoid, [tf.Tanh]: U.tanh, [tf.Rsqrt]: U.rsqrt, [tf.Reciprocal]: U.reciprocal,
  [tf.LeakyRelu]: U.leakyRelu,
};
/** Comparison kernels (bool results) and their op codes (native/src/elementwise.h CompareOp). */
const COMPARE: Record<string, number> = {
  [tf.Greater]: C.greater, [tf.GreaterEqual]: C.greaterEqual, [tf.Less]: C.less, [tf.LessEqual]: C.lessEqual, [tf.Equal]: C.equal,
  [tf.NotEqual]: C.notEqual,
};
/** Prelu's op code among the binary ops. */
const PRELU_OP = B.prelu;
/** nnlab's own kernel: FusedBatchNorm's whole gradient in one pass (registered for 'native' only). */
export const BATCH_NORM_GRAD = 'NnlabFusedBatchNormGrad';
/**
 * nnlab's own kernel: tfjs's Adam update of one variable in one pass (registered for 'native'
 * only; core/optim.ts uses it). Inputs value, gradient, m, v and the scalars oneMinusAccBeta1/2;
 * attrs beta1, beta2, epsilon, learningRate; outputs the new value, m and v.
 */
export const ADAM_UPDATE = 'NnlabAdamUpdate';

const NATIVE_KERNELS: string[] = [
  tf.BatchMatMul,
  tf._FusedMatMul,
  tf.Conv2D,
  tf.Conv2DBackpropInput,
  tf.Conv2DBackpropFilter,
  tf.FusedConv2D,
  ...Object.keys(BINARY),
  ...Object.keys(UNARY),
  ...Object.keys(COMPARE),
  tf.Prelu,
  tf.Select,
  tf.FusedBatchNorm,
  tf.Sum,
  tf.Mean,
  tf.Tile,
];

/** Names of the tfjs kernels the native backend runs in C++ (the rest are the cpu backend's). */
export function nativeKernelNames(): string[] {
  return [...NATIVE_KERNELS];
}

// ---- kernels ---------------------------------------------------------------------------------

type Backend = MathBackendCPU;
/** What tfjs passes a kernel (its KernelFunc's argument: the backend untyped, the attributes a NamedAttrMap). */
type Args = Parameters<tf.KernelFunc>[0];
type TensorInfo = tf.TensorInfo;

/** The backend a kernel runs on: the native backend is a MathBackendCPU (registerNativeBackend). */
function cpuOf(args: Args): Backend {
  const b = args.backend;
  if (!(b instanceof MathBackendCPU)) throw new Error('native kernel: called with a backend other than the native one (a MathBackendCPU)');
  return b;
}

// Kernel attributes, checked as they are read: tfjs types them only as a NamedAttrMap.
type Attrs = tf.NamedAttrMap | undefined;

function badAttr(name: string, what: string, v: unknown): TypeError {
  return new TypeError(`native kernel attribute '${name}': ${what} expected, got ${JSON.stringify(v)}`);
}

/** A boolean attribute; absent is false. */
function boolAttr(a: Attrs, name: string): boolean {
  const v = a?.[name];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw badAttr(name, 'a boolean', v);
  return v;
}

function numAttr(a: Attrs, name: string): number | undefined {
  const v = a?.[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw badAttr(name, 'a number', v);
  return v;
}

function strAttr(a: Attrs, name: string): string | undefined {
  const v = a?.[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badAttr(name, 'a string', v);
  return v;
}

/** A number or a list of numbers (axis, strides, dilations, shapes). */
function numsAttr(a: Attrs, name: string): number | number[] | undefined {
  const v = a?.[name];
  if (v === undefined || v === null || typeof v === 'number') return v ?? undefined;
  if (!Array.isArray(v)) throw badAttr(name, 'a number or a list of numbers', v);
  const out: number[] = [];
  for (const x of v) {
    if (typeof x !== 'number') throw badAttr(name, 'a list of numbers', v);
    out.push(x);
  }
  return out;
}

function listAttr(a: Attrs, name: string): number[] | undefined {
  const v = numsAttr(a, name);
  if (typeof v === 'number') throw badAttr(name, 'a list of numbers', v);
  return v;
}

/** A pair attribute (strides, dilations): a number, or two. */
function pairAttr(a: Attrs, name: string, otherwise: number): number | [number, number] {
  const v = numsAttr(a, name) ?? otherwise;
  if (typeof v === 'number') return v;
  const [h, w] = v;
  if (v.length !== 2 || h === undefined || w === undefined) throw badAttr(name, 'a number or two', v);
  return [h, w];
}

/** A rank-4 shape as computeConv2DInfo takes it, or undefined. */
function shape4(s: readonly number[] | undefined): [number, number, number, number] | undefined {
  if (s === undefined || s.length !== 4) return undefined;
  const [a, b, c, d] = s;
  return a === undefined || b === undefined || c === undefined || d === undefined ? undefined : [a, b, c, d];
}

/** tfjs's fused activation names the addon's epilogue applies, and their codes (native/src/gemm.h `Act`). */
const ACT: Record<string, number> = {
  linear: NATIVE_ACT.linear, relu: NATIVE_ACT.relu, relu6: NATIVE_ACT.relu6, elu: NATIVE_ACT.elu,
  leakyrelu: NATIVE_ACT.leakyRelu, sigmoid: NATIVE_ACT.sigmoid,
};
const BIAS_NONE = NATIVE_BIAS.none;
const BIAS_SCALAR = NATIVE_BIAS.scalar;
const BIAS_PER_COLUMN = NATIVE_BIAS.perColumn;

function cpuKernel(name: string): tf.KernelFunc {
  const k = tf.getKernel(name, 'cpu');
  if (!k) throw new Error(`tfjs cpu kernel ${name} is not registered`);
  return k.kernelFunc;
}

const counts = new Map<string, { native: number; fallback: number }>();
function count(name: string, kind: 'native' | 'fallback'): void {
  let c = counts.get(name);
  if (!c) counts.set(name, (c = { native: 0, fallback: 0 }));
  c[kind]++;
}

/** How often each accelerated kernel ran natively or fell back to the cpu kernel (diagnostics). */
export function nativeCallCounts(): Record<string, { native: number; fallback: number }> {
  return Object.fromEntries([...counts].map(([k, v]) => [k, { ...v }]));
}

function fallback(name: string, args: Args): TensorInfo {
  count(name, 'fallback');
  return single(name, cpuKernel(name)(args));
}

/** A kernel's one output (the cpu kernels these replace have one). */
function single(name: string, out: TensorInfo | TensorInfo[]): TensorInfo {
  if (Array.isArray(out)) throw new Error(`tfjs cpu kernel ${name}: one output expected, got ${out.length}`);
  return out;
}

/** The Float32Array behind a float32 tensor, or undefined if it is anything else. */
function f32(backend: Backend, t: TensorInfo | undefined): Float32Array | undefined {
  if (!t || t.dtype !== 'float32') return undefined;
  const v = backend.data.get(t.dataId).values;
  return v instanceof Float32Array ? v : undefined;
}

/**
 * The cpu backend's applyActivation, through the registered cpu kernels. `alpha` is LeakyReLU's
 * slope, already defaulted (`withEpilogue`); 'prelu' needs its weights input and throws without it.
 */
function applyActivationCpu(
  backend: Backend, x: TensorInfo, activation: string, prelu: TensorInfo | undefined, alpha: number,
): TensorInfo {
  const run = (name: string, inputs: tf.NamedTensorInfoMap, attrs?: tf.NamedAttrMap) =>
    single(name, cpuKernel(name)(attrs === undefined ? { inputs, backend } : { inputs, backend, attrs }));
  switch (activation) {
    case 'linear': return run(tf.Identity, { x });
    case 'relu': return run(tf.Relu, { x });
    case 'elu': return run(tf.Elu, { x });
    case 'relu6': return run(tf.Relu6, { x });
    case 'prelu':
      if (prelu === undefined) throw new Error('fused prelu activation: the preluActivationWeights input is missing');
      return run(tf.Prelu, { x, alpha: prelu });
    case 'leakyrelu': return run(tf.LeakyRelu, { x }, { alpha });
    case 'sigmoid': return run(tf.Sigmoid, { x });
  }
  throw new Error(`Activation ${activation} has not been implemented for the CPU backend.`);
}

/**
 * How a bias tensor broadcasts onto an output whose last dimension is `cols`: one scalar, one
 * value per column ([cols], [1, cols], ...), or anything else (undefined: use the cpu Add).
 */
function biasMode(bias: TensorInfo, outRank: number, cols: number): number | undefined {
  if (bias.shape.length > outRank) return undefined;
  const size = tf.util.sizeFromShape(bias.shape);
  if (size === 1) return BIAS_SCALAR;
  const last = bias.shape[bias.shape.length - 1];
  if (last === cols && size === cols) return BIAS_PER_COLUMN;
  return undefined;
}

/**
 * Runs the native product with as much of bias + activation fused as the addon supports, then
 * the rest with cpu kernels (in the order the cpu fused kernels apply them).
 */
function withEpilogue(
  backend: Backend, outShape: number[], cols: number,
  bias: TensorInfo | undefined, activation: string | undefined, prelu: TensorInfo | undefined, alpha: number | undefined,
  run: (out: Float32Array, bias: Float32Array | null, mode: number, act: number, alpha: number) => void,
): TensorInfo {
  const act = activation ?? 'linear';
  const leakyAlpha = alpha ?? LEAKY_RELU_ALPHA; // tfjs's fused ops default to the same 0.2, fused or not
  const biasVals = bias ? f32(backend, bias) : undefined;
  const mode = bias ? (biasVals ? biasMode(bias, outShape.length, cols) : undefined) : BIAS_NONE;
  const fuseBias = mode !== undefined;
  const fuseAct = fuseBias && ACT[act] !== undefined;
  const out = new Float32Array(tf.util.sizeFromShape(outShape));
  run(out, fuseBias && mode !== BIAS_NONE ? (biasVals as Float32Array) : null, fuseBias ? (mode as number) : BIAS_NONE,
    fuseAct ? (ACT[act] as number) : 0, leakyAlpha);
  let current = backend.makeTensorInfo(outShape, 'float32', out);
  if (bias && !fuseBias) {
    const added = single(tf.Add, cpuKernel(tf.Add)({ inputs: { a: current, b: bias }, backend }));
    backend.disposeIntermediateTensorInfo(current);
    current = added;
  }
  if (activation && !fuseAct) {
    const activated = applyActivationCpu(backend, current, activation, prelu, leakyAlpha);
    backend.disposeIntermediateTensorInfo(current);
    current = activated;
  }
  return current;
}

interface MatMulPlan {
  outShape: number[];
  batch: number; batchA: number; batchB: number;
  M: number; N: number; K: number;
}

/** Shapes of a (batched) matmul as the cpu BatchMatMul kernel computes them; undefined = use cpu. */
function planMatMul(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulPlan | undefined {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  if (aRank < 2 || bRank < 2) return undefined;
  const K = transposeA ? a.shape[aRank - 2]! : a.shape[aRank - 1]!;
  const kB = transposeB ? b.shape[bRank - 1]! : b.shape[bRank - 2]!;
  if (K !== kB) return undefined; // the cpu kernel throws the proper error
  const M = transposeA ? a.shape[aRank - 1]! : a.shape[aRank - 2]!;
  const N = transposeB ? b.shape[bRank - 2]! : b.shape[bRank - 1]!;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = tf.util.sizeFromShape(outerA);
  const batchB = tf.util.sizeFromShape(outerB);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = Math.max(batchA, batchB);
  // The cpu kernel pairs batch bi with (bi % batchA, bi % batchB); that is a true broadcast only
  // when the batches agree or one side has one. Leave anything else to it.
  if (batchA === 0 || batchB === 0 || M === 0 || N === 0) return undefined;
  if (!(batchA === batchB || batchA === 1 || batchB === 1)) return undefined;
  if (tf.util.sizeFromShape(outer) !== batch) return undefined;
  return { outShape: [...outer, M, N], batch, batchA, batchB, M, N, K };
}

function batchMatMul(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const transposeA = boolAttr(attrs, 'transposeA');
  const transposeB = boolAttr(attrs, 'transposeB');
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const plan = av && bv ? planMatMul(a, b, transposeA, transposeB) : undefined;
  if (!av || !bv || !plan) return fallback(tf.BatchMatMul, args);
  count(tf.BatchMatMul, 'native');
  const out = new Float32Array(plan.batch * plan.M * plan.N);
  loadNativeAddon().matmul(av, bv, out, plan.batch, plan.batchA, plan.batchB, plan.M, plan.N, plan.K,
    transposeA ? 1 : 0, transposeB ? 1 : 0, null, BIAS_NONE, 0, 0);
  return backend.makeTensorInfo(plan.outShape, 'float32', out);
}

function fusedMatMul(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { a, b, bias, preluActivationWeights } = inputs as {
    a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo;
  };
  const transposeA = boolAttr(attrs, 'transposeA');
  const transposeB = boolAttr(attrs, 'transposeB');
  const activation = strAttr(attrs, 'activation');
  const leakyreluAlpha = numAttr(attrs, 'leakyreluAlpha');
  const av = f32(backend, a);
  const bv = f32(backend, b);
  const plan = av && bv ? planMatMul(a, b, transposeA, transposeB) : undefined;
  if (!av || !bv || !plan) return fallback(tf._FusedMatMul, args);
  count(tf._FusedMatMul, 'native');
  const addon = loadNativeAddon();
  return withEpilogue(backend, plan.outShape, plan.N, bias, activation, preluActivationWeights, leakyreluAlpha,
    (out, biasV, mode, act, alpha) =>
      addon.matmul(av, bv, out, plan.batch, plan.batchA, plan.batchB, plan.M, plan.N, plan.K,
        transposeA ? 1 : 0, transposeB ? 1 : 0, biasV, mode, act, alpha));
}

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

/** [B,H,W,Ci,OH,OW,Co,fh,fw,sh,sw,padTop,padLeft] for the addon, or undefined if it cannot run it. */
function geometry(info: Conv2DInfo): Int32Array | undefined {
  if (info.dataFormat !== 'channelsLast' || info.dilationHeight !== 1 || info.dilationWidth !== 1) return undefined;
  const g = [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.padInfo.top, info.padInfo.left,
  ];
  if (g.some((v) => !Number.isInteger(v) || v < 0 || v > 0x7fffffff)) return undefined;
  if (g.slice(0, 7).some((v) => v === 0)) return undefined;
  return Int32Array.from(g);
}

/** Convolution padding: 'same', 'valid', a number, or explicit [before, after] pairs for N, H, W, C. */
function padOf(v: unknown): 'same' | 'valid' | number | tf.backend_util.ExplicitPadding {
  if (v === 'same' || v === 'valid' || typeof v === 'number') return v;
  const pair = (p: unknown): [number, number] => {
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number') throw badAttr('pad', "'same', 'valid', a number or four [before, after] pairs", v);
    return [p[0], p[1]];
  };
  if (!Array.isArray(v) || v.length !== 4) throw badAttr('pad', "'same', 'valid', a number or four [before, after] pairs", v);
  return [pair(v[0]), pair(v[1]), pair(v[2]), pair(v[3])];
}

/**
 * The convolution's geometry from the kernel's attributes, or undefined for shapes of another rank
 * (the cpu kernel's case).
 */
function convInfoFor(xShape: readonly number[] | undefined, filterShape: readonly number[] | undefined, attrs: Attrs, dilations: number | [number, number]): Conv2DInfo | undefined {
  const x = shape4(xShape);
  const w = shape4(filterShape);
  if (x === undefined || w === undefined) return undefined;
  const pad = padOf(attrs?.pad);
  const rounding = strAttr(attrs, 'dimRoundingMode');
  if (!(rounding === undefined || rounding === 'floor' || rounding === 'round' || rounding === 'ceil')) throw badAttr('dimRoundingMode', "'floor', 'round' or 'ceil'", rounding);
  const format = strAttr(attrs, 'dataFormat') ?? 'NHWC';
  if (!(format === 'NHWC' || format === 'NCHW')) throw badAttr('dataFormat', "'NHWC' or 'NCHW'", format);
  return tf.backend_util.computeConv2DInfo(x, w, pairAttr(attrs, 'strides', 1), dilations, pad, rounding, false, tf.backend_util.convertConv2DDataFormat(format));
}

function conv2D(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  if (!xv || !wv || x.shape.length !== 4 || filter.shape.length !== 4) return fallback(tf.Conv2D, args);
  const info = convInfoFor(x.shape, filter.shape, attrs, pairAttr(attrs, 'dilations', 1));
  const geom = info && geometry(info);
  if (!info || !geom || filter.shape[2] !== info.inChannels) return fallback(tf.Conv2D, args);
  count(tf.Conv2D, 'native');
  const y = new Float32Array(tf.util.sizeFromShape(info.outShape));
  loadNativeAddon().conv2d(xv, wv, y, geom, null, BIAS_NONE, 0, 0);
  return backend.makeTensorInfo(info.outShape, 'float32', y);
}

function fusedConv2D(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { x, filter, bias, preluActivationWeights } = inputs as {
    x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo;
  };
  const activation = strAttr(attrs, 'activation');
  const leakyreluAlpha = numAttr(attrs, 'leakyreluAlpha');
  const xv = f32(backend, x);
  const wv = f32(backend, filter);
  if (!xv || !wv || x.shape.length !== 4 || filter.shape.length !== 4) return fallback(tf.FusedConv2D, args);
  const info = convInfoFor(x.shape, filter.shape, attrs, pairAttr(attrs, 'dilations', 1));
  const geom = info && geometry(info);
  if (!info || !geom || filter.shape[2] !== info.inChannels) return fallback(tf.FusedConv2D, args);
  count(tf.FusedConv2D, 'native');
  const addon = loadNativeAddon();
  return withEpilogue(backend, info.outShape, info.outChannels, bias, activation, preluActivationWeights, leakyreluAlpha,
    (out, biasV, mode, act, alpha) => addon.conv2d(xv, wv, out, geom, biasV, mode, act, alpha));
}

function conv2DBackpropInput(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const inputShape = listAttr(attrs, 'inputShape');
  const dyv = f32(backend, dy);
  const wv = f32(backend, filter);
  if (!dyv || !wv || filter.shape.length !== 4 || dy.shape.length !== 4) return fallback(tf.Conv2DBackpropInput, args);
  const info = convInfoFor(inputShape, filter.shape, attrs, 1);
  const geom = info && geometry(info);
  if (!info || !geom || !tf.util.arraysEqual(dy.shape, info.outShape)) return fallback(tf.Conv2DBackpropInput, args);
  count(tf.Conv2DBackpropInput, 'native');
  const dx = new Float32Array(tf.util.sizeFromShape(info.inShape));
  loadNativeAddon().conv2dBackpropInput(dyv, wv, dx, geom);
  return backend.makeTensorInfo(info.inShape, 'float32', dx);
}

function conv2DBackpropFilter(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const filterShape = listAttr(attrs, 'filterShape');
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  if (!xv || !dyv || x.shape.length !== 4 || dy.shape.length !== 4) return fallback(tf.Conv2DBackpropFilter, args);
  const info = convInfoFor(x.shape, filterShape, attrs, 1);
  const geom = info && geometry(info);
  if (!info || !geom || !tf.util.arraysEqual(dy.shape, info.outShape)) return fallback(tf.Conv2DBackpropFilter, args);
  count(tf.Conv2DBackpropFilter, 'native');
  const dw = new Float32Array(tf.util.sizeFromShape(info.filterShape));
  loadNativeAddon().conv2dBackpropFilter(xv, dyv, dw, geom);
  return backend.makeTensorInfo(info.filterShape, 'float32', dw);
}

const { same: SAME, bScalar: B_SCALAR, aScalar: A_SCALAR, bPeriodic: B_PERIODIC, aPeriodic: A_PERIODIC } = NATIVE_BROADCAST;

/** True when `s` without its leading 1s equals the trailing dimensions of `out`. */
function trailing(s: number[], out: number[]): boolean {
  let i = 0;
  while (i < s.length && s[i] === 1) i++;
  const t = s.slice(i);
  return t.length <= out.length && tf.util.arraysEqual(t, out.slice(out.length - t.length));
}

/**
 * How a and b broadcast onto their output, as the addon's binary / compare loops take it; undefined
 * when neither is the output's size with the other a scalar or its trailing dims (cpu kernel).
 */
function broadcastPlan(a: TensorInfo, b: TensorInfo, na: number, nb: number): { out: number[]; n: number; mode: number } | undefined {
  const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const n = tf.util.sizeFromShape(out);
  let mode: number | undefined;
  if (n === 0) mode = undefined;
  else if (na === n && nb === n) mode = SAME; // sizes equal: only size-1 dims differ, same layout
  else if (na === n && nb === 1) mode = B_SCALAR;
  else if (nb === n && na === 1) mode = A_SCALAR;
  else if (na === n && trailing(b.shape, out)) mode = B_PERIODIC;
  else if (nb === n && trailing(a.shape, out)) mode = A_PERIODIC;
  return mode === undefined ? undefined : { out, n, mode };
}

function binaryKernel(name: string, op: number) {
  return (args: Args): TensorInfo => {
    const { inputs } = args;
    const backend = cpuOf(args);
    // Prelu names its inputs x and alpha; the rest a and b.
    const { a, b } = (name === tf.Prelu ? { a: inputs.x, b: inputs.alpha } : inputs) as { a: TensorInfo; b: TensorInfo };
    const av = f32(backend, a);
    const bv = f32(backend, b);
    const plan = av && bv ? broadcastPlan(a, b, av.length, bv.length) : undefined;
    if (!av || !bv || !plan) return fallback(name, args);
    count(name, 'native');
    const vals = new Float32Array(plan.n);
    loadNativeAddon().binary(op, av, bv, vals, plan.mode);
    return backend.makeTensorInfo(plan.out, 'float32', vals);
  };
}

/** Greater, Less, Equal, ... on float32 inputs: bool (Uint8Array) results, binary broadcasts. */
function compareKernel(name: string, op: number) {
  return (args: Args): TensorInfo => {
    const { inputs } = args;
    const backend = cpuOf(args);
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const av = f32(backend, a);
    const bv = f32(backend, b);
    const plan = av && bv ? broadcastPlan(a, b, av.length, bv.length) : undefined;
    if (!av || !bv || !plan) return fallback(name, args);
    count(name, 'native');
    const vals = new Uint8Array(plan.n);
    loadNativeAddon().compare(op, av, bv, vals, plan.mode);
    return backend.makeTensorInfo(plan.out, 'bool', vals);
  };
}

/** Select (tf.where) with condition, t and e of one shape, t and e float32. */
function select(args: Args): TensorInfo {
  const { inputs } = args;
  const backend = cpuOf(args);
  const { condition, t, e } = inputs as { condition: TensorInfo; t: TensorInfo; e: TensorInfo };
  const tv = f32(backend, t);
  const ev = f32(backend, e);
  const cv = condition.dtype === 'bool' ? backend.data.get(condition.dataId).values : undefined;
  if (!tv || !ev || !(cv instanceof Uint8Array) || tv.length === 0 ||
    !tf.util.arraysEqual(condition.shape, t.shape) || !tf.util.arraysEqual(t.shape, e.shape)) {
    return fallback(tf.Select, args);
  }
  count(tf.Select, 'native');
  const vals = new Float32Array(tv.length);
  loadNativeAddon().select(cv, tv, ev, vals);
  return backend.makeTensorInfo(t.shape, 'float32', vals);
}

/** FusedBatchNorm (tf.batchNorm): x normalised by per-element-periodic mean, variance, scale, offset. */
function batchNorm(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { x, mean, variance, offset, scale } = inputs as {
    x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo;
  };
  const xv = f32(backend, x);
  const mv = f32(backend, mean);
  const vv = f32(backend, variance);
  const sv = scale ? f32(backend, scale) : ONE;
  const ov = offset ? f32(backend, offset) : ZERO;
  if (!xv || !mv || !vv || !sv || !ov || xv.length === 0 || mv.length === 0 || vv.length === 0 || sv.length === 0 || ov.length === 0 ||
    mean.shape.length !== variance.shape.length) {
    return fallback(tf.FusedBatchNorm, args);
  }
  count(tf.FusedBatchNorm, 'native');
  const eps = numAttr(attrs, 'varianceEpsilon') ?? 0.001;
  const vals = new Float32Array(xv.length);
  loadNativeAddon().batchNorm(xv, mv, vv, sv, ov, eps, vals);
  return backend.makeTensorInfo(x.shape, 'float32', vals);
}
const ONE = new Float32Array([1]);
const ZERO = new Float32Array([0]);

/**
 * FusedBatchNorm's gradient in one pass (nnlab kernel BATCH_NORM_GRAD): inputs x, dy, mean,
 * variance, scale (per-channel, x's last dim); outputs dx, dmean, dvariance, dscale, doffset.
 */
function batchNormGrad(args: Args): TensorInfo[] {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { x, dy, mean, variance, scale } = inputs as Record<'x' | 'dy' | 'mean' | 'variance' | 'scale', TensorInfo>;
  const [xv, dyv, mv, vv, sv] = [x, dy, mean, variance, scale].map((t) => f32(backend, t));
  if (!xv || !dyv || !mv || !vv || !sv) throw new Error(`${BATCH_NORM_GRAD}: float32 inputs expected`);
  count(BATCH_NORM_GRAD, 'native');
  const C = mv.length;
  const [dx, dmean, dvariance, dscale, doffset] = [xv.length, C, C, C, C].map((n) => new Float32Array(n)) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  const eps = numAttr(attrs, 'varianceEpsilon') ?? 0.001;
  loadNativeAddon().batchNormGrad(xv, dyv, mv, vv, sv, eps, dx, dmean, dvariance, dscale, doffset);
  return [backend.makeTensorInfo(x.shape, 'float32', dx), ...[dmean, dvariance, dscale, doffset].map((o) => backend.makeTensorInfo(mean.shape, 'float32', o))];
}

function adamUpdate(args: Args): TensorInfo[] {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { value, gradient, m, v, oneMinusAccBeta1, oneMinusAccBeta2 } =
    inputs as Record<'value' | 'gradient' | 'm' | 'v' | 'oneMinusAccBeta1' | 'oneMinusAccBeta2', TensorInfo>;
  const [xv, gv, mv, vv, o1, o2] = [value, gradient, m, v, oneMinusAccBeta1, oneMinusAccBeta2].map((t) => f32(backend, t));
  if (!xv || !gv || !mv || !vv || !o1 || !o2 || gv.length !== xv.length || mv.length !== xv.length || vv.length !== xv.length) {
    throw new Error(`${ADAM_UPDATE}: float32 value, gradient, m, v of one size expected`);
  }
  count(ADAM_UPDATE, 'native');
  const [beta1, beta2, epsilon, learningRate] = ['beta1', 'beta2', 'epsilon', 'learningRate'].map((name) => {
    const v = numAttr(attrs, name);
    if (v === undefined) throw badAttr(name, 'a number', v);
    return v;
  }) as [number, number, number, number];
  const [nx, nm, nv] = [0, 1, 2].map(() => new Float32Array(xv.length)) as [Float32Array, Float32Array, Float32Array];
  loadNativeAddon().adamTfjs(xv, gv, mv, vv, nx, nm, nv, beta1, 1 - beta1, beta2, 1 - beta2, o1[0]!, o2[0]!, epsilon, -learningRate);
  return [nx, nm, nv].map((a) => backend.makeTensorInfo(value.shape, 'float32', a));
}

/**
 * FusedBatchNorm's gradient: on the native backend, with per-channel (rank-1) mean, variance and
 * scale over x's last dim, one BATCH_NORM_GRAD kernel computes every input's gradient; anything
 * else (other backends included) runs tfjs's own gradient, which composes ~20 elementwise and
 * reduction ops. The equations are tfjs's (tfjs-core/src/gradients/FusedBatchNorm_grad.ts).
 */
function registerBatchNormGradient(): void {
  const original = tf.getGradient(tf.FusedBatchNorm);
  if (!original || (original as { nnlab?: boolean }).nnlab) return;
  const config: tf.GradConfig & { nnlab: boolean } = {
    ...original,
    nnlab: true,
    gradFunc: (dy, saved, attrs) => {
      const [x, mean, variance, scale] = saved as tf.Tensor[];
      const C = mean?.shape[0];
      const fusable = tf.getBackend() === 'native' && x !== undefined && mean !== undefined && variance !== undefined &&
        scale !== undefined && !Array.isArray(dy) && mean.rank === 1 && C !== undefined && C > 0 &&
        x.shape[x.rank - 1] === C && tf.util.arraysEqual(variance.shape, mean.shape) &&
        tf.util.arraysEqual(scale.shape, mean.shape) && tf.util.arraysEqual(dy.shape, x.shape) &&
        [x, mean, variance, scale, dy].every((t) => t.dtype === 'float32');
      if (!fusable) return original.gradFunc(dy, saved, attrs);
      // Computed here, not in the thunks: tfjs runs each thunk in its own tidy, which would dispose
      // the outputs meant for the others. Outputs nobody asks for go with the backward pass's tidy.
      const [dx, dmean, dvariance, dscale, doffset] = tf.engine().runKernel(
        BATCH_NORM_GRAD, { x, dy: dy as tf.Tensor, mean, variance, scale }, attrs) as tf.Tensor[];
      return { x: () => dx!, mean: () => dmean!, variance: () => dvariance!, scale: () => dscale!, offset: () => doffset! };
    },
  };
  tf.registerGradient(config);
}

/**
 * Mean's gradient, dy / n broadcast over the reduced axes: tfjs builds it as
 * div(mul(dy, ones(x.shape)), n), three passes over x's size (BatchNorm's moments take it twice per
 * layer). On the native backend: div(dy, n) on dy's size, then one broadcast copy (Tile). The
 * same values: dy·1/n = dy/n exactly.
 */
function registerMeanGradient(): void {
  const original = tf.getGradient(tf.Mean);
  if (!original || (original as { nnlab?: boolean }).nnlab) return;
  const config: tf.GradConfig & { nnlab: boolean } = {
    ...original,
    nnlab: true,
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      if (tf.getBackend() !== 'native' || x === undefined || Array.isArray(dy) || dy.dtype !== 'float32') {
        return original.gradFunc(dy, saved, attrs);
      }
      const axes = tf.util.parseAxisParam(numsAttr(attrs, 'axis') ?? x.shape.map((_, i) => i), x.shape);
      const expanded = x.shape.slice();
      for (const a of axes) expanded[a] = 1;
      const reduceSize = tf.util.sizeFromShape(axes.map((a) => x.shape[a]!));
      return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy, expanded), reduceSize), x.shape) };
    },
  };
  tf.registerGradient(config);
}

function unaryKernel(name: string, op: number) {
  return (args: Args): TensorInfo => {
    const { inputs, attrs } = args;
    const backend = cpuOf(args);
    const { x } = inputs as { x: TensorInfo };
    const xv = f32(backend, x);
    if (!xv || xv.length === 0) return fallback(name, args);
    count(name, 'native');
    const vals = new Float32Array(xv.length);
    const alpha = name === tf.Step || name === tf.LeakyRelu ? (numAttr(attrs, 'alpha') ?? 0) : 0;
    loadNativeAddon().unary(op, xv, vals, alpha);
    return backend.makeTensorInfo(x.shape, 'float32', vals);
  };
}

/**
 * Sum and Mean over one contiguous block of axes: x is [outer, reduce, inner] and the reduction
 * runs over the middle (BatchNorm's moments over N, H, W of NHWC are this case with outer = 1).
 */
function reduceKernel(name: typeof tf.Sum | typeof tf.Mean) {
  return (args: Args): TensorInfo => {
    const { inputs, attrs } = args;
    const backend = cpuOf(args);
    const { x } = inputs as { x: TensorInfo };
    const axis = numsAttr(attrs, 'axis') ?? x.shape.map((_, i) => i);
    const keepDims = boolAttr(attrs, 'keepDims');
    const xv = f32(backend, x);
    if (!xv || xv.length === 0) return fallback(name, args);
    const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
    if (axes.length === 0 || axes[axes.length - 1]! - axes[0]! !== axes.length - 1) return fallback(name, args);
    count(name, 'native');
    const first = axes[0]!;
    const last = axes[axes.length - 1]!;
    const outer = tf.util.sizeFromShape(x.shape.slice(0, first));
    const reduce = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
    const inner = tf.util.sizeFromShape(x.shape.slice(last + 1));
    let outShape = x.shape.filter((_, i) => i < first || i > last);
    if (keepDims) outShape = tf.backend_util.expandShapeToKeepDim(outShape, axes);
    const vals = new Float32Array(outer * inner);
    loadNativeAddon().sum(xv, vals, outer, reduce, inner);
    if (name === tf.Mean) for (let i = 0; i < vals.length; i++) vals[i]! /= reduce;
    return backend.makeTensorInfo(outShape, 'float32', vals);
  };
}

/**
 * Tile when only leading size-1 dims repeat (x is [1, …, 1, rest], reps [r₀, …, r_k, 1, …, 1]):
 * the output is x's values copied r₀·…·r_k times, block by block (what BatchNorm's gradient asks
 * for when it tiles a per-channel vector over N, H, W). Other tilings run the cpu kernel.
 */
function tile(args: Args): TensorInfo {
  const { inputs, attrs } = args;
  const backend = cpuOf(args);
  const { x } = inputs as { x: TensorInfo };
  const reps = listAttr(attrs, 'reps');
  const xv = f32(backend, x);
  if (!xv || reps === undefined || reps.length !== x.shape.length) return fallback(tf.Tile, args);
  let k = 0;
  while (k < reps.length && x.shape[k] === 1) k++;
  if (reps.slice(k).some((r) => r !== 1)) return fallback(tf.Tile, args);
  count(tf.Tile, 'native');
  const copies = reps.slice(0, k).reduce((a, b) => a * b, 1);
  const vals = new Float32Array(copies * xv.length);
  for (let c = 0; c < copies; c++) vals.set(xv, c * xv.length);
  return backend.makeTensorInfo(x.shape.map((d, i) => d * reps[i]!), 'float32', vals);
}

const IMPLS: Record<string, (args: Args) => TensorInfo> = {
  [tf.Tile]: tile,
  ...Object.fromEntries(Object.entries(BINARY).map(([name, op]) => [name, binaryKernel(name, op)])),
  ...Object.fromEntries(Object.entries(UNARY).map(([name, op]) => [name, unaryKernel(name, op)])),
  ...Object.fromEntries(Object.entries(COMPARE).map(([name, op]) => [name, compareKernel(name, op)])),
  [tf.Prelu]: binaryKernel(tf.Prelu, PRELU_OP),
  [tf.Select]: select,
  [tf.FusedBatchNorm]: batchNorm,
  [tf.Sum]: reduceKernel(tf.Sum),
  [tf.Mean]: reduceKernel(tf.Mean),
  [tf.BatchMatMul]: batchMatMul,
  [tf._FusedMatMul]: fusedMatMul,
  [tf.Conv2D]: conv2D,
  [tf.Conv2DBackpropInput]: conv2DBackpropInput,
  [tf.Conv2DBackpropFilter]: conv2DBackpropFilter,
  [tf.FusedConv2D]: fusedConv2D,
};

/** Registered with this priority: above wasm (2) and cpu (1), so tf.ready() alone picks it. */
export const NATIVE_PRIORITY = 3;

let registered = false;

/**
 * Registers the tfjs backend 'native' (does not select it: `tf.setBackend('native')`).
 * Throws a one-line reason when the addon is missing or fails to load.
 */
export function registerNativeBackend(): void {
  loadNativeAddon();
  if (registered) return;
  if (!tf.findBackendFactory('native')) tf.registerBackend('native', () => new MathBackendCPU(), NATIVE_PRIORITY);
  const replaced = new Set<string>(NATIVE_KERNELS);
  for (const config of tf.getKernelsForBackend('cpu')) {
    if (replaced.has(config.kernelName) || tf.getKernel(config.kernelName, 'native')) continue;
    tf.registerKernel({ ...config, backendName: 'native' });
  }
  for (const name of NATIVE_KERNELS) {
    if (tf.getKernel(name, 'native')) continue;
    const kernelFunc = IMPLS[name];
    if (kernelFunc === undefined) throw new Error(`native backend: no implementation of ${name}`);
    tf.registerKernel({ kernelName: name, backendName: 'native', kernelFunc });
  }
  if (!tf.getKernel(BATCH_NORM_GRAD, 'native')) {
    tf.registerKernel({ kernelName: BATCH_NORM_GRAD, backendName: 'native', kernelFunc: batchNormGrad });
  }
  if (!tf.getKernel(ADAM_UPDATE, 'native')) {
    tf.registerKernel({ kernelName: ADAM_UPDATE, backendName: 'native', kernelFunc: adamUpdate });
  }
  registerBatchNormGradient();
  registerMeanGradient();
  registered = true;
}
