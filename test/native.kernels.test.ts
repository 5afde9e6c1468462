/**
 * The native backend's accelerated kernels (BatchMatMul, _FusedMatMul, Conv2D, FusedConv2D,
 * Conv2DBackpropInput, Conv2DBackpropFilter) against tfjs's cpu backend: forward outputs and
 * gradients (tf.grads through the op, which runs the backprop kernels) on random shapes with odd
 * sizes, transposes, batch broadcasting, strides, padding modes and conv2dTranspose.
 * Fails when the addon is not built, unless NNLAB_NATIVE=off asks for the fallback (then skipped).
 */
import { CLI, NATIVE_REQUIRED, test } from './helpers.js';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs'; // the union package also registers the gradients
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeOptimizer } from '../core/optim.js';
import { checkNativeAddon, NATIVE_ACT, NATIVE_BIAS, NATIVE_BINARY, NATIVE_BROADCAST, NATIVE_COMPARE, NATIVE_UNARY } from '../core/nativeAddon.js';
import { fileURLToPath } from 'node:url';
import { LEAKY_RELU_ALPHA } from '../core/activation.js';
import { ADAM_UPDATE, BATCH_NORM_GRAD, nativeAvailable, nativeCallCounts, nativeKernelNames, registerNativeBackend, loadNativeAddon } from '../core/native.js';
import { errorMessage } from '../base/plainData.js';

tf.env().set('PROD', true);

/** Deterministic uniform [-1, 1) data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}
const rand = rng(12345);
const int = (lo: number, hi: number) => lo + Math.floor(((rand() + 1) / 2) * (hi - lo + 1));
const data = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand());

type Out = { shape: number[]; values: Float32Array }[];

/** Runs fn on a backend with fresh tensors made from the same data; returns every output. */
function on(backend: string, inputs: { shape: number[]; values: Float32Array }[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): Out {
  tf.setBackend(backend);
  assert.is(tf.getBackend(), backend);
  return tf.tidy(() => {
    const xs = inputs.map((i) => tf.tensor(i.values, i.shape));
    const r = fn(...xs);
    return (Array.isArray(r) ? r : [r]).map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  });
}

/** |native − cpu| ≤ tol · max(1, max|cpu|) for every output, shapes equal. */
function same(what: string, inputs: { shape: number[]; values: Float32Array }[], fn: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[], tol = 2e-5): void {
  const want = on('cpu', inputs, fn);
  const got = on('native', inputs, fn);
  assert.is(got.length, want.length, `${what}: output count`);
  want.forEach((w, o) => {
    const g = got[o]!;
    assert.equal(g.shape, w.shape, `${what}: output ${o} shape`);
    let scale = 1;
    for (const v of w.values) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < w.values.length; i++) {
      const d = Math.abs(g.values[i]! - w.values[i]!);
      if (!(d <= tol * scale)) {
        assert.unreachable(`${what}: output ${o} [${i}] native ${g.values[i]} vs cpu ${w.values[i]} (scale ${scale})`);
      }
    }
  });
}

const inp = (...shapes: number[][]) => shapes.map((shape) => ({ shape, values: data(shape) }));

/** Loss Σ w ⊙ f(xs) with fixed random weights w, so upstream gradients are not uniform. */
function weighted(f: (...xs: tf.Tensor[]) => tf.Tensor, wSeed: number) {
  return (...xs: tf.Tensor[]) => {
    const y = f(...xs);
    const r = rng(wSeed); // same weights on both backends
    const w = tf.tensor(Float32Array.from({ length: y.size }, () => r()), y.shape);
    return tf.sum(tf.mul(y, w));
  };
}

/** Forward output and the gradient w.r.t. every input. */
function fwdAndGrads(f: (...xs: tf.Tensor[]) => tf.Tensor, seed = 1) {
  return (...xs: tf.Tensor[]) => [f(...xs), ...tf.grads(weighted(f, seed))(xs)];
}

