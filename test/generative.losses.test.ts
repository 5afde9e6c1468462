import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { FusedVae } from '../generative/fusedVae.js';
import { Rng } from '../base/rng.js';
import { getParams, namedVariables, type TensorMap } from '../core/tensors.js';
import { negElboLoss, VAE_DEFAULTS } from '../generative/vae.js';
import { FusedNet, type NetActivation } from '../core/fusedNet.js';
import { Gan } from '../generative/gan.js';
import { softplus } from '../base/logistic.js';
import { Wgan } from '../generative/wgan.js';
import { addGradientPenalty } from '../generative/gradientPenalty.js';
import { FusedConvNet } from '../core/fusedConvNet.js';
import { buildSequential, type SequentialSpec } from '../core/nn.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { close, NATIVE_REQUIRED, useCpu, test } from './helpers.js';
import { convCriticTf } from './convCriticTf.js';

test.before(useCpu);

// The 2-pixel example: x = (1, 0), decoder probabilities (0.5, 0.75), μ = 1, log σ² = 0.
//   BCE = −ln 0.5 − ln(1 − 0.75) = ln 2 + ln 4 = 3 ln 2;   KL = −½(1 + 0 − 1 − 1) = ½
const HAND_NEG_ELBO = 3 * Math.LN2 + 0.5;

test('summed BCE + KL of a 2-pixel image matches the hand-worked value (tfjs loss)', () => {
  const { loss, recon, kl } = tf.tidy(() => {
    const out = negElboLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[0, Math.log(3)]]), tf.tensor2d([[1]]), tf.tensor2d([[0]]));
    return { loss: out.loss.dataSync()[0]!, recon: out.recon.dataSync()[0]!, kl: out.kl.dataSync()[0]! };
  });
  close([recon, kl, loss], [3 * Math.LN2, 0.5, HAND_NEG_ELBO], 1e-6);
});

test('the fused VAE step computes the same 2-pixel −ELBO (zero weights, biases set μ, log σ², logits)', () => {
  // encoder 2 → [μ, log σ²] and decoder 1 → 2 logits, weights zero so only the biases speak
  const enc: TensorMap = { 'e/kernel': { shape: [2, 2], data: new Float32Array(4) }, 'e/bias': { shape: [2], data: Float32Array.from([1, 0]) } };
  const dec: TensorMap = { 'd/kernel': { shape: [1, 2], data: new Float32Array(2) }, 'd/bias': { shape: [2], data: Float32Array.from([0, Math.log(3)]) } };
  const vae = new FusedVae(enc, dec, 1, VAE_DEFAULTS.learningRate);
  const loss = vae.lossAndGrad(Float32Array.from([1, 0]), Float32Array.from([0.3]), 1);
  close([loss], [HAND_NEG_ELBO], 1e-6);
  // averaged over the batch: two copies of the image give the same per-image value
  close([vae.lossAndGrad(Float32Array.from([1, 0, 1, 0]), Float32Array.from([0.3, -1]), 2)], [HAND_NEG_ELBO], 1e-6);
});

test('gradient penalty of a linear critic f(x) = w·x + b is λ(‖w‖ − 1)², with gradient 2λ(‖w‖ − 1) w/‖w‖', () => {
  const w = [0.6, -1.2, 2.0];
  const norm = Math.hypot(...w);
  const net = new FusedNet({ 'c/kernel': { shape: [3, 1], data: Float32Array.from(w) }, 'c/bias': { shape: [1], data: Float32Array.from([0.5]) } }, ['linear']);
  const rng = new Rng(3);
  const n = 5;
  net.forward(rng.fillNormal(new Float32Array(n * 3)), n);
  net.grads.fill(0);
  const lambda = 10;
  const { penalty, gradNorm } = addGradientPenalty(net, lambda, 0, n);
  close([penalty, gradNorm], [lambda * (norm - 1) ** 2, norm], 1e-6);
  const g = net.gradMap();
  close(g['c/kernel']!.data, w.map((wi) => (2 * lambda * (norm - 1) * wi) / norm), 1e-5);
  close(g['c/bias']!.data, [0]);
});

