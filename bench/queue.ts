/**
 * bench:queue — a queue-backed sweep (docs/scale-out.md) on this machine: 8 tabular trials
 * (CliffWalking, Q-learning, --episodes each) through Redis + BullMQ on 2 `nnlab worker --queue`
 * processes (one thread each), against the same 8 trials one after another in this process.
 * The workers are started (and their Redis connections ready) before the clock starts; the
 * queue's time runs from submitting to the last result read back from Redis. A first, uncounted
 * round warms both sides up (the workers' threads compile the trial code on their first trials,
 * as this process does on its first sequential pass). Each round also prints the trial seconds
 * each worker spent, so queue overhead (wall minus the busier worker's seconds) is visible.
 * Needs redis-server (started here on a free port, in a temporary directory). Goal: ≥ 1.5x.
 *
 *   npm run bench:queue -- [--repeats 5] [--episodes 400000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../core/backend.js';
import { expandRlSweep, parseRlSpec } from '../drivers/spec.js';
import { jobIdOf, openQueue, submitSweep } from '../drivers/queue.js';
import { rlTrialTask } from '../drivers/trials.js';
import { runTrial } from '../workers/trial.js';
import { median, positiveIntArg } from './stats.js';
import { freePort } from '../test/net.js';
import { QueueEvents } from 'bullmq';
import { connectionOptions, jobResultSchema, QUEUE_NAME } from '../protocol/queue.js';
import { firstIssueText } from '../base/schemas.js';

const { values } = parseArgs({ options: { repeats: { type: 'string' }, episodes: { type: 'string' } } });
const repeats = positiveIntArg('repeats', values.repeats, 5);
const episodes = positiveIntArg('episodes', values.episodes, 400_000);
const CLI = fileURLToPath(new URL('../coordinator/cli.js', import.meta.url));
const backend = await initBackend({ backend: 'cpu' });
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-queue-'));

const waitFor = (child: ChildProcess, pattern: RegExp, what: string) =>
  new Promise<void>((resolve, reject) => {
    let out = '';
    const on = (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) resolve();
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', (code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out}`)));
  });

const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
await waitFor(redis, /Ready to accept connections/, 'redis-server');
const url = `redis://127.0.0.1:${port}`;
const workers = ['bench-w1', 'bench-w2'].map((name) => spawn(process.execPath, [CLI, 'worker', '--queue', url, '--concurrency', '1', '--name', name, '--backend', 'cpu'], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] }));
await Promise.all(workers.map((w, i) => waitFor(w, /nnlab worker/, `worker ${i + 1}`)));
await new Promise((r) => setTimeout(r, 1000)); // their connections to Redis

const { queue } = openQueue(url, (l) => console.error(l));
/** The job `id` of the queue, or an error naming it when Redis holds none. */
const queuedJob = async (id: string) => {
  const job = await queue.getJob(id);
  if (job === undefined) throw new Error(`job ${id} is not in the queue`);
  return job;
};
/** A finished job's stored result, checked by the queue's schema (protocol/queue.ts jobResultSchema) as the sweep's follower checks it. */
const jobResult = (id: string, returnvalue: unknown) => {
  const r = jobResultSchema.safeParse(returnvalue);
  if (!r.success) throw new Error(`job ${id}: its stored result is malformed: ${firstIssueText(r.error, { root: 'returnvalue' })}`);
  return r.data;
};
const events = new QueueEvents(QUEUE_NAME, { connection: connectionOptions(url) });
await events.waitUntilReady();
const seq: number[] = [];
const par: number[] = [];
try {
  for (let rep = -1; rep < repeats; rep++) {
    const spec = parseRlSpec({
      name: `bench-queue-${rep}-${Date.now()}`,
      env: { id: 'CliffWalking-v1' },
      agent: { algo: 'qlearning' },
      budget: { episodes },
      eval: { finalEpisodes: 10 },
      sweep: { parameters: { 'agent.config.alpha': [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] } },
    });
    const env = { id: 'CliffWalking-v1', kwargs: {} };
    let t0 = performance.now();
    for (const t of expandRlSweep(spec)) await runTrial(rlTrialTask('bench', env, t));
    const sequential = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const { sweepId } = await submitSweep(queue, { spec, envRef: env });
    // wait on BullMQ's completion events (polling 8 jobs every few ms would take CPU from the workers)
    const ids = expandRlSweep(spec).map((t) => jobIdOf(sweepId, t.index));
    const jobs = await Promise.all(ids.map((id) => queuedJob(id)));
    await Promise.all(jobs.map((job) => job.waitUntilFinished(events)));
    const queued = (performance.now() - t0) / 1000;
    const results = await Promise.all(ids.map(async (id) => jobResult(id, (await queuedJob(id)).returnvalue)));
    const perWorker = new Map<string, number>();
    for (const r of results) perWorker.set(r.worker, (perWorker.get(r.worker) ?? 0) + r.seconds);
    if (rep >= 0) {
      seq.push(sequential);
      par.push(queued);
    }
    console.log(`${rep < 0 ? 'warm-up' : `repeat ${rep + 1}`}: sequential ${sequential.toFixed(2)} s, queue on 2 workers ${queued.toFixed(2)} s (trial seconds per worker: ${[...perWorker].map(([w, s]) => `${w} ${s.toFixed(2)}`).join(', ')})`);
  }
} finally {
  await events.close();
  await queue.close();
  for (const w of workers) w.kill('SIGTERM');
  redis.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 500));
  rmSync(tmp, { recursive: true, force: true });
}

const row = {
  what: `queue-backed sweep of 8 tabular trials (CliffWalking, ${episodes} episodes each), wall s`,
  a: `${median(seq).toFixed(2)} (sequential, 1 process)`,
  b: `${median(par).toFixed(2)} (Redis + 2 worker processes)`,
  ratio: `${(median(seq) / median(par)).toFixed(2)}x`,
  goal: '≥ 1.5x',
};
console.log(`\nbench:queue — backend ${backend.name}, ${os.availableParallelism?.() ?? os.cpus().length} CPUs, medians of ${repeats}\n`);
console.log('| measure | baseline | distributed | ratio | goal |\n|---|---|---|---|---|');
console.log(`| ${row.what} | ${row.a} | ${row.b} | ${row.ratio} | ${row.goal} |`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/queue.json', JSON.stringify({ backend: backend.name, cpus: os.availableParallelism?.() ?? os.cpus().length, node: process.version, date: new Date().toISOString(), seq, par, rows: [row] }, null, 2));
console.log('\nwrote bench/results/queue.json');
