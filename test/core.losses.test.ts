import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { bce, bceWithLogits, huber, mse, softmaxCrossEntropy } from '../core/losses.js';
import { Rng } from '../base/rng.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

/** Value and gradient of f at x (x a flat array reshaped to `shape`). */
function valueAndGrad(f: (x: tf.Tensor) => tf.Tensor, x: number[], shape: number[]): { value: number; grad: Float32Array } {
  return tf.tidy(() => {
    const { value, grad } = tf.valueAndGrad(f as (x: tf.Tensor) => tf.Scalar)(tf.tensor(x, shape));
    return { value: value.dataSync()[0]!, grad: grad.dataSync() as Float32Array };
  });
}

/** Central finite differences in float64 arithmetic through float32 tensors (h large enough). */
function finiteDiff(f: (x: tf.Tensor) => tf.Tensor, x: number[], shape: number[], h = 1e-2): number[] {
  return x.map((_, i) => {
    const plus = x.slice();
    const minus = x.slice();
    plus[i]! += h;
    minus[i]! -= h;
    const fp = tf.tidy(() => f(tf.tensor(plus, shape)).dataSync()[0]!);
    const fm = tf.tidy(() => f(tf.tensor(minus, shape)).dataSync()[0]!);
    return (fp - fm) / (2 * h);
  });
}

test('mse: value and gradient worked by hand', () => {
  // x = ŷ − y = [−0.5, −3]: mean(0.25, 9) = 4.625; d/dŷ = 2x/N = [−0.5, −3]
  const y = tf.tensor([0.5, 3]);
  const r = valueAndGrad((p) => mse(p, y), [0, 0], [2]);
  close([r.value], [4.625]);
  close(r.grad, [-0.5, -3]);
  y.dispose();
});

test('huber: quadratic inside δ, linear outside, gradient clipped to ±δ', () => {
  // x = [−0.5, −3], δ = 1: [½·0.25, 1·(3 − ½)] = [0.125, 2.5], mean 1.3125; grad = clip(x, ±1)/N = [−0.25, −0.5]
  const y = tf.tensor([0.5, 3]);
  const r = valueAndGrad((p) => huber(p, y), [0, 0], [2]);
  close([r.value], [1.3125]);
  close(r.grad, [-0.25, -0.5]);
  // δ = 2: x = −3 → 2·(3 − 1) = 4; x = −0.5 → 0.125; mean 2.0625
  const r2 = valueAndGrad((p) => huber(p, y, 2), [0, 0], [2]);
  close([r2.value], [2.0625]);
  y.dispose();
});

test('softmax cross-entropy: log 2 at equal logits, gradient softmax − onehot', () => {
  const labels = tf.tensor1d([0], 'int32');
  const r = valueAndGrad((z) => softmaxCrossEntropy(z as tf.Tensor2D, labels), [0, 0], [1, 2]);
  close([r.value], [Math.LN2]);
  close(r.grad, [-0.5, 0.5]);
  // one-hot labels give the same
  const oneHot = tf.tensor2d([[1, 0]]);
  close([valueAndGrad((z) => softmaxCrossEntropy(z as tf.Tensor2D, oneHot), [0, 0], [1, 2]).value], [Math.LN2]);
  tf.dispose([labels, oneHot]);
});

test('bce with logits equals bce on sigmoid probabilities, gradient σ(z) − y', () => {
  const y = tf.tensor([1, 0, 1]);
  const z = [0, 2, -3];
  const r = valueAndGrad((x) => bceWithLogits(x, y), z, [3]);
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const expected = -(Math.log(sig(0)) + Math.log(1 - sig(2)) + Math.log(sig(-3))) / 3;
  close([r.value], [expected], 1e-6);
  close(r.grad, [(sig(0) - 1) / 3, sig(2) / 3, (sig(-3) - 1) / 3], 1e-6);
  const p = tf.tidy(() => bce(tf.sigmoid(tf.tensor(z)), y).dataSync()[0]!);
  close([p], [expected], 1e-5);
  y.dispose();
});

