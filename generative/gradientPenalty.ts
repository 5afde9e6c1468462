/**
 * WGAN-GP's gradient penalty (Gulrajani et al. 2017) on a FusedNet (MLP) or FusedConvNet (conv)
 * critic, with its gradient by hand: the penalty P(g) of the input gradient g and ∂P/∂g here, the
 * chain through the critic (the input gradient's own derivative, which tfjs gets from nested tf.grad;
 * tested against it in test/generative.losses.test.ts) in each engine's `addInputGradientLoss`
 * (core/fusedNet.ts, core/fusedConvNet.ts).
 */
import type { FusedNet } from '../core/fusedNet.js';
import type { FusedConvNet } from '../core/fusedConvNet.js';

/**
 * The penalty λ · mean_rows (‖∇ₓf(x̂)‖₂ − 1)² at the rows [rowStart, rowStart + count) of the
 * critic's last forward, for a scalar critic with piecewise-linear activations and no batchnorm.
 * Adds its gradient to the critic's `grads` (kernels only; biases get 0) and returns the penalty
 * and the mean norm. `divisor` is the batch size the mean is over (default `count`).
 */
export function addGradientPenalty(net: FusedNet | FusedConvNet, lambda: number, rowStart: number, count: number, divisor = count): { penalty: number; gradNorm: number } {
  let result = { penalty: 0, normSum: 0 };
  net.addInputGradientLoss(rowStart, count, (g) => {
    const { vBar, ...r } = penaltyAndGradient(g, count, g.length / count, lambda, divisor);
    result = r;
    return vBar;
  });
  return { penalty: result.penalty, gradNorm: result.normSum / count };
}

/**
 * P = λ/divisor Σ_rows (‖g_r‖ − 1)² over `count` input gradients of D values each, and
 * v̄ = ∂P/∂g = λ · 2(‖g_r‖ − 1) / ‖g_r‖ · g_r / divisor (0 for a row whose gradient is 0).
 */
function penaltyAndGradient(g: Float32Array, count: number, D: number, lambda: number, divisor: number): { vBar: Float32Array; penalty: number; normSum: number } {
  const vBar = new Float32Array(count * D);
  let sum = 0;
  let normSum = 0;
  for (let r = 0; r < count; r++) {
    let sq = 0;
    for (let j = 0; j < D; j++) sq += g[r * D + j]! * g[r * D + j]!;
    const norm = Math.sqrt(sq);
    normSum += norm;
    sum += (norm - 1) ** 2;
    const coef = norm > 0 ? (lambda * 2 * (norm - 1)) / norm / divisor : 0;
    for (let j = 0; j < D; j++) vBar[r * D + j] = coef * g[r * D + j]!;
  }
  return { vBar, penalty: (lambda * sum) / divisor, normSum };
}
