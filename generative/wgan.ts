/**
 * WGAN — Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN" (ICML; algorithm 1), and WGAN-GP —
 * Gulrajani et al. 2017, "Improved Training of Wasserstein GANs" (NeurIPS; algorithm 1). Checked
 * against the authors' code (martinarjovsky/WassersteinGAN, igul222/improved_wgan_training
 * gan_mnist.py) for settings. MLP nets on the fused engine (core/fusedNet.ts), or with `architecture:
 * 'dcgan'` conv nets on the fused conv engine (core/fusedConvNet.ts; "Architectures" below).
 *
 * Kantorovich–Rubinstein duality: W(P_r, P_g) = sup_{‖f‖_L ≤ 1} E_{x~P_r} f(x) − E_{x~P_g} f(x);
 * the critic f (linear output, no sigmoid) approximates the sup over a Lipschitz family.
 *   criticLoss = (1/m) Σ f(G(z⁽ⁱ⁾)) − (1/m) Σ f(x⁽ⁱ⁾)   (+ the penalty below)     n_critic steps
 *   gLoss      = −(1/m) Σ f(G(z⁽ⁱ⁾))                                              one step
 * The Lipschitz constraint:
 *   'clip' (WGAN): after each critic update w ← clip(w, −c, c); RMSprop α = 5e-5, c = 0.01, n_critic = 5.
 *   'gp' (WGAN-GP): x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1] per sample, and
 *       criticLoss += λ (1/m) Σ (‖∇ₓ̂ f(x̂)‖₂ − 1)²;   λ = 10, Adam α = 1e-4, β = (0.5, 0.9), n_critic = 5.
 *     The penalty's gradient w.r.t. the critic's weights is a gradient of a gradient: done by hand
 *     (generative/gradientPenalty.ts) for the ReLU / LeakyReLU critic, tested against nested tf.grad.
 * −criticLoss without the penalty is the running estimate of W (`losses/wasserstein`).
 * `emaDecay` > 0 samples from a moving average of G's weights (generative/averaging.ts; off by default).
 * `decayStart`, `decayIterations` (off by default): both rates fall linearly to 0 over `decayIterations`
 * generator iterations from iteration `decayStart` (generative/lrDecay.ts, pix2pix's and CycleGAN's schedule).
 *
 * Architectures (`architecture`; the default stays 'mlp' until long runs show the conv nets meet
 * the quality goals):
 *   'mlp': MLP G and critic (MlpGanArchitecture's fields) on core/fusedNet.ts.
 *   'dcgan': the nets of the papers' main experiments, on core/fusedConvNet.ts (needs the native
 *     addon: there is no JavaScript conv engine, so without it the constructor throws naming the field).
 *     G is generative/dcgan.ts `generatorSpec` (dense 7·7·2gFilters BN ReLU → convT gFilters
 *     (BN, ReLU) → convT 1 tanh; kernelSize, N(0, initStd)) in both variants — WGAN §4.3 trains
 *     DCGAN's generator, WGAN-GP's MNIST G (gan_mnist.py) is the same shape of net.
 *     `denseUnits` h > 0 adds DCGAN's fully connected hidden layer (BN) to G and to the 'clip'
 *     critic: with h = 1024 and kernelSize 4 these are InfoGAN's MNIST nets (Chen et al. 2016,
 *     appendix C.1), on which Lucic et al. 2018 ("Are GANs Created Equal?") compare WGAN and
 *     WGAN-GP with the other GANs on MNIST. The 'gp' critic stays gan_mnist.py's.
 *     'clip' critic: DCGAN's discriminator (`discriminatorSpec`: conv dFilters s2 LeakyReLU →
 *       conv 2dFilters s2 BN LeakyReLU → flatten → dense 1), its linear output the critic value —
 *       the WGAN paper's DCGAN critic (batchnorm included; martinarjovsky/WassersteinGAN
 *       models/dcgan.py without the final mean). Clipping covers batchnorm's γ, β as in that code.
 *       Batchnorm runs in training mode, the real and the fake batch in separate forwards (each
 *       normalised by its own statistics, as netD(real), netD(fake) in the paper's code), and the
 *       critic's gradient is the sum of the two terms' gradients.
 *     'gp' critic: `wganGpCriticSpec`, gan_mnist.py's Discriminator (Gulrajani et al. 2017,
 *       igul222/improved_wgan_training): conv dFilters → 2dFilters → 4dFilters, 5×5 (kernelSize)
 *       stride 2 'same' (28 → 14 → 7 → 4), LeakyReLU 0.2 (leakyAlpha), flatten, dense 1; no
 *       batchnorm (the penalty is per sample, §4 "No critic batch normalization"). Departure: its
 *       kernels start from N(0, initStd) as DCGAN's, not gan_mnist.py's He-uniform. Real, fake and
 *       x̂ rows go through it in one 3m-row forward, and the penalty's double backward is
 *       core/fusedConvNet.ts `addInputGradientLoss` (generative/gradientPenalty.ts `addGradientPenalty`).
 *   The MLP fields (generatorHidden, criticHidden, the activations, generatorBatchNorm) are unused
 *   with 'dcgan'; the conv critic's LeakyReLU slope is leakyAlpha.
 */
