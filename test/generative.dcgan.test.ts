import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from '../core/backend.js';
import { Rng } from '../base/rng.js';
import { loadModelFiles } from '../core/checkpoint.js';
import { buildDiscriminator, buildGenerator, calibrationSeed, Dcgan, DCGAN_DEFAULTS, PAPER_DCGAN, type DcganConfig } from '../generative/dcgan.js';
import { makeGenerativeLearner } from '../generative/models.js';
import type { ImageBatch } from '../generative/types.js';
import { close, useCpu, test } from './helpers.js';

// The default backend's kernels (native when the addon built: the cpu backend's conv filter
// gradient alone makes this file ~5x slower), else cpu.
test.before(async () => {
  await initBackend({ backend: 'native' }).catch(useCpu);
});

/**
 * A narrow DCGAN (the paper's layers, few channels) so a step takes milliseconds on the cpu backend,
 * on the tfjs engine (`fused: false`): test/generative.dcganFused.test.ts holds the fused engine to
 * this one and runs its own data-parallel, save / load, averaging and leak checks. The tests that
 * need the default's fully connected layer, 4×4 kernels or averaging ask for them.
 */
const SMALL: Partial<DcganConfig> = { ...PAPER_DCGAN, latentDim: 8, gFilters: 4, dFilters: 4, fused: false };
const N = 4;

function batch(rng: Rng, n = N): ImageBatch {
  return {
    n,
    images: rng.fillUniform(new Float32Array(n * 784), -1, 1),
    labels: Uint8Array.from({ length: n }, () => rng.int(10)),
  };
}

function paramsOf(learner: Dcgan): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(learner.getParams()).map(([k, v]) => [k, v.data]));
}

function assertSameParams(a: Dcgan, b: Dcgan, tol: number): void {
  const pa = paramsOf(a);
  const pb = paramsOf(b);
  assert.equal(Object.keys(pa), Object.keys(pb));
  for (const k of Object.keys(pa)) close(pa[k]!, pb[k]!, tol, k);
}

test('a bad config is a RangeError naming the field', () => {
  assert.throws(() => new Dcgan({ learningRate: -1 }), (e: Error) => e instanceof RangeError && /'learningRate'/.test(e.message));
  assert.throws(() => new Dcgan({ beta1: 1 }), (e: Error) => e instanceof RangeError && /'beta1'/.test(e.message));
  assert.throws(() => new Dcgan({ gFilters: 2.5 }), (e: Error) => e instanceof RangeError && /'gFilters'/.test(e.message));
  assert.throws(() => new Dcgan({ denseUnits: -1 }), (e: Error) => e instanceof RangeError && /'denseUnits'/.test(e.message));
  assert.throws(() => new Dcgan({ denseUnits: 10.5 }), (e: Error) => e instanceof RangeError && /'denseUnits'/.test(e.message));
  assert.throws(() => new Dcgan({ emaDecay: 1 }), (e: Error) => e instanceof RangeError && /'emaDecay'/.test(e.message));
  assert.throws(() => new Dcgan({ emaDecay: -0.1 }), (e: Error) => e instanceof RangeError && /'emaDecay'/.test(e.message));
  assert.throws(() => Reflect.construct(Dcgan, [{ conditional: 'yes' }]), (e: Error) => e instanceof RangeError && /'conditional'/.test(e.message));
  assert.throws(() => new Dcgan({ ngf: 64 } as Partial<DcganConfig>), (e: Error) => e instanceof RangeError && /unknown field 'ngf'/.test(e.message));
  assert.ok(Object.isFrozen(DCGAN_DEFAULTS));
});

