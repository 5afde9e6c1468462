/**
 * Generative runs from a spec (`model: { kind, config }`): trains on MNIST for `budget.epochs`
 * with generative/train.ts (per-epoch sample grids from fixed latents, classifier score, Fréchet
 * distance, the generator saved in the tfjs format), metrics streamed to runs/<id>/.
 *
 * With `workers.gradient = N > 0` each phase of each iteration is data-parallel (synchronous SGD):
 * the minibatch is cut into N shards, each shard's gradient is computed by a `gradient` task on a
 * piscina thread (or a remote worker) holding a copy of the model with the current parameters, and
 * the learner applies the shard-size-weighted mean — the full batch's mean gradient.
 *
 * Sharding pays only when the threads have cores to spare: the native conv kernels already use
 * every core of a small machine, and there a DCGAN step over 2 threads was slower than the learner
 * alone. So with `workers.gradientMode: 'auto'` (the default) the run times its first iterations
 * both ways, interleaved, and keeps the faster (`gradientStep`); `'threads'` always shards.
 */
import { runPath } from '../protocol/runFiles.js';
import { z } from 'zod';
import { latestEpochCheckpoint, saveEpochCheckpoint, type EpochCheckpoint } from '../generative/epochCheckpoint.js';
import type { GenerativeCheckpoint } from '../generative/train.js';
import { averageGradients } from '../core/tensors.js';
import { epochSize, trainGenerative, type TrainGenerativeOptions } from '../generative/train.js';
import type { GenerativeLearner, ImageBatch } from '../generative/types.js';
import type { Metrics } from '../base/metrics.js';
import { scoreMetric, scoreOf, type ScoreMetric } from '../generative/score.js';
import { median } from '../base/stats.js';
import { formatMetric } from '../base/format.js';
import { DATA_PARALLEL_STEPS_PER_S, EVAL_PREFIX, GRADIENT_THREADS_USED, LEARNER_ALONE_STEPS_PER_S, shortMetricName } from '../agents/metricNames.js';
import { GENERATIVE_EPOCHS, type GradientTask } from '../protocol/tasks.js';
import type { GenerativeSpec, GradientMode } from './spec.js';
import type { GenerativeRunContext, MetricsMark, RunOutcome, TaskScheduler } from './context.js';
import { GenerativeProcessLearner } from './learner.js';
import { metricsMarkSchema } from './runState.js';

/** Cuts a batch into `k` contiguous shards of near-equal size. */
export function shardBatch(b: ImageBatch, k: number): ImageBatch[] {
  const px = b.images.length / b.n;
  const out: ImageBatch[] = [];
  for (let i = 0; i < k; i++) {
    const lo = Math.floor((i * b.n) / k);
    const hi = Math.floor(((i + 1) * b.n) / k);
    if (hi > lo) out.push({ n: hi - lo, images: b.images.subarray(lo * px, hi * px), labels: b.labels.subarray(lo, hi) });
  }
  return out;
}

/** One training iteration of a learner on its schedule's batches (what `trainGenerative` calls per step). */
export type TrainStep = (learner: GenerativeLearner, batches: ImageBatch[]) => Promise<Metrics>;

/** One data-parallel training iteration over the learner's schedule. */
export function dataParallelStep(scheduler: TaskScheduler, runId: string, model: GradientTask['model'], shards: number): TrainStep {
  let version = 0;
  return async (learner, batches) => {
    const metrics: Metrics = {};
    const phases = learner.schedule();
    for (let p = 0; p < phases.length; p++) {
      const phase = phases[p]!;
      const params = learner.getParams();
      const phaseParams = learner.phaseParamNames(phase);
      version++;
      const parts = shardBatch(batches[p]!, shards);
      const results = await Promise.all(parts.map((batch) => scheduler.submit({ kind: 'gradient', runId, model, phase, params, paramsVersion: version, phaseParams, batch })));
      const ns = results.map((r) => r.n);
      const total = ns.reduce((a, b) => a + b, 0);
      Object.assign(metrics, learner.applyGradients(phase, averageGradients(results.map((r) => r.grads), ns)));
      // batchnorm: each shard moved its copy of the running averages; the learner takes their weighted mean
      if (results.every((r) => r.stats !== undefined)) learner.setRunningStats?.(averageGradients(results.map((r) => r.stats!), ns));
      for (const key of Object.keys(results[0]!.metrics)) metrics[key] = results.reduce((a, r) => a + (r.metrics[key] ?? 0) * r.n, 0) / total;
    }
    return metrics;
  };
}

