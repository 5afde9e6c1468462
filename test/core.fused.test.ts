import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { FusedAdam, FusedMlp, fusedGemm, jsGemm } from '../core/fused.js';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { Rng } from '../core/rng.js';
import { computeGradients, getParams, namedVariables, trainableVariables } from '../core/tensors.js';
import { DqnLearner } from '../agents/dqn.js';
import { ReplayBuffer } from '../core/replay.js';
import { close, useCpu } from './helpers.js';

test.before(useCpu);

for (const act of ['relu', 'tanh'] as const) {
  test(`fused ${act} MLP: outputs and gradients match tfjs autograd (loss = Σ C ⊙ Y)`, async () => {
    for (const gemm of [jsGemm, (await fusedGemm()).gemm]) {
      const model = buildMlp({ name: 'm', inputDim: 5, hidden: [33, 17], outputDim: 3, activation: act, init: 'torchDefault' }, new Rng(1));
      const rng = new Rng(2);
      const batch = 9;
      const x = rng.fillNormal(new Float32Array(batch * 5));
      const c = rng.fillNormal(new Float32Array(batch * 3));
      const fused = new FusedMlp(getParams(model), act, gemm);
      const y = fused.forward(x, batch);
      const expectedY = tf.tidy(() => (model.predict(tf.tensor2d(x, [batch, 5])) as tf.Tensor).dataSync());
      close(y, expectedY, 1e-5, 'forward');
      fused.backward(c);
      const { grads } = computeGradients(() => tf.tidy(() => tf.sum(tf.mul(model.apply(tf.tensor2d(x, [batch, 5])) as tf.Tensor, tf.tensor2d(c, [batch, 3]))) as tf.Scalar), namedVariables(model));
      const mine = fused.gradMap();
      for (const k of Object.keys(grads)) close(mine[k]!.data, grads[k]!.data, 1e-4, `∂${k}`);
      model.dispose();
    }
  });
}

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

test('a FusedMlp rejects parameter maps that are not dense kernel/bias pairs', () => {
  assert.throws(() => new FusedMlp({ 'c/kernel': { shape: [3, 3, 1, 4], data: new Float32Array(36) } }, 'relu'), /dense kernel\/bias pairs/);
});

test.run();
