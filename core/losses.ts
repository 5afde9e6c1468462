/**
 * Losses, each written as its formula with raw tfjs ops (call them inside tf.tidy or a minimize
 * closure). `reduction` is 'mean' (default), 'sum' or 'none' (elementwise, same shape as input).
 */
import * as tf from '@tensorflow/tfjs';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(x: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(x);
  if (reduction === 'sum') return tf.sum(x);
  return x;
}

/** Mean squared error: (ŷ − y)². */
export function mse(pred: tf.Tensor, target: tf.Tensor, reduction: Reduction = 'mean'): tf.Tensor {
  return reduce(tf.squaredDifference(pred, target), reduction);
}

/**
 * Huber loss (PyTorch's `huber_loss` / `smooth_l1_loss` with β = δ = 1 by default), x = ŷ − y:
 *   ½x²            if |x| ≤ δ
 *   δ(|x| − ½δ)    otherwise
 */
export function huber(pred: tf.Tensor, target: tf.Tensor, delta = 1, reduction: Reduction = 'mean'): tf.Tensor {
  const absErr = tf.abs(tf.sub(pred, target));
  const quadratic = tf.minimum(absErr, delta);
  const linear = tf.sub(absErr, quadratic);
  // ½ q² + δ·l equals both branches: q = |x|, l = 0 inside; q = δ, l = |x| − δ outside.
  return reduce(tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear)), reduction);
}

/**
 * Softmax cross-entropy from logits [B, K]: −Σ_k y_k log softmax(z)_k, per row.
 * `labels` is either class indices (int32 [B]) or a probability / one-hot matrix [B, K].
 */
export function softmaxCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor, reduction: Reduction = 'mean'): tf.Tensor {
  const logProbs = tf.logSoftmax(logits);
  const targets = labels.rank === 1 ? tf.oneHot(tf.cast(labels, 'int32') as tf.Tensor1D, logits.shape[1]) : labels;
  return reduce(tf.neg(tf.sum(tf.mul(targets, logProbs), -1)), reduction);
}

/**
 * Binary cross-entropy from logits, the numerically stable form:
 *   max(z, 0) − z·y + log(1 + e^−|z|)   =   −[y log σ(z) + (1 − y) log(1 − σ(z))]
 */
export function bceWithLogits(logits: tf.Tensor, targets: tf.Tensor, reduction: Reduction = 'mean'): tf.Tensor {
  const loss = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, targets)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
  return reduce(loss, reduction);
}

/** Binary cross-entropy from probabilities p ∈ (0, 1), clipped to [ε, 1 − ε]: −[y log p + (1 − y) log(1 − p)]. */
export function bce(probs: tf.Tensor, targets: tf.Tensor, reduction: Reduction = 'mean', epsilon = 1e-7): tf.Tensor {
  const p = tf.clipByValue(probs, epsilon, 1 - epsilon);
  const loss = tf.neg(tf.add(tf.mul(targets, tf.log(p)), tf.mul(tf.sub(1, targets), tf.log1p(tf.neg(p)))));
  return reduce(loss, reduction);
}