import { FusedAdam, FusedRmsprop } from '../core/fused.js';
import { FusedConvNet } from '../core/fusedConvNet.js';
import { nativeAvailable } from '../core/nativeAddon.js';
import { buildSequential, type SequentialSpec } from '../core/nn.js';
import { readWeights } from '../core/tensors.js';
import type { Rng } from '../base/rng.js';
import { checkBoolean, checkChoice, checkedAdam, checkNumber, configFields, DECAY_RATE, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import { DCGAN_DEFAULTS, checkedConvNetSizes, discriminatorSpec, generatorSpec, type ConvNetSizes, type DcganArchitecture } from './dcgan.js';
import { addGradientPenalty } from './gradientPenalty.js';
import { checkedLrDecay, decayFactor, type LrDecay } from './lrDecay.js';
import { buildMlpGanNets, checkedMlpGanArchitecture, MlpGanLearner, type FlatOptimizer, type GanNet, type GanNets, type MlpGanArchitecture } from './mlpGan.js';
import type { Phase } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { describeValue } from '../base/plainData.js';
import { MNIST_PIXELS, MNIST_SIDE } from './kinds.js';
import { LEAKY_RELU_ALPHA } from '../core/activation.js';
import { CRITIC_GRAD_NORM, CRITIC_LOSS, G_LOSS, GRADIENT_PENALTY, WASSERSTEIN } from '../agents/metricNames.js';

/** The conv architecture's fields, as DCGAN's (generative/dcgan.ts DcganConfig). */
export type WganConvArchitecture = ConvNetSizes;

/** WGAN's two variants: 'clip' (weight clipping, WGAN) and 'gp' (gradient penalty, WGAN-GP); the registry's kinds 'wgan' and 'wgan-gp'. */
export const WGAN_VARIANTS = ['clip', 'gp'] as const;
export type WganVariant = (typeof WGAN_VARIANTS)[number];

/** The MLP architecture fields (MlpGanArchitecture), the conv ones, then the WGAN's own. */
export interface WganConfig extends MlpGanArchitecture, WganConvArchitecture, LrDecay {
  /** 'clip' (weight clipping, WGAN) or 'gp' (gradient penalty, WGAN-GP). */
  variant: WganVariant;
  /** 'mlp' (fused MLPs) or 'dcgan' (DCGAN's G and the variant's conv critic on the fused conv engine; module doc). */
  architecture: 'mlp' | 'dcgan';
  /** n_critic: critic steps per generator step. */
  nCritic: number;
  /** Paper's schedule (WGAN code): 100 critic steps for the first 25 generator steps and every 500th. */
  criticWarmup: boolean;
  /** c: weights are clipped to [−c, c] after each critic step ('clip' only). */
  clipValue: number;
  /** λ: gradient-penalty weight ('gp' only). */
  lambda: number;
  /** Optimiser of G and critic: 'rmsprop' (WGAN) or 'adam' (WGAN-GP). */
  optimizer: 'rmsprop' | 'adam';
  /** Learning rate α. */
  learningRate: number;
  /** Adam β₁ (adam only). */
  beta1: number;
  /** Adam β₂ (adam only). */
  beta2: number;
  /** Minibatch size m trainGenerative uses unless told otherwise. */
  batchSize: number;
  /**
   * β of the moving average of G's weights that samples and is saved (generative/averaging.ts;
   * Yazıcı et al. 2019 average WGAN-GP's generator among others); 0 = off, G itself samples (the papers').
   */
  emaDecay: number;
}

const ARCH = {
  latentDim: 100,
  generatorHidden: Object.freeze([256, 512]),
  criticHidden: Object.freeze([512, 256]),
  generatorActivation: 'leakyRelu' as const,
  criticActivation: 'leakyRelu' as const,
  leakyAlpha: LEAKY_RELU_ALPHA,
  generatorBatchNorm: false,
};

/** WGAN with weight clipping: the paper's RMSprop 5e-5, c = 0.01, n_critic = 5, batch 64. */
export const WGAN_DEFAULTS: Readonly<WganConfig> = Object.freeze({
  variant: 'clip',
  architecture: 'mlp',
  ...ARCH,
  gFilters: DCGAN_DEFAULTS.gFilters,
  dFilters: DCGAN_DEFAULTS.dFilters,
  kernelSize: 5, // the DCGAN paper's 5×5 and gan_mnist.py's (the default DCGAN's InfoGAN nets use 4×4)
  denseUnits: 0, // the DCGAN paper's nets have no fully connected hidden layer (InfoGAN's: 1024)
  initStd: DCGAN_DEFAULTS.initStd,
  nCritic: 5,
  criticWarmup: false,
  clipValue: 0.01,
  lambda: 10,
  optimizer: 'rmsprop',
  learningRate: 5e-5,
  beta1: 0.5,
  beta2: 0.9,
  batchSize: 64,
  emaDecay: 0,
  decayStart: 0,
  decayIterations: 0,
});

/** WGAN-GP: λ = 10, Adam 1e-4 with β = (0.5, 0.9), n_critic = 5, batch 64. */
export const WGAN_GP_DEFAULTS: Readonly<WganConfig> = Object.freeze({
  ...WGAN_DEFAULTS,
  variant: 'gp',
  optimizer: 'adam',
  learningRate: 1e-4,
});

/** The variant `config` names ('clip' when it names none, or is no object); another value is a RangeError. */
function variantOf(config: unknown): WganVariant {
  const v = config !== null && typeof config === 'object' && 'variant' in config ? config.variant : undefined;
  if (v === undefined) return 'clip';
  checkChoice('WGAN', 'variant', v, WGAN_VARIANTS);
  return v;
}

/**
 * Defaults (WGAN's or WGAN-GP's, by `variant`) overridden by `config`, which may be unchecked data
 * (a spec's object): throws a RangeError naming the first unknown or bad field.
 */
export function resolveWganConfig(config: unknown = {}, variant: WganVariant = variantOf(config)): WganConfig {
  const name = variant === 'gp' ? 'WGAN-GP' : 'WGAN';
  const c = configFields(name, config, variant === 'gp' ? WGAN_GP_DEFAULTS : WGAN_DEFAULTS);
  // `variant` given as undefined means the model's; the defaults supply it when not given
  if (c.variant !== undefined && c.variant !== variant) throw new RangeError(`${name} config: 'variant' is '${variant}' for this model, got ${describeValue(c.variant)}`);
  checkChoice(name, 'variant', variant, WGAN_VARIANTS);
  checkChoice(name, 'architecture', c.architecture, ['mlp', 'dcgan'] as const);
  const arch = checkedMlpGanArchitecture(name, c);
  const sizes = checkedConvNetSizes(name, c);
  checkNumber(name, 'nCritic', c.nCritic, POSITIVE_INTEGER);
  checkBoolean(name, 'criticWarmup', c.criticWarmup);
  checkNumber(name, 'clipValue', c.clipValue, POSITIVE);
  checkNumber(name, 'lambda', c.lambda, { min: 0 });
  checkChoice(name, 'optimizer', c.optimizer, ['rmsprop', 'adam'] as const);
  const adam = checkedAdam(name, c);
  checkNumber(name, 'batchSize', c.batchSize, POSITIVE_INTEGER);
  checkNumber(name, 'emaDecay', c.emaDecay, DECAY_RATE);
  const decay = checkedLrDecay(name, c);
  return {
    variant,
    architecture: c.architecture,
    ...arch,
    ...sizes,
    nCritic: c.nCritic,
    criticWarmup: c.criticWarmup,
    clipValue: c.clipValue,
    lambda: c.lambda,
    optimizer: c.optimizer,
    ...adam,
    batchSize: c.batchSize,
    emaDecay: c.emaDecay,
    ...decay,
  };
}

/** The DCGAN builders' view of a conv WGAN config (unconditional; `denseUnits` > 0 gives G and the 'clip' critic DCGAN's dense hidden layer, module doc). */
function dcganArchitecture(c: WganConfig): DcganArchitecture {
  const { latentDim, gFilters, dFilters, kernelSize, denseUnits, initStd } = c;
  return { latentDim, gFilters, dFilters, kernelSize, denseUnits, initStd, conditional: false, leakySlope: c.leakyAlpha };
}

/**
 * WGAN-GP's conv critic (gan_mnist.py's Discriminator, module doc): 28×28×1 → conv dFilters →
 * 2·dFilters → 4·dFilters (kernelSize, stride 2, LeakyReLU) → flatten → dense 1, no batchnorm.
 */
export function wganGpCriticSpec(c: Pick<WganConfig, 'dFilters' | 'kernelSize' | 'initStd' | 'leakyAlpha'>): SequentialSpec {
  const conv = (filters: number) => ({ type: 'conv2d', filters, kernelSize: c.kernelSize, strides: 2, activation: 'leakyRelu' }) as const;
  return {
    name: 'critic',
    inputShape: [MNIST_SIDE, MNIST_SIDE, 1],
    init: { normal: c.initStd },
    leakyAlpha: c.leakyAlpha,
    layers: [conv(c.dFilters), conv(2 * c.dFilters), conv(4 * c.dFilters), { type: 'flatten' }, { type: 'dense', units: 1 }],
  };
}

/** G and the critic of `c.architecture`, G first from `rng` (module doc), and θ̄ when `emaDecay` > 0. */
function buildWganNets(c: WganConfig, rng: Rng): GanNets<GanNet> {
  const averaging = c.emaDecay > 0 ? { decay: c.emaDecay, batchSize: c.batchSize } : undefined;
  if (c.architecture === 'mlp') return buildMlpGanNets(c, rng, averaging);
  const name = c.variant === 'gp' ? 'WGAN-GP' : 'WGAN';
  if (!nativeAvailable()) {
    throw new Error(`${name} config: 'architecture' 'dcgan' needs the native addon (not built, or NNLAB_NATIVE=off): the conv nets train only on core/fusedConvNet.ts; use 'mlp'`);
  }
  const arch = dcganArchitecture(c);
  const gSpec = generatorSpec(arch);
  const dSpec = c.variant === 'gp' ? wganGpCriticSpec(c) : discriminatorSpec(arch);
  const generator = buildSequential(gSpec, rng);
  const critic = buildSequential(dSpec, rng);
  const generatorNet = () => new FusedConvNet(gSpec, readWeights([generator]));
  return { generator, critic, G: generatorNet(), D: new FusedConvNet(dSpec, readWeights([critic])), ...(averaging !== undefined ? { averaging: { ...averaging, net: generatorNet() } } : {}) };
}

export class Wgan extends MlpGanLearner<GanNet> {
  readonly kind: 'wgan' | 'wgan-gp';
  readonly config: Readonly<WganConfig>;
  protected readonly gOpt: FlatOptimizer;
  protected readonly dOpt: FlatOptimizer;
  /** A batch-normalised critic's gradient of the real term while it runs on the fake batch. */
  private readonly realGrads: Float32Array;

  constructor(config: Partial<WganConfig>, rng: Rng, variant: WganVariant = config.variant ?? 'clip') {
    const c = resolveWganConfig(config, variant);
    super(c.latentDim, buildWganNets(c, rng), rng);
    this.config = Object.freeze(c);
    this.kind = c.variant === 'gp' ? 'wgan-gp' : 'wgan';
    const opt = (size: number): FlatOptimizer =>
      c.optimizer === 'adam' ? new FusedAdam(size, c.learningRate, c.beta1, c.beta2) : new FusedRmsprop(size, c.learningRate);
    this.gOpt = opt(this.G.params.length);
    this.dOpt = opt(this.D.params.length);
    this.realGrads = new Float32Array(this.D.hasBatchNorm ? this.D.grads.length : 0);
    if (c.variant === 'clip') this.D.clip(c.clipValue);
  }

  /** α · decayFactor(t) for the iteration t being taken (generative/lrDecay.ts; 1 unless `decayIterations` > 0). */
  override learningRate(_phase: Phase): number {
    return this.config.learningRate * decayFactor(this.config, this.generatorIterations);
  }

  schedule(): Phase[] {
    const { nCritic, criticWarmup } = this.config;
    const gi = this.generatorIterations;
    const steps = criticWarmup && (gi < 25 || gi % 500 === 0) ? 100 : nCritic;
    return [...new Array<Phase>(steps).fill('critic'), 'generator'];
  }

  protected override afterCriticUpdate(): void {
    if (this.config.variant === 'clip') this.D.clip(this.config.clipValue);
  }

  criticLossAndGrad(x: Float32Array, z: Float32Array, n: number): Metrics {
    const gp = this.config.variant === 'gp';
    const fake = this.generate(z, n);
    const D = this.D;
    const gReal = new Float32Array(n).fill(-1 / n);
    const gFake = new Float32Array(n).fill(1 / n);
    let fReal = 0;
    let fFake = 0;
    if (D.hasBatchNorm) {
      // batchnorm (the conv WGAN's critic): real and fake batches in separate forwards, gradients summed
      const real = D.forward(x.subarray(0, n * MNIST_PIXELS), n);
      for (let i = 0; i < n; i++) fReal += real[i]!;
      this.realGrads.set(D.backward(gReal));
      const f = D.forward(fake, n);
      for (let i = 0; i < n; i++) fFake += f[i]!;
      const grads = D.backward(gFake);
      for (let k = 0; k < grads.length; k++) grads[k]! += this.realGrads[k]!;
    } else {
      // no batchnorm: real, fake (and x̂) rows in one forward
      const rows = gp ? 3 * n : 2 * n;
      const xCat = new Float32Array(rows * MNIST_PIXELS);
      xCat.set(x.subarray(0, n * MNIST_PIXELS));
      xCat.set(fake, n * MNIST_PIXELS);
      if (gp) {
        // x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1] per sample
        for (let i = 0; i < n; i++) {
          const eps = this.rng.random();
          const o = (2 * n + i) * MNIST_PIXELS;
          for (let j = 0; j < MNIST_PIXELS; j++) xCat[o + j] = eps * x[i * MNIST_PIXELS + j]! + (1 - eps) * fake[i * MNIST_PIXELS + j]!;
        }
      }
      const f = D.forward(xCat, rows);
      const gOut = new Float32Array(rows);
      for (let i = 0; i < n; i++) {
        fReal += f[i]!;
        fFake += f[n + i]!;
      }
      gOut.set(gReal);
      gOut.set(gFake, n);
      // the x̂ rows' output gradients are 0 (only the penalty differentiates them): the conv engine skips them
      if (D instanceof FusedConvNet) D.backward(gOut, undefined, 2 * n);
      else D.backward(gOut);
    }
    const wasserstein = (fReal - fFake) / n;
    const metrics: Metrics = { [WASSERSTEIN]: wasserstein };
    if (gp) {
      const lambda = this.config.lambda;
      const { penalty, gradNorm } = addGradientPenalty(D, lambda, 2 * n, n);
      metrics[GRADIENT_PENALTY] = penalty;
      metrics[CRITIC_GRAD_NORM] = gradNorm;
      metrics[CRITIC_LOSS] = -wasserstein + penalty;
    } else {
      metrics[CRITIC_LOSS] = -wasserstein;
    }
    return metrics;
  }

  generatorLossAndGrad(z: Float32Array, n: number): Metrics {
    const fake = this.G.forward(z, n);
    const f = this.D.forward(fake, n);
    let gLoss = 0;
    for (let i = 0; i < n; i++) gLoss -= f[i]!;
    const gOut = new Float32Array(n).fill(-1 / n);
    const gFake = new Float32Array(n * MNIST_PIXELS);
    this.D.backward(gOut, gFake);
    this.G.backward(gFake);
    return { [G_LOSS]: gLoss / n };
  }
}
