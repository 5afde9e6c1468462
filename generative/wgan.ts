/**
 * WGAN — Arjovsky, Chintala & Bottou 2017, "Wasserstein GAN" (ICML; algorithm 1), and WGAN-GP —
 * Gulrajani et al. 2017, "Improved Training of Wasserstein GANs" (NeurIPS; algorithm 1). Checked
 * against the authors' code (martinarjovsky/WassersteinGAN, igul222/improved_wgan_training
 * gan_mnist.py) for settings. MLP generator and critic on the fused engine (core/fusedNet.ts).
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
 */
import { FusedAdam } from '../core/fused.js';
import type { Rng } from '../base/rng.js';
import { checkBoolean, checkChoice, checkKnownKeys, checkNumber } from './config.js';
import { FusedRmsprop } from '../core/fused.js';
import { checkMlpGanArchitecture } from './gan.js';
import { addGradientPenalty } from './gradientPenalty.js';
import { MlpGanLearner, PIXELS, type FlatOptimizer, type MlpGanArchitecture } from './mlpGan.js';
import type { Metrics, Phase } from './types.js';

/** The MLP architecture fields (MlpGanArchitecture), then the WGAN's own. */
export interface WganConfig extends MlpGanArchitecture {
  /** 'clip' (weight clipping, WGAN) or 'gp' (gradient penalty, WGAN-GP). */
  variant: 'clip' | 'gp';
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
}

const ARCH = {
  latentDim: 100,
  generatorHidden: Object.freeze([256, 512]),
  criticHidden: Object.freeze([512, 256]),
  generatorActivation: 'leakyRelu' as const,
  criticActivation: 'leakyRelu' as const,
  leakyAlpha: 0.2,
  generatorBatchNorm: false,
};

/** WGAN with weight clipping: the paper's RMSprop 5e-5, c = 0.01, n_critic = 5, batch 64. */
export const WGAN_DEFAULTS: Readonly<WganConfig> = Object.freeze({
  variant: 'clip',
  ...ARCH,
  nCritic: 5,
  criticWarmup: false,
  clipValue: 0.01,
  lambda: 10,
  optimizer: 'rmsprop',
  learningRate: 5e-5,
  beta1: 0.5,
  beta2: 0.9,
  batchSize: 64,
});

/** WGAN-GP: λ = 10, Adam 1e-4 with β = (0.5, 0.9), n_critic = 5, batch 64. */
export const WGAN_GP_DEFAULTS: Readonly<WganConfig> = Object.freeze({
  ...WGAN_DEFAULTS,
  variant: 'gp',
  optimizer: 'adam',
  learningRate: 1e-4,
});

export function resolveWganConfig(config: Partial<WganConfig> = {}, variant: 'clip' | 'gp' = config.variant ?? 'clip'): WganConfig {
  const name = variant === 'gp' ? 'WGAN-GP' : 'WGAN';
  const defaults = variant === 'gp' ? WGAN_GP_DEFAULTS : WGAN_DEFAULTS;
  checkKnownKeys(name, config, defaults);
  if (config.variant !== undefined && config.variant !== variant) throw new RangeError(`${name} config: 'variant' is '${variant}' for this model, got ${JSON.stringify(config.variant)}`);
  const c: WganConfig = { ...defaults, ...config, variant };
  c.generatorHidden = [...c.generatorHidden];
  c.criticHidden = [...c.criticHidden];
  checkChoice(name, 'variant', c.variant, ['clip', 'gp'] as const);
  checkMlpGanArchitecture(name, c);
  checkNumber(name, 'nCritic', c.nCritic, { min: 1, integer: true });
  checkBoolean(name, 'criticWarmup', c.criticWarmup);
  checkNumber(name, 'clipValue', c.clipValue, { min: 0, minExclusive: true });
  checkNumber(name, 'lambda', c.lambda, { min: 0 });
  checkChoice(name, 'optimizer', c.optimizer, ['rmsprop', 'adam'] as const);
  checkNumber(name, 'learningRate', c.learningRate, { min: 0, minExclusive: true });
  checkNumber(name, 'beta1', c.beta1, { min: 0, max: 1, maxExclusive: true });
  checkNumber(name, 'beta2', c.beta2, { min: 0, max: 1, maxExclusive: true });
  checkNumber(name, 'batchSize', c.batchSize, { min: 1, integer: true });
  return c;
}

export class Wgan extends MlpGanLearner {
  readonly kind: 'wgan' | 'wgan-gp';
  readonly config: Readonly<WganConfig>;
  protected readonly gOpt: FlatOptimizer;
  protected readonly dOpt: FlatOptimizer;

  constructor(config: Partial<WganConfig>, rng: Rng, variant: 'clip' | 'gp' = config.variant ?? 'clip') {
    const c = resolveWganConfig(config, variant);
    super(c, rng);
    this.config = Object.freeze(c);
    this.kind = c.variant === 'gp' ? 'wgan-gp' : 'wgan';
    const opt = (size: number): FlatOptimizer =>
      c.optimizer === 'adam' ? new FusedAdam(size, c.learningRate, c.beta1, c.beta2) : new FusedRmsprop(size, c.learningRate);
    this.gOpt = opt(this.G.params.length);
    this.dOpt = opt(this.D.params.length);
    if (c.variant === 'clip') this.D.clip(c.clipValue);
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
    const rows = gp ? 3 * n : 2 * n;
    const xCat = new Float32Array(rows * PIXELS);
    xCat.set(x.subarray(0, n * PIXELS));
    xCat.set(fake, n * PIXELS);
    if (gp) {
      // x̂ = ε x + (1 − ε) G(z), ε ~ U[0, 1] per sample
      for (let i = 0; i < n; i++) {
        const eps = this.rng.random();
        const o = (2 * n + i) * PIXELS;
        for (let j = 0; j < PIXELS; j++) xCat[o + j] = eps * x[i * PIXELS + j]! + (1 - eps) * fake[i * PIXELS + j]!;
      }
    }
    const f = this.D.forward(xCat, rows);
    const gOut = new Float32Array(rows);
    let fReal = 0;
    let fFake = 0;
    for (let i = 0; i < n; i++) {
      fReal += f[i]!;
      fFake += f[n + i]!;
      gOut[i] = -1 / n;
      gOut[n + i] = 1 / n;
    }
    this.D.backward(gOut);
    const wasserstein = (fReal - fFake) / n;
    const metrics: Metrics = { 'losses/wasserstein': wasserstein };
    if (gp) {
      const { penalty, gradNorm } = addGradientPenalty(this.D, this.config.lambda, 2 * n, n);
      metrics['losses/gradient_penalty'] = penalty;
      metrics['losses/critic_grad_norm'] = gradNorm;
      metrics['losses/critic_loss'] = -wasserstein + penalty;
    } else {
      metrics['losses/critic_loss'] = -wasserstein;
    }
    return metrics;
  }

  generatorLossAndGrad(z: Float32Array, n: number): Metrics {
    const fake = this.G.forward(z, n);
    const f = this.D.forward(fake, n);
    let gLoss = 0;
    for (let i = 0; i < n; i++) gLoss -= f[i]!;
    const gOut = new Float32Array(n).fill(-1 / n);
    const gFake = new Float32Array(n * PIXELS);
    this.D.backward(gOut, gFake);
    this.G.backward(gFake);
    return { 'losses/g_loss': gLoss / n };
  }
}