test('every loss gradient matches central finite differences on random inputs', () => {
  const rng = new Rng(11);
  const x = Array.from({ length: 6 }, () => rng.uniform(-2, 2));
  const targetVals = Array.from({ length: 6 }, () => rng.uniform(-2, 2));
  const probs = Array.from({ length: 6 }, () => rng.uniform(0.2, 0.8));
  const target = tf.tensor(targetVals, [2, 3]);
  const binary = tf.tensor([1, 0, 1, 1, 0, 0], [2, 3]);
  const labels = tf.tensor1d([2, 0], 'int32');
  const cases: [string, (t: tf.Tensor) => tf.Tensor, number[]][] = [
    ['mse', (t) => mse(t, target), x],
    ['huber', (t) => huber(t, target, 0.7), x],
    ['softmaxCrossEntropy', (t) => softmaxCrossEntropy(t as tf.Tensor2D, labels), x],
    ['bceWithLogits', (t) => bceWithLogits(t, binary), x],
    ['bce', (t) => bce(t, binary, 'sum'), probs],
  ];
  for (const [name, f, at] of cases) {
    const { grad } = valueAndGrad(f, at, [2, 3]);
    close(grad, finiteDiff(f, at, [2, 3], 1e-2), 5e-3, `${name} gradient`);
  }
  tf.dispose([target, binary, labels]);
});

test('huber and bceWithLogits carry closed-form gradients: the same values and ∂/∂prediction, ∂/∂target as autograd through their formulas, every reduction', () => {
  const rng = new Rng(12);
  const n = 12;
  const pVals = Array.from({ length: n }, () => rng.uniform(-3, 3));
  const tVals = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? rng.uniform(-3, 3) : Math.round(rng.random())));
  const weights = tf.tensor(Array.from({ length: n }, () => rng.uniform(-1, 2)), [3, 4]);
  // the formulas as plain ops, differentiated by tfjs
  const plainHuber = (p: tf.Tensor, t: tf.Tensor, delta: number) => {
    const a = tf.abs(tf.sub(p, t));
    const q = tf.minimum(a, delta);
    return tf.add(tf.mul(0.5, tf.square(q)), tf.mul(delta, tf.sub(a, q)));
  };
  const plainBce = (z: tf.Tensor, y: tf.Tensor) => tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  const plainReduce = (x: tf.Tensor, r: 'mean' | 'sum' | 'none') => (r === 'mean' ? tf.mean(x) : r === 'sum' ? tf.sum(x) : x);
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    // 'none': a weighted sum, so each element's upstream gradient differs
    const scalar = (l: tf.Tensor) => (reduction === 'none' ? tf.sum(tf.mul(l, weights)) : l) as tf.Scalar;
    const pairs: [string, (p: tf.Tensor, t: tf.Tensor) => tf.Tensor, (p: tf.Tensor, t: tf.Tensor) => tf.Tensor][] = [
      ['huber δ 0.7', (p, t) => huber(p, t, 0.7, reduction), (p, t) => plainReduce(plainHuber(p, t, 0.7), reduction)],
      ['bceWithLogits', (p, t) => bceWithLogits(p, t, reduction), (p, t) => plainReduce(plainBce(p, t), reduction)],
    ];
    for (const [name, closed, plain] of pairs) {
      tf.tidy(() => {
        const p = tf.tensor(pVals, [3, 4]);
        const t = tf.tensor(tVals, [3, 4]);
        const a = tf.valueAndGrads((pp: tf.Tensor, tt: tf.Tensor) => scalar(closed(pp, tt)))([p, t]);
        const b = tf.valueAndGrads((pp: tf.Tensor, tt: tf.Tensor) => scalar(plain(pp, tt)))([p, t]);
        close(a.value.dataSync(), b.value.dataSync(), 1e-6, `${name} ${reduction}: value`);
        assert.equal(closed(p, t).shape, plain(p, t).shape, `${name} ${reduction}: shape`);
        close(a.grads[0]!.dataSync(), b.grads[0]!.dataSync(), 1e-6, `${name} ${reduction}: ∂/∂prediction`);
        close(a.grads[1]!.dataSync(), b.grads[1]!.dataSync(), 1e-6, `${name} ${reduction}: ∂/∂target`);
      });
    }
  }
  // broadcast shapes take the formula itself (autograd reduces the broadcast gradient)
  tf.tidy(() => {
    const p = tf.tensor(pVals, [3, 4]);
    const t = tf.scalar(0.5);
    const g = tf.grads((pp: tf.Tensor, tt: tf.Tensor) => huber(pp, tt) as tf.Scalar)([p, t]);
    assert.equal(g[1]!.shape, []);
    close(g[1]!.dataSync(), [-g[0]!.sum().dataSync()[0]!], 1e-6, 'broadcast target');
  });
  weights.dispose();
});

test('reductions: sum is N × mean and none keeps the shape', () => {
  tf.tidy(() => {
    const p = tf.tensor([1, 2, 3, 4]);
    const t = tf.zeros([4]);
    close(mse(p, t, 'sum').dataSync(), [30]);
    assert.equal(mse(p, t, 'none').shape, [4]);
  });
});

test.run();
