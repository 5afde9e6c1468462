/**
 * Network builders: pure functions from a spec and an Rng to a tfjs-layers model.
 *
 * Models are tfjs-layers `Sequential`s so that `checkpoint.ts` can save them in the tfjs format a
 * browser loads with `tf.loadLayersModel`. Weights are drawn from nnlab's own Rng (not tfjs's
 * seedrandom), so a model is reproducible from its seed on every backend.
 *
 * Activations are those of the course seeds: sigmoid, tanh, ReLU, LeakyReLU, ELU, softplus (plus
 * linear and softmax for output heads).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../base/rng.js';
import { sizeOf } from '../base/shape.js';

import { ACTIVATIONS, LEAKY_RELU_ALPHA, type Activation } from './activation.js';
import { BN_EPSILON, BN_MOMENTUM } from './batchNorm.js';

export { ACTIVATIONS, type Activation };

/**
 * Weight initialisers (fans as in Keras / PyTorch: fanIn = inputs × receptive field).
 * - glorotUniform: U(±sqrt(6 / (fanIn + fanOut)))          (Glorot & Bengio 2010)
 * - glorotNormal: N(0, 2 / (fanIn + fanOut)), truncated at 2σ
 * - heUniform: U(±sqrt(6 / fanIn)); heNormal: N(0, 2 / fanIn), truncated at 2σ   (He et al. 2015)
 * - lecunUniform: U(±sqrt(3 / fanIn)) — PyTorch's nn.Linear default family (it uses ±1/sqrt(fanIn))
 * - torchDefault: kernel U(±1/sqrt(fanIn)) and bias U(±1/sqrt(fanIn)), exactly PyTorch's nn.Linear/Conv
 * - { normal: std }: N(0, std²), e.g. DCGAN's N(0, 0.02)
 */
export type Init =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'lecunUniform'
  | 'torchDefault'
  | 'zeros'
  | { normal: number };

export type LayerSpec =
  | { type: 'dense'; units: number; activation?: Activation; batchNorm?: boolean; init?: Init }
  | {
      type: 'conv2d' | 'conv2dTranspose';
      filters: number;
      kernelSize: number;
      strides?: number;
      padding?: 'same' | 'valid';
      activation?: Activation;
      batchNorm?: boolean;
      init?: Init;
    }
  | { type: 'reshape'; targetShape: number[] }
  | { type: 'flatten' }
  | { type: 'activation'; activation: Activation }
  | { type: 'dropout'; rate: number };

export interface SequentialSpec {
  /** Name prefix of every layer (weights are named `${name}_${i}_${type}/kernel` etc.). */
  name: string;
  /** Shape of one input, without the batch dimension. */
  inputShape: number[];
  layers: LayerSpec[];
  /** Default initialiser for kernels (biases start at zero). Default glorotUniform as Keras. */
  init?: Init;
  /** Slope of LeakyReLU for x < 0. Default LEAKY_RELU_ALPHA = 0.2 (DCGAN). */
  leakyAlpha?: number;
}

function activationLayer(act: Activation, name: string, leakyAlpha: number): tf.layers.Layer {
  if (act === 'leakyRelu') return tf.layers.leakyReLU({ alpha: leakyAlpha, name });
  return tf.layers.activation({ activation: act, name });
}

/** Activations that tfjs-layers can fuse into Dense/Conv (everything except LeakyReLU). */
function fusable(act: Activation): act is Exclude<Activation, 'leakyRelu'> {
  return act !== 'leakyRelu';
}

/** Builds a Sequential from the spec and initialises every weight from `rng`. */
export function buildSequential(spec: SequentialSpec, rng: Rng): tf.Sequential {
  const leakyAlpha = spec.leakyAlpha ?? LEAKY_RELU_ALPHA;
  const model = tf.sequential({ name: spec.name });
  const inits: (Init | undefined)[] = [];
  let first = true;
  const add = (layer: tf.layers.Layer, init?: Init) => {
    model.add(layer);
    inits.push(init);
    first = false;
  };
  const input = () => (first ? { inputShape: spec.inputShape } : {});
  spec.layers.forEach((l, i) => {
    const name = `${spec.name}_${i}_${l.type}`;
    switch (l.type) {
      case 'dense':
      case 'conv2d':
      case 'conv2dTranspose': {
        const act = l.activation ?? 'linear';
        const inline = !l.batchNorm && fusable(act) ? act : 'linear';
        const common = { name, activation: inline, useBias: !l.batchNorm, ...input() };
        const layer =
          l.type === 'dense'
            ? tf.layers.dense({ units: l.units, ...common })
            : (l.type === 'conv2d' ? tf.layers.conv2d : tf.layers.conv2dTranspose)({
                filters: l.filters,
                kernelSize: l.kernelSize,
                strides: l.strides ?? 1,
                padding: l.padding ?? 'same',
                ...common,
              });
        add(layer, l.init ?? spec.init);
        if (l.batchNorm) add(tf.layers.batchNormalization({ name: `${name}_bn`, momentum: BN_MOMENTUM, epsilon: BN_EPSILON }));
        if (inline !== act) add(activationLayer(act, `${name}_act`, leakyAlpha));
        break;
      }
      case 'reshape':
        add(tf.layers.reshape({ name, targetShape: l.targetShape, ...input() }));
        break;
      case 'flatten':
        add(tf.layers.flatten({ name, ...input() }));
        break;
      case 'activation':
        if (first) add(tf.layers.inputLayer({ inputShape: spec.inputShape, name: `${name}_in` }));
        add(activationLayer(l.activation, name, leakyAlpha));
        break;
      case 'dropout':
        add(tf.layers.dropout({ name, rate: l.rate, ...input() }));
        break;
    }
  });
  model.layers.forEach((layer, i) => initLayer(layer, inits[i] ?? spec.init ?? 'glorotUniform', rng));
  return model;
}

