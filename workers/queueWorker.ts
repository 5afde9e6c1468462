/**
 * `nnlab worker --queue URL`: pulls trial jobs of queue-backed sweeps (drivers/queue.ts) from
 * Redis and runs them, `concurrency` at a time, on piscina threads (the main thread stays free to
 * renew each job's lock). Trials of RL agents and of generative models alike (workers/trial.ts).
 * While a trial trains, its episode count (epoch count) and latest returns (epoch scores) are the
 * job's progress; when it ends, its result (final score, curve, seconds, worker, host, its
 * directory here) is the job's return value, and result.json in runs/<sweep id>/trial-<index>/,
 * where a generative trial also leaves its samples, generator and summary.json.
 *
 * Faults are BullMQ's: a worker that dies mid-trial stops renewing the job's lock, and another
 * worker's stalled-job check hands the trial to a worker again (once the lock expires: the lock
 * duration, 30 s by default); a trial that throws is retried with backoff as its submitter asked,
 * then marked failed with its error. Shipped env modules run only with --allow-code or
 * --allow-module SHA256 (workers/envModules.ts), as for WebSocket workers.
 */
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { formatMetric } from '../base/format.js';
import { firstIssueText } from '../base/schemas.js';
import { connectionOptions, jobDataSchema, QUEUE_NAME, threadTrialResultSchema, type TrialJobData, type TrialJobProgress, type TrialJobResult } from '../protocol/queue.js';
import { redisErrorLogger } from './redisLog.js';
import { signalExitCode } from './signalExit.js';
import { redactRedisUrl } from '../protocol/redisUrl.js';
import { RUNS_DIR, runPath, sweepDir, trialDir } from '../protocol/runFiles.js';
import { writeFileAtomic } from '../core/atomicWrite.js';
import { installShipped, type CodePolicy } from './envModules.js';
import { TrialProgress } from './trialProgress.js';
import type { TrialTask } from '../protocol/tasks.js';
import type { QueueThreadPayload } from './queueThread.js';

/** The threads' entry: CommonJS around workers/queueThread.ts, never the ES module itself (workers/esmHandler.cts says why). */
const THREAD_FILE = new URL('./queueThreadEntry.cjs', import.meta.url).href;

export interface QueueWorkerOptions {
  /** redis://[user:pass@]HOST:PORT[/DB] or rediss://… */
  url: string;
  /** Trials run at once, each on its own thread (default 1). */
  concurrency?: number;
  /** This worker's name in results and on the dashboard (default HOST-PID). */
  name?: string;
  allowCode: boolean;
  allowModules: readonly string[];
  /** How long a job's lock lasts unless renewed (BullMQ lockDuration; default 30 000 ms): a dead worker's trial is handed on after it. */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (BullMQ stalledInterval; default 30 000 ms). */
  stalledIntervalMs?: number;
  /** Where trial directories go (default RUNS_DIR, runs/). */
  runsDir?: string;
  log?: (line: string) => void;
  /** Stop when this aborts: finish the trials running, take no new ones. */
  signal?: AbortSignal;
  /** SIGINT/SIGTERM stop the worker the same way, a second one exits at once (default true). */
  handleSignals?: boolean;
}

/**
 * A trial thread's answer as the job's result: parsed as the TrialResult it must be
 * (protocol/queue.ts threadTrialResultSchema: trialResultSchema, which the job's result schema is
 * built from, strict) and checked for the trial it was given. Only its own fields count (a
 * structured clone keeps no inherited one). A thread that broke its word is the worker's error,
 * naming the field, and nothing is written or answered.
 */
export function threadResult(out: unknown, trial: number, where: Pick<TrialJobResult, 'worker' | 'host' | 'runDir'>): TrialJobResult {
  const own: unknown = typeof out === 'object' && out !== null ? Object.fromEntries(Object.entries(out)) : out;
  const checked = threadTrialResultSchema.safeParse(own);
  if (!checked.success) throw new Error(`worker ${where.worker}: trial ${trial}'s thread returned a bad result: ${firstIssueText(checked.error, { input: own, whole: '(the answer)' })}`);
  const { kind: _kind, curve, ...result } = checked.data;
  if (result.trial !== trial) throw new Error(`worker ${where.worker}: trial ${trial}'s thread returned the result of trial ${result.trial}`);
  return { ...result, curve: Array.from(curve), ...where };
}

