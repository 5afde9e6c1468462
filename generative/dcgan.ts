/**
 * DCGAN — Radford, Metz & Chintala 2016, "Unsupervised Representation Learning with Deep
 * Convolutional Generative Adversarial Networks" (ICLR 2016, arXiv:1511.06434), trained with the
 * GAN algorithm of Goodfellow et al. 2014 (the course seed's algorithm 13.1: K discriminator steps,
 * then one generator step), and its conditional form, CGAN — Mirza & Osindero 2014, "Conditional
 * Generative Adversarial Nets" (arXiv:1411.1784): G and D both see the label y.
 *
 * Architecture (28×28 MNIST; the paper's rules, the layer sizes of TensorFlow's DCGAN tutorial and
 * of nnlab's PyTorch side-by-side bench):
 *   G: [z ; onehot(y)] → dense 7·7·2ngf (BN, ReLU) → reshape 7×7×2ngf
 *      → convT ngf 5×5 stride 2 (BN, ReLU) → 14×14 → convT 1 5×5 stride 2 (tanh) → 28×28×1
 *   D: [x ; y-maps] → conv ndf 5×5 stride 2 (LeakyReLU 0.2) → 14×14
 *      → conv 2ndf 5×5 stride 2 (BN, LeakyReLU 0.2) → 7×7 → flatten → dense 1 (logit)
 * With `denseUnits: h` (> 0) G gets [z ; onehot(y)] → dense h (BN, ReLU) before its projection and D
 * gets flatten → dense h (BN, LeakyReLU 0.2) before its logit: with h = 1024 and 4×4 kernels these are
 * the MNIST networks of InfoGAN (Chen et al. 2016, appendix C.1), used for MNIST by Lucic et al. 2018
 * ("Are GANs Created Equal?"). The fully connected hidden layer departs from the paper's "remove fully
 * connected hidden layers" (a rule for its deeper 64×64 nets); on MNIST it lifts the unconditional
 * model's classifier score after one epoch from 5.6 to 7.3 (bench/results/generative/report.md).
 *
 * Defaults (DCGAN_DEFAULTS): InfoGAN's MNIST nets (h = 1024, 4×4), InfoGAN's learning rates (G 1e-3,
 * D 2e-4: openai/InfoGAN launchers/run_mnist_exp.py) and G's moving average (β 0.999, below); the
 * paper's all-convolutional nets with one rate and no averaging flatten near classifier score 7.3
 * on MNIST (docs/generative.md). PAPER_DCGAN selects them; the registry's `cdcgan` starts from them
 * (the conditional model meets its goals on the paper's nets).
 *
 * Paper rules kept: strided convolutions instead of pooling in D, fractionally-strided (transposed)
 * convolutions in G, batchnorm in both except the G output layer and the D input layer, ReLU in G
 * with tanh at its output, LeakyReLU(0.2) in D, every weight from N(0, 0.02), Adam with β₁ = 0.5
 * (lr 2e-4 for D), minibatch 64. Pixels are scaled to [−1, 1] to match tanh. The conditional model
 * concatenates the one-hot label to z for G and stacks it as 10 constant 28×28 maps on D's input
 * channels (CGAN's "y fed into both the discriminator and generator as additional input layer").
 *
 * Losses, with D(·) = σ(logit) and M the minibatch size (bceWithLogits, the stable form):
 *   L_D = −1/M Σₘ [ log D(x⁽ᵐ⁾ | y⁽ᵐ⁾) + log(1 − D(G(z⁽ᵐ⁾ | y⁽ᵐ⁾) | y⁽ᵐ⁾)) ]   (ascent on algorithm 13.1, line 6)
 *   L_G = −1/M Σₘ log D(G(z⁽ᵐ⁾ | y⁽ᵐ⁾) | y⁽ᵐ⁾)                              (non-saturating, Goodfellow 2014 §3)
 * with z ~ N(0, I) drawn afresh for every phase (lines 5 and 8) and y the labels of the phase's batch.
 * With one-sided label smoothing α (`labelSmoothing`, off by default) D's real term is
 * (1 − α) log D(x) + α log(1 − D(x)).
 * Batchnorm runs in training mode (batch statistics) in both phases, as in PyTorch's reference
 * DCGAN (pytorch/examples dcgan/main.py, whose update this follows; the step is timed against
 * PyTorch in bench/compare-torch.ts, not compared value by value); its running averages
 * (momentum 0.1 in PyTorch's convention) are used by `sample()` and by the saved generator, so a
 * browser's `model.predict` gives the same images as `sample()`.
 *
 * Generator averaging (`emaDecay`: β > 0; 0.999 by default, 0 in PAPER_DCGAN): an exponential
 * moving average of G's trainable weights, θ̄ ← β θ̄ + (1 − β) θ after every generator step —
 * Yazıcı et al. 2019, "The Unusual Effectiveness of Averaging in GAN Training" (ICLR 2019);
 * ProGAN's G_s (Karras et al. 2018) uses β = 0.999. Training never reads θ̄: with it on, D and G train exactly as without it. θ̄ is a
 * second generator whose batchnorm running averages are recomputed for its own weights (the
 * online G's averages belong to other weights) from CALIBRATION_BATCHES batches of fresh z before
 * it samples or is saved; `sample()` and the saved `generator/` then use it.
 *
 * Learning-rate decay (`decayStart`, `decayIterations`; off by default): both rates fall linearly to
 * zero over `decayIterations` iterations from iteration `decayStart`, as pix2pix and CycleGAN end
 * their runs (generative/lrDecay.ts). Off in the defaults: decaying over three more epochs did not
 * lift the default's classifier score (docs/generative.md).
 *
 * Engines (`fused`, default true): with the native addon built, G and D train on
 * core/fusedConvNet.ts `FusedConvNet` (forward / backward on typed arrays, the native kernels) with
 * core/fused.ts `FusedAdam` (ε = 1e-8, the ε makeOptimizer gives tfjs's Adam): `engine` is then
 * 'fused'. Without the addon (not built, or NNLAB_NATIVE=off), or with `fused: false`, they train on
 * tfjs autograd and tfjs's Adam: `engine` is 'tfjs'. Both run the same algorithm on the same random
 * streams (z from the training Rng in the same order and amounts; the same losses, batchnorm in
 * training mode in both phases, its running averages advanced in the same order: G, then D on the
 * real batch, then D on the fake one); the critic's gradient is the sum of the gradients of the two
 * BCE terms, ∂L_D/∂θ_D = ∂bce(D(x), 1)/∂θ_D + ∂bce(D(G(z)), 0)/∂θ_D, and the generator's is
 * ∂L_G/∂θ_G = (∂L_G/∂x̃ at x̃ = G(z), D's input gradient, image channel only) back through G. The
 * tfjs models (`generator`, `discriminator`, `generatorEma`) stay the saved and loaded format: on the
 * fused engine they are written from the engine's parameters and running averages when read
 * (these getters, `sample()`, `save()`), and `load()` writes them into the engine.
 *
 * Data-parallel use: `computeGradients` also advances the batchnorm running averages of the
 * process that runs it; `getParams` includes them (`…_bn/moving_mean`, `…_bn/moving_variance`)
 * so a learner can adopt a worker's averages with `setParams`.
 */
