/**
 * Queue-backed sweeps (docs/scale-out.md): the trials of a sweep are jobs of a BullMQ queue on
 * Redis, so they outlive the process that submitted them. `nnlab sweep SPEC --queue URL` submits
 * every trial as a job whose id is the sweep id plus the trial index (submitting twice adds
 * nothing), stores the spec under the sweep id, and follows the jobs; `--attach SWEEP_ID` follows
 * them from any machine, also after the submitter was killed. `nnlab worker --queue URL`
 * (workers/queueWorker.ts) runs them. Redis keeps every result (removeOnComplete: false), and the
 * follower rebuilds the run directory (metrics, trials.json) from what Redis holds. Trials of
 * agents and of generative models alike (protocol/tasks.ts TrialTask).
 */
import { rmSync } from 'node:fs';
import { runPath } from '../protocol/runFiles.js';
import { sha256Hex } from '../core/sha256.js';
import { Queue, type Job } from 'bullmq';
import { withSource } from '../workers/envModules.js';
import type { TrialStatus } from '../protocol/messages.js';
import { redactRedisUrl } from '../protocol/redisUrl.js';
import { firstIssueText } from '../base/schemas.js';
import { errorMessage, ownField } from '../base/plainData.js';
import { SAFE_NAME, isSafeName } from '../base/safeName.js';
import { connectionOptions, jobDataSchema, jobProgressSchema, jobResultSchema, progressPoints, QUEUE_NAME, type TrialJobData, type TrialJobResult } from '../protocol/queue.js';
import { redisErrorLogger } from '../workers/redisLog.js';
import { expandSweep, parseSpec, type ExperimentSpec, type Trial } from './spec.js';
import { bestTrialText, sweepWork, trialMetrics, writeTrialMetrics, writeTrialsFile } from './trials.js';
import { validateTrial } from './validate.js';
import type { FollowContext, RunContext, RunOutcome, RunServices, RunTarget } from './context.js';

/** How the submitter retries a trial that throws (BullMQ attempts and exponential backoff). */
export interface QueueTuning {
  /** Tries per trial before it is marked failed (default 3). */
  attempts?: number;
  /** Delay before the first retry; doubles each time (default 2000 ms). */
  backoffMs?: number;
  /** How often the follower reads the trials' states (default 1000 ms). */
  pollMs?: number;
}

/** One row of a queue-backed sweep's trials.json: a completed trial with its result, or a failed one with its error. */
export type QueueTrialRow = CompletedTrialRow | FailedTrialRow;

interface TrialRowBase {
  index: number;
  overrides: Record<string, unknown>;
  attempts: number;
}

/** A trial that completed: its score, its time and where it ran (the job's checked result). */
export interface CompletedTrialRow extends TrialRowBase {
  state: 'completed';
  finalScore: number;
  seconds: number;
  worker: string;
  host: string;
  runDir: string;
}

/** A trial that failed after its attempts (the job's error), or completed with a result the follower refused (checkedJobResult's problem); the worker that last had it when known. */
export interface FailedTrialRow extends TrialRowBase {
  state: 'failed';
  error: string;
  worker?: string;
}

/** The JSON of a value with object keys sorted (a spec's identity, whatever order its file had). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** The spec as stored and hashed: without its queue URL (which may hold a password). */
function storedSpec(spec: ExperimentSpec): ExperimentSpec {
  const { queue: _queue, ...rest } = spec;
  return rest;
}

/** A sweep's id: its name and a hash of its spec, so submitting the same spec again finds the same jobs. */
export function sweepIdOf(spec: ExperimentSpec): string {
  return `${spec.name}-${sha256Hex(canonicalJson(storedSpec(spec))).slice(0, 12)}`;
}

/** `sweepId` when it can be one (SAFE_NAME: it names the sweep's run directory); else an error naming `--attach` and the rule. */
export function checkedSweepId(sweepId: string): string {
  if (!isSafeName(sweepId)) throw new Error(`--attach ${JSON.stringify(sweepId)}: not a sweep id (${SAFE_NAME.rule}; ids are printed by nnlab sweep --queue)`);
  return sweepId;
}

/** The job id of a sweep's trial (BullMQ ids may not contain ':'). */
export function jobIdOf(sweepId: string, index: number): string {
  return `${sweepId}.t${index}`;
}

const sweepKey = (sweepId: string) => `nnlab:sweep:${sweepId}`;