/**
 * How an 'auto' run calibrates: per path, `warmup` untimed iterations (thread start, module
 * imports, JIT) and then `timed` timed ones, all of them real training iterations.
 */
export const CALIBRATION = Object.freeze({ warmup: 1, timed: 3 });
/** The iterations an 'auto' run's calibration takes: warmup and timed ones on each of the two paths. */
export const CALIBRATION_ITERATIONS = 2 * (CALIBRATION.warmup + CALIBRATION.timed);

/** What an 'auto' run measured, and the path it kept. */
export interface GradientChoice {
  /** Gradient threads the run goes on with: N (sharded) or 0 (the learner alone). */
  threadsUsed: number;
  dataParallelStepsPerSecond: number;
  learnerAloneStepsPerSecond: number;
  /** Iterations the calibration took (both paths together). */
  iterations: number;
}

/** The learner's own iteration, in this thread: what a run without gradient threads does. */
export const learnerAlone: TrainStep = async (learner, batches) => learner.trainStep(batches);

/**
 * The training step of a run with `threads` > 0 gradient threads. 'threads': always
 * `dataParallel`. 'auto': the first CALIBRATION_ITERATIONS (2 × (warmup + timed)) iterations alternate between
 * `dataParallel` and `alone` (the learner's own `trainStep`: `learnerAlone`), in rounds whose order flips each time (DP then
 * alone, alone then DP, …) so that a drift of the machine's speed falls on both alike; each path's
 * rate is 1 / its median timed iteration. `onChoice` hears the result (and is awaited), and the
 * faster path trains the rest of the run. Both paths compute the same update (the full batch's mean gradient through
 * the same optimiser), so calibrating wastes no work; they are not the same to the bit (each
 * thread's model copy draws its own latents and noise, and sums the batch in shards), so an auto
 * run's weights depend on the path it kept.
 */
export function gradientStep(mode: GradientMode, threads: number, dataParallel: TrainStep, alone: TrainStep, onChoice: (c: GradientChoice) => void | Promise<void>): TrainStep {
  if (mode === 'threads') return dataParallel;
  const times: { dp: number[]; alone: number[] } = { dp: [], alone: [] };
  let iteration = 0;
  let chosen: TrainStep | undefined;
  return async (learner, batches) => {
    if (chosen !== undefined) return chosen(learner, batches);
    const round = Math.floor(iteration / 2);
    const dpFirst = round % 2 === 0;
    const useDp = (iteration % 2 === 0) === dpFirst;
    iteration++;
    const t0 = performance.now();
    const m = await (useDp ? dataParallel : alone)(learner, batches);
    if (round >= CALIBRATION.warmup) (useDp ? times.dp : times.alone).push((performance.now() - t0) / 1000);
    if (iteration === CALIBRATION_ITERATIONS) {
      const dataParallelStepsPerSecond = 1 / median(times.dp);
      const learnerAloneStepsPerSecond = 1 / median(times.alone);
      const sharded = dataParallelStepsPerSecond > learnerAloneStepsPerSecond;
      chosen = sharded ? dataParallel : alone;
      await onChoice({ threadsUsed: sharded ? threads : 0, dataParallelStepsPerSecond, learnerAloneStepsPerSecond, iterations: iteration });
    }
    return m;
  };
}

/** What the newest generative checkpoint of a run holds: the loop's position, the metrics' lengths, the model's folder. */
export type GenerativeRunState = EpochCheckpoint<{ metrics: MetricsMark }>;

/** The newest complete epoch checkpoint of a generative run (runs/<id>/checkpoints/), or undefined; its LATEST-epoch.json is checked (a bad field is refused, naming the file and the field). */
export function latestGenerativeCheckpoint(runDir: string): GenerativeRunState | undefined {
  return latestEpochCheckpoint(runPath(runDir, 'checkpoints'), z.object({ metrics: metricsMarkSchema }));
}

