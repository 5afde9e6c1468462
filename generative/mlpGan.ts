/**
 * What the fused GANs (gan.ts, wgan.ts) share — the loop, not the math: a generator G: z → x
 * (tanh output, images in [−1, 1]) and a critic/discriminator D: x → one number, both dense
 * networks on the fused engine (core/fusedNet.ts), or for WGAN's `architecture: 'dcgan'` both
 * convolutional on core/fusedConvNet.ts (`GanNets`: the subclass builds them), with tfjs-layers
 * twins that hold the same parameters
 * for saving (the generator's model.json loads in a browser); noise z ~ N(0, I) from the
 * learner's Rng; the phase plumbing of GenerativeLearner (trainStep runs exactly the arithmetic
 * of computeGradients + applyGradients, phase by phase); save/load.
 *
 * A subclass supplies the losses (criticLossAndGrad, generatorLossAndGrad), the schedule and
 * the optimisers, and may act after a critic update (WGAN's weight clipping).
 *
 * Generator averaging (generative/averaging.ts, when the nets come with `averaging`): θ̄ ← β θ̄ + (1 − β) θ
 * after every generator step; θ̄ samples (`sample()`) and is the saved `generator/`, with its
 * batchnorm running averages recomputed for its own weights first; `generator-online/` keeps the
 * G that trains. Training never reads θ̄.
 */
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildSequential } from '../core/nn.js';
import { encode, getParams, readWeights, type TensorMap } from '../core/tensors.js';
import { loadWeightsInto, readMsgpackFile, saveModelFiles } from '../core/checkpoint.js';
import { writeFileAtomic } from '../core/atomicWrite.js';
import { checkData, fusedAdamStateSchema, fusedRmspropStateSchema } from '../core/stateFile.js';
import { count, rngStateSchema } from '../base/schemas.js';
import { FusedAdam, type FusedRmsprop } from '../core/fused.js';
import { Rng, type RngState } from '../base/rng.js';
import { FusedNet, denseSpecs, type NetActivation } from '../core/fusedNet.js';
import type { FusedConvNet } from '../core/fusedConvNet.js';
import { averageInto, CALIBRATION_BATCHES } from './averaging.js';
import type { GenerativeLearner, ImageBatch, Phase } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { GENERATIVE_FILES, ganPhase, MNIST_PIXELS, type GenerativeKind, type PixelScale } from './kinds.js';
import { checkBoolean, checkChoice, checkLayerSizes, checkNumber, type ConfigFields, POSITIVE_INTEGER } from '../base/configCheck.js';

/** A flat-vector optimiser: `step(θ, g, lr?)` at its own rate or a schedule's, and its state as data. */
export type FlatOptimizer = FusedAdam | FusedRmsprop;

/** The saved state of either flat optimiser: FusedAdam's moments, or FusedRmsprop's squared-gradient average. */
type FlatOptimizerState = ReturnType<FlatOptimizer['getState']>;
const flatOptimizerStateSchema = z.union([fusedAdamStateSchema, fusedRmspropStateSchema]) satisfies z.ZodType<FlatOptimizerState>;

/** Puts a saved state back into `opt`, refusing the other optimiser's (`where`: the file and field, for the error). */
function restoreFlatOptimizer(opt: FlatOptimizer, s: FlatOptimizerState, where: string): void {
  if (opt instanceof FusedAdam) {
    if (!('m' in s)) throw new Error(`${where}: RMSprop's state, but this learner's optimiser is Adam`);
    opt.setState(s);
  } else {
    if (!('sq' in s)) throw new Error(`${where}: Adam's state, but this learner's optimiser is RMSprop`);
    opt.setState(s);
  }
}

/** The hidden activations of an MLP GAN's G and D (piecewise linear: WGAN-GP's double backward is exact on them). */
export const MLP_GAN_ACTIVATIONS = ['relu', 'leakyRelu'] as const satisfies readonly NetActivation[];
export type MlpGanActivation = (typeof MLP_GAN_ACTIVATIONS)[number];