/** Opens the trial queue on `url`, logging connection errors by URL. */
export function openQueue(url: string, log: (line: string) => void): { queue: Queue; errors: ReturnType<typeof redisErrorLogger> } {
  const errors = redisErrorLogger(url, log);
  const queue = new Queue(QUEUE_NAME, { connection: connectionOptions(url) });
  queue.on('error', (e) => errors.error(e));
  return { queue, errors };
}

/** The target with its env module's source attached: a queue worker on another machine gets it with each job. */
function withModuleSource(target: RunTarget): RunTarget {
  if (target.envRef === undefined || target.envRef.module === undefined) return target;
  return { spec: target.spec, envRef: { ...target.envRef, module: withSource(target.envRef.module) } };
}

/**
 * Enqueues every trial of what `target` trains (an RL spec with its env, or a generative spec) as a
 * job (idempotent: trials already in the queue, in any state, are left alone) and stores the spec
 * under the sweep id for `--attach`.
 */
export async function submitSweep(queue: Queue, target: RunTarget, tuning: QueueTuning = {}): Promise<{ sweepId: string; added: number; existing: number }> {
  const { spec } = target;
  const sweepId = sweepIdOf(spec);
  const work = sweepWork(sweepId, withModuleSource(target));
  const client = await queue.client;
  // the key is the spec's hash: two submitters racing here write the same spec
  if ((await client.get(sweepKey(sweepId))) === null) await client.set(sweepKey(sweepId), JSON.stringify({ spec: storedSpec(spec), trials: work.length, createdAt: new Date().toISOString() }));
  const existing = await Promise.all(work.map((w) => queue.getJob(jobIdOf(sweepId, w.trial.index))));
  const missing = work.filter((_w, i) => existing[i] === undefined);
  await queue.addBulk(
    missing.map(({ trial: t, task }) => ({
      name: 'trial',
      data: { sweepId, overrides: t.overrides, task } satisfies TrialJobData,
      opts: {
        jobId: jobIdOf(sweepId, t.index),
        attempts: tuning.attempts ?? 3,
        backoff: { type: 'exponential', delay: tuning.backoffMs ?? 2000 },
        removeOnComplete: false,
        removeOnFail: false,
      },
    })),
  );
  return { sweepId, added: missing.length, existing: work.length - missing.length };
}

/** The spec stored under a sweep id (what `--attach` follows); a clear error when Redis has none. */
export async function loadSweep(url: string, sweepId: string, log: (line: string) => void): Promise<ExperimentSpec> {
  checkedSweepId(sweepId);
  const { queue } = openQueue(url, log);
  try {
    const client = await queue.client;
    const text = await client.get(sweepKey(sweepId));
    if (text === null) throw new Error(`--attach ${sweepId}: redis ${redactRedisUrl(url)} holds no sweep with that id (ids are printed by nnlab sweep --queue)`);
    return storedSweepSpec(text, sweepId);
  } finally {
    await queue.close();
  }
}

/**
 * The spec in a sweep's Redis record (`{ spec, trials, createdAt }`, as submitSweep stores it):
 * read as unchecked data, so a record that is not JSON, not an object or has no spec fails with
 * an error naming the sweep and its key, and the spec itself is checked by parseSpec.
 */
