/**
 * bench:kernels — the native backend's kernels against tfjs's cpu and wasm backends.
 *
 *   node dist/bench/kernels.js [--backends native,cpu,wasm] [--no-cpu-conv] [--budget-ms 1500]
 *
 * 1. Matmul kernels (BatchMatMul) of the DQN (b128, 4-128-128-2) and VAE (b128, 784-400-20 /
 *    20-400-784) training steps: forward x·W, input gradient dy·Wᵀ, weight gradient xᵀ·dy.
 * 2. Conv kernels of a DCGAN on 28x28, batch 64, 5x5 stride 2 'same':
 *    D: conv 1→64 (28→14), conv 64→128 (14→7); G: conv2dTranspose 128→64 (7→14), 64→1 (14→28);
 *    forward, input gradient and filter gradient (Conv2D / Conv2DBackpropInput / Conv2DBackpropFilter).
 *    Their batchnorm and LeakyReLU kernels on [64, 14, 14, 64] (FusedBatchNorm, LeakyRelu, Greater).
 * 3. Native threading: one thread vs two on the matmul shapes (where the parallel threshold sits).
 * 4. A DQN-update-like step per backend (tf.variableGrads over a 4-128-128-2 MLP, Huber TD loss
 *    against a target net, Adam via applyGradients, raw tf ops), plus a tf.profile breakdown of
 *    one step: how much is matmul math, other kernels, and per-op engine overhead.
 *
 * Medians in ms. Kernels run through tf.engine().runKernel on tensors of the backend measured.
 * The cpu backend's conv kernels are very slow (seconds): they get one repetition each
 * (--no-cpu-conv skips them). wasm has no Conv2DBackpropFilter ("n/a").
 * Writes bench/results/kernels.json.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadNativeAddon, nativeAvailable, registerNativeBackend } from '../core/native.js';
import { median } from './stats.js';
import { errorMessage } from '../base/plainData.js';

tf.env().set('PROD', true);

const { values: opts } = parseArgs({
  options: {
    backends: { type: 'string', default: 'native,cpu,wasm' },
    'no-cpu-conv': { type: 'boolean', default: false },
    'budget-ms': { type: 'string', default: '1500' },
    'dqn-steps': { type: 'string', default: '200' },
  },
});
const budgetMs = Number(opts['budget-ms']);

/** Deterministic uniform [-1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}
const rand = rng(42);
const data = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 0.5);

/** Median ms of fn() (result disposed, read back) within the time budget; >= 3 runs unless slow. */
function timeIt(fn: () => tf.Tensor, maxRuns = 50, slowOneShot = false): number {
  const once = () => {
    const t0 = performance.now();
    const r = fn();
    r.dataSync();
    const dt = performance.now() - t0;
    r.dispose();
    return dt;
  };
  const first = once(); // warm-up (also JIT, allocations)
  if (slowOneShot || first > budgetMs) return first;
  const ms: number[] = [];
  const start = performance.now();
  while (ms.length < maxRuns && (ms.length < 3 || performance.now() - start < budgetMs)) ms.push(once());
  return median(ms);
}

// ---- backends ----------------------------------------------------------------------------------