test('the paper\'s architecture (PAPER_DCGAN) follows DCGAN: strided convs in D, transposed convs in G, no batchnorm at G output or D input, ReLU/tanh in G, LeakyReLU 0.2 in D, N(0, 0.02) weights', () => {
  const G = buildGenerator(PAPER_DCGAN, new Rng(1));
  const D = buildDiscriminator(PAPER_DCGAN, new Rng(2));
  const classes = (m: tf.LayersModel) => m.layers.map((l) => l.getClassName());
  const act = (l: tf.layers.Layer) => (l.getConfig() as { activation?: string }).activation;
  // G: dense → BN → ReLU → reshape → convT → BN → ReLU → convT(tanh)
  assert.equal(classes(G), ['Dense', 'BatchNormalization', 'Activation', 'Reshape', 'Conv2DTranspose', 'BatchNormalization', 'Activation', 'Conv2DTranspose']);
  assert.equal(G.layers.filter((l) => l.getClassName() === 'Activation').map(act), ['relu', 'relu']);
  const gOut = G.layers.at(-1)!;
  assert.is(act(gOut), 'tanh');
  assert.equal(G.outputs[0]!.shape, [null, 28, 28, 1]);
  assert.equal(G.inputs[0]!.shape, [null, 100]);
  // D: conv(LeakyReLU) with no BN on the input layer → conv → BN → LeakyReLU → flatten → dense logit
  assert.equal(classes(D), ['Conv2D', 'LeakyReLU', 'Conv2D', 'BatchNormalization', 'LeakyReLU', 'Flatten', 'Dense']);
  for (const l of D.layers.filter((l) => l.getClassName() === 'LeakyReLU')) assert.is((l.getConfig() as { alpha: number }).alpha, 0.2);
  for (const l of D.layers.filter((l) => l.getClassName() === 'Conv2D')) assert.equal((l.getConfig() as { strides: number[] }).strides, [2, 2]);
  for (const l of G.layers.filter((l) => l.getClassName() === 'Conv2DTranspose')) assert.equal((l.getConfig() as { strides: number[] }).strides, [2, 2]);
  assert.is(act(D.layers.at(-1)!), 'linear');
  assert.ok(![...classes(G), ...classes(D)].some((c) => /Pool/.test(c)), 'no pooling');
  // the 100 × 6272 projection kernel: mean ≈ 0, std ≈ 0.02
  const w = G.layers[0]!.getWeights()[0]!.dataSync();
  let s = 0;
  let s2 = 0;
  for (const v of w) (s += v), (s2 += v * v);
  const mean = s / w.length;
  assert.ok(Math.abs(mean) < 1e-3, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(s2 / w.length - mean * mean) - 0.02) < 5e-4, 'std 0.02');
  G.dispose();
  D.dispose();
  // conditional: G takes z ++ onehot(y), D takes 1 + 10 channels
  const cG = buildGenerator({ conditional: true }, new Rng(1));
  const cD = buildDiscriminator({ conditional: true }, new Rng(2));
  assert.equal(cG.inputs[0]!.shape, [null, 110]);
  assert.equal(cD.inputs[0]!.shape, [null, 28, 28, 11]);
  cG.dispose();
  cD.dispose();
});

test('denseUnits adds one fully connected BN layer after z in G (ReLU) and before the logit in D (LeakyReLU), as InfoGAN\'s MNIST networks', () => {
  const G = buildGenerator({ denseUnits: 32, kernelSize: 4 }, new Rng(1));
  const D = buildDiscriminator({ denseUnits: 32, kernelSize: 4 }, new Rng(2));
  const classes = (m: tf.LayersModel) => m.layers.map((l) => l.getClassName());
  assert.equal(classes(G), ['Dense', 'BatchNormalization', 'Activation', 'Dense', 'BatchNormalization', 'Activation', 'Reshape', 'Conv2DTranspose', 'BatchNormalization', 'Activation', 'Conv2DTranspose']);
  assert.equal(G.layers[0]!.outputShape, [null, 32]);
  assert.equal(classes(D), ['Conv2D', 'LeakyReLU', 'Conv2D', 'BatchNormalization', 'LeakyReLU', 'Flatten', 'Dense', 'BatchNormalization', 'LeakyReLU', 'Dense']);
  assert.equal(D.layers[6]!.outputShape, [null, 32]);
  assert.equal(G.outputs[0]!.shape, [null, 28, 28, 1]);
  for (const l of [...G.layers, ...D.layers].filter((l) => /Conv/.test(l.getClassName()))) assert.equal((l.getConfig() as { kernelSize: number[] }).kernelSize, [4, 4]);
  G.dispose();
  D.dispose();
});

/** One training step and both gradient computations after a burn-in step leave the tensor count unchanged. */
function leakCheck(config: Partial<DcganConfig>): void {
  const learner = new Dcgan(config, new Rng(3));
  const rng = new Rng(4);
  assert.equal(learner.schedule(), ['critic', 'generator']);
  learner.trainStep([batch(rng), batch(rng)]); // burn-in: Adam creates its slots
  const before = tf.memory().numTensors;
  const m = learner.trainStep([batch(rng), batch(rng)]);
  assert.is(tf.memory().numTensors, before);
  for (const key of ['losses/d_loss', 'losses/g_loss', 'charts/d_x', 'charts/d_g_z']) assert.ok(Number.isFinite(m[key]), key);
  learner.computeGradients('critic', batch(rng));
  learner.computeGradients('generator', batch(rng));
  learner.sample(rng.fillNormal(new Float32Array(3 * 8)));
  assert.is(tf.memory().numTensors, before);
  learner.dispose();
}

