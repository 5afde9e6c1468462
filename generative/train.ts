/**
 * The one training loop of the generative models: epochs of seeded shuffled MNIST minibatches
 * (mnist.ts epochBatches, drop-last), each iteration the phases of `learner.schedule()` (a
 * critic phase takes a fresh batch of real images; a generator phase reuses the iteration's last
 * batch, whose labels a conditional model conditions on, as algorithm 13.1 samples only noise
 * there), progress lines through `log`, namespaced metrics through `onMetrics`, and per epoch:
 *   - a 10 × 10 sample grid from FIXED latents (digit c in column c for conditional models) at
 *     outDir/samples/epoch-NNN.png, so progress is visible from grid to grid;
 *   - evaluation with the project's classifier (eval.ts): `eval/classifier_score`,
 *     `eval/frechet_distance` (against the test set), `eval/min_class_fraction`; for a VAE
 *     `eval/test_neg_elbo` in nats per image.
 * At the end: a latent interpolation strip (outDir/interpolation.png), the model saved with
 * `learner.save(outDir)` (outDir/generator/model.json is the tfjs generator a browser loads) and
 * outDir/summary.json. These names are kinds.ts GENERATIVE_FILES (a run directory's layout,
 * protocol/runFiles.ts RUN_FILES, takes them from there), and each file is written atomically
 * (core/atomicWrite.ts), so a crash never leaves a half-written grid or summary under its name.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../core/atomicWrite.js';
import { checkData, readJsonFile } from '../core/stateFile.js';
import { count } from '../base/schemas.js';
import { Rng, type RngState } from '../base/rng.js';
import { formatMetric } from '../base/format.js';
import { batchesPerEpoch, epochBatches, loadMnist, MNIST_SIZES, scalePixels, type Mnist } from './mnist.js';
import { generativeBatchSize, makeGenerativeLearner } from './models.js';
import type { GenerativeKind } from './kinds.js';
import { encodePng, interpolationStrip, labelledSampleGrid, SAMPLE_GRID_SIDE } from './png.js';
import { evaluateGenerator, featureStats, GENERATIVE_EVAL_SEEDS, type FeatureStats } from './eval.js';
import { loadOrTrainClassifier, type Classifier } from './lenet.js';
import type { GenerativeLearner, ImageBatch } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { epochSamplesName, GENERATIVE_FILES, GENERATIVE_KINDS, MNIST_CLASSES } from './kinds.js';
import { CLASSIFIER_SCORE, FRECHET_DISTANCE, MIN_CLASS_FRACTION, shortMetricName, STEPS_PER_S, TEST_NEG_ELBO } from '../agents/metricNames.js';

export interface TrainGenerativeOptions {
  /** Registry kind: 'vae', 'vae-conv', 'gan', 'wgan', 'wgan-gp', … (kinds.ts). */
  kind: GenerativeKind;
  /** The model's config (partial; defaults per model). */
  config?: Record<string, unknown>;
  /** Passes over the training images (MNIST's 60 000). */
  epochs: number;
  /** Seed of weights, noise, batch order and the fixed sample latents. */
  seed?: number;
  /** Minibatch size (default: the model config's batchSize). */
  batchSize?: number;
  /** Where the sample grids, the interpolation strip, the model and the summary go (named by GENERATIVE_FILES). */
  outDir: string;
  /** Namespaced metrics: averages every `metricsEvery` iterations, and each epoch's evaluation. */
  onMetrics?: (metrics: Metrics, step: number) => void;
  /** Called after each epoch with its summary and its sample grid (the PNG bytes written to `samplePath`, for a live view). */
  onEpoch?: (summary: EpochSummary, samplesPng: Uint8Array) => void;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Stops after the current iteration; the model is still saved. */
  signal?: AbortSignal;
  /** Evaluate with the classifier each epoch (default true; trains it once if not cached). */
  evaluate?: boolean;
  /** Samples per evaluation (default: as many as the test set has, evaluateGenerator's). */
  evalSamples?: number;
  /** Iterations between metric callbacks (default 50). */
  metricsEvery?: number;
  /** Seconds between progress lines (default 10). */
  logIntervalSeconds?: number;
  /** Stop an epoch after this many iterations (short runs and tests; default: the whole epoch). */
  maxStepsPerEpoch?: number;
  /** Folder of the cached classifier (default models/lenet-mnist). */
  classifierDir?: string;
  /** MNIST to use (default: loadMnist()). */
  mnist?: Mnist;
  /**
   * Called after each completed epoch (not after an aborted one) to save a checkpoint; `save(dir)`
   * writes the learner there (the remote one when training is remote).
   */
  onCheckpoint?: (c: GenerativeCheckpoint & { learner: GenerativeLearner; save: (dir: string) => Promise<void> }) => Promise<void>;
  /** Continue from a checkpoint: the learner is loaded from `dir`, training resumes after `epoch`. */
  resume?: GenerativeCheckpoint & { dir: string };
  /** Replaces `learner.trainStep` (the coordinator's data-parallel step over gradient workers). */
  trainStep?: (learner: GenerativeLearner, batches: ImageBatch[]) => Promise<Metrics> | Metrics;
  /**
   * Train a copy of the model elsewhere (the learner process): the loop's own learner is then
   * only the copy it samples and evaluates with, refreshed from the remote one before each use,
   * and every save (checkpoints, the final model) is the remote's, optimiser state included.
   */
  remote?: RemoteLearner;
}