export function storedSweepSpec(text: string, sweepId: string): ExperimentSpec {
  const where = `sweep ${sweepId} in redis (key ${sweepKey(sweepId)})`;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${errorMessage(e)})`);
  }
  const spec = ownField(record, 'spec');
  if (spec === undefined) throw new Error(`${where}: the record has no spec field (submitSweep stores { spec, trials, createdAt })`);
  return parseSpec(spec, `(${where})`);
}

/**
 * A completed job's stored result, checked before the follower takes it: by the queue's schema
 * (protocol/queue.ts jobResultSchema), then against the trial task the job holds (what its worker
 * ran) by the rule every result from a remote worker or thread passes (drivers/validate.ts
 * validateTrial: one curve point per episode or epoch, a generative trial's final score its last
 * epoch's, a classifier score in range). A broken or hostile queue worker's result is refused with
 * the problem named (its trial is failed, the sweep goes on), never written as the trial's metrics.
 */
export function checkedJobResult(index: number, data: unknown, returnvalue: unknown): { ok: true; result: TrialJobResult } | { ok: false; problem: string; worker?: string } {
  const stored = jobResultSchema.safeParse(returnvalue);
  if (!stored.success) return { ok: false, problem: `its stored result is malformed: ${firstIssueText(stored.error, { root: 'returnvalue' })}` };
  const r = stored.data;
  const job = jobDataSchema.safeParse(data);
  if (!job.success) return { ok: false, problem: `its job is not an nnlab trial: ${firstIssueText(job.error, { root: 'data' })}`, worker: r.worker };
  const { task } = job.data;
  if (task.trial !== index) return { ok: false, problem: `its job holds the task of trial ${task.trial}`, worker: r.worker };
  const problem = validateTrial(task, { kind: 'trial', trial: r.trial, finalScore: r.finalScore, curve: Float64Array.from(r.curve), seconds: r.seconds });
  return problem === undefined ? { ok: true, result: r } : { ok: false, problem: `worker ${r.worker} stored a bad result: ${problem}`, worker: r.worker };
}

/** Where a job is: BullMQ's state, with a trial waiting for another try after a failure called `retried`. */
function trialState(state: string, job: Job): TrialStatus['state'] {
  if (state === 'completed' || state === 'failed' || state === 'active') return state;
  return job.attemptsMade > 0 ? 'retried' : 'waiting';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Clears what a previous follower of this sweep wrote, its metrics and trials.json: they are
 * written again from Redis. Called before a dashboard can read the run's history.
 */
export function clearFollowerMetrics(ctx: Pick<RunServices, 'metrics' | 'runDir'>): void {
  ctx.metrics.reset();
  rmSync(runPath(ctx.runDir, 'trials'), { force: true });
}

/**
 * A queue-backed sweep's run driver: submits the trials, then follows them until each is
 * completed or failed, writing each finished trial's curve and final score as metrics, publishing
 * every trial's state to dashboards, and trials.json at the end. A stop ends the following, not
 * the trials: they go on in the queue, and `--attach` picks them up.
 */
export async function runQueueSweep(ctx: RunContext, q: { url: string } & QueueTuning): Promise<RunOutcome> {
  const sweepId = sweepIdOf(ctx.spec);
  return followSweep(ctx, sweepId, q, async (queue, attachHint) => {
    const s = await submitSweep(queue, ctx, q);
    ctx.log(`sweep ${sweepId}: ${s.added} trial job(s) enqueued on ${redactRedisUrl(q.url)}${s.existing > 0 ? `, ${s.existing} already there` : ''}; follow it from anywhere with: ${attachHint}`);
  });
}

/**
 * `--attach SWEEP_ID`: follows, as runQueueSweep does, the sweep of that id another process
 * submitted (its spec as Redis holds it; the jobs carry its env). It follows the id given, never
 * the stored spec's hash: a spec that re-hashes to another id (parsed by another nnlab version,
 * with other defaults) would name jobs that do not exist, and the follower would wait for ever.
 */
export async function attachQueueSweep(ctx: FollowContext, sweepId: string, q: { url: string; pollMs?: number }): Promise<RunOutcome> {
  return followSweep(ctx, checkedSweepId(sweepId), q, async (_queue, _attachHint, trials) => ctx.log(`sweep ${sweepId}: following ${trials.length} trial job(s) on ${redactRedisUrl(q.url)}`));
}

async function followSweep(ctx: FollowContext, sweepId: string, q: { url: string; pollMs?: number }, start: (queue: Queue, attachHint: string, trials: Trial[]) => Promise<void>): Promise<RunOutcome> {
  const trials = expandSweep(ctx.spec);
  const { queue, errors } = openQueue(q.url, ctx.log);
  try {
    const attachHint = `nnlab sweep --attach ${sweepId} --queue ${redactRedisUrl(q.url)}`;
    await start(queue, attachHint, trials);
    errors.ok();
    return await follow(ctx, queue, sweepId, trials, q.pollMs ?? 1000, attachHint);
  } finally {
    await queue.close();
  }
}

async function follow(ctx: FollowContext, queue: Queue, sweepId: string, trials: Trial[], pollMs: number, attachHint: string): Promise<RunOutcome> {
  const t0 = performance.now();
  const rows = new Map<number, QueueTrialRow>();
  /** The curve length of each completed trial, for its status (its result is read and checked once). */
  const points = new Map<number, number>();
  let published = '';
  let last: number | undefined;
  while (ctx.stopRequested() === undefined) {
    const jobs = await Promise.all(trials.map((t) => queue.getJob(jobIdOf(sweepId, t.index))));
    const statuses: TrialStatus[] = [];
    for (const [i, trial] of trials.entries()) {
      let job = jobs[i];
      if (job === undefined) {
        statuses.push({ index: trial.index, state: 'waiting', attempts: 0, points: 0 });
        continue;
      }
      const raw = await job.getState();
      // the job was read before its state: one that completed in between is read again, with its result
      if (raw === 'completed' && job.returnvalue == null) job = (await queue.getJob(jobIdOf(sweepId, trial.index))) ?? job;
      const state = trialState(raw, job);
      const progress = jobProgressSchema.safeParse(job.progress);
      const status: TrialStatus = { index: trial.index, state, attempts: job.attemptsMade, points: progress.success ? progressPoints(progress.data) : 0 };
      if (progress.success) status.worker = progress.data.worker;
      if (state === 'completed') {
        let row = rows.get(trial.index);
        if (row === undefined) {
          const checked = checkedJobResult(trial.index, job.data, job.returnvalue);
          if (checked.ok) {
            const r = checked.result;
            writeTrialMetrics(ctx, trials.length, trial.index, trialMetrics(trial.spec), r.curve, r.finalScore);
            row = { index: trial.index, overrides: trial.overrides, state: 'completed', attempts: job.attemptsMade, finalScore: r.finalScore, seconds: r.seconds, worker: r.worker, host: r.host, runDir: r.runDir };
            points.set(trial.index, r.curve.length);
            last = r.finalScore;
          } else {
            const error = `completed, but ${checked.problem}`;
            row = { index: trial.index, overrides: trial.overrides, state: 'failed', attempts: job.attemptsMade, error, ...(checked.worker !== undefined ? { worker: checked.worker } : {}) };
            ctx.log(`trial ${trial.index} refused: ${error}`);
          }
          rows.set(trial.index, row);
        }
        if (row.state === 'completed') {
          status.worker = row.worker;
          status.finalScore = row.finalScore;
          status.points = points.get(trial.index) ?? 0;
        } else {
          status.state = 'failed';
          status.error = row.error;
          if (row.worker !== undefined) status.worker = row.worker;
        }
      } else if (state === 'failed') {
        status.error = job.failedReason;
        if (!rows.has(trial.index)) {
          rows.set(trial.index, { index: trial.index, overrides: trial.overrides, state: 'failed', attempts: job.attemptsMade, error: job.failedReason, ...(status.worker !== undefined ? { worker: status.worker } : {}) });
          ctx.log(`trial ${trial.index} failed after ${job.attemptsMade} attempt(s): ${job.failedReason}`);
        }
      } else if (job.failedReason) status.error = job.failedReason;
      statuses.push(status);
    }
    const text = JSON.stringify(statuses);
    if (text !== published) {
      published = text;
      ctx.publishTrials(statuses);
    }
    const busy = new Set(statuses.filter((s) => s.state === 'active' && s.worker !== undefined).map((s) => s.worker));
    ctx.progress(rows.size, trials.length, { last, active: statuses.filter((s) => s.state === 'active').length, workers: busy.size });
    if (rows.size === trials.length) break;
    await sleep(pollMs);
  }
  ctx.progressBreak();
  const all = [...rows.values()];
  const completed = all.filter((r) => r.state === 'completed').sort((a, b) => b.finalScore - a.finalScore || a.index - b.index);
  const failed = all.filter((r) => r.state === 'failed').sort((a, b) => a.index - b.index);
  await writeTrialsFile(ctx.runDir, [...completed, ...failed]);
  const best = completed[0];
  const outcomeRows = completed.map((r) => ({ index: r.index, overrides: r.overrides, finalScore: r.finalScore, seconds: r.seconds }));
  const bestText = best !== undefined ? `; ${bestTrialText(best)}` : '';
  const failedText = failed.length > 0 ? `; ${failed.length} failed (trials ${failed.map((r) => r.index).join(', ')}; errors in trials.json)` : '';
  const stopReason = ctx.stopRequested();
  if (stopReason !== undefined) {
    return { state: 'stopped', message: `stopped following (${stopReason}) after ${all.length} of ${trials.length} trials${bestText}; the rest go on in the queue: ${attachHint}`, trials: outcomeRows, ...(best !== undefined ? { finalScore: best.finalScore } : {}) };
  }
  const wall = (performance.now() - t0) / 1000;
  const message = `${trials.length} trials in ${wall.toFixed(1)} s${bestText}${failedText}; all in ${runPath(ctx.runDir, 'trials')}`;
  return { state: 'finished', message, trials: outcomeRows, ...(best !== undefined ? { finalScore: best.finalScore } : {}) };
}

