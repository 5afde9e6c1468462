/**
 * The project's MNIST classifier for evaluating generators: a LeNet-style CNN (LeCun et al. 1998;
 * the seeds' CNN digit recogniser) with strided convolutions instead of pooling:
 *   Conv(32, 5×5, stride 2, ReLU) → Conv(64, 5×5, stride 2, ReLU) → Dense(128, ReLU) = features
 *   → Dropout(0.3) → Dense(10) logits,   softmax cross-entropy, Adam 1e-3 (1e-4 in the last epoch),
 *   batch 64, 4 epochs.
 * The evaluation network is fixed, as FID's Inception weights are: the one the committed results
 * were scored with is in the repository, models/lenet-mnist/ (model.json, weights.bin, meta.json
 * with its test accuracy and the SHA-256 of its weights, checked at every load). Where it is
 * missing ($NNLAB_MODELS_DIR elsewhere) it is trained once (seeded) on the 60k training images and
 * cached there; a retrained one scores samples about 0.1 apart from the committed one.
 * The 128 penultimate features feed the Fréchet distance (eval.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { buildSequential } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { softmaxCrossEntropy } from '../core/losses.js';
import { trainableVariables } from '../core/tensors.js';
import { loadModelFiles, saveModelFiles } from '../core/checkpoint.js';
import { writeFolderAtomic } from '../core/atomicWrite.js';
import { sha256Hex } from '../core/sha256.js';
import { checkData, readJsonFile } from '../core/stateFile.js';
import { backendInfo } from '../core/backend.js';
import { Rng } from '../base/rng.js';
import { argmax } from '../base/stats.js';
import { describeValue } from '../base/plainData.js';
import { epochBatches, loadMnist, scalePixels, type Mnist } from './mnist.js';
import { MNIST_CLASSES, MNIST_PIXELS, MNIST_SIDE } from './kinds.js';

export interface LenetConfig {
  /** Passes over the 60k training images. */
  epochs: number;
  /** Minibatch size. */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** The learning rate of the last epoch (a one-step decay). */
  finalLearningRate: number;
  /** Seed of the weights and the batch order. */
  seed: number;
}

export const LENET_DEFAULTS: Readonly<LenetConfig> = Object.freeze({ epochs: 4, batchSize: 64, learningRate: 1e-3, finalLearningRate: 1e-4, seed: 0 });

/** The classifier network (pure builder). */
export function buildLenet(rng: Rng): tf.Sequential {
  return buildSequential(
    {
      name: 'lenet',
      inputShape: [MNIST_SIDE, MNIST_SIDE, 1],
      init: 'heUniform',
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 5, strides: 2, activation: 'relu' },
        { type: 'conv2d', filters: 64, kernelSize: 5, strides: 2, activation: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 128, activation: 'relu' },
        { type: 'dropout', rate: 0.3 },
        { type: 'dense', units: MNIST_CLASSES, init: 'glorotUniform' },
      ],
    },
    rng,
  );
}

/** A loaded classifier: class probabilities and penultimate features of images in [0, 1]. */
export class Classifier {
  readonly featureDim: number;

  /** `source` names where the model came from (its model.json) in the error when it is not a LeNet. */
  constructor(
    readonly model: tf.LayersModel,
    readonly testAccuracy: number,
    source = `model ${model.name}`,
  ) {
    // the features are the penultimate Dense's outputs (module doc); a loaded model is checked, not trusted
    const dense = model.layers.filter((l) => l.getClassName() === 'Dense');
    const features = dense[dense.length - 2];
    if (features === undefined) throw new Error(`${source}: not the LeNet classifier: it has ${dense.length} Dense layer(s), expected the features' and the logits'`);
    const units = configNumber(features, 'units', source);
    if (!Number.isInteger(units) || units < 1) throw new Error(`${source}: layer '${features.name}' (Dense) has units ${units}, not a positive integer`);
    this.featureDim = units;
  }

