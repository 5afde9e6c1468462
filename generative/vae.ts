/**
 * VAE — Kingma & Welling 2014, "Auto-Encoding Variational Bayes" (arXiv:1312.6114), with the
 * settings of pytorch/examples' vae/main.py (ReLU MLP, 20-d latent, Adam 1e-3, batch 128) except the
 * width: two hidden layers of 512 (784-512-512-20, the decoder mirrored) instead of one of 400. The
 * 400-unit net stalls at 104.4 nats of test −ELBO after 15 epochs; the 512-512 one reaches ≤ 100 in
 * 30 (docs/generative.md). Kingma & Welling's own MNIST runs used 500 hidden units per layer.
 *
 * Encoder q_φ(z|x) = N(μ, diag σ²) with [μ, log σ²] = Enc(x); decoder p_θ(x|z) = Bernoulli(sigmoid(Dec(z))).
 * Reparameterisation: z = μ + σ ⊙ ε, ε ~ N(0, I), σ = exp(½ log σ²), so ∇ flows through μ and σ.
 * Loss per image (the negative ELBO, in nats, one z sample):
 *   −ELBO = Σ_pixels BCE(Dec(z), x) + KL(N(μ, σ²) ‖ N(0, I)),   KL = −½ Σ_j (1 + log σ²_j − μ_j² − σ²_j)
 * averaged over the minibatch; Adam on φ and θ together.
 *
 * Two architectures:
 * - 'mlp' (default): 784 → 512 → 512 → 2·20 | 20 → 512 → 512 → 784 (`hidden`), trained on generative/fusedVae.ts (the same
 *   equations by hand on the native SGEMM, tested against tfjs autograd in test/core.fused.test.ts);
 * - 'conv': Conv(32, 4, s2) → Conv(64, 4, s2) → Dense(2·L) | Dense(7·7·64) → ConvT(32, 4, s2) → ConvT(1, 4, s2)
 *   (filters `convFilters`),
 *   ReLU, trained with tfjs autograd and the core Adam.
 * The generator saved for the browser is the decoder with a sigmoid output: z → pixel probabilities.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdir } from 'node:fs/promises';
import { z } from 'zod';
import path from 'node:path';
import { buildMlp, buildSequential, type LayerSpec } from '../core/nn.js';
import { FusedVae } from './fusedVae.js';
import type { FusedAdamState } from '../core/flatParams.js';
import { makeOptimizer, type Optimizer, type OptimizerSlot } from '../core/optim.js';
import { bceWithLogits } from '../core/losses.js';
import { computeGradients, encode, getParams, namedVariables, setParams, type TensorMap } from '../core/tensors.js';
import { loadWeightsInto, readMsgpackFile, saveModelFiles } from '../core/checkpoint.js';
import { writeFileAtomic } from '../core/atomicWrite.js';
import { checkData, fusedAdamStateSchema, optimizerSlotsSchema } from '../core/stateFile.js';
import { count, rngStateSchema } from '../base/schemas.js';
import { Rng, type RngState } from '../base/rng.js';
import { sigmoid } from '../base/logistic.js';
import { checkChoice, checkLayerSizes, checkNumber, configFields, POSITIVE, POSITIVE_INTEGER } from '../base/configCheck.js';
import type { GenerativeLearner, ImageBatch, Phase } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { describeValue } from '../base/plainData.js';
import { GENERATIVE_FILES, MNIST_PIXELS, MNIST_SIDE, type PixelScale } from './kinds.js';
import { GENERATIVE_EVAL_SEEDS } from './eval.js';
import { NEG_ELBO } from '../agents/metricNames.js';

export interface VaeConfig {
  /** 'mlp' (784-hidden-latent, fused path) or 'conv' (strided convolutions, tfjs autograd). */
  architecture: 'mlp' | 'conv';
  /** Dimension of z. */
  latentDim: number;
  /** Hidden units of the MLP encoder ('mlp' only): a number (one layer) or a list; the decoder mirrors it. */
  hidden: number | readonly number[];
  /** Filters of the conv variant's two stride-2 layers (encoder; the decoder mirrors them). */
  convFilters: readonly [number, number];
  /** Adam learning rate. */
  learningRate: number;
  /** Minibatch size trainGenerative uses unless told otherwise. */
  batchSize: number;
}

