// WGAN and WGAN-GP on the DCGAN architecture (generative/wgan.ts `architecture: 'dcgan'`): gradients
// against tfjs autograd on the twin models, clipping, the training loop, save / load, data-parallel
// steps, config errors, tensor leaks.
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../base/rng.js';
import { FusedConvNet } from '../core/fusedConvNet.js';
import { namedVariables, type TensorMap } from '../core/tensors.js';
import { parseSpec } from '../drivers/spec.js';
import { configProblems } from '../drivers/specCheck.js';
import { GENERATIVE_MODELS, makeGenerativeLearner } from '../generative/models.js';
import { resolveWganConfig, Wgan, wganGpCriticSpec, WGAN_DEFAULTS, WGAN_GP_DEFAULTS, type WganConfig } from '../generative/wgan.js';
import { batchOf, close, NATIVE_REQUIRED, useCpu, test } from './helpers.js';
import { convCriticTf } from './convCriticTf.js';

test.before(useCpu);

/** Small conv nets: G 4 → 7·7·4 → 2 → 1 channels, critic 2 → 4 (→ 8) channels. */
const SMALL: Partial<WganConfig> = { architecture: 'dcgan', latentDim: 4, gFilters: 2, dFilters: 2, nCritic: 2 };

/** Writes the fused nets' weights (and running averages) into the tfjs twins, as save() does. */
function syncTwins(w: Wgan): void {
  const values: TensorMap = w.getParams();
  tf.tidy(() => {
    for (const model of [w.generator, w.critic]) for (const v of model.weights) v.write(tf.tensor(values[v.originalName]!.data, values[v.originalName]!.shape));
  });
}

/**
 * close() with the tolerance scaled to the largest |expected| (gradients of small nets are small);
 * an all-zero expected (the output bias of a difference of means) is matched to 1e-6.
 */
function closeScaled(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string): void {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  close(actual, expected, scale > 0 ? rtol * scale : 1e-6, what);
}

/** Wider initial kernels than DCGAN's N(0, 0.02), so the gradients compared are far from 0. */
const WIDE = { initStd: 0.2 };

function paramsOf(w: Wgan): Float32Array[] {
  return [w.G.params.slice(), w.D.params.slice()];
}

test('config: architecture defaults to mlp (both variants), is checked by name, and the conv fields too', () => {
  assert.is(WGAN_DEFAULTS.architecture, 'mlp');
  assert.is(WGAN_GP_DEFAULTS.architecture, 'mlp');
  assert.is(resolveWganConfig({}, 'gp').dFilters, 64);
  assert.throws(() => GENERATIVE_MODELS.wgan.resolve({ architecture: 'conv' }), (e: unknown) => e instanceof RangeError && /WGAN config: 'architecture' must be one of 'mlp', 'dcgan', got "conv"/.test(e.message));
  assert.throws(() => makeGenerativeLearner('wgan-gp', { architecture: 'conv' }), /WGAN-GP config: 'architecture'/);
  assert.throws(() => makeGenerativeLearner('wgan', { architecture: 'dcgan', gFilters: 0 }), /WGAN config: 'gFilters'/);
  assert.throws(() => makeGenerativeLearner('wgan-gp', { architecture: 'dcgan', kernelSize: 2.5 }), /WGAN-GP config: 'kernelSize'/);
  assert.throws(() => makeGenerativeLearner('wgan', { architecture: 'dcgan', initStd: 0 }), /WGAN config: 'initStd'/);
  // a spec's model.config selects it (nnlab run / nnlab train wgan-gp --config), its sizes capped as DCGAN's
  const problems = (kind: string, config: Record<string, unknown>) => configProblems(parseSpec({ name: 'w', model: { kind, config } }));
  assert.equal(problems('wgan-gp', { architecture: 'dcgan' }), []);
  assert.equal(problems('wgan', { architecture: 'conv' }), [`spec.model.config: WGAN config: 'architecture' must be one of 'mlp', 'dcgan', got "conv"`]);
  assert.equal(problems('wgan-gp', { architecture: 'dcgan', dFilters: 1000 }), ['spec.model.config.dFilters: at most 256 filters, got 1000']);
});

