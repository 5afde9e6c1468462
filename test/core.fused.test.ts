import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { FusedAdam, fusedGemm, jsGemm, nativeTails, type FusedActivation } from '../core/fused.js';
import { FusedMlp } from '../core/fusedNet.js';
import type { NetActivation } from '../core/activation.js';
import { FusedVae } from '../generative/fusedVae.js';
import { VAE_DEFAULTS } from '../generative/vae.js';
import { bceWithLogits } from '../core/losses.js';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { Rng } from '../base/rng.js';
import { computeGradients, getParams, namedVariables, trainableVariables } from '../core/tensors.js';
import { DqnLearner } from '../agents/dqn.js';
import { ReplayBuffer } from '../core/replay.js';
import { close, NATIVE_REQUIRED, useCpu, test } from './helpers.js';

test.before(useCpu);

test('the fused path runs on the native GEMM and Adam (the JavaScript ones with NNLAB_NATIVE=off)', async () => {
  const { kind } = await fusedGemm();
  if (NATIVE_REQUIRED && kind !== 'native') {
    const { loadNativeAddon } = await import('../core/native.js');
    loadNativeAddon(); // throws why the addon is missing
  }
  assert.is(kind, NATIVE_REQUIRED ? 'native' : 'js', 'fusedGemm() kind');
  assert.is(nativeTails() !== undefined, NATIVE_REQUIRED, 'FusedAdam.step runs the native loop');
});

if (NATIVE_REQUIRED) {
  test("native Adam and dense-delta tails give the JavaScript loops' numbers bit for bit (whatever vector width the CPU picks)", async () => {
    await fusedGemm();
    const native = nativeTails()!;
    const rng = new Rng(31);
    // Adam: the double-precision formula of native/src/optim.cc, in JavaScript (odd length: vector tails)
    const n = 1037;
    const theta = rng.fillNormal(new Float32Array(n));
    const g = rng.fillNormal(new Float32Array(n));
    const m = rng.fillNormal(new Float32Array(n)).map((x) => x * 0.1);
    const v = rng.fillNormal(new Float32Array(n)).map((x) => x * x * 0.01);
    const [scale, lr, b1, b2, eps, c1, c2] = [0.7, 1e-3, 0.9, 0.999, 1e-8, 1 - 0.9 ** 3, 1 - 0.999 ** 3];
    const want = { theta: theta.slice(), m: m.slice(), v: v.slice() };
    const step = lr / c1;
    const invC2 = 1 / c2;
    for (let i = 0; i < n; i++) {
      const gi = g[i]! * scale;
      const mi = b1 * want.m[i]! + (1 - b1) * gi;
      const vi = b2 * want.v[i]! + (1 - b2) * gi * gi;
      want.m[i] = mi;
      want.v[i] = vi;
      want.theta[i] = want.theta[i]! - (step * mi) / (Math.sqrt(vi * invC2) + eps);
    }
    native.adamStep(theta, g, m, v, scale, lr, b1, b2, eps, c1, c2);
    assert.equal(theta, want.theta, 'theta');
    assert.equal(m, want.m, 'm');
    assert.equal(v, want.v, 'v');
    // dense delta: core/fusedNet.ts's loops (act′ ⊙ G, then ∂b row by row), out of place and in place
    for (const relu of [1, 0]) {
      const [rows, cols] = [13, 37];
      const A = rng.fillNormal(new Float32Array(rows * cols));
      const G = rng.fillNormal(new Float32Array(rows * cols));
      const dZ = new Float32Array(rows * cols);
      const db = new Float32Array(cols).fill(5);
      const wantZ = new Float32Array(rows * cols);
      const wantB = new Float32Array(cols);
      for (let k = 0; k < rows * cols; k++) wantZ[k] = relu === 1 ? (A[k]! > 0 ? G[k]! : 0) : G[k]!;
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) wantB[j]! += wantZ[r * cols + j]!;
      native.denseDelta(relu, A, G, dZ, db, rows, cols);
      assert.equal(dZ, wantZ, `dZ (relu ${relu})`);
      assert.equal(db, wantB, `db (relu ${relu})`);
      native.denseDelta(relu, A, G, G, db, rows, cols);
      assert.equal(G, wantZ, `dZ in place (relu ${relu})`);
    }
    assert.throws(() => native.denseDelta(1, new Float32Array(4), new Float32Array(4), new Float32Array(4), new Float32Array(1), 2, 3), /holds 4 floats, needs 6/);
  });

  test('native GEMM matches the JavaScript GEMM: odd sizes, transposes, bias, activations', async () => {
    const { gemm, kind } = await fusedGemm();
    assert.is(kind, 'native');
    const rng = new Rng(21);
    for (const [M, N, K] of [[1, 1, 1], [7, 5, 3], [33, 17, 65], [64, 130, 9]] as const) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const [bias, activation] of [[false, 'linear'], [true, 'relu'], [true, 'tanh'], [false, 'relu']] as [boolean, FusedActivation][]) {
            const a = rng.fillNormal(new Float32Array(M * K));
            const b = rng.fillNormal(new Float32Array(K * N));
            const c = bias ? rng.fillNormal(new Float32Array(N)) : null;
            const want = new Float32Array(M * N);
            const got = new Float32Array(M * N).fill(Number.NaN);
            jsGemm(a, b, want, M, N, K, transA, transB, c, activation);
            gemm(a, b, got, M, N, K, transA, transB, c, activation);
            close(got, want, 1e-5, `${M}x${N}x${K} transA=${transA} transB=${transB} bias=${bias} ${activation}`);
          }
        }
      }
    }
  });
} else {
  test.skip('native GEMM matches the JavaScript GEMM (skipped: NNLAB_NATIVE=off)');
}