export interface MlpSpec {
  name: string;
  inputDim: number;
  hidden: readonly number[];
  outputDim: number;
  activation?: Activation;
  outputActivation?: Activation;
  init?: Init;
  /** Initialiser of the output layer only (e.g. a small normal for policy heads). */
  outputInit?: Init;
}

/** A multi-layer perceptron inputDim → hidden… → outputDim. */
export function buildMlp(spec: MlpSpec, rng: Rng): tf.Sequential {
  const act = spec.activation ?? 'relu';
  const layers: LayerSpec[] = spec.hidden.map((units) => ({ type: 'dense', units, activation: act }));
  const out: LayerSpec = { type: 'dense', units: spec.outputDim, activation: spec.outputActivation ?? 'linear' };
  if (spec.outputInit !== undefined) out.init = spec.outputInit;
  layers.push(out);
  const seqSpec: SequentialSpec = { name: spec.name, inputShape: [spec.inputDim], layers };
  if (spec.init !== undefined) seqSpec.init = spec.init;
  return buildSequential(seqSpec, rng);
}

/** fanIn and fanOut of a kernel shape, as Keras computes them (last two dims are in/out). */
export function fans(shape: number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

function truncatedNormal(rng: Rng, std: number): number {
  for (;;) {
    const z = rng.normal();
    if (Math.abs(z) <= 2) return z * std;
  }
}

/** Fills an array of the given kernel shape according to `init`. */
export function initValues(shape: number[], init: Init, rng: Rng): Float32Array {
  const size = sizeOf(shape);
  const out = new Float32Array(size);
  const { fanIn, fanOut } = fans(shape);
  const uniform = (limit: number) => {
    for (let i = 0; i < size; i++) out[i] = rng.uniform(-limit, limit);
  };
  const normal = (std: number, truncated: boolean) => {
    for (let i = 0; i < size; i++) out[i] = truncated ? truncatedNormal(rng, std) : rng.normal(0, std);
  };
  if (typeof init === 'object') {
    normal(init.normal, false);
    return out;
  }
  switch (init) {
    case 'zeros':
      break;
    case 'glorotUniform':
      uniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case 'glorotNormal':
      normal(Math.sqrt(2 / (fanIn + fanOut)) / 0.87962566103423978, true);
      break;
    case 'heUniform':
      uniform(Math.sqrt(6 / fanIn));
      break;
    case 'heNormal':
      normal(Math.sqrt(2 / fanIn) / 0.87962566103423978, true);
      break;
    case 'lecunUniform':
      uniform(Math.sqrt(3 / fanIn));
      break;
    case 'torchDefault':
      uniform(1 / Math.sqrt(fanIn));
      break;
  }
  return out;
}

/** Re-initialises one layer's kernel (and bias, zero or PyTorch-uniform) from `rng`. */
function initLayer(layer: tf.layers.Layer, init: Init, rng: Rng): void {
  const weights = layer.getWeights();
  if (weights.length === 0) return;
  const className = layer.getClassName();
  if (className !== 'Dense' && className !== 'Conv2D' && className !== 'Conv2DTranspose') return;
  const kernelShape = weights[0]!.shape.slice();
  // A transposed conv kernel is [kh, kw, outChannels, inChannels]: swap the last two for the fans.
  const fanShape =
    className === 'Conv2DTranspose'
      ? [...kernelShape.slice(0, -2), kernelShape[kernelShape.length - 1]!, kernelShape[kernelShape.length - 2]!]
      : kernelShape;
  const kernel = initValues(fanShape, init, rng);
  const values: tf.Tensor[] = [tf.tensor(kernel, kernelShape)];
  if (weights.length > 1) {
    const bias = new Float32Array(weights[1]!.size);
    if (init === 'torchDefault') {
      const bound = 1 / Math.sqrt(fans(fanShape).fanIn);
      for (let i = 0; i < bias.length; i++) bias[i] = rng.uniform(-bound, bound);
    }
    values.push(tf.tensor(bias, weights[1]!.shape));
  }
  layer.setWeights(values);
  values.forEach((t) => t.dispose());
}

/** Total number of trainable scalars of a model. */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
