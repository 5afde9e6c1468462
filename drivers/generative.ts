/**
 * Generative runs from a spec (`model: { kind, config }`): trains on MNIST for `budget.epochs`
 * with generative/train.ts (per-epoch sample grids from fixed latents, classifier score, Fréchet
 * distance, the generator saved in the tfjs format), metrics streamed to runs/<id>/.
 *
 * With `workers.gradient = N > 0` each phase of each iteration is data-parallel (synchronous SGD):
 * the minibatch is cut into N shards, each shard's gradient is computed by a `gradient` task on a
 * piscina thread (or a remote worker) holding a copy of the model with the current parameters, and
 * the learner applies the shard-size-weighted mean — the full batch's mean gradient.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/checkpoint.js';
import type { GenerativeCheckpoint } from '../generative/train.js';
import { averageGradients } from '../core/tensors.js';
import { trainGenerative, type TrainGenerativeOptions } from '../generative/train.js';
import type { GenerativeLearner, ImageBatch, Metrics } from '../generative/types.js';
import { scoreMetric, scoreOf, type ScoreMetric } from '../generative/score.js';
import { GENERATIVE_EPOCHS, type GradientResult, type GradientTask } from '../protocol/tasks.js';
import type { ExperimentSpec } from './spec.js';
import type { TaskScheduler } from './context.js';
import type { RunContext, RunOutcome } from './context.js';
import { GenerativeProcessLearner } from './learner.js';

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

/** One data-parallel training iteration over the learner's schedule. */
export function dataParallelStep(scheduler: TaskScheduler, runId: string, model: GradientTask['model'], shards: number): (learner: GenerativeLearner, batches: ImageBatch[]) => Promise<Metrics> {
  let version = 0;
  return async (learner, batches) => {
    const metrics: Metrics = {};
    const phases = learner.schedule();
    for (let p = 0; p < phases.length; p++) {
      const phase = phases[p]!;
      const params = learner.getParams();
      version++;
      const parts = shardBatch(batches[p]!, shards);
      const results = (await Promise.all(parts.map((batch) => scheduler.submit({ kind: 'gradient', runId, model, phase, params, paramsVersion: version, batch })))) as GradientResult[];
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

/** What the newest generative checkpoint of a run holds: the loop's position, the metrics' lengths, the model's folder. */
export interface GenerativeRunState extends GenerativeCheckpoint {
  dir: string;
  metrics: { jsonl: number; csv: number; time: number };
}

const LATEST = 'LATEST-epoch.json';

/** The newest complete epoch checkpoint of a generative run, or undefined. */
export function latestGenerativeCheckpoint(runDir: string): GenerativeRunState | undefined {
  const file = path.join(runDir, 'checkpoints', LATEST);
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')) as GenerativeRunState;
  return { ...s, dir: path.join(runDir, 'checkpoints', s.dir) };
}

/**
 * Saves the learner (weights and optimiser state) into checkpoints/epoch-NNN atomically (written
 * under a temporary name, renamed), then points LATEST-epoch.json at it; keeps the newest `keep`.
 */
async function saveEpochCheckpoint(ctx: RunContext, c: GenerativeCheckpoint & { save: (dir: string) => Promise<void> }): Promise<void> {
  const root = path.join(ctx.runDir, 'checkpoints');
  const name = `epoch-${String(c.epoch).padStart(4, '0')}`;
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await c.save(tmp);
  await rm(path.join(root, name), { recursive: true, force: true });
  await rename(tmp, path.join(root, name));
  const state: GenerativeRunState = { epoch: c.epoch, step: c.step, dataRng: c.dataRng, dir: name, metrics: ctx.metrics.mark() };
  await writeFileAtomic(path.join(root, LATEST), JSON.stringify(state, null, 2) + '\n');
  const old = (await readdir(root)).filter((n) => /^epoch-\d+$/.test(n)).sort();
  for (const n of old.slice(0, Math.max(0, old.length - ctx.spec.checkpoint.keep))) await rm(path.join(root, n), { recursive: true, force: true });
  ctx.log(`checkpoint after epoch ${c.epoch}: ${path.join(root, name)}`);
  ctx.event({ type: 'checkpoint', dir: path.join(root, name), step: c.step });
}

/** Whether a generative spec evaluates with the classifier after each epoch: eval.interval 0 turns it off. */
export function classifierEvaluation(spec: ExperimentSpec): boolean {
  return spec.eval.interval !== 0;
}

/** The metric a generative spec's run (or sweep trial) is scored by (generative/score.ts); undefined: none. */
export function generativeScoreMetric(spec: ExperimentSpec): ScoreMetric | undefined {
  return spec.model === undefined ? undefined : scoreMetric(spec.model.kind, classifierEvaluation(spec));
}

export async function runGenerative(ctx: RunContext, resume?: GenerativeRunState): Promise<RunOutcome> {
  const { spec } = ctx;
  const model = spec.model!;
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
  const perEpoch = Math.min(Math.floor(60_000 / (model.batchSize ?? ((model.config.batchSize as number | undefined) ?? 64))), spec.budget.stepsPerEpoch ?? Infinity);
  const opts: TrainGenerativeOptions = {
    kind: model.kind,
    config: model.config,
    epochs,
    seed: spec.seed,
    outDir: ctx.runDir,
    signal: stop.signal,
    log: (l) => ctx.log(l),
    logIntervalSeconds: 30,
    onEpoch: (e) => {
      try {
        ctx.publishSamples(e.epoch, readFileSync(e.samplePath));
      } catch {
        // no grid written this epoch: nothing to show
      }
    },
    onMetrics: (m, step) => {
      ctx.metrics.write(step, m);
      last = { ...last, ...m };
      ctx.progress(step, epochs * perEpoch, Object.fromEntries(Object.entries(last).map(([k, v]) => [k.replace(/^[a-z]+\//, ''), v])));
    },
  };
  if (model.batchSize !== undefined) opts.batchSize = model.batchSize;
  opts.onCheckpoint = (c) => saveEpochCheckpoint(ctx, c);
  if (resume !== undefined) opts.resume = resume;
  if (spec.budget.stepsPerEpoch !== undefined) opts.maxStepsPerEpoch = spec.budget.stepsPerEpoch;
  // eval.interval 0 turns the per-epoch evaluation (classifier score, Fréchet distance) off
  opts.evaluate = classifierEvaluation(spec);
  if (spec.eval.samples !== undefined) opts.evalSamples = spec.eval.samples;
  if (spec.workers.gradient > 0) opts.trainStep = dataParallelStep(ctx.scheduler, ctx.runId, { kind: model.kind, config: model.config, seed: spec.seed }, spec.workers.gradient);
  if (remote !== undefined) opts.remote = remote;
  try {
    const r = await trainGenerative(opts);
    if (remote !== undefined) ctx.log(`${model.kind} trained in learner process ${remote.pid ?? '?'} (backend ${remote.backend})`);
    ctx.progressBreak();
    const lastEpoch = r.epochs.at(-1);
    const ev = lastEpoch?.metrics ?? {};
    const parts = Object.entries(ev)
      .filter(([k]) => k.startsWith('eval/'))
      .map(([k, v]) => `${k.slice(5)} ${v.toFixed(3)}`);
    const outcome: RunOutcome = {
      state: r.aborted ? 'stopped' : 'finished',
      counts: { ...ctx.scheduler.counts },
      message: `${r.aborted ? `stopped; continue with --resume ${ctx.runDir}. ` : ''}${model.kind}: ${r.epochs.length} epoch(s)${parts.length > 0 ? `; ${parts.join(', ')}` : ''}; samples in ${ctx.runDir}/samples, generator in ${ctx.runDir}/generator (tfjs format)`,
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
