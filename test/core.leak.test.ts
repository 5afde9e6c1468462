import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { huber } from '../core/losses.js';
import { Rng } from '../base/rng.js';
import { computeGradients, namedVariables, trainableVariables } from '../core/tensors.js';
import { useCpu, test } from './helpers.js';

test.before(useCpu);

test('a DQN-style training step (Huber, Adam, global-norm clipping) leaks no tensors', () => {
  const q = buildMlp({ name: 'q', inputDim: 4, hidden: [32, 32], outputDim: 2 }, new Rng(1));
  const opt = makeOptimizer({ name: 'adam', lr: 1e-3, clipNorm: 10 });
  const rng = new Rng(2);
  const obs = rng.fillNormal(new Float32Array(32 * 4));
  const target = rng.fillNormal(new Float32Array(32));
  const actions = new Int32Array(32).map(() => rng.int(2));
  const trainStep = () => {
    const loss = opt.minimize(
      () =>
        tf.tidy(() => {
          const qAll = q.apply(tf.tensor2d(obs, [32, 4])) as tf.Tensor2D;
          const qTaken = tf.sum(tf.mul(qAll, tf.oneHot(tf.tensor1d(actions, 'int32'), 2)), 1);
          return huber(qTaken, tf.tensor1d(target)) as tf.Scalar;
        }),
      trainableVariables(q),
    );
    loss.dispose();
  };
  trainStep(); // burn-in: the optimiser creates its slot variables on the first step
  const before = tf.memory().numTensors;
  trainStep();
  trainStep();
  assert.is(tf.memory().numTensors, before);
  // gradients as data leave nothing behind either
  computeGradients(() => tf.tidy(() => tf.mean(q.apply(tf.tensor2d(obs, [32, 4])) as tf.Tensor) as tf.Scalar), namedVariables(q));
  assert.is(tf.memory().numTensors, before);
  q.dispose();
  opt.dispose();
});

test.run();