/** A learner trained outside this thread (drivers/learner.ts GenerativeProcessLearner). */
export interface RemoteLearner {
  /** Builds the same model from the same generator state (`rng` before the model drew from it), then loads `loadDir` if given. */
  start(kind: GenerativeKind, config: Record<string, unknown>, rng: RngState, loadDir?: string): Promise<void>;
  /** One training iteration, as `learner.trainStep`. */
  trainStep(batches: ImageBatch[]): Promise<Metrics>;
  /** Copies the remote parameters (and batchnorm averages) into `local`. */
  pull(local: GenerativeLearner): Promise<void>;
  /** Saves the remote learner to `dir`, as `learner.save`. */
  save(dir: string): Promise<void>;
}

/** Where an epoch-boundary checkpoint leaves the training loop. */
export interface GenerativeCheckpoint {
  /** Epochs completed. */
  epoch: number;
  /** Iterations so far. */
  step: number;
  /** State of the batch-order generator (the next epoch's shuffle continues from it). */
  dataRng: RngState;
}

export interface EpochSummary {
  epoch: number;
  /** Iterations (trainStep calls) so far. */
  steps: number;
  /** Wall-clock seconds of this epoch's training (evaluation excluded). */
  trainSeconds: number;
  /** Wall-clock seconds of this epoch's evaluation and sample grid. */
  evalSeconds: number;
  /** Epoch means of the training metrics, `charts/steps_per_s`, and the `eval/…` metrics. */
  metrics: Metrics;
  /** Fraction of samples per digit (when evaluated). */
  histogram?: number[];
  samplePath: string;
}

export interface TrainGenerativeResult {
  kind: GenerativeKind;
  seed: number;
  batchSize: number;
  epochs: EpochSummary[];
  aborted: boolean;
  outDir: string;
}

/** What a run's summary.json holds (trainGenerative writes it last): its result and the model's resolved config. */
export interface GenerativeRunSummary extends TrainGenerativeResult {
  config: Readonly<object>;
}

/** A metric's value in summary.json: JSON writes a NaN or an infinity (a diverged loss) as null, read back as NaN. */
const summaryMetric = z.union([z.number(), z.null().transform(() => Number.NaN)]);