import { ADAM_DEFAULTS } from '../core/optimDefaults.js';
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import path from 'node:path';
import { buildSequential, type SequentialSpec } from '../core/nn.js';
import { FusedConvNet } from '../core/fusedConvNet.js';
import { checkedLrDecay, decayFactor } from './lrDecay.js';
import { fillFromMap, sizeOf, sliceMap } from '../core/flatParams.js';
import { FusedAdam } from '../core/fused.js';
import type { FusedAdamState } from '../core/flatParams.js';
import { loadNativeAddon, nativeAvailable, NATIVE_BINARY, NATIVE_BROADCAST, type NativeAddon } from '../core/nativeAddon.js';
import { makeOptimizer, type Optimizer, type OptimizerSlot } from '../core/optim.js';
import { bceWithLogits } from '../core/losses.js';
import { blendWeights, computeGradients, encode, namedVariables, readWeights, type TensorData, type TensorMap } from '../core/tensors.js';
import { loadWeightsInto, readMsgpackFile, saveModelFiles } from '../core/checkpoint.js';
import { writeFileAtomic } from '../core/atomicWrite.js';
import { checkData, fusedAdamStateSchema, optimizerSlotsSchema } from '../core/stateFile.js';
import { count, rngStateSchema } from '../base/schemas.js';
import { Rng, type RngState } from '../base/rng.js';
import { sigmoid } from '../base/logistic.js';
import { CALIBRATION_BATCHES } from './averaging.js';
import { checkBoolean, checkedAdam, checkNumber, checkSeedField, configFields, type ConfigFields, DECAY_RATE, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import type { GenerativeLearner, ImageBatch, Phase } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { GAN_PHASES, GENERATIVE_FILES, ganPhase, MNIST_CLASSES, MNIST_PIXELS, MNIST_SIDE, type GanPhase } from './kinds.js';
import { LEAKY_RELU_ALPHA } from '../core/activation.js';
import { D_G_Z, D_LOSS, D_X, G_LOSS } from '../agents/metricNames.js';

export interface DcganConfig {
  /** Dimension of the latent z ~ N(0, I). */
  latentDim: number;
  /** CGAN: G gets [z ; onehot(y)], D gets 10 label maps stacked on the image; sample() honours labels. */
  conditional: boolean;
  /** ngf: channels of G's 14×14 map (its 7×7 map has 2·ngf). */
  gFilters: number;
  /** ndf: channels of D's 14×14 map (its 7×7 map has 2·ndf). */
  dFilters: number;
  /** Square kernel size of every (transposed) convolution. */
  kernelSize: number;
  /**
   * Units of one fully connected hidden layer (BN, then ReLU in G / LeakyReLU in D) between z and
   * G's 7×7 projection and between D's flattened 7×7 map and its logit; 0 = none (the DCGAN
   * paper's "remove fully connected hidden layers"). 1024 gives the MNIST networks of InfoGAN
   * (Chen et al. 2016, appendix C.1), the ones Lucic et al. 2018 ("Are GANs Created Equal?") use for MNIST.
   */
  denseUnits: number;
  /** Adam learning rate of D, and of G unless `generatorLearningRate` says otherwise. */
  learningRate: number;
  /**
   * Adam learning rate of G; 0 = `learningRate` (the paper's one rate). InfoGAN's MNIST runs
   * (Chen et al. 2016; openai/InfoGAN launchers/run_mnist_exp.py) give G 1e-3 and D 2e-4.
   */
  generatorLearningRate: number;
  /** Adam β₁ (the paper lowers it from 0.9 to 0.5 for stability). */
  beta1: number;
  /** Adam β₂. */
  beta2: number;
  /** Standard deviation of the N(0, σ²) initialisation of every kernel. */
  initStd: number;
  /** Slope of D's LeakyReLU for x < 0. */
  leakySlope: number;
  /** Minibatch size M that a training loop draws per phase. */
  batchSize: number;
  /** K: discriminator steps per generator step (algorithm 13.1). */
  criticSteps: number;
  /**
   * β of the exponential moving average of G's weights that samples and is saved (Yazıcı et al.
   * 2019); 0 = off, G itself samples (the paper's).
   */
  emaDecay: number;
  /**
   * One-sided label smoothing (Salimans et al. 2016, "Improved Techniques for Training GANs", §3.4):
   * D's target for real images is 1 − this instead of 1 (fakes keep 0, G's target stays 1); 0 = off.
   */
  labelSmoothing: number;
  /** Iteration from which both learning rates decay linearly to 0 (generative/lrDecay.ts). */
  decayStart: number;
  /** Iterations of that decay; 0 = none (the paper's constant rates). */
  decayIterations: number;
  /**
   * Seed of weights and latents when no Rng is passed to the constructor. θ̄'s calibration noise
   * (`Dcgan.sampler`) is drawn from it whether or not an Rng is passed: from
   * calibrationSeed(seed, iterations), so a learner built from a run's Rng (generative/models.ts
   * makeGenerativeLearner) calibrates from this field (0 by default), not from the run's seed;
   * committed results depend on it. The MLP GANs seed theirs from the generator iteration count
   * alone (mlpGan.ts sampler: `new Rng(generatorIterations)`).
   */
  seed: number;
  /**
   * true: train on the fused conv engine (core/fusedConvNet.ts) when the native addon loads, on
   * tfjs otherwise; false: always on tfjs. `Dcgan.engine` says which one runs (module doc).
   */
  fused: boolean;
}

/**
 * Radford et al.'s settings (batch 64, Adam β₁ 0.5, N(0, 0.02), LeakyReLU 0.2, K = 1) on InfoGAN's
 * MNIST networks (4×4 kernels, a fully connected 1024 layer in G and D) with InfoGAN's learning
 * rates (G 1e-3, D 2e-4) and a moving average of G (β 0.999) that samples and is saved (results in
 * docs/generative.md). PAPER_DCGAN gives the paper's nets and recipe.
 */
export const DCGAN_DEFAULTS: Readonly<DcganConfig> = Object.freeze({
  latentDim: 100,
  conditional: false,
  gFilters: 64,
  dFilters: 64,
  kernelSize: 4,
  denseUnits: 1024,
  learningRate: 2e-4,
  generatorLearningRate: 1e-3,
  beta1: 0.5,
  beta2: 0.999,
  initStd: 0.02,
  leakySlope: LEAKY_RELU_ALPHA,
  batchSize: 64,
  criticSteps: 1,
  emaDecay: 0.999,
  labelSmoothing: 0,
  decayStart: 0,
  decayIterations: 0,
  seed: 0,
  fused: true,
});

/** The DCGAN paper's nets and recipe over DCGAN_DEFAULTS: 5×5 kernels, no fully connected hidden layer, Adam 2e-4 for both, G itself samples. */
export const PAPER_DCGAN: Readonly<Partial<DcganConfig>> = Object.freeze({ kernelSize: 5, denseUnits: 0, generatorLearningRate: 0, emaDecay: 0 });

const M = 'DCGAN';

/** The conv nets' sizes and init, which DCGAN and the conv WGANs (generative/wgan.ts) share. */
export type ConvNetSizes = Pick<DcganConfig, 'gFilters' | 'dFilters' | 'kernelSize' | 'denseUnits' | 'initStd'>;

/** Checks the conv nets' sizes and init of a model's config fields (a RangeError naming the first bad one). */
export function checkedConvNetSizes(model: string, c: ConfigFields<ConvNetSizes>): ConvNetSizes {
  checkNumber(model, 'gFilters', c.gFilters, POSITIVE_INTEGER);
  checkNumber(model, 'dFilters', c.dFilters, POSITIVE_INTEGER);
  checkNumber(model, 'kernelSize', c.kernelSize, POSITIVE_INTEGER);
  checkNumber(model, 'denseUnits', c.denseUnits, { min: 0, integer: true });
  checkNumber(model, 'initStd', c.initStd, POSITIVE);
  return { gFilters: c.gFilters, dFilters: c.dFilters, kernelSize: c.kernelSize, denseUnits: c.denseUnits, initStd: c.initStd };
}

/** Defaults overridden by `config`, which may be unchecked data (a spec's object): throws a RangeError naming the first unknown or bad field. */
export function resolveDcganConfig(config: unknown = {}): DcganConfig {
  const c = configFields(M, config, DCGAN_DEFAULTS);
  checkNumber(M, 'latentDim', c.latentDim, POSITIVE_INTEGER);
  const sizes = checkedConvNetSizes(M, c);
  checkNumber(M, 'batchSize', c.batchSize, POSITIVE_INTEGER);
  checkNumber(M, 'criticSteps', c.criticSteps, POSITIVE_INTEGER);
  const { learningRate, beta1, beta2 } = checkedAdam(M, c);
  checkNumber(M, 'generatorLearningRate', c.generatorLearningRate, { min: 0 });
  checkNumber(M, 'leakySlope', c.leakySlope, { min: 0, max: 1 });
  checkNumber(M, 'emaDecay', c.emaDecay, DECAY_RATE);
  checkNumber(M, 'labelSmoothing', c.labelSmoothing, { min: 0, max: 0.5, maxExclusive: true });
  const { decayStart, decayIterations } = checkedLrDecay(M, c);
  checkSeedField(M, 'seed', c.seed);
  checkBoolean(M, 'conditional', c.conditional);
  checkBoolean(M, 'fused', c.fused);
  return {
    latentDim: c.latentDim,
    conditional: c.conditional,
    gFilters: sizes.gFilters,
    dFilters: sizes.dFilters,
    kernelSize: sizes.kernelSize,
    denseUnits: sizes.denseUnits,
    learningRate,
    generatorLearningRate: c.generatorLearningRate,
    beta1,
    beta2,
    initStd: sizes.initStd,
    leakySlope: c.leakySlope,
    batchSize: c.batchSize,
    criticSteps: c.criticSteps,
    emaDecay: c.emaDecay,
    labelSmoothing: c.labelSmoothing,
    decayStart,
    decayIterations,
    seed: c.seed,
    fused: c.fused,
  };
}

/**
 * The seed of the Rng whose latents recompute θ̄'s batchnorm averages after `iterations` iterations
 * (`Dcgan.sampler`): seed · 1 000 003 + iterations, modulo 2⁵³, so that it is a safe integer (an
 * Rng's seed) for every seed a config may name. Below 2⁵³ (every seed under ~9·10⁹) it is that sum
 * itself, so the committed runs' samples do not change.
 */
export function calibrationSeed(seed: number, iterations: number): number {
  return Number(BigInt.asUintN(53, BigInt(seed) * 1_000_003n + BigInt(iterations)));
}

/** G's Adam learning rate: `generatorLearningRate`, or `learningRate` when that is 0. */
export function generatorLearningRateOf(c: Pick<DcganConfig, 'learningRate' | 'generatorLearningRate'>): number {
  return c.generatorLearningRate > 0 ? c.generatorLearningRate : c.learningRate;
}

/** The architecture fields of a config (what the builders need). */
export type DcganArchitecture = Pick<DcganConfig, 'latentDim' | 'conditional' | 'gFilters' | 'dFilters' | 'kernelSize' | 'denseUnits' | 'initStd' | 'leakySlope'>;

/**
 * G's layers: [z ; onehot(y)] → 28×28×1 in [−1, 1]. Input width latentDim (+ 10 when conditional).
 * The spec is what both buildGenerator (tfjs) and core/fusedConvNet.ts `FusedConvNet` build from.
 */
export function generatorSpec(arch: Partial<DcganArchitecture>): SequentialSpec {
  const a = { ...DCGAN_DEFAULTS, ...arch };
  const k = a.kernelSize;
  return {
    name: 'g',
    inputShape: [a.latentDim + (a.conditional ? MNIST_CLASSES : 0)],
    init: { normal: a.initStd },
    layers: [
      ...(a.denseUnits > 0 ? [{ type: 'dense', units: a.denseUnits, batchNorm: true, activation: 'relu' } as const] : []),
      { type: 'dense', units: 7 * 7 * 2 * a.gFilters, batchNorm: true, activation: 'relu' },
      { type: 'reshape', targetShape: [7, 7, 2 * a.gFilters] },
      { type: 'conv2dTranspose', filters: a.gFilters, kernelSize: k, strides: 2, batchNorm: true, activation: 'relu' },
      { type: 'conv2dTranspose', filters: 1, kernelSize: k, strides: 2, activation: 'tanh' }, // output: no BN
    ],
  };
}

/** G as a tfjs model. Pure: the same spec and Rng state give the same weights. */
export function buildGenerator(arch: Partial<DcganArchitecture>, rng: Rng): tf.Sequential {
  return buildSequential(generatorSpec(arch), rng);
}

/** D's layers: [x ; y-maps] (28×28×1, or ×11 when conditional) → one logit (as generatorSpec). */
export function discriminatorSpec(arch: Partial<DcganArchitecture>): SequentialSpec {
  const a = { ...DCGAN_DEFAULTS, ...arch };
  const k = a.kernelSize;
  return {
    name: 'd',
    inputShape: [MNIST_SIDE, MNIST_SIDE, 1 + (a.conditional ? MNIST_CLASSES : 0)],
    init: { normal: a.initStd },
    leakyAlpha: a.leakySlope,
    layers: [
      { type: 'conv2d', filters: a.dFilters, kernelSize: k, strides: 2, activation: 'leakyRelu' }, // input: no BN
      { type: 'conv2d', filters: 2 * a.dFilters, kernelSize: k, strides: 2, batchNorm: true, activation: 'leakyRelu' },
      { type: 'flatten' },
      ...(a.denseUnits > 0 ? [{ type: 'dense', units: a.denseUnits, batchNorm: true, activation: 'leakyRelu' } as const] : []),
      { type: 'dense', units: 1 },
    ],
  };
}

/** D as a tfjs model. Pure, as buildGenerator. */
export function buildDiscriminator(arch: Partial<DcganArchitecture>, rng: Rng): tf.Sequential {
  return buildSequential(discriminatorSpec(arch), rng);
}

function checkLabels(labels: Uint8Array, n: number, what: string): void {
  if (labels.length !== n) throw new RangeError(`${what}: ${labels.length} labels for ${n} images`);
  for (let i = 0; i < n; i++) if (labels[i]! >= MNIST_CLASSES) throw new RangeError(`${what}: label ${labels[i]} at index ${i} is not a digit 0–9`);
}

function checkBatch(batch: ImageBatch): void {
  if (!Number.isInteger(batch.n) || batch.n < 1) throw new RangeError(`batch.n must be a positive integer, got ${batch.n}`);
  if (batch.images.length !== batch.n * MNIST_PIXELS) throw new RangeError(`batch.images has ${batch.images.length} values, expected n·784 = ${batch.n * MNIST_PIXELS}`);
  checkLabels(batch.labels, batch.n, 'batch');
}

/** The label channels of D's input as data [n·784, 11]: channel 0 (the image's) zero, channel 1 + y one. */
export function labelMaps(labels: Uint8Array): Float32Array {
  const channels = 1 + MNIST_CLASSES;
  const maps = new Float32Array(labels.length * MNIST_PIXELS * channels);
  labels.forEach((y, k) => {
    for (let p = 0; p < MNIST_PIXELS; p++) maps[(k * MNIST_PIXELS + p) * channels + 1 + y] = 1;
  });
  return maps;
}

/** Saved learner state besides the models and optimisers. */
interface DcganState {
  kind: string;
  config: DcganConfig;
  iterations: number;
  rng: RngState;
  sampleRng: RngState;
  /** The engine that saved it (absent: 'tfjs', saved before the fused engine existed). */
  engine?: DcganEngine;
  /** tfjs engine: both tfjs Adam states (slot variables, positional). */
  optimizers?: Record<GanPhase, OptimizerSlot[]>;
  /** fused engine: both FusedAdam states (moments over the flat parameter vectors). */
  adam?: Record<GanPhase, FusedAdamState>;
}

/** What load reads back of a DcganState (checked; of the config only emaDecay, for an error message, absent before averaging existed). */
const dcganSavedState = z.object({
  kind: z.string(),
  config: z.object({ emaDecay: z.number().optional() }),
  iterations: count,
  rng: rngStateSchema,
  sampleRng: rngStateSchema,
  engine: z.enum(['fused', 'tfjs']).optional(),
  optimizers: z.object({ critic: optimizerSlotsSchema, generator: optimizerSlotsSchema }).optional(),
  adam: z.object({ critic: fusedAdamStateSchema, generator: fusedAdamStateSchema }).optional(),
}) satisfies z.ZodType<Omit<DcganState, 'config'> & { config: Partial<Pick<DcganConfig, 'emaDecay'>> }>;

/** Which engine trains G and D (module doc). */
export type DcganEngine = 'fused' | 'tfjs';

/** The fused engine's state: G, D (and θ̄) as FusedConvNets, their Adams, scratch. */
interface FusedEngine {
  readonly kind: 'fused';
  readonly addon: NativeAddon;
  readonly G: FusedConvNet;
  readonly D: FusedConvNet;
  /** θ̄ in `params` (G's trainable weights' layout) and its own batchnorm running averages. */
  readonly gEma: FusedConvNet | undefined;
  readonly adam: Record<GanPhase, FusedAdam>;
  /** ∂bce(D(x), 1)/∂θ_D while D runs on the fake batch. */
  readonly realGrads: Float32Array;
  /** (1 − β) θ, for the EMA update. */
  readonly emaScratch: Float32Array;
  readonly beta: Float32Array;
  readonly oneMinusBeta: Float32Array;
}

/** The tfjs engine's state: Adam per phase and the variables it steps. */
interface TfjsEngine {
  readonly kind: 'tfjs';
  readonly optimizers: Record<GanPhase, Optimizer>;
  readonly vars: Record<GanPhase, Map<string, tf.Variable>>;
}

/** Writes every weight of `model` (trainable and running averages) from `values`, by name. */
function writeModel(model: tf.LayersModel, values: TensorMap): void {
  tf.tidy(() => {
    for (const w of model.weights) {
      const p = values[w.originalName];
      if (p === undefined) throw new Error(`Dcgan: no value for '${w.originalName}' (model ${model.name})`);
      w.write(tf.tensor(p.data, p.shape));
    }
  });
}

/** The keys of `map` in the order of `names` (the tfjs weight order getParams / runningStats report). */
function ordered(names: readonly string[], map: TensorMap): TensorMap {
  const out: TensorMap = {};
  for (const name of names) {
    const t = map[name];
    if (t !== undefined) out[name] = t;
  }
  return out;
}

/** DCGAN (or, with `conditional: true`, conditional DCGAN) as a GenerativeLearner. */
export class Dcgan implements GenerativeLearner {
  readonly kind: 'dcgan' | 'cdcgan';
  readonly config: Readonly<DcganConfig>;
  readonly latentDim: number;
  /** CGAN: sample(z, labels) draws digit labels[k] in row k. */
  readonly conditional: boolean;
  /** Pixel scaling of the training images: G ends in tanh. */
  readonly pixelScale = 'tanh' as const;
  /** Full training iterations (K critic steps + 1 generator step) done by trainStep. */
  iterations = 0;
  private readonly g: tf.Sequential;
  private readonly d: tf.Sequential;
  private readonly gEmaModel: tf.Sequential | undefined;
  /** The engine that trains G and D, with its state (`kind` says which one: `engine`). */
  private readonly trainer: FusedEngine | TfjsEngine;
  /** tfjs weight names of G and D in model order, all and running averages only (the order getParams reports). */
  private readonly weightNames: readonly string[];
  private readonly statNames: readonly string[];
  /** Latents of training phases. */
  private readonly rng: Rng;
  /** Labels for unlabelled sample() calls of the conditional model. */
  private readonly sampleRng: Rng;
  /** θ̄ moved since its batchnorm averages were last recomputed. */
  private emaStale = false;
  /** Fused engine: its parameters or running averages changed since they were written into the tfjs models. */
  private modelsStale = false;

  constructor(config: Partial<DcganConfig> = {}, rng?: Rng) {
    this.config = Object.freeze(resolveDcganConfig(config));
    const c = this.config;
    const root = rng ?? new Rng(c.seed);
    this.kind = c.conditional ? 'cdcgan' : 'dcgan';
    this.latentDim = c.latentDim;
    this.conditional = c.conditional;
    this.g = buildGenerator(c, root.split());
    this.d = buildDiscriminator(c, root.split());
    this.rng = root.split();
    this.sampleRng = root.split();
    if (c.emaDecay > 0) {
      // built after every other split, so the online training is the same with averaging on or
      // off; θ̄ starts as a copy of θ (running averages included)
      this.gEmaModel = buildGenerator(c, root.split());
      blendWeights(this.gEmaModel.weights, this.g.weights, 1);
    } else {
      this.gEmaModel = undefined;
    }
    this.weightNames = [...this.g.weights, ...this.d.weights].map((w) => w.originalName);
    this.statNames = [...this.g.weights, ...this.d.weights].filter((w) => !w.trainable).map((w) => w.originalName);
    const gLearningRate = generatorLearningRateOf(c);
    if (c.fused && nativeAvailable()) {
      const G = new FusedConvNet(generatorSpec(c), readWeights([this.g]));
      const D = new FusedConvNet(discriminatorSpec(c), readWeights([this.d]));
      const gEma = this.gEmaModel === undefined ? undefined : new FusedConvNet(generatorSpec(c), readWeights([this.gEmaModel]));
      const adam = (n: number, lr: number) => new FusedAdam(n, lr, c.beta1, c.beta2, ADAM_DEFAULTS.epsilon);
      this.trainer = {
        kind: 'fused',
        addon: loadNativeAddon(),
        G,
        D,
        gEma,
        adam: { critic: adam(D.params.length, c.learningRate), generator: adam(G.params.length, gLearningRate) },
        realGrads: new Float32Array(D.grads.length),
        emaScratch: new Float32Array(gEma === undefined ? 0 : G.params.length),
        beta: Float32Array.of(c.emaDecay),
        oneMinusBeta: Float32Array.of(1 - c.emaDecay),
      };
    } else {
      const adam = (lr: number) => makeOptimizer({ name: 'adam', lr, beta1: c.beta1, beta2: c.beta2 });
      this.trainer = {
        kind: 'tfjs',
        optimizers: { critic: adam(c.learningRate), generator: adam(gLearningRate) },
        vars: { critic: namedVariables(this.d), generator: namedVariables(this.g) },
      };
    }
  }

  /** What trains G and D: 'fused' (FusedConvNet, `fused: true` and the addon loads) or 'tfjs' (module doc). */
  get engine(): DcganEngine {
    return this.trainer.kind;
  }

  /** G as a tfjs model (on the fused engine, written from the engine's weights first). */
  get generator(): tf.Sequential {
    this.syncModels();
    return this.g;
  }

  /** D as a tfjs model (as `generator`). */
  get discriminator(): tf.Sequential {
    this.syncModels();
    return this.d;
  }

  /**
   * θ̄, the moving average of G's weights (when `emaDecay` > 0): it samples and is saved as
   * `generator/`. Its running averages are the last recomputed ones (sample() and save() recompute them).
   */
  get generatorEma(): tf.Sequential | undefined {
    this.syncModels();
    return this.gEmaModel;
  }

  /** Fused engine: writes its parameters and running averages into the tfjs models, when they changed. */
  private syncModels(): void {
    const f = this.trainer;
    if (f.kind !== 'fused' || !this.modelsStale) return;
    writeModel(this.g, { ...f.G.toMap(), ...f.G.statsMap() });
    writeModel(this.d, { ...f.D.toMap(), ...f.D.statsMap() });
    if (this.gEmaModel !== undefined && f.gEma !== undefined) writeModel(this.gEmaModel, { ...f.gEma.toMap(), ...f.gEma.statsMap() });
    this.modelsStale = false;
  }

  /** Fused engine: takes the tfjs models' weights (after load). */
  private syncEngine(): void {
    const f = this.trainer;
    if (f.kind !== 'fused') return;
    f.G.flatten(readWeights([this.g]));
    f.D.flatten(readWeights([this.d]));
    if (this.gEmaModel !== undefined) f.gEma?.flatten(readWeights([this.gEmaModel]));
    this.modelsStale = false;
  }

  schedule(): Phase[] {
    return [...Array<Phase>(this.config.criticSteps).fill('critic'), 'generator'];
  }

  trainStep(batches: ImageBatch[]): Metrics {
    const phases = this.schedule();
    if (batches.length !== phases.length) throw new RangeError(`trainStep: ${batches.length} batches for the ${phases.length} phases of schedule()`);
    const sums: Metrics = {};
    phases.forEach((phase, i) => {
      const p = ganPhase(phase, this.kind);
      let m: Metrics;
      const e = this.trainer;
      if (e.kind === 'fused') {
        m = this.runFusedPhase(e, p, batches[i]!);
        const net = p === 'critic' ? e.D : e.G;
        e.adam[p].step(net.params, net.grads, this.learningRate(p));
      } else {
        e.optimizers[p].setLearningRate(this.learningRate(p));
        m = this.runPhase(e, p, batches[i]!, (lossFn, vars) => {
          const loss = e.optimizers[p].minimize(lossFn, [...vars.values()]);
          const value = loss.dataSync()[0]!;
          loss.dispose();
          return { loss: value };
        }).metrics;
      }
      for (const [k, v] of Object.entries(m)) sums[k] = (sums[k] ?? 0) + v;
      if (phase === 'generator') this.updateEma();
    });
    // means over the K critic steps (one generator step)
    const k = this.config.criticSteps;
    for (const key of Object.keys(sums)) if (!key.endsWith('g_loss')) sums[key]! /= k;
    this.iterations++;
    return sums;
  }

  computeGradients(phase: Phase, batch: ImageBatch): { grads: TensorMap; metrics: Metrics } {
    const p = ganPhase(phase, this.kind);
    const e = this.trainer;
    if (e.kind === 'fused') {
      const metrics = this.runFusedPhase(e, p, batch);
      return { grads: (p === 'critic' ? e.D : e.G).gradMap(), metrics };
    }
    const { result, metrics } = this.runPhase(e, p, batch, computeGradients);
    return { grads: result.grads, metrics };
  }

  phaseParamNames(phase: Phase): readonly string[] {
    const p = ganPhase(phase, this.kind);
    const e = this.trainer;
    return e.kind === 'fused' ? (p === 'critic' ? e.D : e.G).names : [...e.vars[p].keys()];
  }

  applyGradients(phase: Phase, grads: TensorMap): Metrics {
    const p = ganPhase(phase, this.kind);
    const e = this.trainer;
    if (e.kind === 'fused') {
      const net = p === 'critic' ? e.D : e.G;
      e.adam[p].step(net.params, net.flatten(grads, net.grads), this.learningRate(p));
      this.modelsStale = true;
    } else {
      e.optimizers[p].setLearningRate(this.learningRate(p));
      e.optimizers[p].applyGradientMap(e.vars[p], grads);
    }
    if (p === 'generator') {
      this.updateEma();
      this.iterations++;
    }
    return {};
  }

  /** The phase's learning rate in the current iteration (its constant rate, decayed when the schedule says). */
  learningRate(phase: GanPhase): number {
    const c = this.config;
    return (phase === 'critic' ? c.learningRate : generatorLearningRateOf(c)) * decayFactor(c, this.iterations);
  }

  /** θ̄ ← β θ̄ + (1 − β) θ, after a generator step. */
  private updateEma(): void {
    if (this.gEmaModel === undefined) return;
    const f = this.trainer;
    if (f.kind === 'fused' && f.gEma !== undefined) {
      const { addon, emaScratch, beta, oneMinusBeta } = f;
      const { mul, add } = NATIVE_BINARY;
      const { same, bScalar } = NATIVE_BROADCAST;
      const ema = f.gEma.params;
      addon.binary(mul, f.G.params, oneMinusBeta, emaScratch, bScalar); // (1 − β) θ
      addon.binary(mul, ema, beta, ema, bScalar); // β θ̄
      addon.binary(add, ema, emaScratch, ema, same);
      this.modelsStale = true;
    } else {
      blendWeights(this.gEmaModel.trainableWeights, this.g.trainableWeights, 1 - this.config.emaDecay);
    }
    this.emaStale = true;
  }

  /**
   * The generator that samples, as a tfjs model: θ̄ when averaging (its batchnorm running averages
   * first recomputed for θ̄ by running it in training mode on CALIBRATION_BATCHES batches of fresh
   * z, from an Rng of its own so training's Rngs are untouched; on the fused engine θ̄'s
   * FusedConvNet runs them), else G. That Rng is seeded by calibrationSeed(config.seed, iterations):
   * config.seed (0 by default) even when the learner was built from a run's Rng, whose seed it never
   * sees (committed results depend on this). mlpGan.ts's sampler seeds its calibration by the
   * generator iteration count alone (`new Rng(generatorIterations)`), with no config seed.
   */
  private sampler(): tf.Sequential {
    const ema = this.gEmaModel;
    if (ema !== undefined && this.emaStale) {
      const f = this.trainer;
      const rng = new Rng(calibrationSeed(this.config.seed, this.iterations));
      const m = this.config.batchSize;
      for (let b = 0; b < CALIBRATION_BATCHES; b++) {
        const z = rng.fillNormal(new Float32Array(m * this.latentDim));
        const y = this.conditional ? Uint8Array.from({ length: m }, () => rng.int(MNIST_CLASSES)) : undefined;
        if (f.kind === 'fused' && f.gEma !== undefined) {
          f.gEma.forward(this.generatorInputData(z, m, y), m, true);
        } else {
          tf.tidy(() => {
            ema.apply(this.generatorInput(z, m, y), { training: true });
          });
        }
      }
      this.emaStale = false;
      if (f.kind === 'fused') this.modelsStale = true;
    }
    this.syncModels();
    return ema ?? this.g;
  }

  /** G's input [z ; onehot(y)] (y only when conditional) as data: n rows of latentDim (+ 10). */
  private generatorInputData(z: Float32Array, n: number, labels: Uint8Array | undefined): Float32Array {
    if (labels === undefined) return z.length === n * this.latentDim ? z : z.subarray(0, n * this.latentDim);
    const width = this.latentDim + MNIST_CLASSES;
    const input = new Float32Array(n * width);
    for (let k = 0; k < n; k++) {
      input.set(z.subarray(k * this.latentDim, (k + 1) * this.latentDim), k * width);
      input[k * width + this.latentDim + labels[k]!] = 1;
    }
    return input;
  }

  /** G's input [z ; onehot(y)] as a tensor (inside a tidy). */
  private generatorInput(z: Float32Array, n: number, labels: Uint8Array | undefined): tf.Tensor2D {
    return tf.tensor2d(this.generatorInputData(z, n, labels), [n, this.latentDim + (labels === undefined ? 0 : MNIST_CLASSES)]);
  }

  /**
   * D's input [x ; y-maps] (inside a tidy): `maps` from `labelMaps` (undefined: x alone). Written
   * as x·e₀ᵀ + maps, a matmul and an add, because tfjs-cpu's concat gradient (slice) and tile index
   * element by element: with concat + tile the conditional step took 3x the unconditional one.
   */
  private discriminatorInput(images: tf.Tensor4D, maps: tf.Tensor2D | undefined): tf.Tensor4D {
    if (maps === undefined) return images;
    const n = images.shape[0];
    const e0 = tf.oneHot(tf.tensor1d([0], 'int32'), 1 + MNIST_CLASSES); // [1, 11] = (1, 0, …, 0)
    return tf.reshape(tf.add(tf.matMul(tf.reshape(images, [n * MNIST_PIXELS, 1]), e0), maps), [n, MNIST_SIDE, MNIST_SIDE, 1 + MNIST_CLASSES]);
  }

  /**
   * Builds the loss of one phase on `batch` (fresh z from the learner's Rng) and hands it to
   * `differentiate` (minimise, or gradients as data) with the phase's variables of the tfjs engine
   * `t`; returns what it returned and the phase's metrics. G's samples for the critic phase are
   * drawn outside the gradient tape. Every tensor made here is freed before returning.
   */
  private runPhase<R extends { loss: number }>(
    t: TfjsEngine,
    phase: GanPhase,
    batch: ImageBatch,
    differentiate: (lossFn: () => tf.Scalar, vars: Map<string, tf.Variable>) => R,
  ): { result: R; metrics: Metrics } {
    checkBatch(batch);
    const n = batch.n;
    const z = this.rng.fillNormal(new Float32Array(n * this.latentDim));
    const labels = this.config.conditional ? batch.labels : undefined;
    const labelMapsOf = () => (labels === undefined ? undefined : tf.tensor2d(labelMaps(labels), [n * MNIST_PIXELS, 1 + MNIST_CLASSES]));
    const D = (x: tf.Tensor4D) => this.d.apply(x, { training: true }) as tf.Tensor2D;
    if (phase === 'critic') {
      const { real, fake } = tf.tidy(() => {
        const maps = labelMapsOf();
        const zIn = this.generatorInput(z, n, labels);
        const real = this.discriminatorInput(tf.tensor4d(batch.images, [n, MNIST_SIDE, MNIST_SIDE, 1]), maps);
        const fake = this.discriminatorInput(this.g.apply(zIn, { training: true }) as tf.Tensor4D, maps);
        return { real, fake };
      });
      const kept: tf.Tensor[] = [];
      // mean D(x) and mean D(G(z)), kept from the loss's evaluation
      let dxMean: tf.Scalar | undefined;
      let dgzMean: tf.Scalar | undefined;
      try {
        const lossFn = () =>
          tf.tidy(() => {
            const dReal = D(real); // logits of D(x | y)
            const dFake = D(fake); // logits of D(G(z | y) | y)
            const dx = tf.keep(tf.mean<tf.Scalar>(tf.sigmoid(dReal)));
            const dgz = tf.keep(tf.mean<tf.Scalar>(tf.sigmoid(dFake)));
            kept.push(dx, dgz);
            [dxMean, dgzMean] = [dx, dgz];
            // L_D = −mean log D(x) − mean log(1 − D(G(z))) (real target 1 − labelSmoothing)
            return tf.add(bceWithLogits(dReal, tf.fill(dReal.shape, 1 - this.config.labelSmoothing)), bceWithLogits(dFake, tf.zerosLike(dFake))) as tf.Scalar;
          });
        const result = differentiate(lossFn, t.vars.critic);
        if (dxMean === undefined || dgzMean === undefined) throw new Error(`${this.kind}: the critic's loss was never evaluated`);
        return { result, metrics: { [D_LOSS]: result.loss, [D_X]: dxMean.arraySync(), [D_G_Z]: dgzMean.arraySync() } };
      } finally {
        tf.dispose([real, fake, ...kept]);
      }
    }
    const { zIn, maps } = tf.tidy(() => ({ maps: labelMapsOf(), zIn: this.generatorInput(z, n, labels) }));
    try {
      const lossFn = () =>
        tf.tidy(() => {
          const fake = this.g.apply(zIn, { training: true }) as tf.Tensor4D;
          const dFake = D(this.discriminatorInput(fake, maps));
          // L_G = −mean log D(G(z)) (non-saturating)
          return bceWithLogits(dFake, tf.onesLike(dFake)) as tf.Scalar;
        });
      const result = differentiate(lossFn, t.vars.generator);
      return { result, metrics: { [G_LOSS]: result.loss } };
    } finally {
      tf.dispose(maps === undefined ? [zIn] : [zIn, maps]);
    }
  }

  /**
   * One phase on the fused engine, runPhase's loss on `batch` with fresh z from the learner's Rng:
   * its gradient into D.grads (critic: the sum of the real and the fake term's) or G.grads
   * (generator: D's input gradient, image channel, back through G), the running averages advanced
   * as runPhase does (G, then D on the real batch, then D on the fake one). Returns the metrics.
   */
  private runFusedPhase(f: FusedEngine, phase: GanPhase, batch: ImageBatch): Metrics {
    checkBatch(batch);
    const n = batch.n;
    const z = this.rng.fillNormal(new Float32Array(n * this.latentDim));
    const labels = this.conditional ? batch.labels : undefined;
    const { G, D, addon } = f;
    const dLogit = new Float32Array(n);
    const ones = new Float32Array(n).fill(1);
    this.modelsStale = true;
    const fake = G.forward(this.generatorInputData(z, n, labels), n, true);
    if (phase === 'critic') {
      const fakeIn = discriminatorInputData(fake, labels);
      // L_D = −mean log D(x) − mean log(1 − D(G(z))): one term per forward / backward of D
      const realLogits = D.forward(discriminatorInputData(batch.images, labels), n, true);
      const dx = meanSigmoid(realLogits);
      const realTargets = this.config.labelSmoothing > 0 ? new Float32Array(n).fill(1 - this.config.labelSmoothing) : ones;
      const realLoss = addon.bceLogits(realLogits, realTargets, dLogit, 1 / n) / n;
      f.realGrads.set(D.backward(dLogit));
      const fakeLogits = D.forward(fakeIn, n, true);
      const dgz = meanSigmoid(fakeLogits);
      const fakeLoss = addon.bceLogits(fakeLogits, new Float32Array(n), dLogit, 1 / n) / n;
      const grads = D.backward(dLogit);
      addon.binary(NATIVE_BINARY.add, grads, f.realGrads, grads, NATIVE_BROADCAST.same);
      return { [D_LOSS]: realLoss + fakeLoss, [D_X]: dx, [D_G_Z]: dgz };
    }
    // L_G = −mean log D(G(z)) (non-saturating): ∂L_G/∂x̃ from D, then back through G
    const logits = D.forward(discriminatorInputData(fake, labels), n, true);
    const loss = addon.bceLogits(logits, ones, dLogit, 1 / n) / n;
    const gInput = new Float32Array(n * D.inSize);
    D.backward(dLogit, gInput);
    G.backward(labels === undefined ? gInput : imageChannel(gInput, n));
    return { [G_LOSS]: loss };
  }

  /**
   * n = z.length / latentDim images in [0, 1] ([n, 28, 28] row-major), G (θ̄ when averaging) in
   * inference mode (batchnorm running averages). The conditional model draws row k from label `labels[k]`; without
   * labels it draws labels uniformly (a sample of p(x) = Σ_y p(y) p(x | y)). The unconditional
   * model ignores labels.
   */
  sample(z: Float32Array, labels?: Uint8Array): Float32Array {
    const d = this.latentDim;
    if (z.length === 0 || z.length % d !== 0) throw new RangeError(`sample: z has ${z.length} values, not a positive multiple of latentDim ${d}`);
    const n = z.length / d;
    let y: Uint8Array | undefined;
    if (this.config.conditional) {
      if (labels !== undefined) checkLabels(labels, n, 'sample');
      y = labels ?? Uint8Array.from({ length: n }, () => this.sampleRng.int(MNIST_CLASSES));
    }
    const generator = this.sampler();
    const out = new Float32Array(n * MNIST_PIXELS);
    const chunk = 500;
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      const images = tf.tidy(() => {
        const x = generator.apply(this.generatorInput(z.subarray(start * d, (start + m) * d), m, y?.subarray(start, start + m)), { training: false }) as tf.Tensor;
        return tf.clipByValue(tf.mul(tf.add(x, 1), 0.5), 0, 1); // [−1, 1] → [0, 1]
      });
      out.set(images.dataSync() as Float32Array, start * MNIST_PIXELS);
      images.dispose();
    }
    return out;
  }

  /** Every weight of G and D by name: the trainable ones and batchnorm's running averages. */
  getParams(): TensorMap {
    const f = this.trainer;
    if (f.kind === 'fused') return ordered(this.weightNames, { ...f.G.toMap(), ...f.G.statsMap(), ...f.D.toMap(), ...f.D.statsMap() });
    return readWeights([this.g, this.d]);
  }

  /** Batchnorm running averages of G and D by name. */
  runningStats(): TensorMap {
    const f = this.trainer;
    if (f.kind === 'fused') return ordered(this.statNames, { ...f.G.statsMap(), ...f.D.statsMap() });
    return readWeights([this.g, this.d], true);
  }

  setRunningStats(stats: TensorMap): void {
    this.writeWeights(stats, 'setRunningStats');
  }

  /** Assigns weights by name: every trainable one must be present; running averages when present. */
  setParams(params: TensorMap): void {
    this.writeWeights(params, 'setParams');
  }

  /**
   * Writes values into the G and D weights they name (into the engine's on the fused one), each
   * checked against the weight's shape first: for setParams every trainable weight must be present;
   * setRunningStats writes running averages only.
   */
  private writeWeights(values: TensorMap, caller: 'setParams' | 'setRunningStats'): void {
    const targets = [...this.g.weights, ...this.d.weights].filter((w) => caller === 'setParams' || !w.trainable);
    for (const w of targets) {
      const p = values[w.originalName];
      if (p === undefined) {
        if (w.trainable) throw new Error(`${caller}: no value for '${w.originalName}'`);
        continue;
      }
      if (p.shape.join() !== w.shape.join() || p.data.length !== w.shape.reduce((a: number, b) => a * (b ?? 1), 1)) {
        throw new Error(`${caller}: '${w.originalName}' expects shape [${w.shape}], got [${p.shape}] with ${p.data.length} values`);
      }
    }
    const f = this.trainer;
    if (f.kind === 'fused') {
      if (caller === 'setParams') {
        f.G.flatten(values);
        f.D.flatten(values);
      } else {
        f.G.setStats(values);
        f.D.setStats(values);
      }
      this.modelsStale = true;
      return;
    }
    for (const w of targets) {
      const p = values[w.originalName];
      if (p === undefined) continue;
      tf.tidy(() => {
        w.write(tf.tensor(p.data, p.shape));
      });
    }
  }

  /**
   * Writes `dir`/generator (model.json + weights.bin: the tfjs layers model a browser loads with
   * `tf.loadLayersModel`; input [z ; onehot(y)] when conditional, output tanh images in [−1, 1]
   * of shape [n, 28, 28, 1]), `dir`/critic (D) and `dir`/state.msgpack (config, both Adam states of
   * the engine that trains, the Rngs, the iteration count): the layout of the other generative
   * models. When averaging, `generator/` is θ̄ (what samples) and `generator-online/` the G that trains.
   */
  async save(dir: string): Promise<void> {
    const models: [string, tf.Sequential][] = [[GENERATIVE_FILES.generator, this.sampler()], [GENERATIVE_FILES.critic, this.d]];
    if (this.gEmaModel !== undefined) models.push([GENERATIVE_FILES.generatorOnline, this.g]);
    for (const [sub, model] of models) {
      await mkdir(path.join(dir, sub), { recursive: true });
      await saveModelFiles(model, path.join(dir, sub));
    }
    const state: DcganState = {
      kind: this.kind,
      config: { ...this.config },
      iterations: this.iterations,
      rng: this.rng.getState(),
      sampleRng: this.sampleRng.getState(),
      engine: this.engine,
    };
    const e = this.trainer;
    if (e.kind === 'fused') state.adam = { critic: e.adam.critic.getState(), generator: e.adam.generator.getState() };
    else state.optimizers = { critic: await e.optimizers.critic.getState(), generator: await e.optimizers.generator.getState() };
    await writeFileAtomic(path.join(dir, GENERATIVE_FILES.modelState), encode(state));
  }

  /**
   * Restores what `save` wrote, into a learner of the same kind and architecture, on either engine
   * (the other engine's Adam state is converted: tfjs's slots, iterations then every first moment
   * then every second in the variables' order, are FusedAdam's t, m and v over the flat parameters).
   */
  async load(dir: string): Promise<void> {
    const file = path.join(dir, GENERATIVE_FILES.modelState);
    const state = checkData(dcganSavedState, await readMsgpackFile(file), file);
    if (state.kind !== this.kind) throw new Error(`Dcgan.load: ${dir} holds a '${state.kind}' model, this learner is a '${this.kind}'`);
    const averaged = existsSync(path.join(dir, GENERATIVE_FILES.generatorOnline, 'model.json'));
    const g = this.gEmaModel;
    if (g !== undefined) {
      if (!averaged) {
        throw new Error(`Dcgan.load: ${dir} has no generator-online/ (saved without emaDecay), this learner averages G (emaDecay ${this.config.emaDecay})`);
      }
      await loadWeightsInto(this.g, path.join(dir, GENERATIVE_FILES.generatorOnline));
      await loadWeightsInto(g, path.join(dir, GENERATIVE_FILES.generator));
      this.emaStale = false;
    } else {
      // generator/ of an averaging model is θ̄: training on from it would silently drop the online G
      if (averaged) {
        throw new Error(`Dcgan.load: ${dir} holds an averaging model (generator-online/, saved with emaDecay ${state.config.emaDecay}), this learner has emaDecay 0`);
      }
      await loadWeightsInto(this.g, path.join(dir, GENERATIVE_FILES.generator));
    }
    await loadWeightsInto(this.d, path.join(dir, GENERATIVE_FILES.critic));
    // Adam's state of either engine, converted when the other engine saved it
    const slots = state.optimizers;
    const adam = state.adam;
    if (slots === undefined && adam === undefined) throw new Error(`Dcgan.load: ${dir}/state.msgpack has no Adam state`);
    const e = this.trainer;
    if (e.kind === 'fused') {
      this.syncEngine();
      for (const p of GAN_PHASES) {
        const net = p === 'critic' ? e.D : e.G;
        e.adam[p].setState(adam?.[p] ?? fusedAdamState(slots![p], net.names, net.shapes, `Dcgan.load: ${dir} ${p}`));
      }
    } else {
      for (const p of GAN_PHASES) {
        const vars = [...e.vars[p]];
        await e.optimizers[p].setState(slots?.[p] ?? tfjsAdamState(adam![p], vars.map(([n]) => n), vars.map(([, v]) => v.shape)));
      }
    }
    this.iterations = state.iterations;
    this.rng.setState(state.rng);
    this.sampleRng.setState(state.sampleRng);
  }

  dispose(): void {
    this.g.dispose();
    this.gEmaModel?.dispose();
    this.d.dispose();
    if (this.trainer.kind === 'tfjs') {
      this.trainer.optimizers.critic.dispose();
      this.trainer.optimizers.generator.dispose();
    }
  }
}