/** pytorch/examples' VAE, two hidden layers of 512 (module doc). */
export const VAE_DEFAULTS: Readonly<VaeConfig> = Object.freeze({
  architecture: 'mlp',
  latentDim: 20,
  hidden: Object.freeze([512, 512]),
  convFilters: Object.freeze([32, 64] as const),
  learningRate: 1e-3,
  batchSize: 128,
});

/** The MLP's hidden layer sizes as a list (`hidden` may be one number). */
export function hiddenLayers(c: Pick<VaeConfig, 'hidden'>): readonly number[] {
  return typeof c.hidden === 'number' ? [c.hidden] : c.hidden;
}

/** Defaults overridden by `config`, which may be unchecked data (a spec's object): throws a RangeError naming the first unknown or bad field. */
export function resolveVaeConfig(config: unknown = {}): VaeConfig {
  const O = 'VAE';
  const c = configFields(O, config, VAE_DEFAULTS);
  checkChoice(O, 'architecture', c.architecture, ['mlp', 'conv'] as const);
  checkNumber(O, 'latentDim', c.latentDim, POSITIVE_INTEGER);
  let hidden: VaeConfig['hidden'];
  if (Array.isArray(c.hidden)) {
    checkLayerSizes(O, 'hidden', c.hidden);
    hidden = [...c.hidden];
  } else {
    checkNumber(O, 'hidden', c.hidden, POSITIVE_INTEGER);
    hidden = c.hidden;
  }
  checkLayerSizes(O, 'convFilters', c.convFilters);
  const [f1, f2, ...more] = c.convFilters;
  if (f1 === undefined || f2 === undefined || more.length > 0) throw new RangeError(`VAE config: 'convFilters' must list 2 filter counts, got ${describeValue(c.convFilters)}`);
  checkNumber(O, 'learningRate', c.learningRate, POSITIVE);
  checkNumber(O, 'batchSize', c.batchSize, POSITIVE_INTEGER);
  return { architecture: c.architecture, latentDim: c.latentDim, hidden, convFilters: [f1, f2], learningRate: c.learningRate, batchSize: c.batchSize };
}

/**
 * −ELBO per image in nats, averaged over the n rows (call inside tf.tidy / a gradient closure):
 *   recon = (1/n) Σ BCE(logits, x),   kl = (1/n) · −½ Σ (1 + log σ² − μ² − σ²),   loss = recon + kl.
 */
export function negElboLoss(x: tf.Tensor2D, logits: tf.Tensor2D, mu: tf.Tensor2D, logVar: tf.Tensor2D): { loss: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar } {
  const n = x.shape[0];
  const recon = tf.div(bceWithLogits(logits, x, 'sum'), n) as tf.Scalar;
  // KL(N(μ, σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²)
  const kl = tf.div(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)))), n) as tf.Scalar;
  return { loss: tf.add(recon, kl) as tf.Scalar, recon, kl };
}

/**
 * The reparameterisation trick on an encoder's output `h` = [μ | log σ²] (n × 2·latentDim):
 * z = μ + σ ⊙ ε with σ = exp(½ log σ²), differentiable in μ and log σ² (call inside tf.tidy / a
 * gradient closure). What the conv VAE's loss samples z by, and bench/core.ts's reference VAE step.
 */
export function reparameterise(h: tf.Tensor2D, eps: tf.Tensor2D, latentDim: number): { mu: tf.Tensor2D; logVar: tf.Tensor2D; z: tf.Tensor2D } {
  const n = h.shape[0];
  const mu = tf.slice(h, [0, 0], [n, latentDim]);
  const logVar = tf.slice(h, [0, latentDim], [n, latentDim]);
  return { mu, logVar, z: tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps)) };
}

/** The conv variant's encoder and decoder (decoder output: logits, or probabilities with `sigmoidOutput`; filters VAE_DEFAULTS' unless given). */
export function buildConvVae(latentDim: number, rng: Rng, sigmoidOutput = false, filters: readonly [number, number] = VAE_DEFAULTS.convFilters): { encoder: tf.Sequential; decoder: tf.Sequential } {
  const [f1, f2] = filters;
  const enc: LayerSpec[] = [
    { type: 'conv2d', filters: f1, kernelSize: 4, strides: 2, activation: 'relu' },
    { type: 'conv2d', filters: f2, kernelSize: 4, strides: 2, activation: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 2 * latentDim },
  ];
  const dec: LayerSpec[] = [
    { type: 'dense', units: 7 * 7 * f2, activation: 'relu' },
    { type: 'reshape', targetShape: [7, 7, f2] },
    { type: 'conv2dTranspose', filters: f1, kernelSize: 4, strides: 2, activation: 'relu' },
    { type: 'conv2dTranspose', filters: 1, kernelSize: 4, strides: 2, activation: sigmoidOutput ? 'sigmoid' : 'linear' },
  ];
  return {
    encoder: buildSequential({ name: 'encoder', inputShape: [MNIST_SIDE, MNIST_SIDE, 1], layers: enc, init: 'torchDefault' }, rng),
    decoder: buildSequential({ name: 'decoder', inputShape: [latentDim], layers: dec, init: 'torchDefault' }, rng),
  };
}