if (!NATIVE_REQUIRED) {
  test.skip('native kernels (skipped: NNLAB_NATIVE=off)');
} else if (!nativeAvailable()) {
  test('the native addon is built and loads (set NNLAB_NATIVE=off to test without it)', () => {
    loadNativeAddon(); // throws the one-line reason
  });
} else {
  test.before(async () => {
    registerNativeBackend();
    await tf.setBackend('native');
    await tf.setBackend('cpu');
  });

  test('native backend: all cpu kernels present, the accelerated ones replaced', () => {
    const cpu = tf.getKernelsForBackend('cpu').map((k) => k.kernelName).sort();
    const nat = tf.getKernelsForBackend('native').map((k) => k.kernelName).filter((n) => n !== BATCH_NORM_GRAD && n !== ADAM_UPDATE).sort();
    assert.equal(nat, cpu);
    assert.ok(tf.getKernel(BATCH_NORM_GRAD, 'native'), 'nnlab\'s fused batchnorm gradient kernel');
    for (const name of nativeKernelNames()) {
      assert.ok(tf.getKernel(name, 'native')!.kernelFunc !== tf.getKernel(name, 'cpu')!.kernelFunc, name);
    }
    const info = loadNativeAddon().info();
    assert.ok(info.threads >= 1);
    assert.ok(['avx512f', 'avx2-fma', 'scalar'].includes(info.simd));
    registerNativeBackend(); // idempotent
  });

  function matMulCases(): void {
    const cases: [number, number, number][] = [[1, 1, 1], [7, 5, 3], [128, 4, 128], [128, 128, 2], [33, 130, 17], [6, 16, 256], [50, 70, 300]];
    for (let t = 0; t < 6; t++) cases.push([int(1, 70), int(1, 70), int(1, 90)]);
    cases.forEach(([M, N, K], c) => {
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const sa = ta ? [K, M] : [M, K];
        const sb = tb ? [N, K] : [K, N];
        same(`matMul ${M}x${N}x${K} ta=${ta} tb=${tb}`, inp(sa, sb),
          fwdAndGrads((a, b) => tf.matMul(a!, b!, ta, tb), c));
      }
    });
  }

  function batchMatMulCases(): void {
    // [a shape, b shape, transposeA, transposeB, gradients?]: tfjs's own BatchMatMul gradient does
    // not reduce broadcast batch dimensions, so broadcast cases compare the forward pass only.
    const cases: [number[], number[], boolean, boolean, boolean][] = [
      [[3, 5, 7], [3, 7, 4], false, false, true],
      [[4, 6, 5], [4, 7, 6], true, true, true],
      [[5, 13, 2], [5, 13, 9], true, false, true],
      [[2, 2, 3, 8], [2, 2, 8, 3], false, false, true],
      [[2, 3, 9, 6], [6, 5], false, false, false], // b broadcast over a's batch
      [[1, 8, 3], [4, 3, 11], false, false, false], // a broadcast
      [[4, 6, 5], [1, 7, 6], true, true, false],
      [[2, 1, 5, 3], [1, 3, 3, 4], false, false, false], // [2,1] x [1,3]: the cpu kernel's modulo pairing
    ];
    for (const [sa, sb, ta, tb, grads] of cases) {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb);
      same(`batchMatMul ${sa} x ${sb} ta=${ta} tb=${tb}`, inp(sa, sb),
        grads ? fwdAndGrads((a, b) => f(a!, b!)) : (a, b) => f(a!, b!));
    }
  }

  test('matMul: random shapes and transposes, outputs and gradients', matMulCases);
  test('batched matMul: equal batches and broadcasting, outputs and gradients', batchMatMulCases);
  test('conv2d: strides, padding modes, odd sizes; outputs and both gradients', conv2dCases);
  test('conv2dTranspose (Conv2DBackpropInput forward): outputs and gradients', conv2dTransposeCases);

  test('threaded paths (parallel threshold 0): matMul, conv2d, conv2dTranspose', () => {
    const addon = loadNativeAddon();
    const { parallelThreshold } = addon.info();
    addon.setParallelThreshold(0);
    try {
      matMulCases();
      batchMatMulCases();
      conv2dCases();
      conv2dTransposeCases();
    } finally {
      addon.setParallelThreshold(parallelThreshold);
    }
  });

  test('portable (scalar) micro-kernel: matMul, conv2d, conv2dTranspose', () => {
    const addon = loadNativeAddon();
    addon.setScalar(true);
    try {
      assert.is(addon.info().simd, 'scalar');
      matMulCases();
      conv2dCases();
      conv2dTransposeCases();
    } finally {
      addon.setScalar(false);
    }
  });

  /** Every output of `run` with the AVX-512 tiles and without (the AVX2 kernel alone). */
  function wideAndNarrow(run: () => Float32Array[]): [Float32Array[], Float32Array[]] {
    const addon = loadNativeAddon();
    tf.setBackend('native');
    const wide = run();
    addon.setWide(false);
    try {
      assert.is(addon.info().simd, 'avx2-fma');
      return [wide, run()];
    } finally {
      addon.setWide(true);
    }
  }

  const wideSkip = loadNativeAddon().info().simd !== 'avx512f';
  (wideSkip ? test.skip : test)(`AVX-512 tiles give the AVX2 kernel's bits: matMul and conv shapes around the 6/12 x 32 tiles and the K = 256 slices, one thread and two${wideSkip ? ' (skipped: this CPU has no AVX-512)' : ''}`, () => {
    const addon = loadNativeAddon();
    const { parallelThreshold } = addon.info();
    const shapes: [number, number, number][] = [[12, 32, 1], [6, 32, 7], [13, 33, 255], [24, 64, 256], [25, 95, 257], [120, 96, 300], [121, 48, 513], [130, 200, 40], [64, 256, 256], [7, 31, 9]];
    const run = (): Float32Array[] =>
      tf.tidy(() => {
        const out: Float32Array[] = [];
        shapes.forEach(([M, N, K], c) => {
          const r = rng(100 + c);
          const a = tf.tensor2d(Float32Array.from({ length: M * K }, r), [M, K]);
          const b = tf.tensor2d(Float32Array.from({ length: K * N }, r), [K, N]);
          out.push(tf.matMul(a, b).dataSync() as Float32Array, tf.matMul(b, a, true, true).dataSync() as Float32Array);
        });
        // a DCGAN-sized strided conv: forward, input and filter gradients (K = 4·4·64, the filter gradient accumulating over chunks)
        const r = rng(7);
        const x = tf.tensor4d(Float32Array.from({ length: 8 * 14 * 14 * 64 }, r), [8, 14, 14, 64]);
        const w = tf.tensor4d(Float32Array.from({ length: 4 * 4 * 64 * 128 }, r), [4, 4, 64, 128]);
        const conv = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.conv2d(xx, ww, 2, 'same');
        out.push(conv(x, w).dataSync() as Float32Array);
        for (const g of tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(conv(xx as tf.Tensor4D, ww as tf.Tensor4D))))([x, w])) out.push(g.dataSync() as Float32Array);
        return out;
      });
    for (const threshold of [parallelThreshold, 0]) {
      addon.setParallelThreshold(threshold);
      try {
        const [wide, narrow] = wideAndNarrow(run);
        assert.is(wide.length, narrow.length);
        wide.forEach((w, i) => {
          assert.ok(w.length > 0);
          const diff = w.findIndex((v, j) => !Object.is(v, narrow[i]![j]));
          assert.is(diff, -1, `output ${i} (threshold ${threshold}): element ${diff} differs`);
        });
      } finally {
        addon.setParallelThreshold(parallelThreshold);
      }
    }
  });

  test('conv2d filter gradients are the same bits run after run, threaded (each slot sums its chunks in order)', () => {
    const addon = loadNativeAddon();
    const { parallelThreshold } = addon.info();
    addon.setParallelThreshold(0);
    try {
      const geom = Int32Array.from([48, 14, 14, 16, 7, 7, 32, 5, 5, 2, 2, 1, 1]); // B,H,W,Ci,OH,OW,Co,fh,fw,sh,sw,pt,pl
      const r = rng(9);
      const x = Float32Array.from({ length: 48 * 14 * 14 * 16 }, r);
      const dy = Float32Array.from({ length: 48 * 7 * 7 * 32 }, r);
      const first = new Float32Array(5 * 5 * 16 * 32);
      addon.conv2dBackpropFilter(x, dy, first, geom);
      assert.ok(first.some((v) => v !== 0));
      for (let run = 0; run < 8; run++) {
        const again = new Float32Array(first.length);
        addon.conv2dBackpropFilter(x, dy, again, geom);
        const diff = again.findIndex((v, i) => !Object.is(v, first[i]));
        assert.is(diff, -1, `run ${run + 2}: dW[${diff}] differs`);
      }
    } finally {
      addon.setParallelThreshold(parallelThreshold);
    }
  });

  test('fused matMul: bias shapes and activations, outputs and gradients', () => {
    const acts = ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid', 'prelu'] as const;
    const M = 9, N = 21, K = 13;
    for (const activation of acts) {
      for (const biasShape of [null, [N], [1], [M, N], [1, N]]) {
        for (const [ta, tb] of [[false, false], [true, true]] as const) {
          const shapes = [ta ? [K, M] : [M, K], tb ? [N, K] : [K, N]];
          if (biasShape) shapes.push(biasShape);
          if (activation === 'prelu') shapes.push([N]);
          const f = (a: tf.Tensor, b: tf.Tensor, ...rest: tf.Tensor[]) => {
            const bias = biasShape ? rest.shift() : undefined;
            const prelu = activation === 'prelu' ? rest.shift() : undefined;
            return tf.fused.matMul({
              a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb,
              bias, activation, preluActivationWeights: prelu, leakyreluAlpha: 0.13,
            });
          };
          const what = `fused matMul ${activation} bias=${biasShape} ta=${ta}`;
          same(what, inp(...shapes), (...xs) => f(xs[0]!, xs[1]!, ...xs.slice(2)));
          // Under tf.grads only linear stays fused (tfjs un-fuses the rest); both must agree.
          same(`${what} grads`, inp(...shapes), (...xs) => tf.grads(weighted((...ys) => f(ys[0]!, ys[1]!, ...ys.slice(2)), 3))(xs));
        }
      }
    }
    // Batched fused matmul with a per-column bias.
    same('fused batched matMul', inp([3, 4, 5], [3, 5, 6], [6]), (a, b, bias) =>
      tf.fused.matMul({ a: a as tf.Tensor3D, b: b as tf.Tensor3D, bias, activation: 'relu' }));
  });

  test('fused matMul without a leakyreluAlpha attr: LeakyReLU takes LEAKY_RELU_ALPHA (0.2) with the bias fused or not (no NaN on the negative side); prelu without its weights throws naming them', () => {
    const M = 5, N = 6, K = 4;
    const [a, b, perColumn, full] = inp([M, K], [K, N], [N], [M, N]).map((i) => ({ ...i, values: i.values.map((v) => 3 * v) }));
    for (const bias of [perColumn!, full!]) { // [N] fuses into the native product; [M, N] is added and activated by the cpu kernels
      const want = on('cpu', [a!, b!, bias], (x, y, c) => tf.leakyRelu(tf.add(tf.matMul(x!, y!), c!), LEAKY_RELU_ALPHA));
      const got = on('native', [a!, b!, bias], (x, y, c) => tf.engine().runKernel('_FusedMatMul', { a: x!, b: y!, bias: c! }, { transposeA: false, transposeB: false, activation: 'leakyrelu' }) as tf.Tensor);
      assert.ok(want[0]!.values.some((v) => v < 0), 'some outputs are negative');
      const diff = got[0]!.values.findIndex((v, i) => !(Math.abs(v - want[0]!.values[i]!) <= 1e-5 * Math.max(1, Math.abs(want[0]!.values[i]!))));
      assert.is(diff, -1, `bias ${bias.shape}: output [${diff}] ${got[0]!.values[diff]} vs ${want[0]!.values[diff]}`);
    }
    assert.throws(
      () => on('native', [a!, b!], (x, y) => tf.engine().runKernel('_FusedMatMul', { a: x!, b: y! }, { transposeA: false, transposeB: false, activation: 'prelu' }) as tf.Tensor),
      /fused prelu activation: the preluActivationWeights input is missing/,
    );
  });

  function conv2dCases(): void {
    type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
    const fixed: [number[], number[], [number, number], Pad][] = [
      [[2, 28, 28, 1], [5, 5, 1, 8], [2, 2], 'same'], // DCGAN D layer 1 (smaller channels)
      [[2, 14, 14, 8], [5, 5, 8, 6], [2, 2], 'same'],
      [[1, 7, 9, 3], [3, 3, 3, 5], [1, 1], 'valid'],
      [[3, 6, 6, 4], [1, 1, 4, 7], [1, 1], 'valid'], // pointwise
      [[2, 9, 8, 3], [3, 2, 3, 4], [2, 3], [[0, 0], [1, 2], [0, 1], [0, 0]]],
      [[1, 5, 5, 2], [4, 4, 2, 3], [3, 3], 'same'],
      [[2, 10, 7, 2], [3, 3, 2, 3], [2, 2], 1],
      [[24, 7, 7, 16], [5, 5, 16, 32], [2, 2], 'same'], // WGAN-GP critic 7 -> 4: short images, several to a backprop-input chunk when threaded
    ];
    for (let t = 0; t < 6; t++) {
      const fh = int(1, 5), fw = int(1, 5);
      fixed.push([[int(1, 3), int(fh, 12), int(fw, 12), int(1, 5)], [fh, fw, 0, int(1, 7)], [int(1, 3), int(1, 3)],
        (['same', 'valid'] as const)[int(0, 1)]!]);
    }
    for (const [xs, fs, strides, pad] of fixed) {
      if (fs[2] === 0) fs[2] = xs[3]!;
      const rounding = typeof pad === 'number' ? 'floor' : undefined;
      same(`conv2d x${xs} f${fs} s${strides} ${JSON.stringify(pad)}`, inp(xs, fs),
        fwdAndGrads((x, f) => tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, strides, pad, 'NHWC', 1, rounding)));
    }
  }

  function conv2dTransposeCases(): void {
    const cases: [number[], number[], number[], number, 'same' | 'valid'][] = [
      [[2, 7, 7, 16], [5, 5, 8, 16], [2, 14, 14, 8], 2, 'same'], // DCGAN G 7 -> 14 (smaller channels)
      [[2, 14, 14, 8], [5, 5, 1, 8], [2, 28, 28, 1], 2, 'same'], // DCGAN G 14 -> 28
      [[1, 3, 4, 3], [3, 3, 2, 3], [1, 5, 6, 2], 1, 'valid'],
      [[3, 5, 5, 2], [4, 4, 3, 2], [3, 15, 15, 3], 3, 'same'],
      [[1, 4, 3, 5], [3, 2, 4, 5], [1, 9, 6, 4], 2, 'valid'],
    ];
    for (const [xs, fs, out, s, pad] of cases) {
      same(`conv2dTranspose x${xs} f${fs} -> ${out} s${s} ${pad}`, inp(xs, fs),
        fwdAndGrads((x, f) => tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, out as [number, number, number, number], s, pad)));
    }
  }

  test('fused conv2d: bias + activations, outputs and gradients; fallbacks', () => {
    for (const activation of ['linear', 'relu', 'elu', 'leakyrelu', 'sigmoid', 'relu6', 'prelu'] as const) {
      for (const biasShape of [[6], [1], null]) {
        const shapes = [[2, 9, 9, 3], [3, 3, 3, 6]];
        if (biasShape) shapes.push(biasShape);
        if (activation === 'prelu') shapes.push([6]);
        const f = (...xs: tf.Tensor[]) => tf.fused.conv2d({
          x: xs[0] as tf.Tensor4D, filter: xs[1] as tf.Tensor4D, strides: 2, pad: 'same',
          bias: biasShape ? xs[2] : undefined, activation, leakyreluAlpha: 0.3,
          preluActivationWeights: activation === 'prelu' ? xs[xs.length - 1] : undefined,
        });
        same(`fused conv2d ${activation} bias=${biasShape}`, inp(...shapes), f);
        same(`fused conv2d ${activation} bias=${biasShape} grads`, inp(...shapes), (...xs) => tf.grads(weighted(f, 5))(xs));
      }
    }
    // Dilation 2 is not accelerated: the native backend runs the cpu kernel.
    same('conv2d dilation 2 (cpu fallback)', inp([1, 9, 9, 2], [3, 3, 2, 3]), (x, f) =>
      tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 1, 'same', 'NHWC', 2));
  });

  test('elementwise kernels and Sum: broadcast modes, outputs and gradients', () => {
    const pairs: [number[], number[]][] = [
      [[7, 13], [7, 13]], [[5, 7, 13], []], [[], [5, 7, 13]], [[1], [6, 3]], [[5, 7, 13], [13]], [[5, 7, 13], [1, 7, 13]],
      [[13], [5, 7, 13]], [[1, 13], [7, 13]], [[128, 128], [128]], [[2, 3], [1, 2, 3]],
      [[7, 1], [7, 13]], [[7, 13], [7, 1]], // column broadcast: cpu kernel
    ];
    const binary: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['add', tf.add], ['sub', tf.sub], ['mul', tf.mul], ['div', tf.div], ['maximum', tf.maximum],
      ['minimum', tf.minimum], ['squaredDifference', tf.squaredDifference],
    ];
    for (const [sa, sb] of pairs) {
      for (const [name, f] of binary) {
        // tfjs's Maximum/Minimum/SquaredDifference gradients do not reduce broadcast dims: forward only.
        const grads = !['maximum', 'minimum', 'squaredDifference'].includes(name) || tf.util.arraysEqual(sa, sb);
        same(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, inp(sa, sb),
          grads ? fwdAndGrads((a, b) => f(a!, b!)) : (a, b) => f(a!, b!));
      }
    }
    const pos = (x: tf.Tensor) => tf.add(tf.abs(x), 0.1);
    const unary: [string, (x: tf.Tensor) => tf.Tensor][] = [
      ['relu', tf.relu], ['sqrt', (x) => tf.sqrt(pos(x))], ['square', tf.square], ['exp', tf.exp],
      ['log', (x) => tf.log(pos(x))], ['neg', tf.neg], ['abs', tf.abs], ['step', (x) => tf.step(x, 0.25)],
      ['sigmoid', tf.sigmoid], ['tanh', tf.tanh], ['rsqrt', (x) => tf.rsqrt(pos(x))], ['reciprocal', (x) => tf.reciprocal(pos(x))],
    ];
    unary.push(['leakyRelu 0.2', (x) => tf.leakyRelu(x, 0.2)], ['leakyRelu 0.01', (x) => tf.leakyRelu(x, 0.01)]);
    for (const shape of [[1], [3, 17], [2, 3, 4, 5]]) {
      for (const [name, f] of unary) same(`${name} ${shape}`, inp(shape), fwdAndGrads((x) => f(x!)));
    }
    // LeakyRelu's and Prelu's gradients run Greater and Select (tf.where); bit-exact with the cpu.
    for (const [sx, sa] of [[[2, 5, 5, 6], [6]], [[7, 13], []], [[3, 4], [3, 4]]] as [number[], number[]][]) {
      same(`prelu x${sx} alpha${JSON.stringify(sa)}`, inp(sx, sa), fwdAndGrads((x, a) => tf.prelu(x!, a!)), 0);
    }
    same('leakyRelu DCGAN-sized, outputs and gradient', inp([4, 14, 14, 64]), fwdAndGrads((x) => tf.leakyRelu(x!, 0.2)), 0);
    const compare: [string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor][] = [
      ['greater', tf.greater], ['greaterEqual', tf.greaterEqual], ['less', tf.less], ['lessEqual', tf.lessEqual],
      ['equal', tf.equal], ['notEqual', tf.notEqual],
    ];
    for (const [sa, sb] of pairs) {
      for (const [name, f] of compare) {
        same(`${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`, inp(sa, sb), (a, b) => {
          const r = f(a!, b!);
          assert.is(r.dtype, 'bool');
          return tf.cast(r, 'float32');
        }, 0);
      }
    }
    // equal inputs where the values tie, and NaN
    same('compare ties and NaN', [{ shape: [4], values: new Float32Array([1, NaN, -0, 2]) }, { shape: [4], values: new Float32Array([1, NaN, 0, 3]) }],
      (a, b) => compare.map(([, f]) => tf.cast(f(a!, b!), 'float32')), 0);
    for (const shape of [[5], [3, 17], [2, 3, 4, 5]]) {
      same(`where ${shape}, outputs and gradients`, inp(shape, shape, shape), (c, t, e) => {
        const mask = tf.greater(c!, 0);
        const f = (t_: tf.Tensor, e_: tf.Tensor) => tf.where(mask, t_, e_);
        return [f(t!, e!), ...tf.grads(weighted((t_, e_) => f(t_!, e_!), 4))([t!, e!])];
      }, 0);
    }
    same('where with a broadcast condition', inp([3, 1], [3, 4], [3, 4]), (c, t, e) => tf.where(tf.greater(c!, 0), t!, e!), 0);
    const sums: [number[], number | number[] | null, boolean][] = [
      [[128, 128], 0, false], [[128, 128], 1, true], [[4, 5, 6], [1, 2], false], [[4, 5, 6], null, false],
      [[4, 5, 6], -1, true], [[4, 5, 6], [0, 1], true], [[4, 5, 6], 1, false], [[7], 0, false],
      [[4, 5, 6], [0, 2], false], // not one block of axes: cpu kernel
    ];
    for (const [shape, axis, keep] of sums) {
      same(`sum ${shape} axis=${JSON.stringify(axis)} keepDims=${keep}`, inp(shape),
        fwdAndGrads((x) => tf.sum(x!, axis ?? undefined, keep)), 1e-5);
      same(`mean ${shape} axis=${JSON.stringify(axis)} keepDims=${keep}`, inp(shape),
        fwdAndGrads((x) => tf.mean(x!, axis ?? undefined, keep)), 1e-5);
    }
    // BatchNorm over NHWC: moments over N, H, W (Mean) and its gradient (Tile of per-channel vectors)
    same('batchNorm NHWC moments and gradients', inp([4, 5, 5, 3]), fwdAndGrads((x) => {
      const { mean, variance } = tf.moments(x!, [0, 1, 2]);
      // offset and scale given: tfjs's batchNorm gradient fails without them (on every backend)
      return tf.batchNorm(x!, mean, variance, tf.fill([3], 0.1), tf.fill([3], 1.5), 1e-5);
    }), 1e-4);
    // The DCGAN's batchnorms (training mode, as tf.layers.batchNormalization runs them): NHWC conv
    // features and dense features, through moments, with FusedBatchNorm's fused native gradient.
    for (const shape of [[8, 7, 7, 16], [16, 40], [3, 5, 4, 6]]) {
      const C = shape[shape.length - 1]!;
      const axes = shape.slice(0, -1).map((_, i) => i);
      same(`batchNorm training ${shape}: outputs and gradients (x, gamma, beta)`, inp(shape, [C], [C]), fwdAndGrads((x, gamma, beta) => {
        const { mean, variance } = tf.moments(x!, axes);
        return tf.batchNorm(x!, mean, variance, beta!, gamma!, 1e-3);
      }, 9), 1e-4);
      // mean and variance as leaves: every output of the fused gradient is compared directly
      same(`batchNorm ${shape}: gradients w.r.t. x, mean, variance, offset, scale`, inp(shape, [C], [C], [C], [C]), (x, m, v, o, g) =>
        tf.grads(weighted((x_, m_, v_, o_, g_) => tf.batchNorm(x_!, m_!, tf.add(tf.abs(v_!), 0.5), o_!, g_!, 1e-3), 11))([x!, m!, v!, o!, g!]), 1e-4);
    }
    // Forward only: without scale/offset (tfjs's gradient needs them), and periodic [W, C] statistics.
    same('batchNorm no scale/offset', inp([4, 3, 5], [5], [5]), (x, m, v) => tf.batchNorm(x!, m!, tf.add(tf.abs(v!), 0.1)));
    same('batchNorm [H, W, C] statistics', inp([2, 3, 4, 5], [4, 5], [4, 5], [4, 5], [4, 5]), (x, m, v, o, g) =>
      tf.batchNorm(x!, m!, tf.add(tf.abs(v!), 0.1), o!, g!, 1e-3));
    const tiles: [number[], number[]][] = [[[1, 1, 1, 3], [4, 5, 5, 1]], [[1, 6], [3, 1]], [[2, 3], [2, 1]]]; // last: cpu kernel
    for (const [shape, reps] of tiles) same(`tile ${shape} × ${reps}`, inp(shape), (x) => tf.tile(x!, reps));
  });

  test('accelerated kernels ran natively; only unsupported cases fell back', () => {
    const c = nativeCallCounts();
    for (const name of nativeKernelNames()) assert.ok((c[name]?.native ?? 0) > 0, `${name} never ran natively`);
    assert.is(c.BatchMatMul!.fallback, 2, 'BatchMatMul fallbacks (the modulo-paired batch case, run in 2 modes)');
    assert.is(c.Conv2D!.fallback, 1, 'Conv2D fallbacks (dilation 2)');
    assert.ok(c.Add!.fallback > 0 && c.Sum!.fallback > 0 && c.Tile!.fallback > 0, 'column broadcasts, split axes and general tiles use the cpu kernels');
    for (const name of ['_FusedMatMul', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']) {
      assert.is(c[name]?.fallback ?? 0, 0, `${name} fallbacks`);
    }
  });

  test('Adam as one kernel (makeOptimizer adam) gives tf.train.adam\'s bits on cpu', () => {
    const run = (backend: string, make: () => tf.Optimizer) => {
      tf.setBackend(backend);
      const r = rng(21);
      const mk = (shape: number[]) => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r()), shape));
      const vars = [mk([37, 5]), mk([5]), mk([3, 3, 2, 4])];
      const opt = make();
      for (let s = 0; s < 4; s++) {
        tf.tidy(() => {
          const grads = vars.map((v, i) => tf.mul(tf.sin(tf.add(v, s + i)), 1e-3 * (i + 1)));
          opt.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
        });
      }
      const out = vars.map((v) => v.dataSync().slice() as Float32Array);
      // tfjs keeps Adam's moments private: read by name, checked
      const moments = (name: string): tf.Variable[] => {
        const list: unknown = Reflect.get(opt, name);
        if (!Array.isArray(list)) throw new Error(`AdamOptimizer.${name} is not a list`);
        return list.map((slot: unknown) => {
          const v: unknown = slot !== null && typeof slot === 'object' ? Reflect.get(slot, 'variable') : undefined;
          if (!(v instanceof tf.Variable)) throw new Error(`AdamOptimizer.${name}: a slot without a variable`);
          return v;
        });
      };
      const slots = [...moments('accumulatedFirstMoment'), ...moments('accumulatedSecondMoment')].map((v) => v.dataSync().slice() as Float32Array);
      tf.dispose(vars);
      opt.dispose();
      return [...out, ...slots];
    };
    const want = run('cpu', () => tf.train.adam(3e-3, 0.5, 0.999, 1e-8));
    const before = nativeCallCounts()[ADAM_UPDATE]?.native ?? 0;
    const got = run('native', () => makeOptimizer({ name: 'adam', lr: 3e-3, beta1: 0.5 }).tfOptimizer);
    assert.ok((nativeCallCounts()[ADAM_UPDATE]?.native ?? 0) >= before + 12, 'the fused Adam kernel ran for every variable and step');
    assert.is(got.length, want.length);
    want.forEach((w, i) => assert.equal([...got[i]!], [...w], `array ${i}`));
  });

  test('MLP training steps (variableGrads + Adam) match the cpu backend', () => {
    const run = (backend: string) => {
      tf.setBackend(backend);
      const r = rng(7);
      const mk = (shape: number[]) => tf.variable(tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r() * 0.3), shape));
      const vars = [mk([4, 32]), mk([32]), mk([32, 32]), mk([32]), mk([32, 2]), mk([2])];
      const x = tf.tensor(Float32Array.from({ length: 64 * 4 }, () => r()), [64, 4]);
      const y = tf.tensor(Float32Array.from({ length: 64 * 2 }, () => r()), [64, 2]);
      const opt = tf.train.adam(1e-2);
      for (let s = 0; s < 5; s++) {
        tf.tidy(() => {
          const { grads } = tf.variableGrads(() => {
            let h = tf.relu(tf.add(tf.matMul(x, vars[0]!), vars[1]!));
            h = tf.relu(tf.add(tf.matMul(h, vars[2]!), vars[3]!));
            const q = tf.add(tf.matMul(h, vars[4]!), vars[5]!);
            return tf.losses.huberLoss(y, q) as tf.Scalar;
          }, vars as tf.Variable[]);
          opt.applyGradients(grads as tf.NamedTensorMap as Parameters<typeof opt.applyGradients>[0]);
        });
      }
      const out = vars.map((v) => v.dataSync().slice() as Float32Array);
      tf.dispose([...vars, x, y]);
      opt.dispose();
      return out;
    };
    const want = run('cpu');
    const got = run('native');
    want.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(got[i]![j]! - v) < 1e-4, `param ${i}[${j}]`)));
  });
}