/**
 * tfjs Adam slots ([iterations, m₁ … m_k, v₁ … v_k] for the variables `names`, or [iterations]
 * before the first step) as FusedAdam's state over the flat vector of those variables.
 */
function fusedAdamState(slots: OptimizerSlot[], names: readonly string[], shapes: readonly (readonly number[])[], what: string): FusedAdamState {
  const size = shapes.reduce((a, s) => a + sizeOf(s), 0);
  const k = names.length;
  if (slots.length !== 1 && slots.length !== 1 + 2 * k) throw new Error(`${what}: ${slots.length} tfjs Adam slots for ${k} variables (expected 1 or ${1 + 2 * k})`);
  const t = slots[0]?.value.data[0] ?? 0;
  if (slots.length === 1) return { t, m: new Float32Array(size), v: new Float32Array(size) };
  // slot 1 + j·k + i is moment j of variable i
  const moment = (j: number): TensorMap => Object.fromEntries(names.map((name, i) => [name, floatSlot(slots[1 + j * k + i]!, what)]));
  return {
    t,
    m: fillFromMap(names, shapes, moment(0), new Float32Array(size), `${what}: tfjs Adam first moment`),
    v: fillFromMap(names, shapes, moment(1), new Float32Array(size), `${what}: tfjs Adam second moment`),
  };
}