/** How a generative run resumes (`nnlab run --resume RUN_DIR`): from its newest complete epoch checkpoint (latestGenerativeCheckpoint, checked). */
export function loadGenerativeResume(runDir: string): GenerativeRunState {
  const resume = latestGenerativeCheckpoint(runDir);
  if (resume === undefined) throw new Error(`--resume ${runDir}: no complete epoch checkpoint under ${runPath(runDir, 'checkpoints')}`);
  return resume;
}

/** Saves the learner (weights and optimiser state) as the run's epoch checkpoint, with the metrics' lengths; keeps the newest `checkpoint.keep`. */
async function saveRunCheckpoint(ctx: GenerativeRunContext, c: GenerativeCheckpoint & { save: (dir: string) => Promise<void> }): Promise<void> {
  const dir = await saveEpochCheckpoint(runPath(ctx.runDir, 'checkpoints'), c, ctx.spec.checkpoint.keep, { metrics: ctx.metrics.mark() });
  ctx.log(`checkpoint after epoch ${c.epoch}: ${dir}`);
  ctx.event({ type: 'checkpoint', dir, step: c.step });
}

/** Whether a generative spec evaluates with the classifier after each epoch: eval.interval 0 turns it off. */
export function classifierEvaluation(spec: GenerativeSpec): boolean {
  return spec.eval.interval !== 0;
}

/** The metric a generative spec's run (or sweep trial) is scored by (generative/score.ts); undefined: none. */
export function generativeScoreMetric(spec: GenerativeSpec): ScoreMetric | undefined {
  return scoreMetric(spec.model.kind, classifierEvaluation(spec));
}

