/**
 * The logistic sigmoid and softplus of one number, written once for every scalar loop that needs
 * them (the fused GAN's and VAE's losses and gradients, DCGAN's D(x) metric, the VAE's samples,
 * FusedNet's sigmoid layer). Each is one float expression: a caller that inlined it before computes
 * the same bits through it.
 *
 * Not every softplus of the repo is this one: FusedNet's softplus layer (core/fusedNet.ts) is
 * PyTorch's `nn.Softplus` (log(1 + eˣ) up to x = 20, x above), and the VAE's binary cross-entropy
 * (generative/fusedVae.ts) sums max(l, 0) − l·t before adding log(1 + e^−|l|); either written
 * through this function would round differently, so they keep their own expressions.
 */

/** σ(x) = 1 / (1 + e⁻ˣ). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** softplus(x) = log(1 + eˣ), stable: max(x, 0) + log(1 + e^−|x|). */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
