import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../base/rng.js';
import { loadModelFiles } from '../core/checkpoint.js';
import { averageGradients, decode, encode } from '../core/tensors.js';
import { checkData } from '../core/stateFile.js';
import { z } from 'zod';
import { GENERATIVE_MODELS, generativeBatchSize, makeGenerativeLearner, generativeKinds } from '../generative/models.js';
import { ELBO_KINDS, GENERATIVE_KINDS } from '../generative/kinds.js';
import { WGAN_GP_DEFAULTS } from '../generative/wgan.js';
import { Vae } from '../generative/vae.js';
import { GENERATIVE_EVAL_SEEDS } from '../generative/eval.js';
import { scoreMetric, scoreOf } from '../generative/score.js';
import { epochSize, finishedRunCheckpoint, readRunSummary, trainGenerative } from '../generative/train.js';
import type { GenerativeLearner, ImageBatch } from '../generative/types.js';
import { batchesPerEpoch, epochBatches, MNIST_SIZES, type Mnist } from '../generative/mnist.js';
import { runPath } from '../protocol/runFiles.js';
import { errorMessage } from '../base/plainData.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

/** Small configs so a step takes milliseconds on the cpu backend. */
const SMALL: Record<string, Record<string, unknown>> = {
  vae: { hidden: 32, latentDim: 3 },
  'vae-conv': { latentDim: 3, convFilters: [2, 4] },
  gan: { latentDim: 4, generatorHidden: [16], criticHidden: [16, 8] },
  wgan: { latentDim: 4, generatorHidden: [16], criticHidden: [16, 8], nCritic: 2 },
  'wgan-gp': { latentDim: 4, generatorHidden: [16], criticHidden: [16, 8], nCritic: 2 },
};
const KINDS = Object.keys(SMALL);

function batch(n: number, rng: Rng, learner: GenerativeLearner): ImageBatch {
  const unit = learner.pixelScale === 'unit';
  return {
    n,
    images: Float32Array.from({ length: n * 784 }, () => (unit ? rng.random() : rng.uniform(-1, 1))),
    labels: Uint8Array.from({ length: n }, () => rng.int(10)),
  };
}

function batches(learner: GenerativeLearner, rng: Rng, n = 4): ImageBatch[] {
  return learner.schedule().map(() => batch(n, rng, learner));
}