const wanted = opts.backends.split(',').map((s) => s.trim()).filter(Boolean);
const backends: string[] = [];
for (const b of wanted) {
  try {
    if (b === 'native') {
      registerNativeBackend();
    } else if (b === 'wasm') {
      const req = createRequire(import.meta.url);
      setWasmPaths(path.join(path.dirname(req.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    }
    if (!(await tf.setBackend(b)) || tf.getBackend() !== b) throw new Error(`tfjs is on '${tf.getBackend()}'`);
    backends.push(b);
  } catch (e) {
    console.log(`(skipping backend ${b}: ${errorMessage(e)})`);
  }
}
if (nativeAvailable()) {
  const info = loadNativeAddon().info();
  console.log(`native addon: ${info.simd}, ${info.threads} threads, parallel threshold ${info.parallelThreshold} multiply-adds`);
}

interface Row { group: string; shape: string; op: string; ms: Record<string, number | null> }
const rows: Row[] = [];

function kernelRow(group: string, shape: string, op: string, kernel: string,
  inputs: Record<string, number[]>, attrs: Record<string, unknown>, slowOnCpu = false): void {
  const vals = Object.fromEntries(Object.entries(inputs).map(([k, s]) => [k, { shape: s, values: data(s) }]));
  const ms: Record<string, number | null> = {};
  for (const b of backends) {
    if (!tf.getKernel(kernel, b) || (b === 'cpu' && slowOnCpu && opts['no-cpu-conv'])) {
      ms[b] = null;
      continue;
    }
    tf.setBackend(b);
    const ts = Object.fromEntries(Object.entries(vals).map(([k, v]) => [k, tf.tensor(v.values, v.shape)]));
    ms[b] = timeIt(() => tf.engine().runKernel(kernel, ts, attrs as tf.NamedAttrMap) as tf.Tensor, 50, b === 'cpu' && slowOnCpu);
    tf.dispose(Object.values(ts));
  }
  rows.push({ group, shape, op, ms });
  const cells = backends.map((b) => `${b} ${ms[b] == null ? 'n/a' : ms[b]!.toFixed(3)}`).join('  ');
  process.stderr.write(`  ${group} ${shape} ${op}: ${cells}\n`);
}

// ---- 1. matmul shapes ---------------------------------------------------------------------------

const dense: [string, number, number][] = [
  ['DQN', 4, 128], ['DQN', 128, 128], ['DQN', 128, 2],
  ['VAE', 784, 400], ['VAE', 400, 20], ['VAE', 20, 400], ['VAE', 400, 784],
];
const B = 128;
console.log('\nmatmul kernels (BatchMatMul), batch 128 ...');
for (const [g, i, o] of dense) {
  const s = `${i}→${o}`;
  kernelRow(g, s, 'fwd  x·W', 'BatchMatMul', { a: [B, i], b: [i, o] }, { transposeA: false, transposeB: false });
  kernelRow(g, s, 'dx   dy·Wᵀ', 'BatchMatMul', { a: [B, o], b: [i, o] }, { transposeA: false, transposeB: true });
  kernelRow(g, s, 'dW   xᵀ·dy', 'BatchMatMul', { a: [B, i], b: [B, o] }, { transposeA: true, transposeB: false });
}

// ---- 2. DCGAN conv shapes -----------------------------------------------------------------------

console.log('DCGAN conv kernels, batch 64, 5x5 stride 2 same ...');
const N = 64;
const conv = { strides: [2, 2], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
const convLayers: [string, string, number[], number[], number[]][] = [
  // [group, label, x (input of the conv), filter, y (output of the conv)]
  ['DCGAN-D', '1→64 28→14', [N, 28, 28, 1], [5, 5, 1, 64], [N, 14, 14, 64]],
  ['DCGAN-D', '64→128 14→7', [N, 14, 14, 64], [5, 5, 64, 128], [N, 7, 7, 128]],
];
for (const [g, s, x, f, y] of convLayers) {
  kernelRow(g, s, 'fwd  Conv2D', 'Conv2D', { x, filter: f }, conv, true);
  kernelRow(g, s, 'dx   BackpropInput', 'Conv2DBackpropInput', { dy: y, filter: f }, { ...conv, inputShape: x }, true);
  kernelRow(g, s, 'dW   BackpropFilter', 'Conv2DBackpropFilter', { x, dy: y }, { ...conv, filterShape: f }, true);
}
// Generator: conv2dTranspose(z, filter[5,5,out,in], outShape) = Conv2DBackpropInput(dy = z).
const tconvLayers: [string, string, number[], number[], number[]][] = [
  ['DCGAN-G', 'T 128→64 7→14', [N, 7, 7, 128], [5, 5, 64, 128], [N, 14, 14, 64]],
  ['DCGAN-G', 'T 64→1 14→28', [N, 14, 14, 64], [5, 5, 1, 64], [N, 28, 28, 1]],
];
for (const [g, s, z, f, out] of tconvLayers) {
  kernelRow(g, s, 'fwd  BackpropInput', 'Conv2DBackpropInput', { dy: z, filter: f }, { ...conv, inputShape: out }, true);
  kernelRow(g, s, 'dz   Conv2D', 'Conv2D', { x: out, filter: f }, conv, true);
  kernelRow(g, s, 'dW   BackpropFilter', 'Conv2DBackpropFilter', { x: out, dy: z }, { ...conv, filterShape: f }, true);
}

// The DCGAN's batchnorm and LeakyReLU layers (training mode) on its largest activation.
console.log('DCGAN batchnorm / LeakyReLU kernels, [64, 14, 14, 64] ...');
const act = [N, 14, 14, 64];
kernelRow('DCGAN', '64x14x14x64', 'FusedBatchNorm', 'FusedBatchNorm',
  { x: act, mean: [64], variance: [64], offset: [64], scale: [64] }, { varianceEpsilon: 1e-3 });
kernelRow('DCGAN', '64x14x14x64', 'LeakyRelu 0.2', 'LeakyRelu', { x: act }, { alpha: 0.2 });
kernelRow('DCGAN', '64x14x14x64', 'Greater x > 0', 'Greater', { a: act, b: [] }, {});

// ---- 3. native threads: 1 vs 2 ------------------------------------------------------------------

const threadRows: { shape: string; macs: number; one: number; two: number }[] = [];
if (backends.includes('native')) {
  console.log('native matmul, 1 thread vs all threads ...');
  const addon = loadNativeAddon();
  const { threads, parallelThreshold } = addon.info();
  const shapes: [number, number, number, number, number][] = [
    [64, 64, 64, 0, 0], [96, 96, 96, 0, 0], [128, 128, 128, 0, 0], [128, 20, 400, 0, 0], [128, 400, 20, 0, 0],
    [128, 256, 256, 0, 0], [256, 256, 256, 0, 0], [128, 400, 784, 0, 0], [128, 784, 400, 0, 1], [784, 400, 128, 1, 0],
  ];
  const run = (M: number, Nn: number, K: number, ta: number, tb: number, t: number) => {
    addon.setThreads(t);
    addon.setParallelThreshold(0);
    const a = data([M * K]);
    const b = data([K * Nn]);
    const o = new Float32Array(M * Nn);
    const reps = Math.max(5, Math.min(2000, Math.floor(3e7 / (M * Nn * K))));
    for (let i = 0; i < reps; i++) addon.matmul(a, b, o, 1, 1, 1, M, Nn, K, ta, tb, null, 0, 0, 0);
    const ms: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) addon.matmul(a, b, o, 1, 1, 1, M, Nn, K, ta, tb, null, 0, 0, 0);
      ms.push((performance.now() - t0) / reps);
    }
    return median(ms);
  };
  for (const [M, Nn, K, ta, tb] of shapes) {
    threadRows.push({ shape: `${M}x${K}·${K}x${Nn}${ta ? ' (Aᵀ)' : ''}${tb ? ' (Bᵀ)' : ''}`, macs: M * Nn * K,
      one: run(M, Nn, K, ta, tb, 1), two: run(M, Nn, K, ta, tb, threads) });
  }
  addon.setThreads(threads);
  addon.setParallelThreshold(parallelThreshold);
}

// ---- 4. DQN-update-like step --------------------------------------------------------------------

interface StepResult {
  backend: string; medianMs: number; kernels: number;
  matmulMs: number; otherKernelMs: number; profiledMs: number;
}
const stepResults: StepResult[] = [];

function makeDqn() {
  const r = rng(7);
  const init = (shape: number[], scale: number) =>
    tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => r() * scale), shape);
  const layer = (i: number, o: number) => [tf.variable(init([i, o], Math.sqrt(6 / (i + o)))), tf.variable(tf.zeros([o]))];
  const params = [...layer(4, 128), ...layer(128, 128), ...layer(128, 2)] as tf.Variable[];
  const target = params.map((p) => tf.variable(p.clone(), false));
  const obs = tf.tensor2d(data([B * 4]), [B, 4]);
  const next = tf.tensor2d(data([B * 4]), [B, 4]);
  const actions = tf.tensor1d(Int32Array.from({ length: B }, () => (r() > 0 ? 1 : 0)), 'int32');
  const rewards = tf.ones([B]);
  const notDone = tf.tensor1d(Float32Array.from({ length: B }, () => (r() > -0.9 ? 1 : 0)));
  const opt = tf.train.adam(2.5e-4);
  const mlp = (x: tf.Tensor, w: tf.Tensor[]) => {
    let h = tf.relu(tf.add(tf.matMul(x, w[0]!), w[1]!));
    h = tf.relu(tf.add(tf.matMul(h, w[2]!), w[3]!));
    return tf.add(tf.matMul(h, w[4]!), w[5]!);
  };
  const step = () => {
    const loss = tf.tidy(() => {
      const y = tf.add(rewards, tf.mul(0.99, tf.mul(notDone, tf.max(mlp(next, target), 1))));
      const { value, grads } = tf.variableGrads(() => {
        const q = tf.sum(tf.mul(mlp(obs, params), tf.oneHot(actions, 2)), 1);
        return tf.losses.huberLoss(y, q) as tf.Scalar;
      }, params);
      opt.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      return value;
    });
    loss.dataSync(); // a learner reads the loss back to log it
    loss.dispose();
  };
  const dispose = () => {
    tf.dispose([...params, ...target, obs, next, actions, rewards, notDone]);
    opt.dispose();
  };
  return { step, dispose };
}