/** The config fields every MLP GAN has (GAN, WGAN, WGAN-GP). */
export interface MlpGanArchitecture {
  /** Dimension of the noise z. */
  latentDim: number;
  /** Hidden layer sizes of G (latentDim → … → 784, tanh output). */
  generatorHidden: readonly number[];
  /** Hidden layer sizes of D / the critic (784 → … → 1, linear output: a logit or a critic value). */
  criticHidden: readonly number[];
  /** Hidden activation of G. */
  generatorActivation: MlpGanActivation;
  /** Hidden activation of D (piecewise linear, so WGAN-GP's double backward is exact). */
  criticActivation: MlpGanActivation;
  /** Slope of LeakyReLU for x < 0. */
  leakyAlpha: number;
  /** Batchnorm after each hidden layer of G (not its output), as DCGAN's rules; D never has it (WGAN-GP's penalty is per sample). */
  generatorBatchNorm: boolean;
}

/** The fields every MLP GAN has, checked (`model` names it in errors), the layer lists copied. */
export function checkedMlpGanArchitecture(model: string, c: ConfigFields<MlpGanArchitecture>): MlpGanArchitecture {
  checkNumber(model, 'latentDim', c.latentDim, POSITIVE_INTEGER);
  checkLayerSizes(model, 'generatorHidden', c.generatorHidden);
  checkLayerSizes(model, 'criticHidden', c.criticHidden, true);
  checkChoice(model, 'generatorActivation', c.generatorActivation, MLP_GAN_ACTIVATIONS);
  checkChoice(model, 'criticActivation', c.criticActivation, MLP_GAN_ACTIVATIONS);
  checkNumber(model, 'leakyAlpha', c.leakyAlpha, { min: 0, max: 1 });
  checkBoolean(model, 'generatorBatchNorm', c.generatorBatchNorm);
  return {
    latentDim: c.latentDim,
    generatorHidden: [...c.generatorHidden],
    criticHidden: [...c.criticHidden],
    generatorActivation: c.generatorActivation,
    criticActivation: c.criticActivation,
    leakyAlpha: c.leakyAlpha,
    generatorBatchNorm: c.generatorBatchNorm,
  };
}

/** Builds the tfjs twin of an MLP (PyTorch's default nn.Linear initialisation). */
export function buildMlpNet(name: string, inputDim: number, hidden: readonly number[], outputDim: number, hiddenAct: NetActivation, outAct: NetActivation, leakyAlpha: number, rng: Rng, hiddenBatchNorm = false): { model: tf.Sequential; activations: NetActivation[] } {
  const activations: NetActivation[] = [...hidden.map(() => hiddenAct), outAct];
  const batchNorm = [...hidden.map(() => hiddenBatchNorm), false];
  const model = buildSequential({ name, inputShape: [inputDim], layers: denseSpecs([...hidden, outputDim], activations, batchNorm), init: 'torchDefault', leakyAlpha }, rng);
  return { model, activations };
}

/** The fused nets a GAN learner trains: dense (FusedNet) or convolutional (FusedConvNet). */
export type GanNet = FusedNet | FusedConvNet;

/** G and D on a fused engine and their tfjs twins (same weight names), built from one Rng. */
export interface GanNets<N extends GanNet> {
  readonly generator: tf.Sequential;
  readonly critic: tf.Sequential;
  readonly G: N;
  readonly D: N;
  /** θ̄ (a second G built from the same weights) and its settings, when the learner averages G (module doc). */
  readonly averaging?: GeneratorAveraging & { readonly net: N };
}

/** Generator averaging's settings: β, and the batch size of θ̄'s batchnorm recalibration. */
export interface GeneratorAveraging {
  readonly decay: number;
  readonly batchSize: number;
}

/**
 * The MLP G (latentDim → … → 784, tanh) and D (784 → … → 1, linear) with their twins, G first from
 * `rng`; with `averaging`, also θ̄, a copy of G's initial weights (no further draws).
 */