/** A moment slot of tfjs Adam as a tensor (its values are float32; only the iteration count is int32). */
function floatSlot(slot: OptimizerSlot, what: string): TensorData {
  const { shape, data } = slot.value;
  if (!(data instanceof Float32Array)) throw new Error(`${what}: tfjs Adam slot '${slot.name}' holds an ${data.constructor.name}, not float32 moments`);
  return { shape, data };
}

/** FusedAdam's state as tfjs Adam slots (fusedAdamState's inverse). */
function tfjsAdamState(s: FusedAdamState, names: readonly string[], shapes: readonly (readonly number[])[]): OptimizerSlot[] {
  const iter = { name: 'iter', value: { shape: [], data: Float32Array.of(s.t) } };
  if (s.t === 0) return [iter];
  const m = sliceMap(names, shapes, s.m);
  const v = sliceMap(names, shapes, s.v);
  return [iter, ...names.map((name) => ({ name: `${name}/m`, value: m[name]! })), ...names.map((name) => ({ name: `${name}/v`, value: v[name]! }))];
}

/** mean σ(l) over logits l (D's mean probability, a metric). */
function meanSigmoid(logits: Float32Array): number {
  let s = 0;
  for (const l of logits) s += sigmoid(l);
  return s / logits.length;
}

/**
 * D's input as data: the images alone (unconditional, `labels` undefined), or [x ; y-maps]
 * [n, 28, 28, 11]: `labelMaps(labels)` with channel 0 set to the image.
 */
function discriminatorInputData(images: Float32Array, labels: Uint8Array | undefined): Float32Array {
  if (labels === undefined) return images;
  const maps = labelMaps(labels);
  const channels = 1 + MNIST_CLASSES;
  for (let k = 0; k < labels.length * MNIST_PIXELS; k++) maps[k * channels] = images[k]!;
  return maps;
}

/** Channel 0 (the image's) of n [28, 28, 11] maps: the image part of D's input gradient. */
function imageChannel(maps: Float32Array, n: number): Float32Array {
  const channels = 1 + MNIST_CLASSES;
  const out = new Float32Array(n * MNIST_PIXELS);
  for (let k = 0; k < out.length; k++) out[k] = maps[k * channels]!;
  return out;
}