test('a stale addon (a function NativeAddon declares missing) is refused at load, naming what it lacks and the file', () => {
  const file = '/x/build/Release/nnlab_native.node';
  const stale: Record<string, unknown> = { matmul() {}, info() {}, sum: 3 };
  let msg = 'no error';
  try {
    checkNativeAddon(stale, file);
  } catch (e) {
    msg = errorMessage(e);
  }
  assert.match(msg, file);
  assert.match(msg, /lacks conv2d, conv2dBackpropInput, .*\bsum\b.*bceLogits/);
  assert.not.match(msg, /lacks.*\bmatmul\b/);
  assert.match(msg, "'npm run install'");
  assert.throws(() => checkNativeAddon(null, file), /lacks matmul/);
  assert.throws(() => checkNativeAddon(Object.create(stale), file), /lacks matmul/); // own functions only
  if (nativeAvailable()) checkNativeAddon(loadNativeAddon(), file); // the built addon has them all
});

test('missing addon: one-line error, and initBackend falls back to wasm', () => {
  const dist = fileURLToPath(new URL('../core/', import.meta.url));
  const script = `
    const { registerNativeBackend } = await import(${JSON.stringify(dist + 'native.js')});
    let msg = 'no error';
    try { registerNativeBackend(); } catch (e) { msg = e.message; }
    const { initBackend } = await import(${JSON.stringify(dist + 'backend.js')});
    const info = await initBackend();
    console.log(JSON.stringify({ msg, name: info.name, skipped: info.skipped.map((s) => s.backend) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, NNLAB_NATIVE_ADDON: '/nonexistent/nnlab_native.node', NNLAB_NATIVE: '', NNLAB_BACKEND: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { msg: string; name: string; skipped: string[] };
  assert.match(out.msg, /^native addon not built/);
  assert.not.match(out.msg, /\n/);
  assert.ok(out.skipped.includes('native'));
  assert.ok(['wasm', 'tensorflow'].includes(out.name), out.name);
});

test('NNLAB_NATIVE=off: nnlab info runs on wasm and names the native backend as skipped, and why', () => {
  const r = spawnSync(process.execPath, [CLI, 'info'], {
    env: { ...process.env, NNLAB_NATIVE: 'off', NNLAB_BACKEND: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^backend\s+wasm$/m);
  assert.match(r.stdout, /^skipped native\s+native addon disabled \(NNLAB_NATIVE=off\)$/m);
});

(NATIVE_REQUIRED && nativeAvailable() ? test : test.skip)('nnlab info on the native backend names its GEMM micro-kernels (NNLAB_NATIVE_NO_AVX512: the AVX2 kernel alone)', () => {
  const simd = loadNativeAddon().info().simd;
  for (const [env, want] of [[{}, simd], [{ NNLAB_NATIVE_NO_AVX512: '1' }, simd === 'avx512f' ? 'avx2-fma' : simd]] as const) {
    const r = spawnSync(process.execPath, [CLI, 'info'], { env: { ...process.env, NNLAB_BACKEND: 'native', ...env }, encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^native gemm\\s+${want} micro-kernels, \\d+ thread\\(s\\)$`, 'm'));
  }
});

