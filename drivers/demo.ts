/**
 * `nnlab demo`, a smoke test of the core: train a small MLP classifier on the two-spirals problem with
 * the shared core (seeded data and weights, Adam, softmax cross-entropy, a checkpoint at the end)
 * and print the learning curve and the final accuracy.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { RUNS_DIR } from '../protocol/runFiles.js';
import { Rng } from '../base/rng.js';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { softmaxCrossEntropy } from '../core/losses.js';
import { trainableVariables } from '../core/tensors.js';
import { saveCheckpoint } from '../core/checkpoint.js';

export interface DemoOptions {
  seed: number;
  epochs: number;
  backend: string;
  /** Where the final checkpoint goes (default runs/demo-<seed>). */
  outDir?: string;
  log?: (line: string) => void;
}

/** Two interleaved spirals, n points per class, with Gaussian noise. */
export function twoSpirals(n: number, rng: Rng, noise = 0.05): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(2 * n * 2);
  const y = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const r = (i / n) * 1.0 + 0.05;
    const angle = (i / n) * 2 * Math.PI;
    for (let c = 0; c < 2; c++) {
      const k = c * n + i;
      const sign = c === 0 ? 1 : -1;
      x[2 * k] = sign * r * Math.cos(angle) + rng.normal(0, noise);
      x[2 * k + 1] = sign * r * Math.sin(angle) + rng.normal(0, noise);
      y[k] = c;
    }
  }
  return { x, y };
}

export async function runDemo(opts: DemoOptions): Promise<{ accuracy: number; loss: number }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const rng = new Rng(opts.seed);
  const data = twoSpirals(500, rng.split());
  const n = data.y.length;
  const model = buildMlp({ name: 'spiral', inputDim: 2, hidden: [64, 64], outputDim: 2, activation: 'tanh' }, rng.split());
  const opt = makeOptimizer({ name: 'adam', lr: 0.01 });
  const vars = trainableVariables(model);
  const batchSize = 100;
  const shuffleRng = rng.split();
  log(`nnlab demo: two-spirals classifier, MLP 2-64-64-2 (tanh), Adam 1e-2, ${n} points, backend ${opts.backend}, seed ${opts.seed}`);
  const t0 = performance.now();
  let lastLoss = Number.NaN;
  const accuracy = () =>
    tf.tidy(() => {
      const pred = tf.argMax(model.predict(tf.tensor2d(data.x, [n, 2])) as tf.Tensor, 1);
      return tf.mean(tf.cast(tf.equal(pred, tf.tensor1d(data.y, 'int32')), 'float32')).dataSync()[0]!;
    });
  for (let epoch = 1; epoch <= opts.epochs; epoch++) {
    const order = shuffleRng.permutation(n);
    let sum = 0;
    for (let b = 0; b < n; b += batchSize) {
      const idx = order.subarray(b, b + batchSize);
      const xb = new Float32Array(idx.length * 2);
      const yb = new Int32Array(idx.length);
      idx.forEach((j, k) => {
        xb[2 * k] = data.x[2 * j]!;
        xb[2 * k + 1] = data.x[2 * j + 1]!;
        yb[k] = data.y[j]!;
      });
      const loss = opt.minimize(
        () => tf.tidy(() => softmaxCrossEntropy(model.apply(tf.tensor2d(xb, [idx.length, 2])) as tf.Tensor2D, tf.tensor1d(yb, 'int32')) as tf.Scalar),
        vars,
      );
      sum += loss.dataSync()[0]! * idx.length;
      loss.dispose();
    }
    lastLoss = sum / n;
    if (epoch === 1 || epoch % 5 === 0 || epoch === opts.epochs) {
      log(`epoch ${String(epoch).padStart(3)}  loss ${lastLoss.toFixed(4)}  accuracy ${(accuracy() * 100).toFixed(1)}%`);
    }
  }
  const acc = accuracy();
  const seconds = (performance.now() - t0) / 1000;
  const dir = await saveCheckpoint(opts.outDir ?? path.join(RUNS_DIR, `demo-${opts.seed}`), { models: { classifier: model }, optimizers: { adam: opt }, meta: { accuracy: acc, epochs: opts.epochs, backend: opts.backend } });
  log(`done in ${seconds.toFixed(1)} s: training accuracy ${(acc * 100).toFixed(1)}% (chance 50%); checkpoint ${dir}`);
  model.dispose();
  opt.dispose();
  return { accuracy: acc, loss: lastLoss };
}