/** f(x) for a dense critic written with raw tf ops (LeakyReLU as αh + (1 − α)relu(h), twice differentiable in tfjs). */
function criticTf(params: tf.Tensor[], acts: NetActivation[], x: tf.Tensor2D, alpha: number): tf.Tensor {
  let h: tf.Tensor = x;
  acts.forEach((a, i) => {
    h = tf.add(tf.matMul(h as tf.Tensor2D, params[2 * i] as tf.Tensor2D), params[2 * i + 1]!);
    if (a === 'relu') h = tf.relu(h);
    if (a === 'leakyRelu') h = tf.add(tf.mul(alpha, h), tf.mul(1 - alpha, tf.relu(h)));
  });
  return h;
}

for (const act of ['relu', 'leakyRelu'] as const) {
  test(`the hand double-backward of the gradient penalty equals nested tf.grad (${act} critic)`, () => {
    const rng = new Rng(11);
    const dims = [6, 5, 4, 1];
    const acts: NetActivation[] = [act, act, 'linear'];
    const map: TensorMap = {};
    for (let i = 0; i < 3; i++) {
      map[`c${i}/kernel`] = { shape: [dims[i]!, dims[i + 1]!], data: rng.fillNormal(new Float32Array(dims[i]! * dims[i + 1]!), 0, 0.7) };
      map[`c${i}/bias`] = { shape: [dims[i + 1]!], data: rng.fillNormal(new Float32Array(dims[i + 1]!), 0, 0.3) };
    }
    const n = 7;
    const xHat = rng.fillNormal(new Float32Array(n * 6));
    const net = new FusedNet(map, acts, 0.2);
    net.forward(xHat, n);
    net.grads.fill(0);
    const { penalty } = addGradientPenalty(net, 10, 0, n);
    const fused = net.gradMap();
    const vars = Object.values(map).map((t) => tf.variable(tf.tensor(t.data, t.shape)));
    const { value, grads } = tf.variableGrads(() =>
      tf.tidy(() => {
        const x = tf.tensor2d(xHat, [n, 6]);
        const g = tf.grad((xx: tf.Tensor) => tf.sum(criticTf(vars, acts, xx as tf.Tensor2D, 0.2)))(x);
        // + 1e-12: a row with every ReLU dead has ∇ = 0, where √ has no derivative (the hand version uses 0)
        const norms = tf.sqrt(tf.add(tf.sum(tf.square(g), 1), 1e-12));
        return tf.mul(10, tf.mean(tf.square(tf.sub(norms, 1)))) as tf.Scalar;
      }),
      vars,
    );
    close([penalty], [value.dataSync()[0]!], 1e-5, 'penalty');
    // biases only move the kinks: tfjs returns no gradient for them (0), as the hand version
    Object.keys(map).forEach((name, i) => close(fused[name]!.data, grads[vars[i]!.name]?.dataSync() ?? new Float32Array(fused[name]!.data.length), 1e-4, name));
    tf.dispose([value, ...Object.values(grads), ...vars]);
  });
}