test('the registry holds vae, vae-conv, gan, wgan, wgan-gp and rejects an unknown kind by listing the known ones', () => {
  for (const k of KINDS) assert.ok(generativeKinds().includes(k), k);
  assert.throws(() => makeGenerativeLearner('gam'), /unknown generative model 'gam' \(known: .*gan/);
});

test('each kind has one registry entry: its resolver and its learner agree on the variant', () => {
  assert.equal(generativeKinds(), [...GENERATIVE_KINDS]);
  const variant: Record<string, [string, unknown]> = {
    vae: ['architecture', 'mlp'], 'vae-conv': ['architecture', 'conv'], wgan: ['variant', 'clip'], 'wgan-gp': ['variant', 'gp'], dcgan: ['conditional', false], cdcgan: ['conditional', true],
  };
  for (const kind of GENERATIVE_KINDS) {
    const resolved = new Map<string, unknown>(Object.entries(GENERATIVE_MODELS[kind].resolve({})));
    const expected = variant[kind];
    if (expected !== undefined) assert.is(resolved.get(expected[0]), expected[1], `${kind}.${expected[0]}`);
    assert.throws(() => GENERATIVE_MODELS[kind].resolve({ latentDimm: 8 }), /latentDimm/, `${kind} names an unknown field`);
  }
  // dcgan's defaults are InfoGAN's nets and rates with G averaging; cdcgan keeps the paper's (each meets
  // its goal that way, docs/generative.md), and a spec may still set those fields
  const pick = (c: object) => Object.fromEntries(Object.entries(c).filter(([k]) => ['kernelSize', 'denseUnits', 'generatorLearningRate', 'emaDecay'].includes(k)));
  assert.equal(pick(GENERATIVE_MODELS.dcgan.resolve({})), { kernelSize: 4, denseUnits: 1024, generatorLearningRate: 1e-3, emaDecay: 0.999 });
  assert.equal(pick(GENERATIVE_MODELS.cdcgan.resolve({})), { kernelSize: 5, denseUnits: 0, generatorLearningRate: 0, emaDecay: 0 });
  assert.equal(pick(GENERATIVE_MODELS.cdcgan.resolve({ kernelSize: 4, emaDecay: 0.9 })), { kernelSize: 4, denseUnits: 0, generatorLearningRate: 0, emaDecay: 0.9 });
  assert.is(new Map<string, unknown>(Object.entries(GENERATIVE_MODELS.cdcgan.resolve({ conditional: false }))).get('conditional'), true, 'cdcgan stays conditional');
  for (const kind of ['vae-conv', 'wgan-gp'] as const) {
    const learner = GENERATIVE_MODELS[kind].create({}, new Rng(1));
    assert.is(learner.kind, kind);
    learner.dispose();
  }
});

test("an epoch's size: the spec's batch size, else the model config's (checked by its resolver), over MNIST's 60 000 images, drop-last", () => {
  assert.equal(MNIST_SIZES, { train: 60_000, test: 10_000 });
  assert.equal(epochSize({ kind: 'vae' }), { batchSize: 128, batches: 468 }, "the VAE's own batch of 128, not 64");
  assert.equal(epochSize({ kind: 'wgan-gp' }), { batchSize: 64, batches: 937 });
  assert.equal(epochSize({ kind: 'vae', config: { batchSize: 100 } }), { batchSize: 100, batches: 600 });
  assert.equal(epochSize({ kind: 'vae', config: { batchSize: 100 }, batchSize: 50 }), { batchSize: 50, batches: 1200 }, 'the spec overrides the config');
  assert.equal(epochSize({ kind: 'gan' }, 130), { batchSize: 64, batches: 2 });
  assert.throws(() => epochSize({ kind: 'vae', config: { batchSize: '128' } }), /VAE config: 'batchSize' must be an integer/);
  assert.throws(() => epochSize({ kind: 'gan', config: { batchsize: 32 } }), /unknown field 'batchsize'/);
  assert.throws(() => epochSize({ kind: 'gan', batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => generativeBatchSize('gam', {}), /unknown generative model 'gam'/, 'epochSize takes a GenerativeKind; the registry still checks a string');
  // epochBatches yields exactly batchesPerEpoch full batches
  const split = { n: 130, images: new Uint8Array(130 * 784), labels: new Uint8Array(130) };
  const got = [...epochBatches(split, 64, new Rng(1), 'unit')].map((b) => b.n);
  assert.equal(got, [64, 64]);
  assert.is(batchesPerEpoch(130, 64), got.length);
  // a finished run's batch order is replayed over MNIST's training set by default
  assert.equal(finishedRunCheckpoint(3, 2, 10), finishedRunCheckpoint(3, 2, 10, MNIST_SIZES.train));
  assert.not.equal(finishedRunCheckpoint(3, 2, 10).dataRng, finishedRunCheckpoint(3, 2, 10, 1000).dataRng);
});

test('the registry checks an unchecked config through the model\'s resolver: resolve and create refuse the same bad field, naming it', () => {
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['vae', { hidden: 'wide' }, /VAE config: 'hidden' must be an integer/],
    ['vae-conv', { convFilters: [8] }, /VAE config: 'convFilters' must list 2/],
    // the one description of a bad value (base/plainData.ts describeValue), not JSON (which writes NaN as null)
    ['vae-conv', { convFilters: [8, 16, 32] }, /^VAE config: 'convFilters' must list 2 filter counts, got \[8, 16, 32\]$/],
    ['wgan-gp', { variant: NaN }, /^WGAN-GP config: 'variant' is 'gp' for this model, got NaN$/],
    ['gan', { generatorLoss: 'hinge' }, /GAN config: 'generatorLoss' must be one of/],
    ['wgan', { variant: 'gp' }, /WGAN config: 'variant' is 'clip' for this model, got "gp"/],
    ['wgan-gp', { nCritic: 0 }, /WGAN-GP config: 'nCritic' must be an integer ≥ 1/],
    ['dcgan', { fused: 'yes' }, /DCGAN config: 'fused' must be true or false/],
    ['cdcgan', { latentDimm: 8 }, /DCGAN config: unknown field 'latentDimm'/],
    // an integer, but no safe one: refused by the seed rule (base/rng.ts), naming the field, not later by the Rng
    ['dcgan', { seed: 1e17 }, /^DCGAN config: 'seed' must be a non-negative safe integer, got 100000000000000000$/],
  ];
  for (const [kind, config, message] of bad) {
    assert.ok((GENERATIVE_KINDS as readonly string[]).includes(kind), kind);
    assert.throws(() => makeGenerativeLearner(kind, config, 1), message, `${kind} create`);
    const entry = Object.entries(GENERATIVE_MODELS).find(([k]) => k === kind)?.[1];
    assert.throws(() => entry?.resolve(config), message, `${kind} resolve`);
  }
});

test('the score of a run: the classifier score when evaluated, else the test ELBO of exactly the kinds that measure one', () => {
  for (const kind of GENERATIVE_KINDS) {
    const learner = makeGenerativeLearner(kind, {}, 1);
    try {
      assert.is(ELBO_KINDS.includes(kind), learner.negElbo !== undefined, `${kind}: in ELBO_KINDS iff its learner measures a test neg ELBO`);
    } finally {
      learner.dispose();
    }
    assert.is(scoreMetric(kind, true), 'eval/classifier_score');
    assert.is(scoreMetric(kind, false), ELBO_KINDS.includes(kind) ? 'eval/test_elbo' : undefined, kind);
  }
  const epoch = { 'eval/classifier_score': 8.5, 'eval/test_neg_elbo': 101.25, 'losses/neg_elbo': 99 };
  assert.is(scoreOf('eval/classifier_score', epoch), 8.5);
  assert.is(scoreOf('eval/test_elbo', epoch), -101.25);
  assert.is(scoreOf('eval/test_elbo', { 'eval/classifier_score': 8.5 }), undefined);
  assert.is(scoreOf('eval/classifier_score', { 'eval/test_neg_elbo': 101.25 }), undefined);
});

test('a bad config is a RangeError naming the field', () => {
  assert.throws(() => makeGenerativeLearner('gan', { k: 0 }), (e: Error) => e instanceof RangeError && /'k'/.test(e.message));
  assert.throws(() => makeGenerativeLearner('gan', { generatorLoss: 'hinge' }), /'generatorLoss' must be one of 'nonSaturating', 'minimax'/);
  assert.throws(() => makeGenerativeLearner('gan', { generatorBatchNorm: 'yes' }), /GAN config: 'generatorBatchNorm' must be true or false, got "yes"/);
  assert.throws(() => makeGenerativeLearner('wgan-gp', { generatorBatchNorm: 1 }), /WGAN-GP config: 'generatorBatchNorm' must be true or false, got 1/);
  assert.throws(() => makeGenerativeLearner('vae', { latentDim: 2.5 }), /VAE config: 'latentDim' must be an integer/);
  assert.throws(() => makeGenerativeLearner('wgan', { clipValue: -1 }), /WGAN config: 'clipValue'/);
  assert.throws(() => makeGenerativeLearner('wgan-gp', { lambda: 'ten' }), /WGAN-GP config: 'lambda'/);
  assert.throws(() => makeGenerativeLearner('wgan', { variant: 'gp' }), /'variant'/);
  assert.throws(() => makeGenerativeLearner('vae', { latent: 20 }), /unknown field 'latent'/);
  assert.throws(() => makeGenerativeLearner('vae', { hidden: [64, 0] }), /VAE config: 'hidden' must be a non-empty list of positive integers/);
  // a layer list is checked before it is copied: a number is no TypeError, a string no list of its letters
  assert.throws(() => makeGenerativeLearner('gan', { generatorHidden: 256 }), /GAN config: 'generatorHidden' must be a non-empty list of positive integers, got 256/);
  assert.throws(() => makeGenerativeLearner('wgan', { criticHidden: '512' }), /WGAN config: 'criticHidden' must be a list of positive integers, got "512"/);
});

test("Adam's settings (learningRate > 0, beta1 and beta2 in [0, 1)) are one rule for GAN, WGAN, WGAN-GP and DCGAN (base/configCheck.ts checkedAdam)", () => {
  for (const [kind, owner] of [['gan', 'GAN'], ['wgan', 'WGAN'], ['wgan-gp', 'WGAN-GP'], ['dcgan', 'DCGAN']] as const) {
    const resolve = GENERATIVE_MODELS[kind].resolve;
    assert.throws(() => resolve({ learningRate: 0 }), new RegExp(`^${owner} config: 'learningRate' must be a number > 0, got 0$`), kind);
    assert.throws(() => resolve({ beta1: -0.1 }), new RegExp(`^${owner} config: 'beta1' must be a number ≥ 0 and < 1, got -0.1$`), kind);
    assert.throws(() => resolve({ beta2: 1 }), new RegExp(`^${owner} config: 'beta2' must be a number ≥ 0 and < 1, got 1$`), kind);
    const c = resolve({ learningRate: 3e-4, beta1: 0, beta2: 0.5 }) as { learningRate: number; beta1: number; beta2: number };
    assert.equal([c.learningRate, c.beta1, c.beta2], [3e-4, 0, 0.5], kind);
  }
});

test("the VAE's test ELBO draws its noise from GENERATIVE_EVAL_SEEDS.testElbo (12345, the seed it always used)", () => {
  assert.is(GENERATIVE_EVAL_SEEDS.testElbo, 12345);
  const learner = makeGenerativeLearner('vae', { hidden: 16, latentDim: 4 }, 1);
  try {
    const images = new Rng(2).fillUniform(new Float32Array(3 * 784), 0, 1);
    if (!(learner instanceof Vae)) throw new Error('vae: not a Vae');
    assert.is(learner.negElbo(images, 3), learner.negElbo(images, 3, 12345));
    assert.is.not(learner.negElbo(images, 3), learner.negElbo(images, 3, 12346), 'the seed matters');
  } finally {
    learner.dispose();
  }
});

test('a valid config resolves to exactly the defaults\' fields, the given ones over them, lists copied', () => {
  for (const kind of GENERATIVE_KINDS) {
    const entry = GENERATIVE_MODELS[kind];
    assert.equal(Object.keys(entry.resolve({ batchSize: 7 })), Object.keys(entry.resolve({})), kind);
    assert.is(entry.resolve({ batchSize: 7 }).batchSize, 7, kind);
  }
  const generatorHidden = [32, 64];
  const gan = GENERATIVE_MODELS.gan.resolve({ generatorHidden });
  assert.ok('generatorHidden' in gan && gan.generatorHidden !== generatorHidden);
  assert.equal('generatorHidden' in gan && gan.generatorHidden, [32, 64]);
  const wgan = GENERATIVE_MODELS['wgan-gp'].resolve({ variant: undefined, decayStart: 3, decayIterations: 4, emaDecay: 0.5 });
  assert.equal(wgan, { ...WGAN_GP_DEFAULTS, generatorHidden: [...WGAN_GP_DEFAULTS.generatorHidden], criticHidden: [...WGAN_GP_DEFAULTS.criticHidden], decayStart: 3, decayIterations: 4, emaDecay: 0.5 });
  const vae = GENERATIVE_MODELS.vae.resolve({ hidden: 400 });
  assert.ok('hidden' in vae && vae.hidden === 400);
});

for (const kind of KINDS) {
  test(`${kind}: one training step leaks no tensors and changes the parameters`, () => {
    const learner = makeGenerativeLearner(kind, SMALL[kind], 1);
    const rng = new Rng(2);
    learner.trainStep(batches(learner, rng)); // burn-in: optimiser slots
    const before = tf.memory().numTensors;
    const p0 = learner.getParams();
    const metrics = learner.trainStep(batches(learner, rng));
    learner.sample(rng.fillNormal(new Float32Array(3 * learner.latentDim)));
    assert.is(tf.memory().numTensors, before, 'tensors after a step and a sample');
    assert.ok(Object.values(metrics).every(Number.isFinite), JSON.stringify(metrics));
    const p1 = learner.getParams();
    assert.ok(Object.keys(p0).some((name) => p0[name]!.data.some((v, i) => v !== p1[name]!.data[i])), 'parameters moved');
    learner.dispose();
  });

  test(`${kind}: computeGradients + applyGradients phase by phase equals trainStep (data-parallel path)`, () => {
    const a = makeGenerativeLearner(kind, SMALL[kind], 3);
    const b = makeGenerativeLearner(kind, SMALL[kind], 3);
    const rng = new Rng(4);
    for (let it = 0; it < 2; it++) {
      const bs = batches(a, rng);
      a.trainStep(bs);
      b.schedule().forEach((phase, i) => {
        const { grads } = b.computeGradients(phase, bs[i]!);
        // as a coordinator would: average over one shard (weights = shard size) and apply
        b.applyGradients(phase, averageGradients([grads], [bs[i]!.n]));
      });
    }
    const pa = a.getParams();
    const pb = b.getParams();
    for (const name of Object.keys(pa)) close(pb[name]!.data, pa[name]!.data, 1e-6, name);
    a.dispose();
    b.dispose();
  });

  test(`${kind}: save → load round-trips parameters, optimiser state and noise stream`, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), `nnlab-${kind}-`));
    try {
      const a = makeGenerativeLearner(kind, SMALL[kind], 5);
      const rng = new Rng(6);
      a.trainStep(batches(a, rng));
      await a.save(dir);
      await stat(path.join(dir, 'generator', 'model.json'));
      const b = makeGenerativeLearner(kind, SMALL[kind], 99);
      await b.load(dir);
      const pa = a.getParams();
      const pb = b.getParams();
      for (const name of Object.keys(pa)) close(pb[name]!.data, pa[name]!.data, 0, name);
      // the next step is the same on both: Adam/RMSprop moments and the Rng came back too
      const next = batches(a, rng);
      a.trainStep(next);
      b.trainStep(next);
      const qa = a.getParams();
      const qb = b.getParams();
      for (const name of Object.keys(qa)) close(qb[name]!.data, qa[name]!.data, 1e-6, `after a step: ${name}`);
      // the saved generator is a plain tfjs model: z → 784 values in [0, 1] or [−1, 1]
      const g = await loadModelFiles(path.join(dir, 'generator'));
      const out = tf.tidy(() => g.predict(tf.zeros([2, a.latentDim])) as tf.Tensor);
      assert.equal(out.shape.slice(1).reduce((x, y) => (x as number) * (y as number), 1), 784);
      tf.dispose([out]);
      g.dispose();
      // a state.msgpack with a field of the wrong type, or without one, is refused naming the file and the field
      const file = path.join(dir, 'state.msgpack');
      const saved = checkData(z.record(z.string(), z.unknown()), decode(await readFile(file)), file);
      const refused = async (state: Record<string, unknown>, pattern: RegExp) => {
        await writeFile(file, encode(state));
        await b.load(dir).then(
          () => assert.unreachable(`${kind}: a tampered state.msgpack was loaded`),
          (e: Error) => {
            assert.ok(e.message.startsWith(`${file}: `), e.message);
            assert.match(e.message, pattern);
          },
        );
      };
      await refused({ ...saved, rng: 'seed 5' }, /: rng: expected tuple, got "seed 5"/);
      const { kind: _kind, ...noKind } = saved;
      await refused(noKind, /: kind: expected string, got undefined/);
      if (kind === 'gan') await refused({ ...saved, gOpt: { t: 1, sq: new Float32Array(3) } }, /: gOpt: RMSprop's state, but this learner's optimiser is Adam/);
      a.dispose();
      b.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

test('an MLP VAE with two hidden layers (a list) mirrors them in the decoder and trains', () => {
  const vae = makeGenerativeLearner('vae', { hidden: [24, 16], latentDim: 3 }, 1);
  const p = vae.getParams();
  assert.equal(Object.values(p).filter((t) => t.shape.length === 2).map((t) => t.shape), [[784, 24], [24, 16], [16, 6], [3, 16], [16, 24], [24, 784]]);
  const m = vae.trainStep([batch(4, new Rng(2), vae)]);
  assert.ok(Number.isFinite(m['losses/neg_elbo']!));
  vae.dispose();
});

test('sample() gives n images in [0, 1] from n latents', () => {
  for (const kind of ['vae', 'gan']) {
    const learner = makeGenerativeLearner(kind, SMALL[kind], 7);
    const x = learner.sample(new Rng(8).fillNormal(new Float32Array(5 * learner.latentDim)));
    assert.is(x.length, 5 * 784);
    assert.ok(x.every((v) => v >= 0 && v <= 1), kind);
    learner.dispose();
  }
});

/** A tiny stand-in for MNIST: 96 training and 16 test images of random strokes. */
function tinyMnist(): Mnist {
  const rng = new Rng(9);
  const split = (n: number) => ({ n, images: Uint8Array.from({ length: n * 784 }, () => (rng.random() < 0.2 ? 255 : 0)), labels: Uint8Array.from({ length: n }, () => rng.int(10)) });
  return { train: split(96), test: split(16) };
}

test('trainGenerative writes per-epoch sample grids, an interpolation strip, the tfjs generator and a summary', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-train-'));
  try {
    const lines: string[] = [];
    const metricSteps: number[] = [];
    const epochs: number[] = [];
    const result = await trainGenerative({
      kind: 'gan',
      config: SMALL.gan,
      epochs: 2,
      seed: 1,
      batchSize: 16,
      outDir: dir,
      evaluate: false,
      mnist: tinyMnist(),
      metricsEvery: 2,
      logIntervalSeconds: 0,
      log: (l) => lines.push(l),
      onMetrics: (_m, step) => metricSteps.push(step),
      onEpoch: (s) => epochs.push(s.epoch),
    });
    assert.equal(epochs, [1, 2]);
    assert.equal(result.epochs.map((e) => e.steps), [6, 12], '96 / 16 = 6 batches per epoch, one per GAN iteration (k = 1)');
    assert.ok(metricSteps.length >= 3);
    assert.ok('losses/d_loss' in result.epochs[0]!.metrics && 'charts/steps_per_s' in result.epochs[0]!.metrics);
    assert.ok(lines.some((l) => /gan epoch 1\/2 .*step \d+ .*d_loss .*steps\/s/.test(l)), lines.join('\n'));
    for (const f of ['samples/epoch-001.png', 'samples/epoch-002.png', 'interpolation.png', 'generator/model.json', 'summary.json']) await stat(path.join(dir, f));
    // the run directory's layout names them (protocol/runFiles.ts RUN_FILES, from generative/kinds.ts), and the atomic writes leave no temporary file behind
    for (const f of ['samples', 'interpolation', 'generator', 'summary'] as const) await stat(runPath(dir, f));
    assert.equal((await readdir(runPath(dir, 'samples'))).sort(), ['epoch-001.png', 'epoch-002.png']);
    assert.equal((await readdir(dir)).filter((f) => f.startsWith('.')), []);
    assert.equal(readRunSummary(dir).epochs.map((e) => e.samplePath), [1, 2].map((e) => path.join(runPath(dir, 'samples'), `epoch-00${e}.png`)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("readRunSummary checks summary.json: a diverged metric JSON wrote as null reads back as NaN, and a foreign file is refused naming the field", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-summary-'));
  try {
    const epoch = { epoch: 1, steps: 6, trainSeconds: 0.5, evalSeconds: 0.1, metrics: { 'losses/d_loss': Number.NaN, 'charts/steps_per_s': 12 }, samplePath: path.join(dir, 'samples', 'epoch-001.png') };
    const summary = { kind: 'gan', seed: 3, batchSize: 16, epochs: [epoch], aborted: false, outDir: dir, config: { learningRate: 2e-4 } };
    await writeFile(runPath(dir, 'summary'), JSON.stringify(summary));
    const read = readRunSummary(dir);
    assert.ok(Number.isNaN(read.epochs[0]!.metrics['losses/d_loss']));
    assert.equal({ ...read, epochs: [{ ...read.epochs[0]!, metrics: { 'charts/steps_per_s': read.epochs[0]!.metrics['charts/steps_per_s'] } }] }, { ...summary, epochs: [{ ...epoch, metrics: { 'charts/steps_per_s': 12 } }] });
    await writeFile(runPath(dir, 'summary'), JSON.stringify({ ...summary, epochs: [{ ...epoch, steps: 'six' }] }));
    assert.throws(() => readRunSummary(dir), (e: unknown) => errorMessage(e).includes(runPath(dir, 'summary')) && errorMessage(e).includes('epochs.0.steps'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trainGenerative stops on an aborted signal and still saves the model', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-abort-'));
  try {
    const ac = new AbortController();
    ac.abort();
    const result = await trainGenerative({ kind: 'vae', config: SMALL.vae, epochs: 3, outDir: dir, evaluate: false, mnist: tinyMnist(), signal: ac.signal });
    assert.ok(result.aborted);
    await stat(path.join(dir, 'generator', 'model.json'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