interface VaeState {
  kind: string;
  config: VaeConfig;
  rng: RngState;
  steps: number;
  adam?: { enc: FusedAdamState; dec: FusedAdamState };
  slots?: OptimizerSlot[];
}

/** What load reads back of a VaeState (checked; the config is not read: the learner has its own). */
const vaeSavedState = z.object({
  kind: z.string(),
  rng: rngStateSchema,
  steps: count,
  adam: z.object({ enc: fusedAdamStateSchema, dec: fusedAdamStateSchema }).optional(),
  slots: optimizerSlotsSchema.optional(),
}) satisfies z.ZodType<Omit<VaeState, 'config'>>;

/** The VAE learner (one phase, 'elbo'). */
export class Vae implements GenerativeLearner {
  readonly kind: 'vae' | 'vae-conv';
  readonly config: Readonly<VaeConfig>;
  readonly pixelScale: PixelScale = 'unit';
  readonly conditional = false;
  readonly latentDim: number;
  /** tfjs encoder (conv: trained; mlp: holds the parameters at save time). */
  readonly encoder: tf.Sequential;
  /** tfjs decoder; output logits (conv) or probabilities (mlp twin). */
  readonly decoder: tf.Sequential;
  private readonly rng: Rng;
  /** What trains it: the fused MLP VAE with its Adams ('mlp'), or tfjs autograd's variables and Adam ('conv'). */
  private readonly engine: { kind: 'fused'; vae: FusedVae } | { kind: 'tfjs'; vars: Map<string, tf.Variable>; optimizer: Optimizer };
  /** Optimisation steps taken. */
  steps = 0;

  constructor(config: Partial<VaeConfig>, rng: Rng) {
    this.config = Object.freeze(resolveVaeConfig(config));
    const { latentDim: L, learningRate } = this.config;
    this.latentDim = L;
    this.kind = this.config.architecture === 'mlp' ? 'vae' : 'vae-conv';
    if (this.config.architecture === 'mlp') {
      const layers = hiddenLayers(this.config);
      this.encoder = buildMlp({ name: 'encoder', inputDim: MNIST_PIXELS, hidden: [...layers], outputDim: 2 * L, init: 'torchDefault' }, rng);
      this.decoder = buildMlp({ name: 'decoder', inputDim: L, hidden: [...layers].reverse(), outputDim: MNIST_PIXELS, outputActivation: 'sigmoid', init: 'torchDefault' }, rng);
      this.engine = { kind: 'fused', vae: new FusedVae(getParams(this.encoder), getParams(this.decoder), L, learningRate) };
    } else {
      const { encoder, decoder } = buildConvVae(L, rng, false, this.config.convFilters);
      this.encoder = encoder;
      this.decoder = decoder;
      this.engine = { kind: 'tfjs', vars: new Map([...namedVariables(encoder), ...namedVariables(decoder)]), optimizer: makeOptimizer({ name: 'adam', lr: learningRate }) };
    }
    this.rng = rng.split();
  }

  schedule(): Phase[] {
    return ['elbo'];
  }

  /** −ELBO of the conv model as a tfjs scalar (call inside tidy / variableGrads). */
  private convLoss(x: tf.Tensor, eps: tf.Tensor2D, n: number): { loss: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar } {
    const h = this.encoder.apply(tf.reshape(x, [n, MNIST_SIDE, MNIST_SIDE, 1])) as tf.Tensor2D;
    const { mu, logVar, z } = reparameterise(h, eps, this.latentDim);
    const logits = tf.reshape(this.decoder.apply(z) as tf.Tensor, [n, MNIST_PIXELS]) as tf.Tensor2D;
    return negElboLoss(tf.reshape(x, [n, MNIST_PIXELS]) as tf.Tensor2D, logits, mu, logVar);
  }

