/**
 * A conv critic as plain tfjs ops on a tfjs model's weights, for checking second derivatives
 * (WGAN-GP's penalty) against nested tf.grad: tfjs-layers' LeakyReLU has no second derivative (its
 * gradient uses Greater), so LeakyReLU is written α h + (1 − α) relu(h). Runs conv2d,
 * conv2dTranspose, dense (bias, ReLU / LeakyReLU / linear) and flatten layers of `spec`, no batchnorm.
 */
import * as tf from '@tensorflow/tfjs';
import type { SequentialSpec } from '../core/nn.js';

export function convCriticTf(spec: SequentialSpec, model: tf.LayersModel, x: tf.Tensor4D): tf.Tensor {
  const w = (i: number, type: string, what: string) => model.weights.find((v) => v.originalName === `${spec.name}_${i}_${type}/${what}`)!.read();
  const alpha = spec.leakyAlpha ?? 0.2;
  let h: tf.Tensor = x;
  spec.layers.forEach((l, i) => {
    if (l.type === 'flatten') h = tf.reshape(h, [h.shape[0]!, -1]);
    else if (l.type === 'conv2d') h = tf.add(tf.conv2d(h as tf.Tensor4D, w(i, l.type, 'kernel') as tf.Tensor4D, l.strides ?? 1, l.padding ?? 'same'), w(i, l.type, 'bias'));
    else if (l.type === 'conv2dTranspose') {
      const [n, H, W] = h.shape as number[];
      const s = l.strides ?? 1;
      h = tf.add(tf.conv2dTranspose(h as tf.Tensor4D, w(i, l.type, 'kernel') as tf.Tensor4D, [n!, H! * s, W! * s, l.filters], s, l.padding ?? 'same'), w(i, l.type, 'bias'));
    } else if (l.type === 'dense') h = tf.add(tf.matMul(h as tf.Tensor2D, w(i, l.type, 'kernel') as tf.Tensor2D), w(i, l.type, 'bias'));
    if ((l.type === 'conv2d' || l.type === 'conv2dTranspose' || l.type === 'dense') && l.activation !== undefined && l.activation !== 'linear') {
      h = l.activation === 'relu' ? tf.relu(h) : tf.add(tf.mul(alpha, h), tf.mul(1 - alpha, tf.relu(h)));
    }
  });
  return h;
}