test('the MLP critic refuses a penalty it cannot differentiate: a smooth activation, rows outside the last forward, several outputs', () => {
  const rng = new Rng(5);
  const dense = (name: string, i: number, o: number): TensorMap => ({
    [`${name}/kernel`]: { shape: [i, o], data: rng.fillNormal(new Float32Array(i * o)) },
    [`${name}/bias`]: { shape: [o], data: new Float32Array(o) },
  });
  const tanhNet = new FusedNet({ ...dense('a', 3, 4), ...dense('b', 4, 1) }, ['tanh', 'linear']);
  tanhNet.forward(rng.fillNormal(new Float32Array(6)), 2);
  assert.throws(() => addGradientPenalty(tanhNet, 10, 0, 2), /activation 'tanh' is not piecewise linear/);
  const net = new FusedNet({ ...dense('a', 3, 4), ...dense('b', 4, 1) }, ['relu', 'linear']);
  net.forward(rng.fillNormal(new Float32Array(9)), 3);
  assert.throws(() => addGradientPenalty(net, 10, 2, 2), /rows \[2, 4\) are not within the 3/);
  const two = new FusedNet({ ...dense('a', 3, 4), ...dense('b', 4, 2) }, ['relu', 'linear']);
  two.forward(rng.fillNormal(new Float32Array(6)), 2);
  assert.throws(() => addGradientPenalty(two, 10, 0, 2), /one linear output unit/);
});

if (NATIVE_REQUIRED) {
  // WGAN-GP's conv critic (no batchnorm): stride-2 convolutions, a stride-1 'valid' one, a transposed
  // convolution (the chain's third kind of layer), flatten, one linear unit
  for (const act of ['relu', 'leakyRelu'] as const) {
    test(`the conv critic's hand double-backward of the gradient penalty equals nested tf.grad (${act})`, () => {
      const spec: SequentialSpec = {
        name: 'gp',
        inputShape: [7, 7, 2],
        init: { normal: 0.4 },
        leakyAlpha: 0.2,
        layers: [
          { type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, activation: act },
          { type: 'conv2dTranspose', filters: 2, kernelSize: 2, strides: 2, activation: act },
          { type: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'valid', activation: act },
          { type: 'flatten' },
          { type: 'dense', units: 5, activation: act },
          { type: 'dense', units: 1 },
        ],
      };
      const model = buildSequential(spec, new Rng(12));
      const map = getParams(model);
      const net = new FusedConvNet(spec, map);
      const n = 4;
      const rng = new Rng(13);
      // rows 0–1 are other samples of the batch, rows 2–5 the x̂ the penalty is taken at
      const x = rng.fillNormal(new Float32Array((n + 2) * 98));
      net.forward(x, n + 2);
      net.grads.fill(0);
      const { penalty, gradNorm } = addGradientPenalty(net, 10, 2, n);
      const fused = net.gradMap();
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const xHat = tf.tensor4d(x.subarray(2 * 98), [n, 7, 7, 2]);
          const g = tf.grad((xx: tf.Tensor) => tf.sum(convCriticTf(spec, model, xx as tf.Tensor4D)))(xHat);
          const norms = tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3]), 1e-12));
          return tf.mul(10, tf.mean(tf.square(tf.sub(norms, 1)))) as tf.Scalar;
        }),
        vars,
      );
      close([penalty], [value.dataSync()[0]!], 1e-5, 'penalty');
      assert.ok(gradNorm > 0, 'the critic has an input gradient');
      // kernels get the penalty's gradient; biases only move the kinks (0, as tfjs gives them)
      const names = model.trainableWeights.map((w) => w.originalName);
      names.forEach((name, i) => {
        const want = grads[vars[i]!.name]?.dataSync() ?? new Float32Array(fused[name]!.data.length);
        close(fused[name]!.data, want, 1e-4, name);
      });
      assert.ok(names.some((name) => name.endsWith('kernel') && fused[name]!.data.some((v) => v !== 0)), 'the kernels get a gradient');
      tf.dispose([value, ...Object.values(grads)]);
      model.dispose();
    });
  }

  test('the conv gradient penalty refuses a batch-normalised critic and rows outside the last forward', () => {
    const spec: SequentialSpec = { name: 'bn', inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, batchNorm: true, activation: 'leakyRelu' }, { type: 'flatten' }, { type: 'dense', units: 1 }] };
    const model = buildSequential(spec, new Rng(1));
    const net = new FusedConvNet(spec, getParams(model));
    net.forward(new Float32Array(3 * 16), 3);
    assert.throws(() => addGradientPenalty(net, 10, 0, 3), /batch-normalised/);
    const plain = { ...spec, layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2, activation: 'leakyRelu' }, { type: 'flatten' }, { type: 'dense', units: 1 }] } satisfies SequentialSpec;
    const model2 = buildSequential(plain, new Rng(1));
    const net2 = new FusedConvNet(plain, getParams(model2));
    net2.forward(new Float32Array(3 * 16), 3);
    assert.throws(() => addGradientPenalty(net2, 10, 2, 2), /not within the 3/);
    model.dispose();
    model2.dispose();
  });
}