  private checkBatch(phase: Phase, batch: ImageBatch): void {
    if (phase !== 'elbo') throw new Error(`${this.kind}: unknown phase '${phase}' (a VAE has only 'elbo')`);
    if (batch.images.length !== batch.n * MNIST_PIXELS) throw new Error(`${this.kind}: batch of ${batch.n} needs ${batch.n * MNIST_PIXELS} pixels, got ${batch.images.length}`);
  }

  computeGradients(phase: Phase, batch: ImageBatch): { grads: TensorMap; metrics: Metrics } {
    this.checkBatch(phase, batch);
    const n = batch.n;
    const eps = this.rng.fillNormal(new Float32Array(n * this.latentDim));
    const e = this.engine;
    if (e.kind === 'fused') {
      const { vae } = e;
      const loss = vae.lossAndGrad(batch.images, eps, n);
      return { grads: { ...vae.encoder.gradMap(), ...vae.decoder.gradMap() }, metrics: { [NEG_ELBO]: loss } };
    }
    const { loss, grads } = computeGradients(
      () => tf.tidy(() => this.convLoss(tf.tensor2d(batch.images, [n, MNIST_PIXELS]), tf.tensor2d(eps, [n, this.latentDim]), n).loss),
      e.vars,
    );
    return { grads, metrics: { [NEG_ELBO]: loss } };
  }

  phaseParamNames(phase: Phase): readonly string[] {
    if (phase !== 'elbo') throw new Error(`${this.kind}: unknown phase '${phase}' (a VAE has only 'elbo')`);
    const e = this.engine;
    return e.kind === 'fused' ? [...e.vae.encoder.names, ...e.vae.decoder.names] : [...e.vars.keys()];
  }

  applyGradients(phase: Phase, grads: TensorMap): Metrics {
    if (phase !== 'elbo') throw new Error(`${this.kind}: unknown phase '${phase}' (a VAE has only 'elbo')`);
    const e = this.engine;
    if (e.kind === 'fused') {
      const { vae } = e;
      vae.encoder.flatten(grads, vae.encoder.grads);
      vae.decoder.flatten(grads, vae.decoder.grads);
      vae.applyGrads();
    } else {
      e.optimizer.applyGradientMap(e.vars, grads);
    }
    this.steps++;
    return {};
  }

  trainStep(batches: ImageBatch[]): Metrics {
    if (batches.length !== 1) throw new Error(`${this.kind}.trainStep: expected 1 batch (schedule ['elbo']), got ${batches.length}`);
    const batch = batches[0]!;
    this.checkBatch('elbo', batch);
    const n = batch.n;
    const eps = this.rng.fillNormal(new Float32Array(n * this.latentDim));
    let loss: number;
    const e = this.engine;
    if (e.kind === 'fused') {
      loss = e.vae.step(batch.images, eps, n);
    } else {
      const { vars, optimizer } = e;
      const value = optimizer.minimize(
        () => tf.tidy(() => this.convLoss(tf.tensor2d(batch.images, [n, MNIST_PIXELS]), tf.tensor2d(eps, [n, this.latentDim]), n).loss),
        [...vars.values()],
      );
      loss = value.dataSync()[0]!;
      value.dispose();
    }
    this.steps++;
    return { [NEG_ELBO]: loss };
  }

