/**
 * A fused training step of the MLP VAE (Kingma & Welling 2014, "Auto-Encoding Variational Bayes"):
 * encoder X → [μ, log σ²], z = μ + σ ⊙ ε (reparameterisation, σ = exp(½ log σ²)), decoder z → logits
 * of a Bernoulli p(x|z); per image, loss = Σ BCE(logits, x) + KL(N(μ, σ²) ‖ N(0, I)) with
 * KL = −½ Σ (1 + log σ² − μ² − σ²), averaged over the batch. Gradients by hand, on FusedMlp:
 *   ∂/∂logits = (sigmoid(logits) − x) / B
 *   ∂/∂μ      = ∂/∂z + μ / B
 *   ∂/∂log σ² = ∂/∂z ⊙ ε ⊙ ½σ + ½(σ² − 1) / B
 * then Adam on encoder and decoder (element-wise, so two Adams equal one joint Adam): the VAE
 * learner (generative/vae.ts) steps and saves these two Adams, so a VAE holds one pair of moment
 * vectors and one learning rate, the one it is given.
 * Tested against tfjs autograd on the same loss (test/core.fused.test.ts).
 */
import { FusedAdam, nativeTails } from '../core/fused.js';
import { FusedMlp } from '../core/fusedNet.js';
import type { TensorMap } from '../core/tensors.js';
import { sigmoid } from '../base/logistic.js';

export class FusedVae {
  readonly encoder: FusedMlp;
  readonly decoder: FusedMlp;
  /** Adam of the encoder's parameters (its state is part of a saved VAE). */
  readonly encAdam: FusedAdam;
  /** Adam of the decoder's parameters. */
  readonly decAdam: FusedAdam;
  private bufs?: { z: Float32Array; dz: Float32Array; dLogits: Float32Array; dEnc: Float32Array; batch: number };

  constructor(
    encoderParams: TensorMap,
    decoderParams: TensorMap,
    readonly latent: number,
    lr: number,
  ) {
    this.encoder = new FusedMlp(encoderParams, 'relu');
    this.decoder = new FusedMlp(decoderParams, 'relu');
    if (this.encoder.outDim !== 2 * latent || this.decoder.inDim !== latent) {
      throw new Error(`FusedVae: encoder must output 2×${latent} and decoder take ${latent} inputs`);
    }
    this.encAdam = new FusedAdam(this.encoder.params.length, lr);
    this.decAdam = new FusedAdam(this.decoder.params.length, lr);
  }

  /** Loss and gradients (left in encoder.grads / decoder.grads) for images x with noise eps. */
  lossAndGrad(x: Float32Array, eps: Float32Array, batch: number): number {
    const L = this.latent;
    const D = this.decoder.outDim;
    if (this.bufs?.batch !== batch) {
      this.bufs = { z: new Float32Array(batch * L), dz: new Float32Array(batch * L), dLogits: new Float32Array(batch * D), dEnc: new Float32Array(batch * 2 * L), batch };
    }
    const { z, dz, dLogits, dEnc } = this.bufs;
    const h = this.encoder.forward(x, batch);
    let kl = 0;
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < L; j++) {
        const mu = h[r * 2 * L + j]!;
        const logVar = h[r * 2 * L + L + j]!;
        z[r * L + j] = mu + Math.exp(0.5 * logVar) * eps[r * L + j]!;
        kl += -0.5 * (1 + logVar - mu * mu - Math.exp(logVar));
      }
    }
    const logits = this.decoder.forward(z, batch);
    const native = nativeTails();
    let recon = 0;
    if (native !== undefined) recon = native.bceLogits(logits, x, dLogits, 1 / batch);
    else for (let i = 0; i < batch * D; i++) {
      const l = logits[i]!;
      const t = x[i]!;
      // stable BCE with logits: max(l, 0) − l·t + log(1 + e^−|l|), summed in this order (not
      // softplus(l) − l·t, which adds the same terms in another order and rounds differently)
      recon += Math.max(l, 0) - l * t + Math.log1p(Math.exp(-Math.abs(l)));
      dLogits[i] = (sigmoid(l) - t) / batch;
    }
    this.decoder.backward(dLogits, dz);
    for (let r = 0; r < batch; r++) {
      for (let j = 0; j < L; j++) {
        const mu = h[r * 2 * L + j]!;
        const logVar = h[r * 2 * L + L + j]!;
        const sigma = Math.exp(0.5 * logVar);
        const g = dz[r * L + j]!;
        dEnc[r * 2 * L + j] = g + mu / batch;
        dEnc[r * 2 * L + L + j] = g * eps[r * L + j]! * 0.5 * sigma + (0.5 * (sigma * sigma - 1)) / batch;
      }
    }
    this.encoder.backward(dEnc);
    return (recon + kl) / batch;
  }

  /** One Adam step on the gradients in encoder.grads and decoder.grads: the encoder's, then the decoder's. */
  applyGrads(): void {
    this.encAdam.step(this.encoder.params, this.encoder.grads);
    this.decAdam.step(this.decoder.params, this.decoder.grads);
  }

  /** One Adam step on a batch; returns the loss before the step. */
  step(x: Float32Array, eps: Float32Array, batch: number): number {
    const loss = this.lossAndGrad(x, eps, batch);
    this.applyGrads();
    return loss;
  }
}