/** An epoch's summary as summary.json (and bench:generative's results files) hold it. */
export const epochSummarySchema = z.object({
  epoch: count,
  steps: count,
  trainSeconds: z.number(),
  evalSeconds: z.number(),
  metrics: z.record(z.string(), summaryMetric),
  histogram: z.array(z.number()).optional(),
  samplePath: z.string(),
}) satisfies z.ZodType<EpochSummary, unknown>;

/** summary.json's schema: what readRunSummary checks a run's summary against. */
export const runSummarySchema = z.object({
  kind: z.enum(GENERATIVE_KINDS),
  seed: count,
  batchSize: count,
  epochs: z.array(epochSummarySchema),
  aborted: z.boolean(),
  outDir: z.string(),
  config: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<GenerativeRunSummary, unknown>;

/**
 * The summary.json that trainGenerative left in `outDir` (a run directory, a trial's, a bench's
 * run folder), checked against runSummarySchema: a missing, torn or foreign file is an error naming
 * it and its first bad field, never read as whatever it holds.
 */
export function readRunSummary(outDir: string): GenerativeRunSummary {
  const file = path.join(outDir, GENERATIVE_FILES.summary);
  return checkData(runSummarySchema, readJsonFile(file), file);
}

const testStatsCache = new Map<string, FeatureStats>();

function short(metrics: Metrics): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${shortMetricName(k)} ${formatMetric(v)}`)
    .join(' ');
}

/**
 * Where a finished run of `trainGenerative` (seed `seed`, `epochs` epochs over `trainSize` images,
 * `step` iterations: its last EpochSummary's `steps`) left its loop, to continue it with `resume`
 * from the model it saved in its outDir: the batch-order generator replayed through its `epochs`
 * shuffles. Continuing this way gives the epochs an uninterrupted longer run would have had. (The
 * iterations are not derived from the batch size: a WGAN iteration takes n_critic batches.)
 */
export function finishedRunCheckpoint(seed: number, epochs: number, step: number, trainSize: number = MNIST_SIZES.train): GenerativeCheckpoint {
  const root = new Rng(seed);
  root.split(); // the learner's stream
  const dataRng = root.split();
  for (let e = 0; e < epochs; e++) dataRng.permutation(trainSize);
  return { epoch: epochs, step, dataRng: dataRng.getState() };
}

/**
 * The minibatch size of a run of `trainGenerative` (its `batchSize`, else its model config's) and
 * the minibatches in one of its epochs over `trainSize` images (the last partial one dropped). An
 * iteration takes one minibatch per critic phase (a WGAN's n_critic), so the batches bound the
 * iterations of an epoch.
 */
export function epochSize(opts: Pick<TrainGenerativeOptions, 'kind' | 'config' | 'batchSize'>, trainSize: number = MNIST_SIZES.train): { batchSize: number; batches: number } {
  const batchSize = generativeBatchSize(opts.kind, opts.config ?? {}, opts.batchSize);
  return { batchSize, batches: batchesPerEpoch(trainSize, batchSize) };
}

/** Trains a generative model on MNIST (module doc). */
export async function trainGenerative(opts: TrainGenerativeOptions): Promise<TrainGenerativeResult> {
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(opts.epochs) || opts.epochs < 0) throw new RangeError(`epochs must be a non-negative integer, got ${opts.epochs}`);
  const log = opts.log ?? (() => {});
  const root = new Rng(seed);
  const learnerRng = root.split();
  const remoteRng = learnerRng.getState();
  const learner = makeGenerativeLearner(opts.kind, opts.config ?? {}, learnerRng);
  try {
    await opts.remote?.start(opts.kind, opts.config ?? {}, remoteRng, opts.resume?.dir);
    return await run(learner, opts, seed, root, log);
  } finally {
    learner.dispose();
  }
}

async function run(learner: GenerativeLearner, opts: TrainGenerativeOptions, seed: number, root: Rng, log: (line: string) => void): Promise<TrainGenerativeResult> {
  const kind = opts.kind;
  const scale = learner.pixelScale ?? 'tanh';
  const conditional = learner.conditional ?? false;
  const dataRng = root.split();
  const fixedRng = root.split();
  const L = learner.latentDim;
  const fixedZ = fixedRng.fillNormal(new Float32Array(SAMPLE_GRID_SIDE * SAMPLE_GRID_SIDE * L));
  const mnist = opts.mnist ?? (await loadMnist());
  const { batchSize, batches: epochBatchCount } = epochSize(opts, mnist.train.n);
  const out = (file: keyof typeof GENERATIVE_FILES): string => path.join(opts.outDir, GENERATIVE_FILES[file]);
  await mkdir(out('samples'), { recursive: true });

  const evaluate = opts.evaluate ?? true;
  let classifier: Classifier | undefined;
  let testStats: FeatureStats | undefined;
  const testUnit = scalePixels(mnist.test.images, 'unit');
  if (evaluate) {
    classifier = await loadOrTrainClassifier({ ...(opts.classifierDir !== undefined ? { dir: opts.classifierDir } : {}), log });
    const key = `${opts.classifierDir ?? ''}|${mnist.test.n}`;
    testStats = testStatsCache.get(key);
    if (testStats === undefined) {
      testStats = featureStats(classifier.predict(testUnit, mnist.test.n).features, mnist.test.n, classifier.featureDim);
      testStatsCache.set(key, testStats);
    }
  }

  const metricsEvery = opts.metricsEvery ?? 50;
  const logInterval = (opts.logIntervalSeconds ?? 10) * 1000;
  const epochs: EpochSummary[] = [];
  let step = 0;
  let firstEpoch = 1;
  if (opts.resume !== undefined) {
    await learner.load(opts.resume.dir);
    dataRng.setState(opts.resume.dataRng);
    step = opts.resume.step;
    firstEpoch = opts.resume.epoch + 1;
    log(`${kind}: resumed after epoch ${opts.resume.epoch} (step ${step}) from ${opts.resume.dir}`);
  }
  let aborted = false;
  const save = (dir: string): Promise<void> => (opts.remote !== undefined ? opts.remote.save(dir) : learner.save(dir));
  log(`${kind}: ${opts.epochs} epochs, batch ${batchSize}, seed ${seed}, schedule ${learner.schedule().join(',')}`);
  try {
    for (let epoch = firstEpoch; epoch <= opts.epochs && !aborted; epoch++) {
      const t0 = performance.now();
      const batches = epochBatches(mnist.train, batchSize, dataRng, scale);
      const sums = new Map<string, { sum: number; n: number }>();
      const window = new Map<string, { sum: number; n: number }>();
      let epochSteps = 0;
      let batchesUsed = 0;
      let lastLog = t0;
      let windowStart = t0;
      let windowSteps = 0;
      for (;;) {
        if (opts.signal?.aborted) {
          aborted = true;
          break;
        }
        if (opts.maxStepsPerEpoch !== undefined && epochSteps >= opts.maxStepsPerEpoch) break;
        const phases = learner.schedule();
        const iterBatches: ImageBatch[] = [];
        let done = false;
        for (const phase of phases) {
          const prev = iterBatches[iterBatches.length - 1];
          if (phase === 'generator' && prev !== undefined) {
            iterBatches.push(prev);
            continue;
          }
          const next = batches.next();
          if (next.done) {
            done = true;
            break;
          }
          batchesUsed++;
          iterBatches.push(next.value);
        }
        if (done) break;
        const m = opts.remote !== undefined ? await opts.remote.trainStep(iterBatches) : opts.trainStep !== undefined ? await opts.trainStep(learner, iterBatches) : learner.trainStep(iterBatches);
        step++;
        epochSteps++;
        windowSteps++;
        for (const [k, v] of Object.entries(m)) {
          for (const acc of [sums, window]) {
            const s = acc.get(k) ?? { sum: 0, n: 0 };
            s.sum += v;
            s.n++;
            acc.set(k, s);
          }
        }
        const now = performance.now();
        if (step % metricsEvery === 0) {
          const out: Metrics = {};
          for (const [k, s] of window) out[k] = s.sum / s.n;
          out[STEPS_PER_S] = windowSteps / ((now - windowStart) / 1000);
          opts.onMetrics?.(out, step);
          window.clear();
          windowStart = now;
          windowSteps = 0;
        }
        if (now - lastLog >= logInterval) {
          lastLog = now;
          const mean: Metrics = {};
          for (const [k, s] of sums) mean[k] = s.sum / s.n;
          const pct = Math.min(100, (100 * batchesUsed) / epochBatchCount);
          log(`${kind} epoch ${epoch}/${opts.epochs} ${pct.toFixed(0).padStart(3)}% step ${step} | ${short(mean)} | ${(epochSteps / ((now - t0) / 1000)).toFixed(1)} steps/s`);
        }
        if (step % 20 === 0) await new Promise((r) => setImmediate(r));
      }
      const trainSeconds = (performance.now() - t0) / 1000;
      const t1 = performance.now();
      const metrics: Metrics = {};
      for (const [k, s] of sums) metrics[k] = s.sum / s.n;
      metrics[STEPS_PER_S] = epochSteps / trainSeconds;
      await opts.remote?.pull(learner);
      const samplePath = path.join(out('samples'), epochSamplesName(epoch));
      const samplesPng = encodePng(labelledSampleGrid((z, l) => learner.sample(z, l), fixedZ, conditional));
      await writeFileAtomic(samplePath, samplesPng);
      let histogram: number[] | undefined;
      if (learner.negElbo !== undefined) metrics[TEST_NEG_ELBO] = learner.negElbo(testUnit, mnist.test.n);
      if (classifier !== undefined && testStats !== undefined) {
        const ev = evaluateGenerator(learner, classifier, testStats, { samples: opts.evalSamples, seed: GENERATIVE_EVAL_SEEDS.score(seed) });
        metrics[CLASSIFIER_SCORE] = ev.classifierScore;
        metrics[FRECHET_DISTANCE] = ev.frechetDistance;
        metrics[MIN_CLASS_FRACTION] = ev.minClassFraction;
        histogram = ev.histogram;
      }
      const evalSeconds = (performance.now() - t1) / 1000;
      const summary: EpochSummary = { epoch, steps: step, trainSeconds, evalSeconds, metrics, samplePath, ...(histogram !== undefined ? { histogram } : {}) };
      epochs.push(summary);
      opts.onMetrics?.(metrics, step);
      opts.onEpoch?.(summary, samplesPng);
      if (!aborted) await opts.onCheckpoint?.({ epoch, step, learner, dataRng: dataRng.getState(), save });
      log(`${kind} epoch ${epoch}/${opts.epochs} done in ${trainSeconds.toFixed(1)} s (+${evalSeconds.toFixed(1)} s eval) | ${short(metrics)}`);
    }
  } finally {
    classifier?.dispose();
  }

  // interpolation strip: one row per digit, each between two fixed latents (that digit if conditional)
  const rows = MNIST_CLASSES;
  const a = fixedRng.fillNormal(new Float32Array(rows * L));
  const b = fixedRng.fillNormal(new Float32Array(rows * L));
  const stripLabels = conditional ? Uint8Array.from({ length: rows }, (_, i) => i) : undefined;
  await writeFileAtomic(out('interpolation'), encodePng(interpolationStrip((z, l) => learner.sample(z, l), a, b, L, rows, stripLabels)));
  await save(opts.outDir);
  const result: TrainGenerativeResult = { kind, seed, batchSize, epochs, aborted, outDir: opts.outDir };
  const summary: GenerativeRunSummary = { ...result, config: learner.config };
  await writeFileAtomic(out('summary'), JSON.stringify(summary, null, 2));
  log(`${kind}: saved the generator to ${path.join(out('generator'), 'model.json')}`);
  return result;
}
