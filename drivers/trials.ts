/**
 * Sweeps and tabular runs: each trial (a point of the sweep, one seed) is a whole training run
 * (tabular, deep or generative: workers/trial.ts) sent as one `trial` task to whichever executor
 * is free — local threads or remote workers — so 8 trials on 2 threads take about half the time of
 * running them one after another. Results are written as metrics (one curve per trial, namespaced
 * by trial index: trialMetrics names them) and as trials.json sorted by final score. A generative
 * trial run by this machine's threads writes its samples and generator in <run dir>/trial-<index>/;
 * one run by a remote WebSocket worker keeps no files (its curve and score come back).
 */
import { writeFileAtomic } from '../core/atomicWrite.js';
import { runPath, trialDir } from '../protocol/runFiles.js';
import { agentConfigOf, expandGenerativeSweep, expandRlSweep, type ExperimentSpec, type GenerativeSpec, type RlSpec, type Trial } from './spec.js';
import { GENERATIVE_EPOCHS, TABULAR_EPISODES, type EnvRef, type GenerativeTrialTask, type RlTrialTask, type TrialTask } from '../protocol/tasks.js';
import type { TrialMetricNames } from '../protocol/messages.js';
import { classifierEvaluation, generativeScoreMetric } from './generative.js';
import { greedyEvaluationText, type RunContext, type RunOutcome, type RunServices, type RunTarget } from './context.js';
import { finalMetricOf, RL_TRIAL_METRICS, trialMetric } from '../agents/metricNames.js';
import { formatMetric } from '../base/format.js';

/**
 * How a run of trials resumes: it does not, so `--resume RUN_DIR` is refused. Each trial of a
 * sweep is a whole run (there is no checkpoint of the sweep to continue from), and a tabular run's
 * checkpoint (`nnlab train`'s Q table) is its end, not a point to continue from.
 */
export function loadTrialsResume(runDir: string, spec: ExperimentSpec): never {
  if (spec.sweep !== undefined) throw new Error(`--resume ${runDir}: a sweep is not resumed (each trial is a whole run); run its spec again`);
  const what = spec.agent !== undefined ? `a ${spec.agent.algo} run` : 'a run of trials';
  throw new Error(`--resume ${runDir}: ${what} is not resumed (it is not checkpointed mid-run); run it again`);
}

/**
 * The task that trains one trial of an RL sweep: its agent, config with its seed, budget, and env
 * (`env` — the run's, with its module — with the trial's own kwargs, which a sweep may set).
 */
export function rlTrialTask(runId: string, env: EnvRef, trial: Trial<RlSpec>): RlTrialTask {
  const { spec } = trial;
  const task: RlTrialTask = {
    kind: 'trial',
    family: 'rl',
    runId,
    trial: trial.index,
    env: { ...env, kwargs: spec.env.kwargs },
    algo: spec.agent.algo,
    config: agentConfigOf(spec),
    episodes: spec.budget.episodes ?? TABULAR_EPISODES,
    evalEpisodes: spec.eval.finalEpisodes,
  };
  if (spec.budget.envSteps !== undefined) task.envSteps = spec.budget.envSteps;
  return task;
}

/**
 * The task that trains one trial of a generative sweep: its model, seed, epochs and evaluation as
 * a single generative run of its spec would have them (drivers/generative.ts), its files in
 * `outDir` when given.
 */
export function generativeTrialTask(runId: string, trial: Trial<GenerativeSpec>, outDir?: string): GenerativeTrialTask {
  const { spec } = trial;
  const task: GenerativeTrialTask = {
    kind: 'trial',
    family: 'generative',
    runId,
    trial: trial.index,
    model: { kind: spec.model.kind, config: spec.model.config },
    seed: spec.seed,
    epochs: spec.budget.epochs ?? GENERATIVE_EPOCHS,
    evaluate: classifierEvaluation(spec),
  };
  if (spec.budget.stepsPerEpoch !== undefined) task.stepsPerEpoch = spec.budget.stepsPerEpoch;
  if (spec.model.batchSize !== undefined) task.batchSize = spec.model.batchSize;
  if (spec.eval.samples !== undefined) task.evalSamples = spec.eval.samples;
  if (outDir !== undefined) task.outDir = outDir;
  return task;
}

/** One trial of a run's sweep and the task that trains it. */
export interface TrialWork {
  trial: Trial;
  task: TrialTask;
}

/**
 * Every trial of what a run trains, each with its task: an RL spec's trials play its env, a
 * generative spec's write their files in `outDir(index)` when given.
 */
export function sweepWork(runId: string, target: RunTarget, outDir?: (index: number) => string): TrialWork[] {
  const { envRef } = target;
  if (envRef !== undefined) return expandRlSweep(target.spec).map((trial) => ({ trial, task: rlTrialTask(runId, envRef, trial) }));
  return expandGenerativeSweep(target.spec).map((trial) => ({ trial, task: generativeTrialTask(runId, trial, outDir?.(trial.index)) }));
}

/**
 * The names a trial's metrics are written under, and what one point of its curve is: an RL
 * trial's training returns (one per episode) and greedy final mean return; a generative trial's
 * score (generative/score.ts) after each epoch and the last one as its final score.
 */
