import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { buildMlp, type Activation } from '../core/nn.js';
import { MlpForward, type ForwardActivation } from '../core/mlpForward.js';
import { Rng } from '../base/rng.js';
import { getParams } from '../core/tensors.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

test('the typed-array forward matches the tfjs model to 1e-6 for each activation, batch 1 and 64', () => {
  for (const act of ['relu', 'tanh', 'sigmoid', 'elu', 'softplus'] as const) {
    const model = buildMlp({ name: 'pi', inputDim: 4, hidden: [64, 64], outputDim: 2, activation: act as Activation, init: 'torchDefault' }, new Rng(1));
    const fwd = new MlpForward(getParams(model), act as ForwardActivation);
    for (const batch of [1, 64]) {
      const x = new Rng(batch).fillNormal(new Float32Array(batch * 4));
      const expected = tf.tidy(() => (model.predict(tf.tensor2d(x, [batch, 4])) as tf.Tensor).dataSync());
      close(fwd.forward(x, batch), expected, 1e-6, `${act} b${batch}`);
    }
    model.dispose();
  }
});

test('malformed parameter maps are rejected with the layer named', () => {
  const bad = { 'a/kernel': { shape: [4, 3], data: new Float32Array(12) }, 'a/bias': { shape: [2], data: new Float32Array(2) } };
  assert.throws(() => new MlpForward(bad), /bias of 'a\/kernel' has 2 values, expected 3/);
  assert.throws(() => new MlpForward({}).forward(new Float32Array(1), 1), /no layers/);
});

test.run();