test('scripts/build-native.cjs: a failed build is an error under CI with a compiler or NNLAB_NATIVE=required, else a warning', () => {
  // A copy in a scratch root (its log goes there), run where node-gyp cannot start: a real failed build.
  const root = mkdtempSync(path.join(os.tmpdir(), 'nnlab-build-native-'));
  mkdirSync(path.join(root, 'scripts'));
  copyFileSync(fileURLToPath(new URL('../../scripts/build-native.cjs', import.meta.url)), path.join(root, 'scripts', 'build-native.cjs'));
  const build = (env: Record<string, string>) => {
    const base: Record<string, string> = { PATH: path.join(root, 'scripts') };
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-native.cjs')], { cwd: root, env: { ...base, ...env }, encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stderr: r.stderr };
  };
  try {
    // no compiler on PATH and no CXX: the wasm fallback, said once
    let r = build({ CI: 'true' });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /nnlab: warning: native kernels unavailable \(node-gyp did not start: ENOENT; log: build\/native-build\.log\); falling back to wasm/);
    // a compiler (anything answering --version: here node itself) under CI: the build broke
    r = build({ CI: 'true', CXX: process.execPath });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /nnlab: error: native kernels failed to build .* because CI is set and a C\+\+ compiler is present/);
    // the same machine outside CI: a warning
    r = build({ CXX: process.execPath });
    assert.is(r.status, 0, r.stderr);
    r = build({ NNLAB_NATIVE: 'required' });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /because NNLAB_NATIVE=required/);
    r = build({ NNLAB_NATIVE: 'off', CI: 'true', CXX: process.execPath });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stderr, /not built \(NNLAB_NATIVE=off\)/);
    r = build({ NNLAB_NATIVE: 'yes' });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, /NNLAB_NATIVE=yes is not understood: expected 'off' or 'required'/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("core/nativeAddon.ts's op codes are native/src's enums, name for name and number for number", () => {
  /** `enum name : int { kX = 0, … }` of a header as { x: 0, … }, the enum's prefix (`k`, `kU`, `kBias`) dropped. */
  const enumOf = (header: string, name: string, prefix: string): Record<string, number> => {
    const text = readFileSync(fileURLToPath(new URL(`../../native/src/${header}`, import.meta.url)), 'utf8');
    const body = new RegExp(`enum ${name} : int \\{([^}]*)\\}`).exec(text)?.[1];
    if (body === undefined) throw new Error(`native/src/${header} has no enum ${name}`);
    const entries = [...body.matchAll(/\bk(\w+) = (\d+)/g)].map(([, id, value]) => {
      if (!`k${id}`.startsWith(prefix)) throw new Error(`${name}: k${id} lacks the prefix ${prefix}`);
      const rest = `k${id!}`.slice(prefix.length);
      return [rest[0]!.toLowerCase() + rest.slice(1), Number(value)] as const;
    });
    return Object.fromEntries(entries);
  };
  assert.equal({ ...NATIVE_ACT }, enumOf('gemm.h', 'Act', 'k'));
  assert.equal({ ...NATIVE_BIAS }, enumOf('gemm.h', 'BiasMode', 'kBias'));
  assert.equal({ ...NATIVE_BINARY }, enumOf('elementwise.h', 'BinaryOp', 'k'));
  assert.equal({ ...NATIVE_UNARY }, enumOf('elementwise.h', 'UnaryOp', 'kU'));
  assert.equal({ ...NATIVE_COMPARE }, enumOf('elementwise.h', 'CompareOp', 'k'));
  assert.equal({ ...NATIVE_BROADCAST }, enumOf('elementwise.h', 'BroadcastMode', 'k'));
});

test.run();