export function buildMlpGanNets(arch: MlpGanArchitecture, rng: Rng, averaging?: GeneratorAveraging): GanNets<FusedNet> {
  const g = buildMlpNet('generator', arch.latentDim, arch.generatorHidden, MNIST_PIXELS, arch.generatorActivation, 'tanh', arch.leakyAlpha, rng, arch.generatorBatchNorm);
  const d = buildMlpNet('critic', MNIST_PIXELS, arch.criticHidden, 1, arch.criticActivation, 'linear', arch.leakyAlpha, rng);
  const generatorNet = () => new FusedNet(getParams(g.model), g.activations, arch.leakyAlpha);
  return {
    generator: g.model,
    critic: d.model,
    G: generatorNet(),
    D: new FusedNet(getParams(d.model), d.activations, arch.leakyAlpha),
    ...(averaging !== undefined ? { averaging: { ...averaging, net: generatorNet() } } : {}),
  };
}

/** Writes the named weights of `map` into the twin (trainable ones and running averages). */
function setTwinWeights(model: tf.LayersModel, map: TensorMap): void {
  for (const w of model.weights) {
    const p = map[w.originalName];
    if (p === undefined) throw new Error(`${model.name}: no value for '${w.originalName}'`);
    tf.tidy(() => {
      w.write(tf.tensor(p.data, p.shape));
    });
  }
}

/** What save writes to state.msgpack (load reads it back through ganStateSchema). */
interface GanState {
  kind: string;
  rng: RngState;
  generatorIterations: number;
  criticSteps: number;
  gOpt: FlatOptimizerState;
  dOpt: FlatOptimizerState;
}
const ganStateSchema = z.object({
  kind: z.string(),
  rng: rngStateSchema,
  generatorIterations: count,
  criticSteps: count,
  gOpt: flatOptimizerStateSchema,
  dOpt: flatOptimizerStateSchema,
}) satisfies z.ZodType<GanState>;

export abstract class MlpGanLearner<N extends GanNet = FusedNet> implements GenerativeLearner {
  abstract readonly kind: GenerativeKind;
  abstract readonly config: Readonly<object>;
  readonly pixelScale: PixelScale = 'tanh';
  readonly conditional = false;
  readonly latentDim: number;
  /** tfjs twin of G (tanh output); synced on save / getParams. */
  readonly generator: tf.Sequential;
  /** tfjs twin of D (linear output: a logit or a critic value); synced on save. */
  readonly critic: tf.Sequential;
  /** The fused G and D that train. */
  readonly G: N;
  readonly D: N;
  /** θ̄ (`net`) and its settings, when averaging (module doc). */
  private readonly averaging: (GeneratorAveraging & { readonly net: N }) | undefined;
  /** θ̄ moved since its batchnorm running averages were last recomputed. */
  private gbarStale = false;
  protected readonly rng: Rng;
  protected abstract readonly gOpt: FlatOptimizer;
  protected abstract readonly dOpt: FlatOptimizer;
  /** Generator updates so far. */
  generatorIterations = 0;
  /** Critic (discriminator) updates so far. */
  criticSteps = 0;

  /** `nets` built from `rng` (buildMlpGanNets, or a subclass's conv nets); the noise stream splits off it after. */
  constructor(latentDim: number, nets: GanNets<N>, rng: Rng) {
    this.latentDim = latentDim;
    this.generator = nets.generator;
    this.critic = nets.critic;
    this.G = nets.G;
    this.D = nets.D;
    this.averaging = nets.averaging;
    this.rng = rng.split();
  }

  /** θ̄, the moving average of G's weights that samples and is saved, when averaging (module doc). */
  get Gbar(): N | undefined {
    return this.averaging?.net;
  }

  /** The state of the training noise stream (z, and WGAN-GP's ε): a copy of it replays the next draws. */
  noiseState(): RngState {
    return this.rng.getState();
  }

  abstract schedule(): Phase[];

  /** Fills D.grads with ∂criticLoss/∂θ_D for real images x (n × 784, in [−1, 1]) and latents z. */
  abstract criticLossAndGrad(x: Float32Array, z: Float32Array, n: number): Metrics;

  /** Fills G.grads with ∂generatorLoss/∂θ_G for latents z. */
  abstract generatorLossAndGrad(z: Float32Array, n: number): Metrics;

  /** Called after every critic update (WGAN clips weights here). */
  protected afterCriticUpdate(): void {}