const TINY = { latentDim: 4, generatorHidden: [16], criticHidden: [12, 8] };

function realImages(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n * 784 }, () => rng.uniform(-1, 1));
}

test('GAN: fused discriminator and generator gradients equal tfjs autograd on the twin models (both G losses, G with and without batchnorm)', () => {
  for (const [generatorLoss, generatorBatchNorm] of [['nonSaturating', true], ['minimax', true], ['nonSaturating', false]] as const) {
    const gan = new Gan({ ...TINY, generatorHidden: [16, 8], generatorLoss, generatorBatchNorm }, new Rng(5));
    // batchnorm in training mode (batch statistics), as the fused G during training
    const G = (z: tf.Tensor) => gan.generator.apply(z, { training: true }) as tf.Tensor;
    const rng = new Rng(6);
    const n = 3;
    const x = realImages(n, rng);
    const z = rng.fillNormal(new Float32Array(n * 4));
    // twins hold the initial parameters (the fused nets were built from them)
    const dVars = namedVariables(gan.critic);
    const gVars = namedVariables(gan.generator);
    const m = gan.criticLossAndGrad(x, z, n);
    const dFused = gan.D.gradMap();
    const dRef = tf.variableGrads(() =>
      tf.tidy(() => {
        const aReal = gan.critic.apply(tf.tensor2d(x, [n, 784])) as tf.Tensor;
        const aFake = gan.critic.apply(G(tf.tensor2d(z, [n, 4]))) as tf.Tensor;
        return tf.add(tf.mean(tf.softplus(tf.neg(aReal))), tf.mean(tf.softplus(aFake))) as tf.Scalar;
      }),
      [...dVars.values()],
    );
    close([m['losses/d_loss']!], [dRef.value.dataSync()[0]!], 1e-5, 'd_loss');
    [...dVars].forEach(([name, v]) => close(dFused[name]!.data, dRef.grads[v.name]!.dataSync(), 1e-4, `D ${name}`));
    const gm = gan.generatorLossAndGrad(z, n);
    const gFused = gan.G.gradMap();
    const gRef = tf.variableGrads(() =>
      tf.tidy(() => {
        const a = gan.critic.apply(G(tf.tensor2d(z, [n, 4]))) as tf.Tensor;
        return (generatorLoss === 'nonSaturating' ? tf.mean(tf.softplus(tf.neg(a))) : tf.neg(tf.mean(tf.softplus(a)))) as tf.Scalar;
      }),
      [...gVars.values()],
    );
    close([gm['losses/g_loss']!], [gRef.value.dataSync()[0]!], 1e-5, 'g_loss');
    assert.equal(Object.keys(gFused).some((k) => k.endsWith('/gamma')), generatorBatchNorm);
    [...gVars].forEach(([name, v]) => close(gFused[name]!.data, gRef.grads[v.name]!.dataSync(), 1e-4, `G ${name}`));
    tf.dispose([dRef.value, gRef.value, ...Object.values(dRef.grads), ...Object.values(gRef.grads)]);
    gan.dispose();
  }
});