/** Runs trial jobs until `signal` aborts (or SIGINT/SIGTERM); returns how many trials it completed. */
export async function runQueueWorker(opts: QueueWorkerOptions): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const me = opts.name ?? `${os.hostname()}-${process.pid}`;
  const host = os.hostname();
  const runsDir = path.resolve(opts.runsDir ?? RUNS_DIR);
  const policy: CodePolicy = { allowCode: opts.allowCode, allowModules: new Set(opts.allowModules) };
  const pool = new Piscina({ filename: THREAD_FILE, minThreads: concurrency, maxThreads: concurrency, idleTimeout: 60_000 });
  const errors = redisErrorLogger(opts.url, log);
  let done = 0;

  const processor = async (job: Job): Promise<TrialJobResult> => {
    const parsed = jobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`job ${job.id ?? '?'} is not an nnlab trial: ${firstIssueText(parsed.error, { root: 'data' })}`);
    const data = parsed.data satisfies TrialJobData;
    let task: TrialTask = data.task;
    const runDir = trialDir(sweepDir(runsDir, data.sweepId), task.trial);
    if (task.family === 'rl' && task.env.module !== undefined) {
      const installed = installShipped(task.env.module, policy);
      if (!installed.ok) throw new Error(`worker ${me}: ${installed.message}`);
      task = { ...task, env: { ...task.env, module: installed.ref } };
    }
    // a generative trial's samples, generator and summary.json go beside its result.json
    if (task.family === 'generative') task = { ...task, outDir: runDir };
    log(`trial ${task.trial} of sweep ${data.sweepId}: started (attempt ${job.attemptsMade + 1})`);
    // progress is the curve's length and its latest points: a report costs the same at episode 10 and 10⁶
    const slot = new TrialProgress();
    const generative = task.family === 'generative';
    const progress = (): TrialJobProgress => (generative ? { worker: me, host, epochs: slot.points(), recent: slot.recent() } : { worker: me, host, episodes: slot.points(), recent: slot.recent() });
    await job.updateProgress(progress());
    let reported = 0;
    const report = setInterval(() => {
      if (slot.points() === reported) return;
      reported = slot.points();
      job.updateProgress(progress()).catch((e: unknown) => errors.error(e));
    }, 1000);
    const payload: QueueThreadPayload = { task, progress: slot.buffer };
    let out: unknown; // a TrialResult, if the thread kept its word: threadResult checks it
    try {
      out = await pool.run(payload);
    } finally {
      clearInterval(report);
    }
    const result = threadResult(out, task.trial, { worker: me, host, runDir });
    mkdirSync(runDir, { recursive: true });
    await writeFileAtomic(runPath(runDir, 'result'), JSON.stringify({ sweepId: data.sweepId, overrides: data.overrides, attempt: job.attemptsMade + 1, ...result }, null, 2) + '\n');
    log(`trial ${task.trial} of sweep ${data.sweepId}: final score ${formatMetric(result.finalScore)} in ${result.seconds.toFixed(1)} s`);
    done++;
    return result;
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: connectionOptions(opts.url),
    concurrency,
    lockDuration: opts.lockDurationMs ?? 30_000,
    stalledInterval: opts.stalledIntervalMs ?? 30_000,
    maxStalledCount: 2,
    autorun: false,
  });
  worker.on('error', (e) => errors.error(e));
  worker.on('ready', () => errors.ok());
  worker.on('failed', (job, e) => {
    if (job !== undefined) log(`trial job ${job.id ?? '?'} failed (attempt ${job.attemptsMade}): ${e.message}`);
  });
  log(`nnlab worker ${me}: ${concurrency} thread(s) on queue ${QUEUE_NAME} at ${redactRedisUrl(opts.url)}${opts.allowCode ? ' (runs shipped code)' : ''}`);

  const stopped = new Promise<void>((resolve) => {
    const onSig = (sig: NodeJS.Signals) => {
      log(`${sig}: finishing the trials running, taking no new ones (again to exit at once)`);
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      process.once('SIGINT', () => process.exit(signalExitCode('SIGINT')));
      process.once('SIGTERM', () => process.exit(signalExitCode('SIGTERM')));
      resolve();
    };
    if (opts.handleSignals !== false) {
      process.once('SIGINT', onSig);
      process.once('SIGTERM', onSig);
    }
    if (opts.signal?.aborted === true) resolve();
    opts.signal?.addEventListener('abort', () => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
      resolve();
    });
  });
  const running = worker.run();
  await stopped;
  await worker.close();
  await running;
  await pool.destroy();
  return done;
}
