// The DCGAN on its two engines (generative/dcgan.ts `engine`): the fused conv engine
// (core/fusedConvNet.ts + FusedAdam) against the tfjs one (autograd + tfjs's Adam), same seed and
// config: the same weights, running averages, θ̄ and metrics after a few steps, the same gradients;
// the fused engine's data-parallel path, save / load, tfjs models and tensor hygiene.
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../core/backend.js';
import { nativeAvailable } from '../core/nativeAddon.js';
import { Rng } from '../base/rng.js';
import { Dcgan, PAPER_DCGAN, type DcganConfig } from '../generative/dcgan.js';
import { decayFactor } from '../generative/lrDecay.js';
import type { ImageBatch } from '../generative/types.js';
import type { Metrics } from '../base/metrics.js';
import type { TensorMap } from '../core/tensors.js';
import { close, useCpu, NATIVE_REQUIRED, test } from './helpers.js';

test.before(async () => {
  await initBackend({ backend: 'native' }).catch(useCpu);
});

/** Narrow nets, batch 8, the paper's recipe (Adam 2e-4 for both, β₁ 0.5, no averaging); cases add the default's parts. */
const SMALL: Partial<DcganConfig> = { ...PAPER_DCGAN, latentDim: 8, gFilters: 4, dFilters: 6, batchSize: 8 };
const N = 8;
/** Engines' agreement on metrics and running averages (absolute, relative above 1). */
const TOL = 2e-5;
/**
 * Engines' agreement on weights after 3 steps. Their gradients agree to ~1e-6 of each tensor's
 * largest (float32 summation orders differ; checked step by step below), but Adam's m / √v makes a
 * near-zero gradient element's step ±lr whatever its sign noise, and such a step moves ReLU
 * boundaries: a few weights part by up to ~1.5 lr over 3 steps (3e-4 at lr 2e-4).
 */
const WEIGHT_TOL = 1e-3;

function batch(rng: Rng, n = N): ImageBatch {
  return { n, images: rng.fillUniform(new Float32Array(n * 784), -1, 1), labels: Uint8Array.from({ length: n }, () => rng.int(10)) };
}

/** A fused and a tfjs learner of one config and seed. */
function pair(config: Partial<DcganConfig>, seed: number): [Dcgan, Dcgan] {
  const f = new Dcgan({ ...config, fused: true }, new Rng(seed));
  const t = new Dcgan({ ...config, fused: false }, new Rng(seed));
  assert.is(f.engine, 'fused');
  assert.is(t.engine, 'tfjs');
  return [f, t];
}

function sameMaps(a: TensorMap, b: TensorMap, tol: number, what: string): void {
  assert.equal(Object.keys(a), Object.keys(b), `${what}: names and order`);
  for (const k of Object.keys(b)) {
    assert.equal(a[k]!.shape, b[k]!.shape, `${what} ${k}: shape`);
    close(a[k]!.data, b[k]!.data, tol, `${what} ${k}`);
  }
}

function sameMetrics(a: Metrics, b: Metrics, tol: number): void {
  assert.equal(Object.keys(a).sort(), Object.keys(b).sort());
  for (const k of Object.keys(b)) close([a[k]!], [b[k]!], tol, k);
}

/** The weights of a tfjs model by name. */
function weightsOf(model: tf.LayersModel): TensorMap {
  return Object.fromEntries(model.weights.map((w) => [w.originalName, { shape: w.shape.map((s) => s ?? 1), data: w.read().dataSync() as Float32Array }]));
}