test("without the native addon, architecture 'dcgan' fails naming the field", () => {
  const saved = process.env.NNLAB_NATIVE;
  process.env.NNLAB_NATIVE = 'off';
  try {
    assert.throws(() => new Wgan(SMALL, new Rng(1), 'gp'), /WGAN-GP config: 'architecture' 'dcgan' needs the native addon/);
  } finally {
    if (saved === undefined) delete process.env.NNLAB_NATIVE;
    else process.env.NNLAB_NATIVE = saved;
  }
});

if (NATIVE_REQUIRED) {
  test('the nets: DCGAN G in both; WGAN critic = DCGAN D with batchnorm, WGAN-GP critic = 3 convs without; denseUnits adds the dense hidden layer to G and the WGAN critic', () => {
    const clip = new Wgan(SMALL, new Rng(1), 'clip');
    const gp = new Wgan(SMALL, new Rng(1), 'gp');
    for (const w of [clip, gp]) {
      assert.ok(w.G instanceof FusedConvNet && w.D instanceof FusedConvNet);
      assert.ok(w.G.hasBatchNorm);
      assert.equal(w.G.outShape, [28, 28, 1]);
    }
    assert.ok(clip.D.hasBatchNorm);
    assert.not.ok(gp.D.hasBatchNorm);
    assert.equal(gp.critic.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.outputShape), [[null, 14, 14, 2], [null, 7, 7, 4], [null, 4, 4, 8]]);
    clip.dispose();
    gp.dispose();
    // denseUnits: DCGAN's fully connected hidden layer (BN) in G and the clip critic (InfoGAN's nets at 1024); the gp critic stays gan_mnist.py's
    const dense = (m: tf.Sequential) => m.layers.filter((l) => l.getClassName() === 'Dense').map((l) => l.outputShape);
    const clipDense = new Wgan({ ...SMALL, denseUnits: 6, kernelSize: 4 }, new Rng(1), 'clip');
    const gpDense = new Wgan({ ...SMALL, denseUnits: 6, kernelSize: 4 }, new Rng(1), 'gp');
    assert.equal(dense(clipDense.generator), [[null, 6], [null, 7 * 7 * 4]]);
    assert.equal(dense(clipDense.critic), [[null, 6], [null, 1]]);
    assert.equal(dense(gpDense.generator), [[null, 6], [null, 7 * 7 * 4]]);
    assert.equal(dense(gpDense.critic), [[null, 1]]);
    const m = clipDense.trainStep(clipDense.schedule().map(() => batchOf(4, new Rng(2))));
    assert.ok(Number.isFinite(m['losses/wasserstein']) && Number.isFinite(m['losses/g_loss']), JSON.stringify(m));
    assert.throws(() => new Wgan({ ...SMALL, denseUnits: -1 }, new Rng(1), 'clip'), (e: Error) => e instanceof RangeError && /WGAN config: 'denseUnits'/.test(e.message));
    clipDense.dispose();
    gpDense.dispose();
  });

  test('conv WGAN-GP critic gradient (Wasserstein term + penalty) equals autograd with nested tf.grad (batch 4)', () => {
    const wgan = new Wgan({ ...SMALL, ...WIDE }, new Rng(9), 'gp');
    const n = 4;
    const rng = new Rng(10);
    const x = batchOf(n, rng).images;
    const z = rng.fillNormal(new Float32Array(n * 4));
    // the ε of x̂ are the learner's next draws
    const epsRng = Rng.fromState(wgan.noiseState());
    const eps = Array.from({ length: n }, () => epsRng.random());
    const m = wgan.criticLossAndGrad(x, z, n);
    const fused = wgan.D.gradMap();
    const spec = wganGpCriticSpec(wgan.config);
    const vars = wgan.critic.trainableWeights.map((w) => w.read() as tf.Variable);
    const ref = tf.variableGrads(() =>
      tf.tidy(() => {
        const real = tf.tensor4d(x, [n, 28, 28, 1]);
        // G in training mode (batch statistics), as the fused G while training
        const fake = wgan.generator.apply(tf.tensor2d(z, [n, 4]), { training: true }) as tf.Tensor4D;
        const e = tf.tensor4d(eps, [n, 1, 1, 1]);
        const xHat = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake)) as tf.Tensor4D;
        const g = tf.grad((xx: tf.Tensor) => tf.sum(convCriticTf(spec, wgan.critic, xx as tf.Tensor4D)))(xHat);
        const gp = tf.mul(10, tf.mean(tf.square(tf.sub(tf.sqrt(tf.sum(tf.square(g), [1, 2, 3])), 1))));
        return tf.add(tf.sub(tf.mean(convCriticTf(spec, wgan.critic, fake)), tf.mean(convCriticTf(spec, wgan.critic, real))), gp) as tf.Scalar;
      }),
      vars,
    );
    close([m['losses/critic_loss']!], [ref.value.dataSync()[0]!], 1e-4, 'critic_loss');
    assert.ok(m['losses/critic_grad_norm']! > 0.1, `‖∇f‖ = ${m['losses/critic_grad_norm']} is far from 0`);
    close([m['losses/critic_loss']!], [-m['losses/wasserstein']! + m['losses/gradient_penalty']!], 1e-6, 'critic_loss = −W + GP');
    const names = wgan.critic.trainableWeights.map((w) => w.originalName);
    assert.equal(Object.keys(fused), names);
    // biases only move the kinks: tfjs gives no gradient to the last one, whose penalty gradient is 0
    names.forEach((name, i) => {
      const want = ref.grads[vars[i]!.name]?.dataSync() ?? new Float32Array(fused[name]!.data.length);
      closeScaled(fused[name]!.data, want, 1e-4, name);
    });
    tf.dispose([ref.value, ...Object.values(ref.grads)]);
    wgan.dispose();
  });

  test('conv WGAN: batch-normalised critic and generator gradients equal tfjs autograd through the twins', () => {
    const wgan = new Wgan({ ...SMALL, ...WIDE, clipValue: 0.5 }, new Rng(5), 'clip');
    syncTwins(wgan); // the twins get the clipped critic
    const n = 4;
    const rng = new Rng(6);
    const x = batchOf(n, rng).images;
    const z = rng.fillNormal(new Float32Array(n * 4));
    const G = (zz: Float32Array) => wgan.generator.apply(tf.tensor2d(zz, [n, 4]), { training: true }) as tf.Tensor4D;
    // critic: real and fake batches through separate training-mode forwards (each its own batch statistics)
    const D = (xx: tf.Tensor4D) => wgan.critic.apply(xx, { training: true }) as tf.Tensor;
    const dVars = namedVariables(wgan.critic);
    const gVars = namedVariables(wgan.generator);
    const dRef = tf.variableGrads(() => tf.tidy(() => tf.sub(tf.mean(D(G(z))), tf.mean(D(tf.tensor4d(x, [n, 28, 28, 1])))) as tf.Scalar), [...dVars.values()]);
    const gRef = tf.variableGrads(() => tf.tidy(() => tf.neg(tf.mean(D(G(z)))) as tf.Scalar), [...gVars.values()]);
    const m = wgan.criticLossAndGrad(x, z, n);
    const dFused = wgan.D.gradMap();
    close([m['losses/critic_loss']!], [dRef.value.dataSync()[0]!], 1e-4, 'critic_loss');
    [...dVars].forEach(([name, v]) => closeScaled(dFused[name]!.data, dRef.grads[v.name]!.dataSync(), 1e-4, `D ${name}`));
    const gm = wgan.generatorLossAndGrad(z, n);
    const gFused = wgan.G.gradMap();
    close([gm['losses/g_loss']!], [gRef.value.dataSync()[0]!], 1e-4, 'g_loss');
    [...gVars].forEach(([name, v]) => closeScaled(gFused[name]!.data, gRef.grads[v.name]!.dataSync(), 1e-4, `G ${name}`));
    assert.ok(Object.keys(dFused).some((k) => k.endsWith('/gamma')), 'the critic is batch-normalised');
    assert.ok(Object.values(gFused).every((t) => t.data.some((v) => v !== 0)), 'every G weight gets a gradient');
    tf.dispose([dRef.value, gRef.value, ...Object.values(dRef.grads), ...Object.values(gRef.grads)]);
    wgan.dispose();
  });

  test('conv WGAN clipping keeps every critic weight (batchnorm γ, β included) in [−c, c] after trainSteps', () => {
    const c = 0.01;
    const wgan = new Wgan({ ...SMALL, clipValue: c, learningRate: 0.05 }, new Rng(7), 'clip');
    const inRange = () => wgan.D.params.every((p) => p >= -c && p <= c);
    assert.ok(inRange(), 'clipped at construction');
    const rng = new Rng(8);
    for (let it = 0; it < 3; it++) {
      const m = wgan.trainStep(wgan.schedule().map(() => batchOf(4, rng)));
      assert.ok(Object.values(m).every(Number.isFinite));
      assert.ok(inRange(), `after iteration ${it}`);
    }
    assert.ok(wgan.D.params.some((p) => Math.abs(p) === Math.fround(c)), 'some weights sit at the bound');
    wgan.dispose();
  });

  for (const variant of ['clip', 'gp'] as const) {
    test(`conv ${variant}: trainStep metrics; save → load continues identically; the saved generator is sample()'s; computeGradients + applyGradients = trainStep; no tensor leaks`, async () => {
      const before = tf.memory().numTensors;
      const n = 6;
      const a = new Wgan(SMALL, new Rng(3), variant);
      const b = new Wgan(SMALL, new Rng(3), variant);
      const dataRng = new Rng(4);
      const batches = () => a.schedule().map(() => batchOf(n, dataRng));
      // trainStep on a, computeGradients + applyGradients on b, same batches
      for (let it = 0; it < 2; it++) {
        const bs = batches();
        const m = a.trainStep(bs);
        const keys = ['losses/wasserstein', 'losses/critic_loss', 'losses/g_loss', ...(variant === 'gp' ? ['losses/gradient_penalty', 'losses/critic_grad_norm'] : [])];
        assert.equal(Object.keys(m).sort(), keys.sort());
        assert.ok(Object.values(m).every(Number.isFinite), JSON.stringify(m));
        b.schedule().forEach((phase, i) => {
          const { grads } = b.computeGradients(phase, bs[i]!);
          b.applyGradients(phase, grads);
        });
        paramsOf(a).forEach((p, i) => close(p, paramsOf(b)[i]!, 0, `data-parallel step ${it} net ${i}`));
      }
      close(Object.values(a.runningStats()).flatMap((t) => [...t.data]), Object.values(b.runningStats()).flatMap((t) => [...t.data]), 0, 'running averages');
      const dir = await mkdtemp(path.join(tmpdir(), `nnlab-wgan-${variant}-`));
      try {
        await a.save(dir);
        // the saved generator (tfjs format) gives sample()'s images
        const z = dataRng.fillNormal(new Float32Array(3 * 4));
        const twin = tf.tidy(() => (a.generator.predict(tf.tensor2d(z, [3, 4])) as tf.Tensor).dataSync());
        close(a.sample(z), Float32Array.from(twin, (v) => (v + 1) / 2), 1e-5, 'sample vs saved generator');
        const c = new Wgan(SMALL, new Rng(99), variant);
        await c.load(dir);
        close(c.sample(z), a.sample(z), 0, 'loaded samples');
        const bs = batches();
        const ma = a.trainStep(bs);
        const mc = c.trainStep(bs);
        close(Object.values(mc), Object.values(ma), 0, 'metrics after load');
        paramsOf(a).forEach((p, i) => close(paramsOf(c)[i]!, p, 0, `params after load, net ${i}`));
        c.dispose();
      } finally {
        await rm(dir, { recursive: true, force: true });
        a.dispose();
        b.dispose();
      }
      assert.is(tf.memory().numTensors, before, 'tensors');
    });
  }

  test('a spec selects it: makeGenerativeLearner(wgan-gp, { architecture: dcgan })', () => {
    const w = makeGenerativeLearner('wgan-gp', { ...SMALL }, 1);
    assert.ok(w instanceof Wgan && w.D instanceof FusedConvNet && w.kind === 'wgan-gp');
    w.dispose();
  });
}

test.run();