console.log('DQN-update-like step ...');
for (const b of backends) {
  tf.setBackend(b);
  const dqn = makeDqn();
  for (let i = 0; i < 5; i++) dqn.step();
  const ms: number[] = [];
  const steps = Number(opts['dqn-steps']);
  const start = performance.now();
  while (ms.length < steps && (ms.length < 10 || performance.now() - start < 3 * budgetMs)) {
    const t0 = performance.now();
    dqn.step();
    ms.push(performance.now() - t0);
  }
  // Profile 7 steps and keep the median one (a single profiled step is noisy).
  const profiles: { wall: number; matmul: number; other: number; kernels: number }[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    const prof = await tf.profile(() => dqn.step());
    const wall = performance.now() - t0;
    let matmul = 0;
    let other = 0;
    for (const k of prof.kernels) {
      const t = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') matmul += t;
      else other += t;
    }
    profiles.push({ wall, matmul, other, kernels: prof.kernels.length });
  }
  profiles.sort((p, q) => p.wall - q.wall);
  const mid = profiles[profiles.length >> 1]!;
  const profiledMs = mid.wall;
  const matmulMs = mid.matmul;
  const otherKernelMs = mid.other;
  const prof = { kernels: { length: mid.kernels } };
  stepResults.push({ backend: b, medianMs: median(ms), kernels: prof.kernels.length, matmulMs, otherKernelMs, profiledMs });
  dqn.dispose();
}

