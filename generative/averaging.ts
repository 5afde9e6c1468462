/**
 * Generator averaging — Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN
 * Training" (ICLR 2019): an exponential moving average of G's trainable weights,
 *   θ̄ ← β θ̄ + (1 − β) θ   after every generator step,
 * samples in G's place; training never reads it. A batch-normalised θ̄ needs running averages of
 * its own (the online G's belong to other weights): they are recomputed by running θ̄ in training
 * mode on CALIBRATION_BATCHES batches of fresh z before it samples or is saved. Used by DCGAN
 * (dcgan.ts) and the fused MLP / conv GANs (mlpGan.ts: WGAN, WGAN-GP).
 */

/** Batches of fresh z that recompute an averaged generator's batchnorm running averages (momentum 0.9: 0.9¹⁰⁰ ≈ 3e-5 of the old ones remain). */
export const CALIBRATION_BATCHES = 100;

/** θ̄ ← β θ̄ + (1 − β) θ, in place in `average`. */
export function averageInto(average: Float32Array, theta: Float32Array, beta: number): void {
  if (average.length !== theta.length) throw new Error(`averageInto: θ̄ has ${average.length} values, θ ${theta.length}`);
  const a = 1 - beta;
  for (let k = 0; k < average.length; k++) average[k] = beta * average[k]! + a * theta[k]!;
}
