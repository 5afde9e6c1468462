/**
 * The webgpu backend against the cpu backend: the same inputs through the ops the core and the
 * agents use (matmul, a dense layer with its gradients, conv2d and its gradients, softmax,
 * reductions), outputs equal within float32 tolerance. `npm run test:webgpu` runs it with the
 * other core suites; where no webgpu adapter can be had (no `webgpu` package, no driver Dawn
 * accepts) it is recorded as skipped, with the reason.
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/backend.js';
import { Rng } from '../base/rng.js';
import { close, test } from './helpers.js';
import { errorMessage } from '../base/plainData.js';

/** Relative tolerance, scaled by the largest |cpu value| of each output: float32 sums in another order. */
const TOL = 1e-4;

let unavailable: string | undefined;
try {
  await initBackend({ backend: 'webgpu' });
} catch (e) {
  unavailable = errorMessage(e).split('\n')[0];
}

type Inputs = { shape: number[]; values: Float32Array }[];

/** fn's outputs on one backend, from fresh tensors holding `inputs`. */
async function on(backend: string, inputs: Inputs, fn: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => fn(...inputs.map((i) => tf.tensor(i.values, i.shape))));
  const values = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(outs);
  return values;
}

async function same(what: string, shapes: number[][], fn: (...xs: tf.Tensor[]) => tf.Tensor[], seed: number): Promise<void> {
  const rng = new Rng(seed);
  const inputs = shapes.map((shape) => ({ shape, values: rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))) }));
  const want = await on('cpu', inputs, fn);
  const got = await on('webgpu', inputs, fn);
  want.forEach((w, o) => {
    const scale = w.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    const scaled = (a: Float32Array) => a.map((v) => v / scale);
    close(scaled(got[o]!), scaled(w), TOL, `${what} output ${o}`);
  });
}

if (unavailable !== undefined) {
  console.log(`core.webgpu: SKIPPED — no webgpu adapter: ${unavailable}`);
  test.skip('webgpu matches cpu (skipped: no webgpu adapter)');
} else {
  test('matmul with odd sizes and transposes matches cpu', async () => {
    await same('matmul', [[37, 53], [29, 53]], (a, b) => [tf.matMul(a!, b!, false, true), tf.matMul(b!, a!, false, true)], 1);
  });

  test('a relu dense layer, its loss and gradients match cpu', async () => {
    const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.add(tf.matMul(x, w), b))));
    await same('dense', [[16, 9], [9, 24], [24]], (x, w, b) => {
      const grads = tf.grads(f)([x!, w!, b!]);
      return [f(x!, w!, b!), ...grads];
    }, 2);
  });

  test('conv2d (stride 2, same padding), its gradients, and conv2dTranspose match cpu', async () => {
    const f = (x: tf.Tensor, k: tf.Tensor) => tf.sum(tf.tanh(tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same')));
    await same('conv2d', [[2, 9, 9, 3], [3, 3, 3, 5], [2, 5, 5, 4]], (x, k, y) => [
      tf.conv2d(x as tf.Tensor4D, k as tf.Tensor4D, 2, 'same'),
      ...tf.grads(f)([x!, k!]),
      tf.conv2dTranspose(y as tf.Tensor4D, tf.slice(k!, [0, 0, 0, 0], [3, 3, 3, 4]) as tf.Tensor4D, [2, 9, 9, 3], 2, 'same'),
    ], 3);
  });

  test('softmax, logSoftmax, sums and means over axes match cpu', async () => {
    await same('reductions', [[12, 33]], (x) => [tf.softmax(x!), tf.logSoftmax(x!), tf.sum(x!, 0), tf.mean(x!, 1), tf.max(x!, 1)], 4);
  });
}

test.run();