// ---- report -------------------------------------------------------------------------------------

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const fmt = (v: number | null | undefined) => (v == null ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(3));
const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null || b === 0 ? '' : `${(a / b).toFixed(1)}x`);

console.log('\nMedian ms per kernel call');
const head = [pad('workload', 9), pad('layer', 16), pad('op', 22), ...backends.map((b) => lpad(b, 9)),
  ...backends.filter((b) => b !== 'native').map((b) => lpad(`${b}/nat`, 9))].join(' ');
console.log(head);
console.log('-'.repeat(head.length));
for (const r of rows) {
  console.log([pad(r.group, 9), pad(r.shape, 16), pad(r.op, 22), ...backends.map((b) => lpad(fmt(r.ms[b]), 9)),
    ...backends.filter((b) => b !== 'native').map((b) => lpad(ratio(r.ms[b], r.ms.native), 9))].join(' '));
}

if (threadRows.length) {
  console.log('\nnative matmul: 1 thread vs 2 (ms); the parallel threshold is set where 2 starts to win');
  for (const t of threadRows) {
    console.log(`${pad(t.shape, 24)} ${lpad((t.macs / 1e6).toFixed(2), 7)} M mul-add  1t ${lpad(fmt(t.one), 7)}  2t ${lpad(fmt(t.two), 7)}  ${(t.one / t.two).toFixed(2)}x`);
  }
}

console.log('\nDQN-update-like step (4-128-128-2, batch 128, Huber + Adam, raw tf ops)');
console.log('backend    median ms  kernels/step | median profiled step: wall ms  matmul  other kernels  engine/JS+profiler | matmul ms / median');
for (const s of stepResults) {
  // tf.profile times each kernel, which slows the step a little; shares are taken within it.
  const rest = Math.max(0, s.profiledMs - s.matmulMs - s.otherKernelMs);
  const pct = (v: number) => `${((v / s.profiledMs) * 100).toFixed(0)}%`;
  console.log(`${pad(s.backend, 9)} ${lpad(fmt(s.medianMs), 10)} ${lpad(String(s.kernels), 13)} | ${lpad(fmt(s.profiledMs), 25)} ${lpad(pct(s.matmulMs), 7)} ${lpad(pct(s.otherKernelMs), 14)} ${lpad(pct(rest), 18)} | ${lpad(`${fmt(s.matmulMs)} = ${((s.matmulMs / s.medianMs) * 100).toFixed(0)}%`, 18)}`);
}
console.log('tf.profile adds its own per-kernel cost (most visible on native, where kernels are cheap), so the');
console.log('last column sets the profiled matmul time against the unprofiled median: the rest of the step');
console.log('(elementwise kernels, engine bookkeeping, tape, tidy) is per-op overhead for a network this small.');

const outDir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'kernels.json'), JSON.stringify({
  date: new Date().toISOString(),
  native: nativeAvailable() ? loadNativeAddon().info() : null,
  kernels: rows, threads: threadRows, dqnStep: stepResults,
}, null, 2));
console.log(`\nwrote ${path.join(outDir, 'kernels.json')}`);