export async function runGenerative(ctx: GenerativeRunContext, resume?: GenerativeRunState): Promise<RunOutcome> {
  const { spec } = ctx;
  const model = spec.model;
  const epochs = spec.budget.epochs ?? GENERATIVE_EPOCHS;
  // the model trains in the learner process unless the spec says otherwise, or spreads its
  // gradients over workers.gradient threads (then the coordinator applies them: one copy, here)
  const remote = spec.workers.learner.process && spec.workers.gradient === 0 ? new GenerativeProcessLearner(spec.workers.learner.backend) : undefined;
  if (spec.workers.learner.process && remote === undefined) ctx.log(`note: with workers.gradient ${spec.workers.gradient}, the gradient threads' average is applied in the coordinator process, not a learner process`);
  const stop = new AbortController();
  const poll = setInterval(() => {
    if (ctx.stopRequested() !== undefined) stop.abort();
  }, 200);
  let last: Metrics = {};
  // the progress bar's iterations per epoch: its minibatches (a WGAN iteration takes n_critic of them), at most stepsPerEpoch
  const perEpoch = Math.min(epochSize({ kind: model.kind, config: model.config, batchSize: model.batchSize }).batches, spec.budget.stepsPerEpoch ?? Infinity);
  const opts: TrainGenerativeOptions = {
    kind: model.kind,
    config: model.config,
    epochs,
    seed: spec.seed,
    outDir: ctx.runDir,
    signal: stop.signal,
    log: (l) => ctx.log(l),
    logIntervalSeconds: 30,
    onEpoch: (e, png) => ctx.publishSamples(e.epoch, png),
    onMetrics: (m, step) => {
      ctx.metrics.write(step, m);
      last = { ...last, ...m };
      ctx.progress(step, epochs * perEpoch, Object.fromEntries(Object.entries(last).map(([k, v]) => [shortMetricName(k), v])));
    },
  };
  if (model.batchSize !== undefined) opts.batchSize = model.batchSize;
  opts.onCheckpoint = async (c) => {
    await saveRunCheckpoint(ctx, c);
    // a stop asked for during the epoch takes effect here, at the checkpoint, not at the next poll
    if (ctx.stopRequested() !== undefined) stop.abort();
  };
  if (resume !== undefined) opts.resume = resume;
  if (spec.budget.stepsPerEpoch !== undefined) opts.maxStepsPerEpoch = spec.budget.stepsPerEpoch;
  // eval.interval 0 turns the per-epoch evaluation (classifier score, Fréchet distance) off
  opts.evaluate = classifierEvaluation(spec);
  if (spec.eval.samples !== undefined) opts.evalSamples = spec.eval.samples;
  const threads = spec.workers.gradient;
  let choice: GradientChoice | undefined;
  if (threads > 0) {
    const dp = dataParallelStep(ctx.scheduler, ctx.runId, { kind: model.kind, config: model.config, seed: spec.seed }, threads);
    const startStep = resume?.step ?? 0;
    if (spec.workers.gradientMode === 'threads') ctx.log(`each minibatch is sharded over ${threads} gradient thread(s) (workers.gradientMode 'threads')`);
    else ctx.log(`workers.gradientMode 'auto': timing the first ${CALIBRATION_ITERATIONS} iterations sharded over ${threads} gradient thread(s) and by the learner alone, alternately; the faster trains the rest`);
    opts.trainStep = gradientStep(spec.workers.gradientMode, threads, dp, learnerAlone, async (c) => {
      choice = c;
      const rate = (x: number) => `${x.toFixed(2)} steps/s`;
      ctx.log(`gradient threads: ${threads} thread(s) ${rate(c.dataParallelStepsPerSecond)}, learner alone ${rate(c.learnerAloneStepsPerSecond)} → ${c.threadsUsed > 0 ? `sharding over ${c.threadsUsed} thread(s)` : 'the learner alone (its threads closed)'} for the rest of the run`);
      ctx.metrics.write(startStep + c.iterations, { [GRADIENT_THREADS_USED]: c.threadsUsed, [DATA_PARALLEL_STEPS_PER_S]: c.dataParallelStepsPerSecond, [LEARNER_ALONE_STEPS_PER_S]: c.learnerAloneStepsPerSecond });
      // idle threads are not free: each holds a model copy and its own isolate, and a run that kept
      // them beside the learner alone trained ~10% slower than one without them (bench:distributed)
      if (c.threadsUsed === 0) await ctx.scheduler.closeThreads(`closed: the learner alone was faster (${rate(c.learnerAloneStepsPerSecond)} vs ${rate(c.dataParallelStepsPerSecond)} on ${threads} thread(s))`);
    });
  }
  if (remote !== undefined) opts.remote = remote;
  try {
    const r = await trainGenerative(opts);
    if (remote !== undefined) ctx.log(`${model.kind} trained in learner process ${remote.pid ?? '?'} (backend ${remote.backend})`);
    if (threads > 0) {
      if (spec.workers.gradientMode === 'auto' && choice === undefined) ctx.log(`the run ended before the gradient-mode calibration did (${CALIBRATION_ITERATIONS} iterations): it trained on both paths`);
      // where the shards' gradient tasks ran, as the scheduler counted them (threads, inline, remote workers)
      const ran = ctx.scheduler.stats().filter((e) => e.tasksDone > 0);
      ctx.log(`gradient tasks ran on: ${ran.length > 0 ? ran.map((e) => `${e.id} (${e.kind} ×${e.capacity}) ${e.tasksDone}`).join(', ') : 'none'}`);
    }
    ctx.progressBreak();
    const lastEpoch = r.epochs.at(-1);
    const ev = lastEpoch?.metrics ?? {};
    const parts = Object.entries(ev)
      .filter(([k]) => k.startsWith(EVAL_PREFIX))
      .map(([k, v]) => `${k.slice(EVAL_PREFIX.length)} ${formatMetric(v)}`);
    const outcome: RunOutcome = {
      state: r.aborted ? 'stopped' : 'finished',
      counts: { ...ctx.scheduler.counts },
      message: `${r.aborted ? `stopped; continue with --resume ${ctx.runDir}. ` : ''}${model.kind}: ${r.epochs.length} epoch(s)${parts.length > 0 ? `; ${parts.join(', ')}` : ''}; samples in ${runPath(ctx.runDir, 'samples')}, generator in ${runPath(ctx.runDir, 'generator')} (tfjs format)`,
    };
    const metric = generativeScoreMetric(spec);
    const score = metric !== undefined ? scoreOf(metric, ev) : undefined;
    if (score !== undefined) outcome.finalScore = score;
    return outcome;
  } finally {
    clearInterval(poll);
    await remote?.close();
  }
}