for (const conditional of [false, true]) {
  const kind = conditional ? 'cdcgan' : 'dcgan';

  test(`${kind}: a training step (critic then generator) and a gradient computation leak no tensors (with and without dense layers)`, () => {
    for (const denseUnits of [0, 8]) leakCheck({ ...SMALL, conditional, denseUnits });
  });

  test(`${kind}: with generator averaging, training, gradients and sampling (which recomputes θ̄'s batchnorm averages) leak no tensors`, () => {
    leakCheck({ ...SMALL, conditional, emaDecay: 0.9 });
  });

  test(`${kind}: sample() gives n images in [0, 1] of 28×28 from n latents, and rejects a bad z`, () => {
    const learner = new Dcgan({ ...SMALL, conditional }, new Rng(5));
    const rng = new Rng(6);
    learner.trainStep([batch(rng), batch(rng)]);
    const x = learner.sample(rng.fillNormal(new Float32Array(5 * 8)), Uint8Array.from([0, 1, 2, 3, 4]));
    assert.is(x.length, 5 * 28 * 28);
    assert.ok(x.every((v) => v >= 0 && v <= 1));
    assert.ok(Math.max(...x) > Math.min(...x), 'not constant');
    assert.throws(() => learner.sample(new Float32Array(12)), /latentDim 8/);
    learner.dispose();
  });
}

test('computeGradients + applyGradients of each phase give the same parameters as trainStep (K = 2 critic steps)', () => {
  const config = { ...SMALL, conditional: true, criticSteps: 2 };
  const a = new Dcgan(config, new Rng(7));
  const b = new Dcgan(config, new Rng(7));
  assert.equal(a.schedule(), ['critic', 'critic', 'generator']);
  const rng = new Rng(8);
  for (let it = 0; it < 2; it++) {
    const batches = a.schedule().map(() => batch(rng));
    a.trainStep(batches);
    b.schedule().forEach((phase, i) => {
      const { grads, metrics } = b.computeGradients(phase, batches[i]!);
      assert.ok(Number.isFinite(Object.values(metrics)[0]));
      b.applyGradients(phase, grads);
    });
  }
  assertSameParams(a, b, 1e-6);
  assert.is(a.iterations, 2);
  assert.is(b.iterations, 2);
  assert.throws(() => b.computeGradients('elbo', batch(rng)), /phases 'critic' and 'generator'/);
  a.dispose();
  b.dispose();
});

test('runningStats gives the batchnorm running averages of G and D; setRunningStats makes another copy sample the same images', () => {
  const a = new Dcgan(SMALL, new Rng(9));
  const b = new Dcgan(SMALL, new Rng(9));
  const rng = new Rng(10);
  a.trainStep(a.schedule().map(() => batch(rng)));
  const stats = a.runningStats();
  const names = Object.keys(stats);
  assert.ok(names.length > 0 && names.every((n) => /_bn\/moving_(mean|variance)$/.test(n)), names.join(', '));
  assert.ok(names.some((n) => n.startsWith('g_')) && names.some((n) => n.startsWith('d_')), 'both networks');
  const z = rng.fillNormal(new Float32Array(3 * SMALL.latentDim!));
  // the trainable weights alone leave b's averages at their initial values: other images
  b.setParams(Object.fromEntries(Object.entries(a.getParams()).filter(([n]) => !/moving_/.test(n))));
  assert.ok(b.sample(z).some((v, i) => v !== a.sample(z)[i]), 'initial running averages');
  b.setRunningStats(stats);
  close(b.sample(z), a.sample(z), 0, 'samples');
  a.dispose();
  b.dispose();
});

test('the conditional generator honours labels: row k depends on its own z and label only', () => {
  const learner = new Dcgan({ ...SMALL, conditional: true }, new Rng(9));
  const rng = new Rng(10);
  for (let i = 0; i < 2; i++) learner.trainStep([batch(rng), batch(rng)]);
  const z1 = rng.fillNormal(new Float32Array(8));
  const z = new Float32Array(16);
  z.set(z1, 0);
  z.set(z1, 8);
  const twoLabels = learner.sample(z, Uint8Array.from([3, 7]));
  const three = twoLabels.subarray(0, 784);
  const seven = twoLabels.subarray(784);
  // near initialisation (weights ~ N(0, 0.02)) images are all close to grey: the label's effect is
  // small but far above float rounding (~1e-7)
  const diff = three.reduce((acc, v, i) => acc + Math.abs(v - seven[i]!), 0) / 784;
  assert.ok(diff > 1e-5, `labels 3 and 7 give different images for the same z (mean |Δ| ${diff})`);
  close(learner.sample(z1, Uint8Array.from([3])), three, 1e-5, 'label 3 alone');
  close(learner.sample(z1, Uint8Array.from([7])), seven, 1e-5, 'label 7 alone');
  assert.throws(() => learner.sample(z, Uint8Array.from([3])), /1 labels for 2 images/);
  assert.throws(() => learner.sample(z, Uint8Array.from([3, 10])), /not a digit/);
  learner.dispose();
  // the unconditional model ignores labels
  const plain = new Dcgan(SMALL, new Rng(9));
  close(plain.sample(z, Uint8Array.from([3, 7])), plain.sample(z), 0, 'unconditional');
  plain.dispose();
});