  /** Pixel probabilities sigmoid(Dec(z)) for n = z.length / latentDim latents, row-major [n, 28, 28]. */
  sample(z: Float32Array): Float32Array {
    const L = this.latentDim;
    if (z.length % L !== 0) throw new Error(`${this.kind}.sample: ${z.length} values is not a multiple of latentDim ${L}`);
    const n = z.length / L;
    const out = new Float32Array(n * MNIST_PIXELS);
    const chunk = 256;
    const e = this.engine;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const zc = z.subarray(s * L, (s + m) * L);
      if (e.kind === 'fused') {
        const logits = e.vae.decoder.forward(zc, m);
        for (let i = 0; i < m * MNIST_PIXELS; i++) out[s * MNIST_PIXELS + i] = sigmoid(logits[i]!);
      } else {
        const probs = tf.tidy(() => tf.sigmoid(this.decoder.apply(tf.tensor2d(zc, [m, L])) as tf.Tensor));
        out.set(probs.dataSync() as Float32Array, s * MNIST_PIXELS);
        probs.dispose();
      }
    }
    return out;
  }

  /**
   * Test negative ELBO in nats per image (one z sample per image, as pytorch/examples' test loss),
   * with a fixed noise seed (GENERATIVE_EVAL_SEEDS.testElbo) so evaluations are comparable. `images` in [0, 1], n × 784.
   */
  negElbo(images: Float32Array, n: number, seed: number = GENERATIVE_EVAL_SEEDS.testElbo): number {
    const rng = new Rng(seed);
    const L = this.latentDim;
    const chunk = 500;
    let total = 0;
    const e = this.engine;
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const x = images.subarray(s * MNIST_PIXELS, (s + m) * MNIST_PIXELS);
      const eps = rng.fillNormal(new Float32Array(m * L));
      if (e.kind === 'fused') {
        total += e.vae.lossAndGrad(x, eps, m) * m;
      } else {
        const loss = tf.tidy(() => this.convLoss(tf.tensor2d(x, [m, MNIST_PIXELS]), tf.tensor2d(eps, [m, L]), m).loss);
        total += loss.dataSync()[0]! * m;
        loss.dispose();
      }
    }
    return total / n;
  }

  getParams(): TensorMap {
    const e = this.engine;
    if (e.kind === 'fused') return { ...e.vae.encoder.toMap(), ...e.vae.decoder.toMap() };
    return { ...getParams(this.encoder), ...getParams(this.decoder) };
  }

  setParams(params: TensorMap): void {
    const e = this.engine;
    if (e.kind === 'fused') {
      e.vae.encoder.flatten(params, e.vae.encoder.params);
      e.vae.decoder.flatten(params, e.vae.decoder.params);
    } else {
      setParams(this.encoder, params);
      setParams(this.decoder, params);
    }
  }

  /** Writes generator/ (the decoder with sigmoid output, tfjs format), encoder/ and state.msgpack. */
  async save(dir: string): Promise<void> {
    const params = this.getParams();
    await mkdir(path.join(dir, GENERATIVE_FILES.generator), { recursive: true });
    await mkdir(path.join(dir, GENERATIVE_FILES.encoder), { recursive: true });
    const e = this.engine;
    if (e.kind === 'fused') {
      setParams(this.encoder, params);
      setParams(this.decoder, params);
      await saveModelFiles(this.decoder, path.join(dir, GENERATIVE_FILES.generator));
    } else {
      const sampler = buildConvVae(this.latentDim, new Rng(0), true, this.config.convFilters).decoder;
      try {
        setParams(sampler, params);
        await saveModelFiles(sampler, path.join(dir, GENERATIVE_FILES.generator));
      } finally {
        sampler.dispose();
      }
    }
    await saveModelFiles(this.encoder, path.join(dir, GENERATIVE_FILES.encoder));
    const state: VaeState = { kind: this.kind, config: { ...this.config }, rng: [...this.rng.getState()], steps: this.steps };
    if (e.kind === 'fused') state.adam = { enc: e.vae.encAdam.getState(), dec: e.vae.decAdam.getState() };
    else state.slots = await e.optimizer.getState();
    await writeFileAtomic(path.join(dir, GENERATIVE_FILES.modelState), encode(state));
  }

  async load(dir: string): Promise<void> {
    const file = path.join(dir, GENERATIVE_FILES.modelState);
    const state = checkData(vaeSavedState, await readMsgpackFile(file), file);
    if (state.kind !== this.kind) throw new Error(`${dir} holds a '${state.kind}' model, not '${this.kind}'`);
    await loadWeightsInto(this.encoder, path.join(dir, GENERATIVE_FILES.encoder));
    const e = this.engine;
    if (e.kind === 'fused') {
      await loadWeightsInto(this.decoder, path.join(dir, GENERATIVE_FILES.generator));
      this.setParams({ ...getParams(this.encoder), ...getParams(this.decoder) });
      if (state.adam !== undefined) {
        e.vae.encAdam.setState(state.adam.enc);
        e.vae.decAdam.setState(state.adam.dec);
      }
    } else {
      const sampler = buildConvVae(this.latentDim, new Rng(0), true, this.config.convFilters).decoder;
      try {
        await loadWeightsInto(sampler, path.join(dir, GENERATIVE_FILES.generator));
        setParams(this.decoder, getParams(sampler));
      } finally {
        sampler.dispose();
      }
      // tfjs's Adam.setWeights creates its slot variables from the saved values.
      if (state.slots !== undefined && state.slots.length > 0) await e.optimizer.setState(state.slots);
    }
    this.rng.setState(state.rng);
    this.steps = state.steps;
  }

  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    if (this.engine.kind === 'tfjs') this.engine.optimizer.dispose();
  }
}