const NET_ACTIVATIONS: readonly NetActivation[] = ['relu', 'tanh', 'linear', 'sigmoid', 'leakyRelu', 'elu', 'softplus'];

for (const act of NET_ACTIVATIONS) {
  test(`fused ${act} MLP: outputs and gradients match tfjs autograd (loss = Σ C ⊙ Y), batch 1 and 9`, async () => {
    for (const gemm of [jsGemm, (await fusedGemm()).gemm]) {
      for (const batch of [1, 9]) {
        const model = buildMlp({ name: 'm', inputDim: 5, hidden: [33, 17], outputDim: 3, activation: act, init: 'torchDefault' }, new Rng(1));
        const rng = new Rng(2);
        const x = rng.fillNormal(new Float32Array(batch * 5));
        const c = rng.fillNormal(new Float32Array(batch * 3));
        const fused = new FusedMlp(getParams(model), act, gemm);
        const y = fused.forward(x, batch);
        const expectedY = tf.tidy(() => (model.predict(tf.tensor2d(x, [batch, 5])) as tf.Tensor).dataSync());
        close(y, expectedY, 1e-5, `forward b${batch}`);
        fused.backward(c);
        const { grads } = computeGradients(() => tf.tidy(() => tf.sum(tf.mul(model.apply(tf.tensor2d(x, [batch, 5])) as tf.Tensor, tf.tensor2d(c, [batch, 3]))) as tf.Scalar), namedVariables(model));
        const mine = fused.gradMap();
        for (const k of Object.keys(grads)) close(mine[k]!.data, grads[k]!.data, 1e-4, `∂${k} b${batch}`);
        model.dispose();
      }
    }
  });
}

test('the actors\' forward (4-64-64-2, batch 1 and 64) matches the tfjs model to 1e-6 for each activation', async () => {
  await fusedGemm();
  for (const act of NET_ACTIVATIONS) {
    const model = buildMlp({ name: 'pi', inputDim: 4, hidden: [64, 64], outputDim: 2, activation: act, init: 'torchDefault' }, new Rng(1));
    const fwd = new FusedMlp(getParams(model), act);
    for (const batch of [1, 64]) {
      const x = new Rng(batch).fillNormal(new Float32Array(batch * 4));
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [batch, 4])) as tf.Tensor).dataSync());
      close(fwd.forward(x, batch, false), expected, 1e-6, `${act} b${batch}`);
    }
    model.dispose();
  }
});

test('the forward is one GEMM call per layer (bias and ReLU in its epilogue) at every batch size, 1 included', async () => {
  const { gemm } = await fusedGemm();
  const model = buildMlp({ name: 'q', inputDim: 4, hidden: [64, 64], outputDim: 2, init: 'torchDefault' }, new Rng(4));
  const calls: string[] = [];
  const counting: typeof jsGemm = (a, b, out, M, N, K, transA, transB, bias, activation) => {
    calls.push(`${M}x${N}x${K} ${bias === null ? 'no bias' : 'bias'} ${activation}`);
    gemm(a, b, out, M, N, K, transA, transB, bias, activation);
  };
  const net = new FusedMlp(getParams(model), 'relu', counting);
  for (const rows of [1, 4, 64]) {
    calls.length = 0;
    net.forward(new Rng(rows).fillNormal(new Float32Array(rows * 4)), rows);
    assert.equal(calls, [`${rows}x64x4 bias relu`, `${rows}x64x64 bias relu`, `${rows}x2x64 bias linear`], `GEMM calls at ${rows} rows`);
  }
  model.dispose();
});

test('fused Adam with global-norm clipping matches tfjs Adam through makeOptimizer for three steps', () => {
  const model = buildMlp({ name: 'a', inputDim: 3, hidden: [8], outputDim: 2 }, new Rng(3));
  const x = new Rng(4).fillNormal(new Float32Array(12));
  const fused = new FusedMlp(getParams(model), 'relu');
  const adam = new FusedAdam(fused.params.length, 0.01, 0.9, 0.999, 1e-8, 0.5);
  const opt = makeOptimizer({ name: 'adam', lr: 0.01, clipNorm: 0.5 });
  const c = new Float32Array(8).fill(1);
  for (let step = 0; step < 3; step++) {
    fused.forward(x, 4);
    fused.backward(c);
    adam.step(fused.params, fused.grads);
    tf.dispose(opt.minimize(() => tf.tidy(() => tf.sum(model.apply(tf.tensor2d(x, [4, 3])) as tf.Tensor) as tf.Scalar), trainableVariables(model)));
  }
  const expected = getParams(model);
  const mine = fused.toMap();
  for (const k of Object.keys(expected)) close(mine[k]!.data, expected[k]!.data, 1e-5, k);
  model.dispose();
  opt.dispose();
});

