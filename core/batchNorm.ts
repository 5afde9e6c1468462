/**
 * Batch normalisation (Ioffe & Szegedy 2015) as nnlab builds it (core/nn.ts: a tfjs
 * BatchNormalization layer after a dense or convolution layer without bias, momentum BN_MOMENTUM,
 * ε = BN_EPSILON), and its per-channel forward and backward on the native kernels for
 * core/fusedConvNet.ts.
 *
 * Over Z viewed as [N, C] (N = rows of a dense layer, or batch × height × width of an NHWC map, C
 * channels), per channel c, in training mode:
 *   μ = mean Z,  σ² = mean (Z − μ)²  (biased, as tf.moments),  r = 1/√(σ² + ε),  Ẑ = (Z − μ) r,  Y = γ Ẑ + β
 *   running averages, tfjs's update with momentum m:  μ̄ ← μ̄ − (μ̄ − μ)(1 − m),  σ̄² ← σ̄² − (σ̄² − σ²)(1 − m)
 *   (no Bessel correction, unlike Keras in Python); inference uses μ̄, σ̄² instead of μ, σ² and updates nothing.
 * Backward from dY = ∂loss/∂Y:
 *   ∂γ = Σ dY Ẑ,  ∂β = Σ dY,
 *   training:  dZ = (γ r / N)(N dY − ∂β − Ẑ ∂γ) = γ r dY + o + (Z − μ) s  with  o = −γ r ∂β / N,  s = −γ r² ∂γ / N
 *   inference: dZ = γ r̄ dY (the statistics are constants).
 * Native calls: Σ over N is `sum`, (Z − μ)² is `binary` squaredDifference, Y is `batchNorm` (tfjs's
 * FusedBatchNorm kernel); γ r dY, ∂γ and ∂β are `batchNormGrad`; the training terms o + (Z − μ) s are
 * `batchNorm` again with variance 1 and ε = 0 (so its divisor √(1 + 0) is exactly 1), added with
 * `binary` add. Only C-long loops run in JavaScript.
 *
 * FusedNet (core/fusedNet.ts) computes the same equations with JavaScript loops, because it also
 * runs without the addon.
 */
import { NATIVE_BINARY, NATIVE_BROADCAST, type NativeAddon } from './nativeAddon.js';

/** tfjs BatchNormalization settings of every batchnorm layer core/nn.ts builds. */
export const BN_MOMENTUM = 0.9;
export const BN_EPSILON = 1e-5;

/** One batchnorm layer's parameters, running averages and last batch statistics, on the native kernels (module doc). */
export class NativeBatchNorm {
  /** Running averages μ̄ and σ̄² (not trained; tfjs starts them at 0 and 1). */
  readonly movingMean: Float32Array;
  readonly movingVariance: Float32Array;
  /** Names of the running averages in the tfjs twin (`…_bn/moving_mean`, `…_bn/moving_variance`). */
  readonly meanName: string;
  readonly varianceName: string;
  /** μ and σ² of the last training forward. */
  private readonly batchMean: Float32Array;
  private readonly batchVariance: Float32Array;
  /** Whether the last forward used batch statistics (backward needs it). */
  private training = true;
  private readonly ones: Float32Array;
  private readonly scale: Float32Array;
  private readonly offset: Float32Array;

  /**
   * @param prefix the tfjs layer name (`${spec.name}_${i}_${type}_bn`)
   * @param gamma γ and its gradient slot, views into the net's `params` and `grads` (so are beta, dBeta)
   */
  constructor(
    private readonly addon: NativeAddon,
    readonly channels: number,
    prefix: string,
    readonly gamma: Float32Array,
    readonly dGamma: Float32Array,
    readonly beta: Float32Array,
    readonly dBeta: Float32Array,
  ) {
    this.meanName = `${prefix}/moving_mean`;
    this.varianceName = `${prefix}/moving_variance`;
    this.movingMean = new Float32Array(channels);
    this.movingVariance = new Float32Array(channels).fill(1);
    this.batchMean = new Float32Array(channels);
    this.batchVariance = new Float32Array(channels);
    this.ones = new Float32Array(channels).fill(1);
    this.scale = new Float32Array(channels);
    this.offset = new Float32Array(channels);
  }

  /**
   * Y = γ Ẑ + β for Z of `n` rows × C (z, y and scratch exactly n × C long; y ≠ z). Training mode
   * uses and keeps the batch's μ, σ² and advances the running averages; inference uses μ̄, σ̄².
   */
  forward(z: Float32Array, y: Float32Array, n: number, training: boolean, scratch: Float32Array): void {
    const { addon, channels: C } = this;
    this.training = training;
    if (!training) {
      addon.batchNorm(z, this.movingMean, this.movingVariance, this.gamma, this.beta, BN_EPSILON, y);
      return;
    }
    const mu = this.batchMean;
    const variance = this.batchVariance;
    addon.sum(z, mu, 1, n, C);
    for (let c = 0; c < C; c++) mu[c]! /= n;
    addon.binary(NATIVE_BINARY.squaredDifference, z, mu, scratch, NATIVE_BROADCAST.bPeriodic);
    addon.sum(scratch, variance, 1, n, C);
    for (let c = 0; c < C; c++) {
      variance[c]! /= n;
      this.movingMean[c]! -= (this.movingMean[c]! - mu[c]!) * (1 - BN_MOMENTUM);
      this.movingVariance[c]! -= (this.movingVariance[c]! - variance[c]!) * (1 - BN_MOMENTUM);
    }
    addon.batchNorm(z, mu, variance, this.gamma, this.beta, BN_EPSILON, y);
  }

  /**
   * dZ from dY (n rows × C, exactly; dZ ≠ dY) for the Z of the last forward; writes ∂γ and ∂β.
   * dY is overwritten (used as scratch).
   */
  backward(z: Float32Array, dY: Float32Array, dZ: Float32Array, n: number): void {
    const { addon, channels: C } = this;
    const mu = this.training ? this.batchMean : this.movingMean;
    const variance = this.training ? this.batchVariance : this.movingVariance;
    // dZ = γ r dY, ∂γ = Σ dY Ẑ, ∂β = Σ dY
    addon.batchNormGrad(z, dY, mu, variance, this.gamma, BN_EPSILON, dZ, null, null, this.dGamma, this.dBeta);
    if (!this.training) return;
    // + o + (Z − μ) s, the terms through μ and σ² (module doc)
    for (let c = 0; c < C; c++) {
      const gr = this.gamma[c]! / Math.sqrt(variance[c]! + BN_EPSILON);
      const r = 1 / Math.sqrt(variance[c]! + BN_EPSILON);
      this.offset[c] = (-gr * this.dBeta[c]!) / n;
      this.scale[c] = (-gr * r * this.dGamma[c]!) / n;
    }
    addon.batchNorm(z, mu, this.ones, this.scale, this.offset, 0, dY);
    addon.binary(NATIVE_BINARY.add, dZ, dY, dZ, NATIVE_BROADCAST.same);
  }
}
