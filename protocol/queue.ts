/**
 * The contract of queue-backed sweeps, shared by the submitter (drivers/queue.ts) and the queue
 * workers (workers/queueWorker.ts): the queue's name, what a trial job carries, reports as progress
 * and returns, and how both sides connect to Redis.
 */
import type { ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { count } from '../base/schemas.js';
import { SAFE_NAME } from '../base/safeName.js';
import { parseRedisUrl } from './redisUrl.js';
import type { TrialResult, TrialTask } from './tasks.js';
import { trialResultSchema } from './messages.js';
import { generativeTrialTask, rlTrialTask } from './workerFrames.js';

/** The one queue every sweep's trials go to: any worker serves any sweep. */
export const QUEUE_NAME = 'nnlab-trials';

/** What a trial job carries: the trial task (an env module with its source) and its sweep point. */
export interface TrialJobData {
  sweepId: string;
  overrides: Record<string, unknown>;
  task: TrialTask;
}

/**
 * What a job must hold before a worker runs it (workers/queueWorker.ts): anyone who can write to
 * the Redis can add jobs. Its task is checked with a remote worker's trial schemas
 * (protocol/workerFrames.ts), strict: a job naming a field the task does not have (an outDir, say)
 * is refused, not stripped.
 */
export const jobDataSchema = z.strictObject({
  sweepId: z.string().regex(SAFE_NAME.pattern, SAFE_NAME.rule).max(200),
  overrides: z.record(z.string(), z.unknown()),
  task: z.discriminatedUnion('family', [rlTrialTask.strict(), generativeTrialTask.strict()]),
}) satisfies z.ZodType<TrialJobData>;

/**
 * A trial job's progress: who runs it, how many points of its training curve it has reported
 * (`episodes` of an RL trial, `epochs` of a generative one) and the latest of them (returns, or
 * epoch scores).
 */
export type TrialJobProgress = { worker: string; host: string; /** The last (at most PROGRESS_TAIL) points: progress stays small however long the trial. */ recent: number[] } & ({ episodes: number } | { epochs: number });

/** How many points of its curve a trial has reported: episodes or epochs. */
export function progressPoints(p: TrialJobProgress): number {
  return 'episodes' in p ? p.episodes : p.epochs;
}

/** How many of the latest returns a progress report carries (the whole curve comes with the result). */
export const PROGRESS_TAIL = 100;

/**
 * What a worker stores as a trial job's result: its trial thread's TrialResult as JSON holds it
 * (`curve` a plain array: one return per episode, or one score per epoch) and where it ran.
 */
export interface TrialJobResult extends Omit<TrialResult, 'kind' | 'curve'> {
  curve: number[];
  worker: string;
  host: string;
  /** The trial's directory on the worker's machine (its result.json). */
  runDir: string;
}

/**
 * A queue worker's trial thread's answer (workers/queueThread.ts), which the worker makes its job's
 * result: exactly a TrialResult (trialResultSchema, strict: a wrong `kind`, a missing, malformed or
 * extra field is refused, named).
 */
export const threadTrialResultSchema = trialResultSchema.strict();

/** protocol/messages.ts trialResultSchema, the same fields checked the same way, as TrialJobResult has them. */
export const jobResultSchema = trialResultSchema.omit({ kind: true, curve: true }).extend({
  curve: z.array(z.number()),
  worker: z.string(),
  host: z.string(),
  runDir: z.string(),
}) satisfies z.ZodType<TrialJobResult>;
const progressBase = { worker: z.string(), host: z.string(), recent: z.array(z.number()).max(PROGRESS_TAIL) };
export const jobProgressSchema = z.union([z.object({ ...progressBase, episodes: count }), z.object({ ...progressBase, epochs: count })]) satisfies z.ZodType<TrialJobProgress>;


/** The connection options of a Redis URL: commands wait while Redis is away, and reconnects back off up to 5 s. */
export function connectionOptions(url: string): ConnectionOptions {
  const t = parseRedisUrl(url);
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: { servername: t.host } } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(5000, 100 * 2 ** Math.min(times, 6)),
  };
}