test('a batchnorm layer of the fused net keeps running averages as tfjs (m = 0.9) and uses them at inference', () => {
  const rng = new Rng(12);
  const map: TensorMap = {
    'g_0/kernel': { shape: [3, 4], data: rng.fillNormal(new Float32Array(12)) },
    'g_0_bn/gamma': { shape: [4], data: Float32Array.from([1, 2, 0.5, -1]) },
    'g_0_bn/beta': { shape: [4], data: Float32Array.from([0, 0.1, -0.2, 0.3]) },
    'g_1/kernel': { shape: [4, 2], data: rng.fillNormal(new Float32Array(8)) },
    'g_1/bias': { shape: [2], data: new Float32Array(2) },
  };
  const net = new FusedNet(map, ['relu', 'linear'], 0.2);
  const n = 5;
  const x = rng.fillNormal(new Float32Array(n * 3), 1, 2);
  net.forward(x, n);
  // Z = X W (no bias), batch mean and biased variance per unit
  const Z = tf.tidy(() => tf.matMul(tf.tensor2d(x, [n, 3]), tf.tensor2d(map['g_0/kernel']!.data, [3, 4])).arraySync() as number[][]);
  const mu = [0, 1, 2, 3].map((j) => Z.reduce((s, r) => s + r[j]!, 0) / n);
  const v = [0, 1, 2, 3].map((j) => Z.reduce((s, r) => s + (r[j]! - mu[j]!) ** 2, 0) / n);
  const stats = net.statsMap();
  close(stats['g_0_bn/moving_mean']!.data, mu.map((m) => 0.1 * m), 1e-5, 'moving mean');
  close(stats['g_0_bn/moving_variance']!.data, v.map((s) => 0.9 + 0.1 * s), 1e-5, 'moving variance');
  // inference: (Z − μ̄)/√(σ̄² + ε) with the running averages, not the batch's
  const out = net.forward(x, n, false).slice();
  const ref = tf.tidy(() => {
    const h = tf.relu(tf.add(tf.mul(tf.div(tf.sub(tf.tensor2d(Z), stats['g_0_bn/moving_mean']!.data), tf.sqrt(tf.add(stats['g_0_bn/moving_variance']!.data, 1e-5))), map['g_0_bn/gamma']!.data), map['g_0_bn/beta']!.data));
    return tf.matMul(h, tf.tensor2d(map['g_1/kernel']!.data, [4, 2])).dataSync();
  });
  close(out, ref, 1e-5, 'inference output');
  // and the statistics did not move at inference
  close(net.statsMap()['g_0_bn/moving_mean']!.data, stats['g_0_bn/moving_mean']!.data, 0, 'unchanged');
});

test('GAN with generator batchnorm: sample() equals the saved tfjs generator (running averages included)', async () => {
  const gan = new Gan({ ...TINY, generatorBatchNorm: true }, new Rng(13));
  const rng = new Rng(14);
  const n = 6;
  for (let it = 0; it < 3; it++) gan.trainStep(gan.schedule().map(() => ({ n, images: realImages(n, rng), labels: new Uint8Array(n) })));
  const dir = await mkdtemp(path.join(tmpdir(), 'nnlab-gan-bn-'));
  try {
    await gan.save(dir);
    const z = rng.fillNormal(new Float32Array(n * 4));
    const twin = tf.tidy(() => (gan.generator.predict(tf.tensor2d(z, [n, 4])) as tf.Tensor).dataSync());
    close(gan.sample(z), Float32Array.from(twin, (v) => (v + 1) / 2), 1e-5, 'sample vs tfjs generator');
    const means = gan.getParams()['generator_0_dense_bn/moving_mean'];
    assert.ok(means !== undefined && means.data.some((m) => m !== 0), 'running mean moved from 0 and is in getParams');
    // a fresh learner loaded from the checkpoint samples the same images
    const other = new Gan({ ...TINY, generatorBatchNorm: true }, new Rng(99));
    await other.load(dir);
    close(other.sample(z), gan.sample(z), 0, 'loaded');
    other.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
    gan.dispose();
  }
});