  /** probs (n × 10) and features (n × featureDim) of n images (row-major n × 784, values in [0, 1]). */
  predict(images: Float32Array, n: number): { probs: Float32Array; features: Float32Array } {
    if (images.length !== n * MNIST_PIXELS) throw new Error(`Classifier.predict: ${n} images need ${n * MNIST_PIXELS} values, got ${images.length}`);
    const probs = new Float32Array(n * MNIST_CLASSES);
    const features = new Float32Array(n * this.featureDim);
    const chunk = 500;
    const layers = this.model.layers;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const [p, f] = tf.tidy(() => {
        let h = tf.tensor4d(images.subarray(s * MNIST_PIXELS, (s + m) * MNIST_PIXELS), [m, MNIST_SIDE, MNIST_SIDE, 1]) as tf.Tensor;
        // every layer but the last (dropout is the identity at inference) gives the features
        for (const layer of layers.slice(0, -1)) h = layer.apply(h) as tf.Tensor;
        const logits = layers[layers.length - 1]!.apply(h) as tf.Tensor;
        return [tf.softmax(logits), h];
      });
      probs.set(p!.dataSync() as Float32Array, s * MNIST_CLASSES);
      features.set(f!.dataSync() as Float32Array, s * this.featureDim);
      tf.dispose([p!, f!]);
    }
    return { probs, features };
  }

  /** Accuracy on labelled images. */
  accuracy(images: Float32Array, labels: Uint8Array): number {
    const { probs } = this.predict(images, labels.length);
    let correct = 0;
    for (let i = 0; i < labels.length; i++) if (argmax(probs, i * MNIST_CLASSES, MNIST_CLASSES) === labels[i]) correct++;
    return correct / labels.length;
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** A layer's number-valued config field (a Dense's `units`, a Dropout's `rate`), checked: the model may come from a file. */
function configNumber(layer: tf.layers.Layer, field: string, source: string): number {
  const value = layer.getConfig()[field];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${source}: layer '${layer.name}' (${layer.getClassName()}) has ${field} ${describeValue(value)}, not a finite number`);
  return value;
}

/**
 * The training forward pass: the layers in order, with dropout's mask drawn from `rng`. (tfjs's
 * Dropout draws from an unseeded generator, or with its `seed` the same mask at every step, so
 * two trainings from the same seed gave two classifiers.)
 */
function trainingLogits(model: tf.Sequential, images: tf.Tensor, rng: Rng): tf.Tensor2D {
  let h = images;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Dropout') {
      h = layer.apply(h) as tf.Tensor;
      continue;
    }
    const keep = 1 - configNumber(layer, 'rate', `model ${model.name}`);
    const mask = new Float32Array(h.size);
    for (let i = 0; i < mask.length; i++) mask[i] = rng.uniform() < keep ? 1 / keep : 0;
    h = tf.mul(h, tf.tensor(mask, h.shape));
  }
  return h as tf.Tensor2D;
}

/** Trains the classifier from scratch (bit for bit the same from the same seed, data and machine); returns it with its test accuracy. */
export async function trainLenet(mnist: Mnist, config: Partial<LenetConfig> = {}, log: (line: string) => void = () => {}): Promise<Classifier> {
  const c = { ...LENET_DEFAULTS, ...config };
  const rng = new Rng(c.seed);
  const model = buildLenet(rng.split());
  let optimizer = makeOptimizer({ name: 'adam', lr: c.learningRate });
  const vars = trainableVariables(model);
  const batchRng = rng.split();
  const dropoutRng = rng.split();
  const t0 = performance.now();
  for (let epoch = 1; epoch <= c.epochs; epoch++) {
    if (epoch === c.epochs && c.epochs > 1) {
      optimizer.dispose();
      optimizer = makeOptimizer({ name: 'adam', lr: c.finalLearningRate });
    }
    let step = 0;
    for (const batch of epochBatches(mnist.train, c.batchSize, batchRng, 'unit')) {
      const loss = optimizer.minimize(
        () =>
          tf.tidy(() => {
            const logits = trainingLogits(model, tf.tensor4d(batch.images, [batch.n, MNIST_SIDE, MNIST_SIDE, 1]), dropoutRng);
            return softmaxCrossEntropy(logits, tf.tensor1d(batch.labels, 'int32')) as tf.Scalar;
          }),
        vars,
      );
      if (++step % 200 === 0) log(`lenet epoch ${epoch} step ${step} loss ${loss.dataSync()[0]!.toFixed(4)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
      loss.dispose();
      await Promise.resolve();
    }
  }
  optimizer.dispose();
  const probe = new Classifier(model, Number.NaN);
  const acc = probe.accuracy(scalePixels(mnist.test.images, 'unit'), mnist.test.labels);
  log(`lenet test accuracy ${(100 * acc).toFixed(2)}% after ${c.epochs} epochs (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return new Classifier(model, acc);
}

/** Package root (this file runs as dist/generative/lenet.js). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the cached classifier lives: $NNLAB_MODELS_DIR/lenet-mnist or <package>/models/lenet-mnist. */
export function defaultClassifierDir(): string {
  return path.join(process.env.NNLAB_MODELS_DIR ?? path.join(ROOT, 'models'), 'lenet-mnist');
}

/** What loadOrTrainClassifier reads of a saved classifier's meta.json (checked). */
const classifierMeta = z.object({ testAccuracy: z.number().min(0).max(1), weightsSha256: z.string().optional() });

/** SHA-256 (hex) of a saved classifier's weights.bin. */
export async function weightsSha256(dir: string): Promise<string> {
  return sha256Hex(await readFile(path.join(dir, 'weights.bin')));
}

/**
 * The classifier in `dir` (default: the committed one), its weights checked against the hash in its
 * meta.json; where there is none, one trained (and saved, atomically), with a warning when its test
 * accuracy is below `minAccuracy`.
 */
export async function loadOrTrainClassifier(opts: { dir?: string; log?: (line: string) => void; minAccuracy?: number } = {}): Promise<Classifier> {
  const dir = opts.dir ?? defaultClassifierDir();
  const log = opts.log ?? (() => {});
  if (existsSync(path.join(dir, 'model.json')) && existsSync(path.join(dir, 'meta.json'))) {
    const metaFile = path.join(dir, 'meta.json');
    const meta = checkData(classifierMeta, readJsonFile(metaFile), metaFile);
    if (meta.weightsSha256 !== undefined) {
      const sha = await weightsSha256(dir);
      if (sha !== meta.weightsSha256) throw new Error(`${path.join(dir, 'weights.bin')}: SHA-256 ${sha} is not the ${meta.weightsSha256} of its meta.json: the evaluation network was changed; restore it (git checkout ${dir}) or delete the folder to train a new one`);
    }
    return new Classifier(await loadModelFiles(dir), meta.testAccuracy, path.join(dir, 'model.json'));
  }
  log(`training the MNIST classifier once (cached in ${dir})`);
  const classifier = await trainLenet(await loadMnist(), {}, log);
  if (classifier.testAccuracy < (opts.minAccuracy ?? 0.99)) {
    log(`warning: classifier test accuracy ${(100 * classifier.testAccuracy).toFixed(2)}% is below ${(100 * (opts.minAccuracy ?? 0.99)).toFixed(0)}%`);
  }
  await writeFolderAtomic(dir, async (tmp) => {
    await mkdir(tmp);
    await saveModelFiles(classifier.model, tmp);
    const meta = { testAccuracy: classifier.testAccuracy, config: LENET_DEFAULTS, backend: backendInfo()?.name, trainedAt: new Date().toISOString(), weightsSha256: await weightsSha256(tmp) };
    await writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
  });
  return classifier;
}
