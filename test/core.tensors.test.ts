import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { averageGradients, computeGradients, decode, encode, getParams, namedVariables, setParams, type TensorMap } from '../core/tensors.js';
import { checkData } from '../core/stateFile.js';
import { tensorMapSchema } from '../base/schemas.js';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { Rng } from '../base/rng.js';
import { mse } from '../core/losses.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

function sameBits(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((x, i) => x === ub[i]);
}

test('msgpack round trip of parameters is bit-exact, NaN, ±Infinity, −0 and subnormals included', () => {
  const special = new Float32Array([Number.NaN, Infinity, -Infinity, -0, 1.4e-45, 3.4028234663852886e38, 0.1]);
  const rng = new Rng(1);
  const params: TensorMap = {
    'q_0_dense/kernel': { shape: [4, 3], data: rng.fillNormal(new Float32Array(12)) },
    'q_0_dense/bias': { shape: [7], data: special },
  };
  const back = checkData(tensorMapSchema, decode(encode(params)), 'the round trip');
  assert.equal(Object.keys(back), Object.keys(params));
  for (const name of Object.keys(params)) {
    assert.instance(back[name]!.data, Float32Array);
    assert.equal(back[name]!.shape, params[name]!.shape);
    assert.ok(sameBits(back[name]!.data, params[name]!.data), `${name} differs`);
  }
});

test('getParams/setParams copy a model exactly and name weights by layer', () => {
  const a = buildMlp({ name: 'pi', inputDim: 3, hidden: [5], outputDim: 2 }, new Rng(1));
  const b = buildMlp({ name: 'pi', inputDim: 3, hidden: [5], outputDim: 2 }, new Rng(2));
  const pa = getParams(a);
  assert.equal(Object.keys(pa), ['pi_0_dense/kernel', 'pi_0_dense/bias', 'pi_1_dense/kernel', 'pi_1_dense/bias']);
  setParams(b, checkData(tensorMapSchema, decode(encode(pa)), 'the round trip'));
  const pb = getParams(b);
  for (const k of Object.keys(pa)) assert.ok(sameBits(pa[k]!.data, pb[k]!.data));
  assert.throws(() => setParams(b, { 'pi_0_dense/kernel': pa['pi_0_dense/kernel']! }), /no value for 'pi_0_dense\/bias'/);
  a.dispose();
  b.dispose();
});

test('the same seed builds the same weights; another seed does not', () => {
  const build = (seed: number) => buildMlp({ name: 'm', inputDim: 4, hidden: [8], outputDim: 2 }, new Rng(seed));
  const [m1, m2, m3] = [build(3), build(3), build(4)];
  const k = 'm_0_dense/kernel';
  assert.ok(sameBits(getParams(m1)[k]!.data, getParams(m2)[k]!.data));
  assert.not.ok(sameBits(getParams(m1)[k]!.data, getParams(m3)[k]!.data));
  // glorotUniform bound for 4→8 is √(6/12) ≈ 0.707
  assert.ok(getParams(m1)[k]!.data.every((w) => Math.abs(w) <= Math.sqrt(0.5)));
  [m1, m2, m3].forEach((m) => m.dispose());
});

test('averaging two half-batch gradients equals the full-batch gradient, and applying it matches a direct step', () => {
  const model = buildMlp({ name: 'g', inputDim: 2, hidden: [4], outputDim: 1 }, new Rng(5));
  const vars = namedVariables(model);
  const rng = new Rng(6);
  const x = rng.fillNormal(new Float32Array(16));
  const y = rng.fillNormal(new Float32Array(8));
  const loss = (from: number, to: number) => () =>
    tf.tidy(() => mse(model.apply(tf.tensor2d(x.slice(from * 2, to * 2), [to - from, 2])) as tf.Tensor, tf.tensor2d(y.slice(from, to), [to - from, 1])) as tf.Scalar);
  const full = computeGradients(loss(0, 8), vars);
  const halves = [computeGradients(loss(0, 4), vars).grads, computeGradients(loss(4, 8), vars).grads];
  const avg = averageGradients(halves);
  for (const k of Object.keys(full.grads)) close(avg[k]!.data, full.grads[k]!.data, 1e-5, k);
  // weighted: shards of sizes 3 and 5
  const weighted = averageGradients([computeGradients(loss(0, 3), vars).grads, computeGradients(loss(3, 8), vars).grads], [3, 5]);
  for (const k of Object.keys(full.grads)) close(weighted[k]!.data, full.grads[k]!.data, 1e-5, k);

  const opt = makeOptimizer({ name: 'adam', lr: 0.01 });
  const before = getParams(model);
  opt.applyGradientMap(vars, avg);
  const viaData = getParams(model);
  setParams(model, before);
  const opt2 = makeOptimizer({ name: 'adam', lr: 0.01 });
  tf.dispose(opt2.minimize(loss(0, 8), [...vars.values()]));
  const direct = getParams(model);
  for (const k of Object.keys(direct)) close(viaData[k]!.data, direct[k]!.data, 1e-6, k);
  opt.dispose();
  opt2.dispose();
  model.dispose();
});

test('averageGradients rejects mismatched sets by name', () => {
  const a: TensorMap = { w: { shape: [2], data: new Float32Array([1, 2]) } };
  const b: TensorMap = { v: { shape: [2], data: new Float32Array([1, 2]) } };
  assert.throws(() => averageGradients([a, b]), /set 1 lacks 'w'/);
  assert.throws(() => averageGradients([]), /no gradient sets/);
});

test.run();
