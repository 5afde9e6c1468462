/**
 * WGAN-GP's gradient penalty (Gulrajani et al. 2017) on a FusedNet (MLP) or FusedConvNet (conv)
 * critic, with its gradient by hand: the input gradient's own derivative, which tfjs gets from
 * nested tf.grad (tested against it in test/generative.losses.test.ts). The conv critic's chain is
 * core/fusedConvNet.ts `addInputGradientLoss`; this file supplies the penalty P(g) and ∂P/∂g.
 *
 * Input gradient of a scalar critic (units 1, linear output, piecewise-linear hidden activations,
 * slopes s_l = act′_l constant between kinks):
 *   δ_L = 1;   v_l = δ_l W_lᵀ;   δ_{l−1} = v_l ⊙ s_{l−1};   ∇ₓf = g = v_1
 * g is linear in each W_l given the slopes, so for a loss P(g), with v̄_1 = ∂P/∂g:
 *   ∂W_l = v̄_lᵀ δ_l,   δ̄_l = v̄_l W_l,   v̄_{l+1} = δ̄_l ⊙ s_l        (biases: 0 almost everywhere)
 */
import type { FusedNet } from '../core/fusedNet.js';
import type { FusedConvNet } from '../core/fusedConvNet.js';

/**
 * The penalty λ · mean_rows (‖∇ₓf(x̂)‖₂ − 1)² at the rows [rowStart, rowStart + count) of the
 * critic's last forward, for a scalar critic with piecewise-linear activations. Adds its gradient
 * to the critic's `grads` (kernels only; biases get 0) and returns the penalty and the mean norm.
 * `divisor` is the batch size the mean is over (default `count`).
 */
export function addGradientPenalty(net: FusedNet, lambda: number, rowStart: number, count: number, divisor = count): { penalty: number; gradNorm: number } {
  const layers = net.denseLayers;
  const L = layers.length;
  if (net.outDim !== 1 || layers[L - 1]!.act !== 'linear') throw new Error('gradient penalty needs a critic with one linear output');
  if (net.hasBatchNorm) throw new Error('gradient penalty: a batch-normalised critic has no per-sample input gradient (WGAN-GP §4 drops critic batchnorm)');
  for (let i = 0; i < L - 1; i++) {
    const a = layers[i]!.act;
    if (a !== 'relu' && a !== 'leakyRelu' && a !== 'linear') throw new Error(`gradient penalty: activation '${a}' is not piecewise linear`);
  }
  // slopes s_l of the hidden layers for the x̂ rows
  const slopes: Float32Array[] = [];
  for (let i = 0; i < L - 1; i++) slopes.push(net.slopeRows(i, rowStart, count));
  // forward chain: δ_L = 1, v_l = δ_l W_lᵀ, δ_{l−1} = v_l ⊙ s_{l−1}
  const delta: Float32Array[] = new Array<Float32Array>(L);
  const v: Float32Array[] = new Array<Float32Array>(L);
  delta[L - 1] = new Float32Array(count).fill(1);
  for (let i = L - 1; i >= 0; i--) {
    const l = layers[i]!;
    v[i] = new Float32Array(count * l.inDim);
    net.gemm(delta[i]!, l.W, v[i]!, count, l.inDim, l.outDim, false, true, null, 'linear');
    if (i > 0) {
      const s = slopes[i - 1]!;
      const d = new Float32Array(count * l.inDim);
      for (let k = 0; k < d.length; k++) d[k] = v[i]![k]! * s[k]!;
      delta[i - 1] = d;
    }
  }
  const g = v[0]!;
  const { vBar, penalty, normSum } = penaltyAndGradient(g, count, net.inDim, lambda, divisor);
  // backward of the chain: ∂W_l += v̄_lᵀ δ_l; δ̄_l = v̄_l W_l; v̄_{l+1} = δ̄_l ⊙ s_l
  let vb = vBar;
  for (let i = 0; i < L; i++) {
    const l = layers[i]!;
    const dW = new Float32Array(l.inDim * l.outDim);
    net.gemm(vb, delta[i]!, dW, l.inDim, l.outDim, count, true, false, null, 'linear');
    for (let k = 0; k < dW.length; k++) l.dW[k]! += dW[k]!;
    if (i < L - 1) {
      const dBar = new Float32Array(count * l.outDim);
      net.gemm(vb, l.W, dBar, count, l.outDim, l.inDim, false, false, null, 'linear');
      const s = slopes[i]!;
      for (let k = 0; k < dBar.length; k++) dBar[k]! *= s[k]!;
      vb = dBar;
    }
  }
  return { penalty, gradNorm: normSum / count };
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

/**
 * The same penalty on a conv critic (FusedConvNet: one linear output, no batchnorm, ReLU / LeakyReLU),
 * at the rows [rowStart, rowStart + count) of its last forward; adds its gradient to the critic's
 * `grads` (kernels only) and returns the penalty and the mean norm.
 */
export function addConvGradientPenalty(net: FusedConvNet, lambda: number, rowStart: number, count: number, divisor = count): { penalty: number; gradNorm: number } {
  let result = { penalty: 0, normSum: 0 };
  net.addInputGradientLoss(rowStart, count, (g) => {
    const { vBar, ...r } = penaltyAndGradient(g, count, net.inSize, lambda, divisor);
    result = r;
    return vBar;
  });
  return { penalty: result.penalty, gradNorm: result.normSum / count };
}