export function trialMetrics(spec: ExperimentSpec): TrialMetricNames {
  if (spec.model === undefined) return RL_TRIAL_METRICS;
  const metric = generativeScoreMetric(spec);
  if (metric === undefined) throw new Error(`a ${spec.model.kind} trial without the classifier evaluation (eval.interval 0) has no score`);
  return { curve: metric, final: finalMetricOf(metric), unit: 'epoch' };
}

/** Writes a finished trial's training curve and final score as metrics (namespaced by trial index in a sweep of several). */
export function writeTrialMetrics(ctx: Pick<RunServices, 'metrics'>, total: number, index: number, names: TrialMetricNames, curve: ArrayLike<number>, finalScore: number): void {
  const named = (metric: string) => (total > 1 ? trialMetric(index, metric) : metric);
  ctx.metrics.writeSeries(named(names.curve), curve);
  ctx.metrics.write(curve.length, { [named(names.final)]: finalScore });
}

/**
 * A sweep's best trial as its run's message names it (a sweep of trials, a queue-backed sweep,
 * either stopped early with `so far`): its score as every terminal line writes a metric
 * (base/format.ts formatMetric) and the overrides that made it.
 */
export function bestTrialText(best: { finalScore: number; overrides: Record<string, unknown> }, qualifier?: 'so far'): string {
  return `best${qualifier !== undefined ? ` ${qualifier}` : ''} ${formatMetric(best.finalScore)} with ${JSON.stringify(best.overrides)}`;
}

/**
 * Writes a run's trials.json (a sweep of trials, a queue-backed sweep's follower): its rows as the
 * caller ordered them, atomically (core/atomicWrite.ts), so a crash or a stop never leaves a
 * half-written one that the dashboard's trials view would read.
 */
export async function writeTrialsFile(runDir: string, rows: readonly object[]): Promise<void> {
  await writeFileAtomic(runPath(runDir, 'trials'), JSON.stringify(rows, null, 2) + '\n');
}

/** Resolves when any of `promises` settles or after `ms` milliseconds, whichever comes first. */
function settledOrTimeout(promises: Iterable<Promise<unknown>>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const tick = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return Promise.race([...promises, tick]).then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
}

/**
 * Runs the spec's trials as tasks. At most twice the executors' capacity are queued at a time, so
 * a stop (SIGINT/SIGTERM, the dashboard) takes effect within a fraction of a second: no new trial
 * starts, the ones running are abandoned (the scheduler's close ends them), and the trials
 * finished so far are written.
 */
export async function runTrials(ctx: RunContext): Promise<RunOutcome> {
  const work = sweepWork(ctx.runId, ctx, (index) => trialDir(ctx.runDir, index));
  const trials = work.map((w) => w.trial);
  const rows: NonNullable<RunOutcome['trials']> = [];
  let done = 0;
  const t0 = performance.now();
  const runOne = async ({ trial, task }: TrialWork) => {
    const r = await ctx.scheduler.submit(task);
    if (ctx.stopRequested() !== undefined) return;
    if (r.trial !== trial.index || !Number.isFinite(r.finalScore)) throw new Error(`trial ${trial.index}: a malformed result came back`);
    writeTrialMetrics(ctx, trials.length, trial.index, trialMetrics(trial.spec), r.curve, r.finalScore);
    rows.push({ index: trial.index, overrides: trial.overrides, finalScore: r.finalScore, seconds: r.seconds });
    done++;
    ctx.progress(done, trials.length, { last: r.finalScore, workers: ctx.workersAlive() });
  };
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const stopped = () => ctx.stopRequested() !== undefined || failure !== undefined;
  for (const w of work) {
    while (running.size >= Math.max(2, 2 * ctx.scheduler.capacity('trial')) && !stopped()) await settledOrTimeout(running, 100);
    if (stopped()) break;
    const p: Promise<void> = runOne(w)
      .catch((error: unknown) => {
        if (ctx.stopRequested() === undefined) failure ??= { error };
      })
      .finally(() => running.delete(p));
    running.add(p);
  }
  while (running.size > 0 && !stopped()) await settledOrTimeout(running, 100);
  if (failure !== undefined) throw failure.error;
  ctx.progressBreak();
  rows.sort((a, b) => b.finalScore - a.finalScore || a.index - b.index);
  await writeTrialsFile(ctx.runDir, rows);
  const stopReason = ctx.stopRequested();
  if (stopReason !== undefined) {
    const best = rows[0];
    return { state: 'stopped', message: `stopped (${stopReason}) after ${rows.length} of ${trials.length} trials${best !== undefined ? `; ${bestTrialText(best, 'so far')}` : ''}`, trials: rows, counts: { ...ctx.scheduler.counts }, ...(best !== undefined ? { finalScore: best.finalScore } : {}) };
  }
  const wall = (performance.now() - t0) / 1000;
  const best = rows[0]!;
  const single = ctx.spec.model !== undefined ? `${ctx.spec.model.kind}: ${trialMetrics(trials[0]!.spec).curve} ${formatMetric(best.finalScore)} after the last epoch` : greedyEvaluationText(ctx.spec.eval.finalEpisodes, best.finalScore);
  const message =
    trials.length === 1
      ? single
      : `${trials.length} trials in ${wall.toFixed(1)} s; ${bestTrialText(best)}; all in ${runPath(ctx.runDir, 'trials')}`;
  return { state: 'finished', message, finalScore: best.finalScore, trials: rows, counts: { ...ctx.scheduler.counts } };
}
