/**
 * GAN — Goodfellow et al. 2014, "Generative Adversarial Nets" (NeurIPS), algorithm 1 (the seed's
 * algorithm 13.1): for each training iteration, k steps of the discriminator, then one of the
 * generator. MLP G and D (as the paper's MNIST model, without maxout and dropout), checked
 * against the PyTorch-GAN / pytorch tutorials' MLP GAN (Adam 2e-4, β₁ 0.5, batch 64). By default
 * G is 100-256-512-1024-784 with its hidden layers batch-normalised (DCGAN's rule, as PyTorch-GAN's
 * gan.py; Ioffe & Szegedy 2015) and D 784-512-256-1. Measured on MNIST (bench:generative, seed 1,
 * classifier score after epochs 1/2/3): G 256-512 without batchnorm 1.9/1.9/3.4; with it
 * 2.6/3.8/4.3; 256-512-1024 with it 2.9/3.8/4.8, every class present.
 *
 * D(x) = sigmoid(a(x)), a = the discriminator network's logit; z ~ N(0, I).
 *   Discriminator (ascends log D(x) + log(1 − D(G(z))), i.e. minimises BCE with targets 1 / 0):
 *     dLoss = −(1/m) Σ [log D(x⁽ⁱ⁾) + log(1 − D(G(z⁽ⁱ⁾)))]
 *           = mean softplus(−a(x)) + mean softplus(a(G(z)))
 *   Generator, minimax form (the game's value, saturates when D wins early):
 *     gLoss = (1/m) Σ log(1 − D(G(z⁽ⁱ⁾)))  = −mean softplus(a(G(z)))
 *   Generator, non-saturating form (the paper's practical advice; default):
 *     gLoss = −(1/m) Σ log D(G(z⁽ⁱ⁾))      = mean softplus(−a(G(z)))
 * Gradients w.r.t. the logit: ∂dLoss/∂a_real = (σ(a) − 1)/m, ∂dLoss/∂a_fake = σ(a)/m;
 * minimax ∂gLoss/∂a = −σ(a)/m; non-saturating ∂gLoss/∂a = (σ(a) − 1)/m; then backpropagation
 * through D (and into G for the generator step) on the fused engine (core/fusedNet.ts). Adam on each.
 */
import { FusedAdam } from '../core/fused.js';
import type { Rng } from '../base/rng.js';
import { sigmoid, softplus } from '../base/logistic.js';
import { checkChoice, checkedAdam, checkNumber, configFields, POSITIVE_INTEGER } from '../base/configCheck.js';
import { buildMlpGanNets, checkedMlpGanArchitecture, MlpGanLearner, type MlpGanArchitecture } from './mlpGan.js';
import type { Phase } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { MNIST_PIXELS } from './kinds.js';
import { LEAKY_RELU_ALPHA } from '../core/activation.js';
import { D_FAKE, D_LOSS, D_REAL, G_LOSS } from '../agents/metricNames.js';

/** The MLP architecture fields (MlpGanArchitecture), then the GAN's own. */
export interface GanConfig extends MlpGanArchitecture {
  /** 'nonSaturating' (−log D(G(z))) or 'minimax' (log(1 − D(G(z)))). */
  generatorLoss: 'nonSaturating' | 'minimax';
  /** k: discriminator steps per generator step (algorithm 13.1). */
  k: number;
  /** Adam learning rate of G and D. */
  learningRate: number;
  /** Adam β₁. */
  beta1: number;
  /** Adam β₂. */
  beta2: number;
  /** Minibatch size m trainGenerative uses unless told otherwise. */
  batchSize: number;
}

export const GAN_DEFAULTS: Readonly<GanConfig> = Object.freeze({
  latentDim: 100,
  generatorHidden: Object.freeze([256, 512, 1024]),
  criticHidden: Object.freeze([512, 256]),
  generatorActivation: 'leakyRelu',
  criticActivation: 'leakyRelu',
  leakyAlpha: LEAKY_RELU_ALPHA,
  generatorBatchNorm: true,
  generatorLoss: 'nonSaturating',
  k: 1,
  learningRate: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  batchSize: 64,
});

/** Defaults overridden by `config`, which may be unchecked data (a spec's object): throws a RangeError naming the first unknown or bad field. */
export function resolveGanConfig(config: unknown = {}): GanConfig {
  const O = 'GAN';
  const c = configFields(O, config, GAN_DEFAULTS);
  const arch = checkedMlpGanArchitecture(O, c);
  checkChoice(O, 'generatorLoss', c.generatorLoss, ['nonSaturating', 'minimax'] as const);
  checkNumber(O, 'k', c.k, POSITIVE_INTEGER);
  const adam = checkedAdam(O, c);
  checkNumber(O, 'batchSize', c.batchSize, POSITIVE_INTEGER);
  return { ...arch, generatorLoss: c.generatorLoss, k: c.k, ...adam, batchSize: c.batchSize };
}

export class Gan extends MlpGanLearner {
  readonly kind = 'gan';
  readonly config: Readonly<GanConfig>;
  protected readonly gOpt: FusedAdam;
  protected readonly dOpt: FusedAdam;

  constructor(config: Partial<GanConfig>, rng: Rng) {
    const c = resolveGanConfig(config);
    super(c.latentDim, buildMlpGanNets(c, rng), rng);
    this.config = Object.freeze(c);
    this.gOpt = new FusedAdam(this.G.params.length, c.learningRate, c.beta1, c.beta2);
    this.dOpt = new FusedAdam(this.D.params.length, c.learningRate, c.beta1, c.beta2);
  }

  schedule(): Phase[] {
    return [...new Array<Phase>(this.config.k).fill('critic'), 'generator'];
  }

  criticLossAndGrad(x: Float32Array, z: Float32Array, n: number): Metrics {
    const fake = this.generate(z, n);
    const xCat = new Float32Array(2 * n * MNIST_PIXELS);
    xCat.set(x.subarray(0, n * MNIST_PIXELS));
    xCat.set(fake, n * MNIST_PIXELS);
    const a = this.D.forward(xCat, 2 * n);
    const gOut = new Float32Array(2 * n);
    let dLoss = 0;
    let dReal = 0;
    let dFake = 0;
    for (let i = 0; i < n; i++) {
      const ar = a[i]!;
      const af = a[n + i]!;
      // dLoss = mean softplus(−a_real) + mean softplus(a_fake)
      dLoss += softplus(-ar) + softplus(af);
      dReal += sigmoid(ar);
      dFake += sigmoid(af);
      gOut[i] = (sigmoid(ar) - 1) / n;
      gOut[n + i] = sigmoid(af) / n;
    }
    this.D.backward(gOut);
    return { [D_LOSS]: dLoss / n, [D_REAL]: dReal / n, [D_FAKE]: dFake / n };
  }

  generatorLossAndGrad(z: Float32Array, n: number): Metrics {
    const fake = this.G.forward(z, n);
    const a = this.D.forward(fake, n);
    const gOut = new Float32Array(n);
    let gLoss = 0;
    const nonSaturating = this.config.generatorLoss === 'nonSaturating';
    for (let i = 0; i < n; i++) {
      const s = sigmoid(a[i]!);
      if (nonSaturating) {
        gLoss += softplus(-a[i]!); // −log D(G(z))
        gOut[i] = (s - 1) / n;
      } else {
        gLoss -= softplus(a[i]!); // log(1 − D(G(z)))
        gOut[i] = -s / n;
      }
    }
    const gFake = new Float32Array(n * MNIST_PIXELS);
    this.D.backward(gOut, gFake);
    this.G.backward(gFake);
    return { [G_LOSS]: gLoss / n };
  }
}