test('save → load reproduces samples exactly, training continues identically, and the saved generator is a tfjs model predicting the same images', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-dcgan-'));
  try {
    const config = { ...SMALL, conditional: true };
    const a = new Dcgan(config, new Rng(11));
    const rng = new Rng(12);
    a.trainStep([batch(rng), batch(rng)]);
    await a.save(dir);
    const b = new Dcgan(config, new Rng(99));
    await b.load(dir);
    const z = rng.fillNormal(new Float32Array(4 * 8));
    const labels = Uint8Array.from([0, 4, 8, 9]);
    const sa = a.sample(z, labels);
    assert.equal(b.sample(z, labels), sa);
    assert.is(b.iterations, 1);
    const next = [batch(rng), batch(rng)];
    assert.equal(b.trainStep(next), a.trainStep(next));
    assertSameParams(a, b, 0);

    // what a browser would do: tf.loadLayersModel(generator/model.json), predict([z ; onehot(y)])
    const g = await loadModelFiles(path.join(dir, 'generator'));
    const c = new Dcgan(config, new Rng(99));
    await c.load(dir);
    const pred = tf.tidy(() => {
      const input = tf.concat([tf.tensor2d(z, [4, 8]), tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), 10)], 1);
      return tf.mul(tf.add(g.predict(input) as tf.Tensor, 1), 0.5);
    });
    close(pred.dataSync(), c.sample(z, labels), 1e-6, 'browser generator');
    pred.dispose();
    g.dispose();
    const plain = new Dcgan(SMALL, new Rng(1));
    let err: Error | undefined;
    await plain.load(dir).catch((e: Error) => (err = e));
    assert.match(err?.message ?? '', /holds a 'cdcgan'/);
    for (const m of [a, b, c, plain]) m.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** G's trainable weights of a model, by name. */