test('DQN: the fused path gives the same TD targets, loss and gradients as the tfjs path', () => {
  const rng = new Rng(5);
  const replay = new ReplayBuffer({ capacity: 32, obsDim: 4 });
  for (let i = 0; i < 32; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), rng.uniform(-1, 1), rng.fillNormal(new Float32Array(4)), rng.random() < 0.2);
  const batch = replay.sample(16, new Rng(6));
  for (const doubleQ of [false, true]) {
    const fused = new DqnLearner(4, 2, { hidden: [32, 32], doubleQ, fused: true }, new Rng(7));
    const plain = new DqnLearner(4, 2, { hidden: [32, 32], doubleQ, fused: false }, new Rng(7));
    // make the target differ from the online net so Double DQN matters
    fused.update(batch);
    plain.update(batch);
    close(fused.tdTargets(batch), plain.tdTargets(batch), 1e-5, 'tdTarget');
    const a = fused.computeGradients(batch);
    const b = plain.computeGradients(batch);
    close([a.metrics['losses/td_loss']!], [b.metrics['losses/td_loss']!], 1e-5, 'loss');
    for (const k of Object.keys(b.grads)) close(a.grads[k]!.data, b.grads[k]!.data, 1e-4, k);
    fused.dispose();
    plain.dispose();
  }
});

test('fused VAE: loss and encoder/decoder gradients match tfjs autograd of Σ BCE + KL', () => {
  const [D, H, L, B] = [12, 8, 3, 5];
  const enc = buildMlp({ name: 'enc', inputDim: D, hidden: [H], outputDim: 2 * L }, new Rng(11));
  const dec = buildMlp({ name: 'dec', inputDim: L, hidden: [H], outputDim: D }, new Rng(12));
  const rng = new Rng(13);
  const x = new Float32Array(B * D).map(() => (rng.random() < 0.3 ? 1 : 0));
  const eps = rng.fillNormal(new Float32Array(B * L));
  const vae = new FusedVae(getParams(enc), getParams(dec), L, VAE_DEFAULTS.learningRate);
  const loss = vae.lossAndGrad(x, eps, B);
  const vars = new Map([...namedVariables(enc), ...namedVariables(dec)]);
  const expected = computeGradients(
    () =>
      tf.tidy(() => {
        const xb = tf.tensor2d(x, [B, D]);
        const h = enc.apply(xb) as tf.Tensor2D;
        const mu = tf.slice(h, [0, 0], [B, L]);
        const logVar = tf.slice(h, [0, L], [B, L]);
        const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), tf.tensor2d(eps, [B, L])));
        const recon = bceWithLogits(dec.apply(z) as tf.Tensor, xb, 'sum');
        const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar))));
        return tf.div(tf.add(recon, kl), B) as tf.Scalar;
      }),
    vars,
  );
  close([loss], [expected.loss], 1e-5, 'loss');
  const mine = { ...vae.encoder.gradMap(), ...vae.decoder.gradMap() };
  for (const k of Object.keys(expected.grads)) close(mine[k]!.data, expected.grads[k]!.data, 1e-4, k);
  enc.dispose();
  dec.dispose();
});

test('a FusedMlp rejects parameter maps that are not dense kernel/bias pairs, naming the layer', () => {
  assert.throws(() => new FusedMlp({ 'c/kernel': { shape: [3, 3, 1, 4], data: new Float32Array(36) } }, 'relu'), /dense kernel\/bias pairs/);
  const bias2 = { 'a/kernel': { shape: [4, 3], data: new Float32Array(12) }, 'a/bias': { shape: [2], data: new Float32Array(2) } };
  assert.throws(() => new FusedMlp(bias2, 'relu'), /'a\/bias' has 2 values, expected 3 \(the units of 'a\/kernel'\)/);
  const chain = {
    'a/kernel': { shape: [4, 3], data: new Float32Array(12) },
    'a/bias': { shape: [3], data: new Float32Array(3) },
    'b/kernel': { shape: [5, 2], data: new Float32Array(10) },
    'b/bias': { shape: [2], data: new Float32Array(2) },
  };
  assert.throws(() => new FusedMlp(chain, 'relu'), /'b\/kernel' takes 5 inputs after a layer of 3/);
  assert.throws(() => new FusedMlp({}, 'relu'), /no dense layers/);
});

test('FusedNet.forward rejects an input shorter than rows × inDim', () => {
  const net = new FusedMlp({ 'a/kernel': { shape: [4, 3], data: new Float32Array(12) }, 'a/bias': { shape: [3], data: new Float32Array(3) } }, 'relu');
  assert.throws(() => net.forward(new Float32Array(7), 2), /FusedNet.forward: 7 inputs for 2 rows of 4/);
});

test.run();