  /** Draws the noise of a phase from the learner's stream: z ~ N(0, I), n × latentDim. */
  protected noise(n: number): Float32Array {
    return this.rng.fillNormal(new Float32Array(n * this.latentDim));
  }

  /** G(z) as a fresh array in [−1, 1]. */
  protected generate(z: Float32Array, n: number): Float32Array {
    return this.G.forward(z, n).slice(0, n * MNIST_PIXELS);
  }

  private phaseGradients(phase: Phase, batch: ImageBatch): Metrics {
    const n = batch.n;
    if (ganPhase(phase, this.kind) === 'critic') {
      if (batch.images.length !== n * MNIST_PIXELS) throw new Error(`${this.kind}: batch of ${n} needs ${n * MNIST_PIXELS} pixels, got ${batch.images.length}`);
      return this.criticLossAndGrad(batch.images, this.noise(n), n);
    }
    return this.generatorLossAndGrad(this.noise(n), n);
  }

  /** The learning rate of the phase's next update: the optimiser's own (WGAN's decays: wgan.ts). */
  learningRate(phase: Phase): number {
    return (phase === 'critic' ? this.dOpt : this.gOpt).lr;
  }

  private step(phase: Phase): void {
    if (phase === 'critic') {
      this.dOpt.step(this.D.params, this.D.grads, this.learningRate('critic'));
      this.afterCriticUpdate();
      this.criticSteps++;
    } else {
      this.gOpt.step(this.G.params, this.G.grads, this.learningRate('generator'));
      this.generatorIterations++;
      const a = this.averaging;
      if (a !== undefined) {
        averageInto(a.net.params, this.G.params, a.decay);
        this.gbarStale = true;
      }
    }
  }

  /**
   * The generator that samples: θ̄ when averaging (its batchnorm running averages first recomputed
   * for θ̄ in training mode on CALIBRATION_BATCHES batches of fresh z, from an Rng seeded by the
   * generator iteration count alone, `new Rng(generatorIterations)`, so the training stream is
   * untouched), else G. The calibration noise is the same for every run's seed; dcgan.ts's sampler
   * instead seeds it by calibrationSeed(config.seed, iterations), from its config's seed (0 by
   * default, also regardless of the run's Rng).
   */
  protected sampler(): N {
    const a = this.averaging;
    if (a === undefined) return this.G;
    if (this.gbarStale && a.net.hasBatchNorm) {
      const rng = new Rng(this.generatorIterations);
      for (let b = 0; b < CALIBRATION_BATCHES; b++) a.net.forward(rng.fillNormal(new Float32Array(a.batchSize * this.latentDim)), a.batchSize, true);
    }
    this.gbarStale = false;
    return a.net;
  }

  computeGradients(phase: Phase, batch: ImageBatch): { grads: TensorMap; metrics: Metrics } {
    const metrics = this.phaseGradients(phase, batch);
    return { grads: phase === 'critic' ? this.D.gradMap() : this.G.gradMap(), metrics };
  }

  phaseParamNames(phase: Phase): readonly string[] {
    return (ganPhase(phase, this.kind) === 'critic' ? this.D : this.G).names;
  }

  applyGradients(phase: Phase, grads: TensorMap): Metrics {
    const net = ganPhase(phase, this.kind) === 'critic' ? this.D : this.G;
    net.flatten(grads, net.grads);
    this.step(phase);
    return {};
  }

  /** One iteration: the phases of schedule() in order, one batch each; metrics of the last of each phase. */
  trainStep(batches: ImageBatch[]): Metrics {
    const phases = this.schedule();
    if (batches.length !== phases.length) throw new Error(`${this.kind}.trainStep: schedule has ${phases.length} phases, got ${batches.length} batches`);
    const metrics: Metrics = {};
    phases.forEach((phase, i) => {
      Object.assign(metrics, this.phaseGradients(phase, batches[i]!));
      this.step(phase);
    });
    return metrics;
  }