function trainable(model: tf.LayersModel): Record<string, Float32Array> {
  return Object.fromEntries(model.trainableWeights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
}

test('generator averaging: θ̄ ← β θ̄ + (1 − β) θ after each generator step (trainStep or applyGradients), and D and G train exactly as without it', () => {
  const beta = 0.75;
  const avg = new Dcgan({ ...SMALL, emaDecay: beta }, new Rng(13));
  const split = new Dcgan({ ...SMALL, emaDecay: beta }, new Rng(13));
  const plain = new Dcgan(SMALL, new Rng(13));
  const rng = new Rng(14);
  let expected = trainable(avg.generator);
  assert.equal(trainable(avg.generatorEma!), expected, 'θ̄ starts at θ');
  for (let it = 0; it < 3; it++) {
    const batches = [batch(rng), batch(rng)];
    avg.trainStep(batches);
    plain.trainStep(batches);
    split.schedule().forEach((phase, i) => split.applyGradients(phase, split.computeGradients(phase, batches[i]!).grads));
    const theta = trainable(avg.generator);
    expected = Object.fromEntries(Object.entries(expected).map(([k, e]) => [k, e.map((v, j) => beta * v + (1 - beta) * theta[k]![j]!)]));
    for (const [k, e] of Object.entries(expected)) {
      close(trainable(avg.generatorEma!)[k]!, e, 1e-6, `θ̄ ${k} after step ${it + 1}`);
      close(trainable(split.generatorEma!)[k]!, e, 1e-6, `θ̄ ${k} (applyGradients) after step ${it + 1}`);
    }
  }
  assertSameParams(avg, plain, 0);
  assert.is(plain.generatorEma, undefined);
  // θ̄ ≠ θ after training, and θ̄ is what samples
  const z = rng.fillNormal(new Float32Array(3 * 8));
  assert.ok(avg.sample(z).some((v, i) => v !== plain.sample(z)[i]), 'the averaged generator samples');
  for (const m of [avg, split, plain]) m.dispose();
});

test('generator averaging: sample() recomputes θ̄\'s batchnorm averages; save → load continues exactly; the saved generator/ is θ̄ and predicts the same images; a model is not loaded across emaDecay on/off', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-dcgan-ema-'));
  try {
    const config = { ...SMALL, emaDecay: 0.5 };
    const a = new Dcgan(config, new Rng(15));
    const rng = new Rng(16);
    for (let i = 0; i < 2; i++) a.trainStep([batch(rng), batch(rng)]);
    const statsOf = (m: tf.LayersModel) => m.weights.filter((w) => !w.trainable).map((w) => w.read().dataSync()[0]!);
    const before = statsOf(a.generatorEma!);
    const z = rng.fillNormal(new Float32Array(4 * 8));
    const sa = a.sample(z);
    assert.ok(statsOf(a.generatorEma!).every((v, i) => v !== before[i]), 'θ̄\'s running averages were recomputed');
    close(a.sample(z), sa, 0, 'no recomputation without a new step');
    await a.save(dir);
    const b = new Dcgan(config, new Rng(99));
    await b.load(dir);
    assert.equal(b.sample(z), sa);
    const next = [batch(rng), batch(rng)];
    assert.equal(b.trainStep(next), a.trainStep(next));
    assertSameParams(a, b, 0);
    close(trainable(b.generatorEma!)[b.generatorEma!.trainableWeights[0]!.originalName]!, trainable(a.generatorEma!)[a.generatorEma!.trainableWeights[0]!.originalName]!, 0, 'θ̄');
    assert.equal(b.sample(z), a.sample(z));
    // what a browser would do: tf.loadLayersModel(generator/model.json), predict(z)
    const g = await loadModelFiles(path.join(dir, 'generator'));
    const pred = tf.tidy(() => tf.mul(tf.add(g.predict(tf.tensor2d(z, [4, 8])) as tf.Tensor, 1), 0.5));
    close(pred.dataSync(), sa, 1e-6, 'browser generator = θ̄');
    pred.dispose();
    g.dispose();
    // a model saved without averaging cannot be continued with it
    const plain = new Dcgan(SMALL, new Rng(1));
    const plainDir = path.join(dir, 'plain');
    await plain.save(plainDir);
    const averaging = new Dcgan(config, new Rng(1));
    const loadError = (m: Dcgan, from: string) => m.load(from).then(() => undefined, (e: Error) => e);
    assert.match((await loadError(averaging, plainDir))?.message ?? '', /no generator-online\/.*emaDecay/);
    // nor an averaging model with it off: its generator/ is θ̄, not the G that trains
    assert.match((await loadError(plain, dir))?.message ?? '', /holds an averaging model.*emaDecay 0/);
    for (const m of [a, b, plain, averaging]) m.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('calibrationSeed: seed · 1 000 003 + iterations for the committed seeds (their samples unchanged), a safe integer (modulo 2⁵³) for any seed a config may name; a DCGAN with the largest seed samples with averaging on', () => {
  for (const seed of [0, 1, 2, 1000]) for (const it of [0, 1, 937, 1e6]) assert.is(calibrationSeed(seed, it), seed * 1_000_003 + it, `${seed} ${it}`);
  const big = calibrationSeed(Number.MAX_SAFE_INTEGER, 5);
  assert.ok(Number.isSafeInteger(big) && big >= 0, String(big));
  assert.is(BigInt(big), (BigInt(Number.MAX_SAFE_INTEGER) * 1_000_003n + 5n) % 2n ** 53n);
  assert.is.not(calibrationSeed(Number.MAX_SAFE_INTEGER, 6), big);
  const learner = new Dcgan({ ...SMALL, emaDecay: 0.5, seed: Number.MAX_SAFE_INTEGER }); // before: Rng threw on seed · 1 000 003
  try {
    learner.trainStep([batch(new Rng(1)), batch(new Rng(2))]);
    const images = learner.sample(new Rng(3).fillNormal(new Float32Array(2 * 8)));
    assert.is(images.length, 2 * 784);
    assert.ok(images.every(Number.isFinite));
  } finally {
    learner.dispose();
  }
});

test('the registry makes dcgan and cdcgan', () => {
  const d = makeGenerativeLearner('dcgan', { ...SMALL }, 1);
  const c = makeGenerativeLearner('cdcgan', { ...SMALL }, 1);
  assert.is(d.kind, 'dcgan');
  assert.is(c.kind, 'cdcgan');
  assert.is(c.latentDim, 8);
  assert.is(d.pixelScale, 'tanh');
  assert.is(d.conditional, false);
  assert.is(c.conditional, true);
  d.dispose();
  c.dispose();
});

test.run();