test('softplus is stable: softplus(x) = log(1 + eˣ) and softplus(−x) − softplus(x) = −x', () => {
  close([softplus(0), softplus(50), softplus(-50), softplus(-3) - softplus(3)], [Math.LN2, 50, Math.exp(-50), -3], 1e-12);
});

test('WGAN weight clipping keeps every critic weight in [−c, c] (from the start and after each update)', () => {
  const c = 0.01;
  const wgan = new Wgan({ ...TINY, clipValue: c, learningRate: 0.05 }, new Rng(7), 'clip');
  const inRange = () => wgan.D.params.every((p) => p >= -c && p <= c);
  assert.ok(inRange(), 'clipped at construction');
  const rng = new Rng(8);
  const n = 4;
  const batch = () => ({ n, images: realImages(n, rng), labels: new Uint8Array(n) });
  for (let it = 0; it < 3; it++) {
    const phases = wgan.schedule();
    wgan.trainStep(phases.map(() => batch()));
    assert.ok(inRange(), `after iteration ${it}`);
  }
  assert.ok(wgan.D.params.some((p) => Math.abs(p) === Math.fround(c)), 'some weights sit at the bound');
  wgan.dispose();
});

test('WGAN-GP critic gradient (Wasserstein term + penalty) equals autograd with nested tf.grad', () => {
  const wgan = new Wgan({ ...TINY }, new Rng(9), 'gp');
  const n = 3;
  const rng = new Rng(10);
  const x = realImages(n, rng);
  const z = rng.fillNormal(new Float32Array(n * 4));
  // the ε of x̂ come from the learner's stream right after z: replay them from a copy of its state
  const epsRng = Rng.fromState(wgan.noiseState());
  const eps = Array.from({ length: n }, () => epsRng.random());
  const params = Object.values(getParams(wgan.critic)).map((t) => tf.variable(tf.tensor(t.data, t.shape)));
  const m = wgan.criticLossAndGrad(x, z, n);
  const fused = wgan.D.gradMap();
  const acts: NetActivation[] = ['leakyRelu', 'leakyRelu', 'linear'];
  const ref = tf.variableGrads(() =>
    tf.tidy(() => {
      const real = tf.tensor2d(x, [n, 784]);
      const fake = wgan.generator.apply(tf.tensor2d(z, [n, 4])) as tf.Tensor2D;
      const e = tf.tensor2d(eps, [n, 1]);
      const xHat = tf.add(tf.mul(e, real), tf.mul(tf.sub(1, e), fake)) as tf.Tensor2D;
      const g = tf.grad((xx: tf.Tensor) => tf.sum(criticTf(params, acts, xx as tf.Tensor2D, 0.2)))(xHat);
      const gp = tf.mul(10, tf.mean(tf.square(tf.sub(tf.sqrt(tf.sum(tf.square(g), 1)), 1))));
      return tf.add(tf.sub(tf.mean(criticTf(params, acts, fake, 0.2)), tf.mean(criticTf(params, acts, real, 0.2))), gp) as tf.Scalar;
    }),
    params,
  );
  close([m['losses/critic_loss']!], [ref.value.dataSync()[0]!], 1e-4, 'critic_loss');
  Object.keys(fused).forEach((name, i) => close(fused[name]!.data, ref.grads[params[i]!.name]!.dataSync(), 1e-4, name));
  tf.dispose([ref.value, ...Object.values(ref.grads), ...params]);
  wgan.dispose();
});

test("an MLP GAN refuses a phase that is not a GAN's, as DCGAN does", () => {
  const gan = new Gan(TINY, new Rng(3));
  const batch = { n: 2, images: realImages(2, new Rng(4)), labels: new Uint8Array(2) };
  assert.throws(() => gan.computeGradients('elbo', batch), /^gan has phases 'critic' and 'generator', got 'elbo'$/);
  assert.throws(() => gan.applyGradients('elbo', {}), /^gan has phases 'critic' and 'generator', got 'elbo'$/);
  gan.dispose();
});

test.run();