  /** Images in [0, 1] = (G(z) + 1) / 2 (θ̄'s when averaging), row-major [n, 28, 28]; batchnorm uses its running averages. */
  sample(z: Float32Array): Float32Array {
    const L = this.latentDim;
    if (z.length % L !== 0) throw new Error(`${this.kind}.sample: ${z.length} values is not a multiple of latentDim ${L}`);
    const n = z.length / L;
    const out = new Float32Array(n * MNIST_PIXELS);
    const chunk = 500;
    const G = this.sampler();
    for (let s = 0; s < n; s += chunk) {
      const m = Math.min(chunk, n - s);
      const x = G.forward(z.subarray(s * L, (s + m) * L), m, false);
      for (let i = 0; i < m * MNIST_PIXELS; i++) out[s * MNIST_PIXELS + i] = (x[i]! + 1) / 2;
    }
    return out;
  }

  runningStats(): TensorMap {
    return { ...this.G.statsMap(), ...this.D.statsMap() };
  }

  setRunningStats(stats: TensorMap): void {
    this.G.setStats(stats);
    this.D.setStats(stats);
  }

  /** Every weight of G and D by name: the trainable ones and the batchnorm running averages. */
  getParams(): TensorMap {
    return { ...this.G.toMap(), ...this.G.statsMap(), ...this.D.toMap(), ...this.D.statsMap() };
  }

  setParams(params: TensorMap): void {
    this.G.flatten(params);
    this.D.flatten(params);
  }

  /**
   * Writes generator/ and critic/ (tfjs format) and state.msgpack (optimisers, Rng, counters). When
   * averaging, generator/ is θ̄ (what samples) and generator-online/ the G that trains; the
   * `generator` twin is left holding θ̄.
   */
  async save(dir: string): Promise<void> {
    const write = async (sub: string, model: tf.Sequential, net: N) => {
      setTwinWeights(model, { ...net.toMap(), ...net.statsMap() });
      await mkdir(path.join(dir, sub), { recursive: true });
      await saveModelFiles(model, path.join(dir, sub));
    };
    if (this.Gbar !== undefined) await write(GENERATIVE_FILES.generatorOnline, this.generator, this.G);
    await write(GENERATIVE_FILES.generator, this.generator, this.sampler());
    await write(GENERATIVE_FILES.critic, this.critic, this.D);
    const state: GanState = {
      kind: this.kind,
      rng: [...this.rng.getState()],
      generatorIterations: this.generatorIterations,
      criticSteps: this.criticSteps,
      gOpt: this.gOpt.getState(),
      dOpt: this.dOpt.getState(),
    };
    await writeFileAtomic(path.join(dir, GENERATIVE_FILES.modelState), encode(state));
  }

  async load(dir: string): Promise<void> {
    const file = path.join(dir, GENERATIVE_FILES.modelState);
    const state = checkData(ganStateSchema, await readMsgpackFile(file), file);
    if (state.kind !== this.kind) throw new Error(`${dir} holds a '${state.kind}' model, not '${this.kind}'`);
    const averaged = existsSync(path.join(dir, GENERATIVE_FILES.generatorOnline, 'model.json'));
    // generator/ of an averaging model is θ̄: training on from it would silently drop the online G
    const a = this.averaging;
    if (averaged && a === undefined) throw new Error(`${this.kind}.load: ${dir} holds an averaging model (generator-online/), this learner has emaDecay 0`);
    if (!averaged && a !== undefined) throw new Error(`${this.kind}.load: ${dir} has no generator-online/ (saved without emaDecay), this learner averages G (emaDecay ${a.decay})`);
    restoreFlatOptimizer(this.gOpt, state.gOpt, `${file}: gOpt`);
    restoreFlatOptimizer(this.dOpt, state.dOpt, `${file}: dOpt`);
    const read = async (sub: string, model: tf.Sequential, net: N) => {
      await loadWeightsInto(model, path.join(dir, sub));
      net.flatten(readWeights([model]));
    };
    if (a !== undefined) await read(GENERATIVE_FILES.generatorOnline, this.generator, this.G);
    await read(GENERATIVE_FILES.generator, this.generator, a?.net ?? this.G);
    await read(GENERATIVE_FILES.critic, this.critic, this.D);
    this.gbarStale = false;
    this.rng.setState(state.rng);
    this.generatorIterations = state.generatorIterations;
    this.criticSteps = state.criticSteps;
  }

  dispose(): void {
    this.generator.dispose();
    this.critic.dispose();
  }
}