if (!NATIVE_REQUIRED || !nativeAvailable()) {
  // NNLAB_NATIVE=off (the fallback run of the suite): the fused engine cannot run, the learner falls back
  test('without the native addon, fused: true trains on tfjs', () => {
    const learner = new Dcgan(SMALL, new Rng(1));
    assert.is(learner.engine, 'tfjs');
    learner.dispose();
  });
} else {
  test('config: fused must be a boolean; fused: false, or no addon (NNLAB_NATIVE=off), trains on tfjs', () => {
    assert.throws(() => Reflect.construct(Dcgan, [{ fused: 'yes' }]), (e: Error) => e instanceof RangeError && /'fused'/.test(e.message));
    const byDefault = new Dcgan(SMALL, new Rng(1));
    assert.is(byDefault.engine, 'fused');
    assert.is(byDefault.config.fused, true);
    const off = new Dcgan({ ...SMALL, fused: false }, new Rng(1));
    assert.is(off.engine, 'tfjs');
    // the addon loader honours NNLAB_NATIVE=off at each call: the same process falls back
    const saved = process.env.NNLAB_NATIVE;
    process.env.NNLAB_NATIVE = 'off';
    let fallback: Dcgan | undefined;
    try {
      fallback = new Dcgan(SMALL, new Rng(1));
    } finally {
      if (saved === undefined) delete process.env.NNLAB_NATIVE;
      else process.env.NNLAB_NATIVE = saved;
    }
    assert.is(fallback.engine, 'tfjs');
    for (const m of [byDefault, off, fallback]) m.dispose();
  });

  const cases: { conditional: boolean; emaDecay: number; denseUnits: number; criticSteps: number; generatorLearningRate?: number; labelSmoothing?: number }[] = [
    { conditional: false, emaDecay: 0, denseUnits: 0, criticSteps: 1 },
    { conditional: false, emaDecay: 0, denseUnits: 0, criticSteps: 1, labelSmoothing: 0.1 },
    { conditional: true, emaDecay: 0, denseUnits: 0, criticSteps: 2 },
    { conditional: true, emaDecay: 0.75, denseUnits: 6, criticSteps: 1, generatorLearningRate: 1e-3 },
  ];
  for (const c of cases) {
    test(`fused = tfjs engine after 3 trainSteps (${c.conditional ? 'cdcgan' : 'dcgan'}, K = ${c.criticSteps}, denseUnits ${c.denseUnits}, emaDecay ${c.emaDecay}, G's lr ${c.generatorLearningRate ?? 'D\'s'}, label smoothing ${c.labelSmoothing ?? 0}): weights, running averages, θ̄, metrics`, () => {
      const config = { ...SMALL, ...c };
      const [f, t] = pair(config, 3);
      const initial = t.getParams();
      sameMaps(f.getParams(), initial, 0, 'initial');
      const rng = new Rng(4);
      for (let it = 0; it < 3; it++) {
        const batches = f.schedule().map(() => batch(rng));
        sameMetrics(f.trainStep(batches), t.trainStep(batches), TOL);
      }
      const after = t.getParams();
      sameMaps(f.getParams(), after, WEIGHT_TOL, 'after 3 steps');
      sameMaps(f.runningStats(), t.runningStats(), WEIGHT_TOL, 'running averages'); // moved by up to 0.6 from (0, 1)
      // the tfjs models the fused learner exposes hold its weights
      sameMaps({ ...weightsOf(f.generator), ...weightsOf(f.discriminator) }, f.getParams(), 0, 'the fused learner\'s tfjs models');
      if (c.emaDecay > 0) {
        sameMaps(weightsOf(f.generatorEma!), weightsOf(t.generatorEma!), WEIGHT_TOL, 'θ̄ before recalibration');
        const z = rng.fillNormal(new Float32Array(5 * 8));
        const labels = Uint8Array.from([1, 3, 5, 7, 9]);
        // sample() recomputes θ̄'s running averages (fused: on θ̄'s FusedConvNet) with the same z
        close(f.sample(z, labels), t.sample(z, labels), 1e-3, 'θ̄ samples');
        sameMaps(weightsOf(f.generatorEma!), weightsOf(t.generatorEma!), WEIGHT_TOL, 'θ̄ after recalibration');
      } else {
        const z = rng.fillNormal(new Float32Array(5 * 8));
        close(f.sample(z), t.sample(z), 1e-3, 'samples');
      }
      f.dispose();
      t.dispose();
    });
  }

  test('one-sided label smoothing α moves D\'s loss on both engines (the engines agree with it: the cases above); α must lie in [0, 0.5)', () => {
    assert.throws(() => new Dcgan({ labelSmoothing: 0.5 }), (e: Error) => e instanceof RangeError && /'labelSmoothing'/.test(e.message));
    for (const fused of [true, false]) {
      const plain = new Dcgan({ ...SMALL, fused }, new Rng(5));
      const smooth = new Dcgan({ ...SMALL, fused, labelSmoothing: 0.2 }, new Rng(5));
      const b = batch(new Rng(6));
      const l0 = plain.trainStep([b, b])['losses/d_loss']!;
      const l1 = smooth.trainStep([b, b])['losses/d_loss']!;
      // the same weights and z: only the real targets differ
      assert.ok(Math.abs(l1 - l0) > 1e-6, `${fused ? 'fused' : 'tfjs'}: smoothing changed nothing (${l0} vs ${l1})`);
      plain.dispose();
      smooth.dispose();
    }
  });

  test('generatorLearningRate: G\'s Adam steps by it, D\'s by learningRate, on both engines (first Adam step: |Δθ| ≤ lr, ≈ lr where the gradient is not tiny)', () => {
    assert.throws(() => new Dcgan({ generatorLearningRate: -1 }), (e: Error) => e instanceof RangeError && /'generatorLearningRate'/.test(e.message));
    const trainable = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.originalName);
    for (const [gLr, expectG] of [[1e-3, 1e-3], [0, 2e-4]] as const) {
      for (const learner of pair({ ...SMALL, generatorLearningRate: gLr }, 11)) {
        const before = learner.getParams();
        learner.trainStep(learner.schedule().map(() => batch(new Rng(12))));
        const after = learner.getParams();
        const largestStep = (names: string[]) =>
          Math.max(...names.map((k) => after[k]!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - before[k]!.data[i]!)), 0)));
        const gStep = largestStep(trainable(learner.generator));
        const dStep = largestStep(trainable(learner.discriminator));
        close([gStep], [expectG], 0.02 * expectG, `${learner.engine}: G's largest step with generatorLearningRate ${gLr}`);
        close([dStep], [2e-4], 0.02 * 2e-4, `${learner.engine}: D's largest step`);
        learner.dispose();
      }
    }
  });

  test('learning-rate decay (decayStart, decayIterations): both rates scale by decayFactor of the iteration on both engines; 0 after the decay, and a run that stops before it is the run without it', () => {
    const d = { decayStart: 10, decayIterations: 4 };
    assert.equal([0, 9, 10, 11, 12, 13, 14, 99].map((t) => decayFactor(d, t)), [1, 1, 1, 0.75, 0.5, 0.25, 0, 0]);
    assert.is(decayFactor({ decayStart: 0, decayIterations: 0 }, 5), 1);
    for (const bad of [{ decayStart: -1 }, { decayIterations: 2.5 }]) {
      assert.throws(() => new Dcgan(bad), (e: Error) => e instanceof RangeError && e.message.includes(`'${Object.keys(bad)[0]}'`));
    }
    const trainable = (m: tf.LayersModel) => m.trainableWeights.map((w) => w.originalName);
    // the first Adam step moves the largest element by ≈ the rate: at iteration 12 that is half of each
    for (const learner of pair({ ...SMALL, generatorLearningRate: 1e-3, ...d }, 11)) {
      learner.iterations = 12;
      assert.is(learner.learningRate('generator'), 5e-4);
      assert.is(learner.learningRate('critic'), 1e-4);
      const before = learner.getParams();
      learner.trainStep(learner.schedule().map(() => batch(new Rng(12))));
      const after = learner.getParams();
      const largestStep = (names: string[]) => Math.max(...names.map((k) => after[k]!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - before[k]!.data[i]!)), 0)));
      close([largestStep(trainable(learner.generator))], [5e-4], 0.02 * 5e-4, `${learner.engine}: G's largest step at factor 0.5`);
      close([largestStep(trainable(learner.discriminator))], [1e-4], 0.02 * 1e-4, `${learner.engine}: D's largest step at factor 0.5`);
      // past the decay the rates are 0: no trainable weight moves
      learner.iterations = 14;
      learner.trainStep(learner.schedule().map(() => batch(new Rng(13))));
      const frozen = learner.getParams();
      for (const k of [...trainable(learner.generator), ...trainable(learner.discriminator)]) assert.equal(frozen[k]!.data, after[k]!.data, `${learner.engine} ${k} after the decay`);
      learner.dispose();
    }
    // three steps before decayStart: bit for bit the learner without decay
    const [a, b] = [new Dcgan({ ...SMALL, ...d }, new Rng(5)), new Dcgan(SMALL, new Rng(5))];
    const rng = new Rng(6);
    for (let it = 0; it < 3; it++) {
      const batches = a.schedule().map(() => batch(rng));
      a.trainStep(batches);
      b.trainStep(batches);
    }
    sameMaps(a.getParams(), b.getParams(), 0, 'before decayStart');
    a.dispose();
    b.dispose();
  });

  test('step by step (tfjs learner set to the fused one\'s weights before each phase), the engines\' gradients agree to 1e-5 of each tensor\'s largest, lr 2e-3, 3 iterations', () => {
    for (const conditional of [false, true]) {
      const config = { ...SMALL, conditional, learningRate: 2e-3 };
      const [f, t] = pair(config, 3);
      const rng = new Rng(4);
      for (let it = 0; it < 3; it++) {
        for (const phase of f.schedule()) {
          const b = batch(rng);
          t.setParams(f.getParams());
          const gf = f.computeGradients(phase, b);
          const gt = t.computeGradients(phase, b);
          sameMetrics(gf.metrics, gt.metrics, TOL);
          for (const [k, g] of Object.entries(gt.grads)) {
            const scale = g.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
            close(gf.grads[k]!.data.map((v) => v / scale), g.data.map((v) => v / scale), 1e-5, `iteration ${it} ${phase} ∂${k}`);
          }
          f.applyGradients(phase, gf.grads);
          t.applyGradients(phase, gt.grads);
        }
      }
      f.dispose();
      t.dispose();
    }
  });

  test('computeGradients: fused = tfjs gradients for each phase (cdcgan); applyGradients after computeGradients = trainStep', () => {
    const config = { ...SMALL, conditional: true };
    const [f, t] = pair(config, 5);
    const rng = new Rng(6);
    for (const phase of ['critic', 'generator'] as const) {
      const b = batch(rng);
      const gf = f.computeGradients(phase, b);
      const gt = t.computeGradients(phase, b);
      sameMetrics(gf.metrics, gt.metrics, TOL);
      assert.equal(Object.keys(gf.grads), Object.keys(gt.grads), `${phase}: gradient names`);
      for (const [k, g] of Object.entries(gt.grads)) {
        // relative to the tensor's largest gradient (they span decades)
        const scale = g.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        assert.ok(scale > 0, `${phase} ${k}: a nonzero gradient`);
        close(gf.grads[k]!.data.map((v) => v / scale), g.data.map((v) => v / scale), 1e-4, `${phase} ∂${k}`);
      }
      sameMaps(f.runningStats(), t.runningStats(), TOL, `${phase}: running averages`);
    }
    f.dispose();
    t.dispose();
    // two fused learners: one by trainStep, one by computeGradients + applyGradients (bit for bit)
    const a = new Dcgan({ ...config, criticSteps: 2, emaDecay: 0.5 }, new Rng(7));
    const b = new Dcgan({ ...config, criticSteps: 2, emaDecay: 0.5 }, new Rng(7));
    for (let it = 0; it < 2; it++) {
      const batches = a.schedule().map(() => batch(rng));
      a.trainStep(batches);
      b.schedule().forEach((phase, i) => b.applyGradients(phase, b.computeGradients(phase, batches[i]!).grads));
    }
    sameMaps(b.getParams(), a.getParams(), 0, 'applyGradients vs trainStep');
    sameMaps(weightsOf(b.generatorEma!), weightsOf(a.generatorEma!), 0, 'θ̄');
    assert.is(b.iterations, 2);
    a.dispose();
    b.dispose();
  });

  test('fused data-parallel rounds (drivers/generative.ts dataParallelStep, one shard): getParams → worker setParams → computeGradients + runningStats → applyGradients + setRunningStats = trainStep', () => {
    const config = { ...SMALL, conditional: true, emaDecay: 0.5 };
    const learner = new Dcgan(config, new Rng(8));
    const alone = new Dcgan(config, new Rng(8));
    // the worker's z stream is alone's (same seed); its weights are another model's until setParams
    const worker = new Dcgan(config, new Rng(8));
    const other = new Dcgan(config, new Rng(99));
    worker.setParams(other.getParams());
    other.dispose();
    const rng = new Rng(9);
    for (let it = 0; it < 2; it++) {
      const batches = alone.schedule().map(() => batch(rng));
      alone.trainStep(batches);
      learner.schedule().forEach((phase, i) => {
        worker.setParams(learner.getParams());
        const { grads } = worker.computeGradients(phase, batches[i]!);
        const stats = worker.runningStats();
        learner.applyGradients(phase, grads);
        learner.setRunningStats(stats);
      });
    }
    sameMaps(learner.getParams(), alone.getParams(), 0, 'data-parallel vs trainStep');
    sameMaps(weightsOf(learner.generatorEma!), weightsOf(alone.generatorEma!), 0, 'θ̄');
    assert.throws(() => learner.setParams({}), /setParams: no value for 'g_0_dense\/kernel'/);
    const params = learner.getParams();
    const bad = { ...params, 'd_0_conv2d/kernel': { shape: [1], data: new Float32Array(1) } };
    assert.throws(() => learner.setParams(bad), /'d_0_conv2d\/kernel' expects shape/);
    sameMaps(learner.getParams(), params, 0, 'a refused setParams writes nothing');
    for (const m of [learner, alone, worker]) m.dispose();
  });

  test('fused save → load continues exactly as an uninterrupted run (Adam state included, with and without θ̄); a checkpoint of either engine continues on the other', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-dcgan-fused-'));
    try {
      for (const emaDecay of [0, 0.5]) {
        const config = { ...SMALL, conditional: true, emaDecay };
        const a = new Dcgan(config, new Rng(11));
        const rng = new Rng(12);
        for (let i = 0; i < 2; i++) a.trainStep([batch(rng), batch(rng)]);
        const sub = path.join(dir, `ema${emaDecay}`);
        await a.save(sub);
        const b = new Dcgan(config, new Rng(99));
        await b.load(sub);
        assert.is(b.engine, 'fused');
        assert.is(b.iterations, 2);
        sameMaps(b.getParams(), a.getParams(), 0, 'loaded');
        for (let i = 0; i < 2; i++) {
          const next = [batch(rng), batch(rng)];
          assert.equal(b.trainStep(next), a.trainStep(next));
        }
        sameMaps(b.getParams(), a.getParams(), 0, 'continued');
        const z = rng.fillNormal(new Float32Array(3 * 8));
        const labels = Uint8Array.from([2, 4, 6]);
        assert.equal(b.sample(z, labels), a.sample(z, labels));
        for (const m of [a, b]) m.dispose();
      }
      // across engines: the checkpoint of one continues on the other (Adam state converted) as it would have on its own
      for (const from of ['tfjs', 'fused'] as const) {
        const config = { ...SMALL, conditional: true };
        const a = new Dcgan({ ...config, fused: from === 'fused' }, new Rng(17));
        const rng = new Rng(18);
        for (let i = 0; i < 2; i++) a.trainStep([batch(rng), batch(rng)]);
        const sub = path.join(dir, `from-${from}`);
        await a.save(sub);
        const b = new Dcgan({ ...config, fused: from !== 'fused' }, new Rng(99));
        assert.is(b.engine, from === 'fused' ? 'tfjs' : 'fused');
        await b.load(sub);
        sameMaps(b.getParams(), a.getParams(), 0, `loaded from ${from}`);
        for (let i = 0; i < 2; i++) {
          const next = [batch(rng), batch(rng)];
          sameMetrics(b.trainStep(next), a.trainStep(next), TOL);
        }
        sameMaps(b.getParams(), a.getParams(), WEIGHT_TOL, `continued from ${from}`);
        for (const m of [a, b]) m.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('fused trainSteps, gradients, reads of the tfjs models, sampling and θ̄ recalibration leak no tfjs tensors', () => {
    for (const conditional of [false, true]) {
      const learner = new Dcgan({ ...SMALL, conditional, emaDecay: 0.9 }, new Rng(13));
      const rng = new Rng(14);
      const z = rng.fillNormal(new Float32Array(3 * 8));
      learner.trainStep([batch(rng), batch(rng)]);
      learner.sample(z);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) learner.trainStep([batch(rng), batch(rng)]);
      learner.applyGradients('critic', learner.computeGradients('critic', batch(rng)).grads);
      learner.applyGradients('generator', learner.computeGradients('generator', batch(rng)).grads);
      assert.ok(learner.generator.weights.length > 0 && learner.discriminator.weights.length > 0);
      learner.setParams(learner.getParams());
      learner.setRunningStats(learner.runningStats());
      learner.sample(z);
      assert.is(tf.memory().numTensors, before);
      learner.dispose();
    }
  });
}

test.run();
