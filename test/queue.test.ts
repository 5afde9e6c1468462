/**
 * Queue-backed sweeps on a real `redis-server` (started here on a free port, with a password and a
 * temporary directory, one per test) and real `nnlab worker --queue` processes: idempotent submit,
 * a worker killed with SIGKILL mid-trial (its trial handed on by the stalled-job check and
 * recorded once), the submitter killed and the sweep re-attached (by the id given, also when its
 * stored spec hashes to another; an id that is no safe name refused), a trial that throws (retried,
 * then failed with its error), a generative sweep (and a job that names its own folder, refused),
 * and Redis stopped mid-sweep and restarted.
 *
 * Without redis-server the tests are skipped (counted as skipped); with CI set they fail.
 */
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, type Job, type Queue } from 'bullmq';
import { checkedJobResult, checkedSweepId, jobIdOf, loadSweep, openQueue, storedSweepSpec, submitSweep, sweepIdOf, type CompletedTrialRow, type QueueTrialRow } from '../drivers/queue.js';
import { connectionOptions, QUEUE_NAME, type TrialJobData, type TrialJobProgress, type TrialJobResult } from '../protocol/queue.js';
import type { GenerativeTrialTask, RlTrialTask } from '../protocol/tasks.js';
import { threadResult } from '../workers/queueWorker.js';
import { redisErrorLogger } from '../workers/redisLog.js';
import { signalExitCode } from '../workers/signalExit.js';
import { runExperiment, type RunOptions, type RunResult } from '../coordinator/run.js';
import { parseRlSpec, parseSpec, type SpecInput } from '../drivers/spec.js';
import type { TrialStatus } from '../protocol/messages.js';
import { connectPeer } from './peer.js';
import { freePort } from './net.js';
import { CLI, useCpu, test, until as pollUntil } from './helpers.js';

const EXPLODING = fileURLToPath(new URL('./fixtures/explodingEnv.js', import.meta.url));
const PASSWORD = 'queue-test-password';
const REDIS = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((f) => existsSync(f)) ?? (spawnSync('which', ['redis-server'], { encoding: 'utf8' }).stdout.trim() || undefined);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-queue-'));
/** Short lock and stalled-check intervals: a killed worker's trial is handed on within ~2 s. */
const FAST = ['--lock-duration', '1500', '--stalled-interval', '500'];

/** The queue tests' waits (Redis and worker processes): polled every 50 ms, for up to 30 s unless told. */
const until = <T>(what: string, probe: Parameters<typeof pollUntil<T>>[1], ms = 30_000): Promise<T> => pollUntil(what, probe, ms, 50);

/** A redis-server of our own: append-only file in its own directory, so a restart keeps the queue. */
class RedisServer {
  private child: ChildProcess | undefined;
  readonly dir: string;
  constructor(readonly port: number) {
    this.dir = mkdtempSync(path.join(tmp, 'redis-'));
  }
  get url(): string {
    return `redis://:${PASSWORD}@127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const child = spawn(REDIS!, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--requirepass', PASSWORD], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until(`redis-server on port ${this.port} (${out})`, () => /Ready to accept connections/.test(out) || undefined, 10_000);
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.child = undefined;
  }
}

/** A real `nnlab worker --queue` process with its own working directory (its runs/). */
class WorkerProcess {
  readonly child: ChildProcess;
  out = '';
  readonly exited: Promise<number | null>;
  constructor(readonly name: string, url: string, extra: string[] = []) {
    const cwd = mkdtempSync(path.join(tmp, `${name}-`));
    this.child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--name', name, '--backend', 'cpu', ...FAST, ...extra], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** A tabular sweep (a trial of a few thousand episodes takes a fraction of a second). */
function sweepSpec(name: string, alphas: number[], episodes: number, url?: string): SpecInput {
  return {
    name,
    env: { id: 'CliffWalking-v1' },
    agent: { algo: 'qlearning', config: { epsilon: 0.1 } },
    budget: { episodes },
    eval: { finalEpisodes: 2 },
    sweep: { parameters: { 'agent.config.alpha': alphas } },
    ...(url !== undefined ? { queue: url } : {}),
  };
}

function readRows(runDir: string): QueueTrialRow[] {
  return JSON.parse(readFileSync(path.join(runDir, 'trials.json'), 'utf8')) as QueueTrialRow[];
}

/** A two-trial sweep's rows: trial 0 completed and trial 1 failed; returns trial 1's row. */
function secondTrialFailed(runDir: string): Extract<QueueTrialRow, { state: 'failed' }> {
  const rows = readRows(runDir);
  assert.equal(rows.map((x) => [x.index, x.state]), [
    [0, 'completed'],
    [1, 'failed'],
  ]);
  const failed = rows[1];
  if (failed?.state !== 'failed') throw new Error(`trial 1: ${JSON.stringify(failed)}`);
  return failed;
}

/** Every trial index appears exactly once, completed, with a finite score; returns the rows as completed ones. */
function assertEachOnceCompleted(rows: QueueTrialRow[], n: number): CompletedTrialRow[] {
  assert.equal(rows.map((r) => r.index).sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i), 'each trial exactly once');
  return rows.map((r) => {
    if (r.state !== 'completed') throw new Error(`trial ${r.index} ${r.state}: ${r.error}`);
    assert.ok(Number.isFinite(r.finalScore), `trial ${r.index} score ${r.finalScore}`);
    return r;
  });
}

/** How many final scores metrics.jsonl holds per trial (each finished trial writes one). */
function finalScoresPerTrial(runDir: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n')) {
    const m = /"trial\/(\d+)\/eval\/final_mean_return"/.exec(line);
    if (m !== null) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  return counts;
}

const runs: (() => Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  for (const c of runs.splice(0).reverse()) await c().catch(() => {});
}

async function withRedis<T>(body: (redis: RedisServer, queue: Queue) => Promise<T>): Promise<T> {
  const redis = new RedisServer(await freePort());
  await redis.start();
  runs.push(() => redis.stop());
  const { queue } = openQueue(redis.url, () => {});
  runs.push(() => queue.close());
  try {
    return await body(redis, queue);
  } finally {
    await cleanup();
  }
}

const quiet = { progressOut: null, handleSignals: false, port: 0 } as const;

/**
 * Starts a run that the test awaits later. Should the test fail before that, cleanup stops the run
 * following its sweep (its Redis clients would otherwise keep this process alive).
 */
function startRun(opts: RunOptions): Promise<RunResult> {
  const stop = new AbortController();
  const run = runExperiment({ ...opts, signal: stop.signal });
  run.catch(() => {}); // the test awaits it; until then, a rejection is not an unhandled one
  runs.push(async () => {
    stop.abort();
    await run;
  });
  return run;
}

test("an unreachable Redis's log line names what a rejected command gave, an Error or not; a queue worker stopped by a signal exits as a shell reports it", () => {
  const lines: string[] = [];
  const errors = redisErrorLogger('redis://:secret@127.0.0.1:6390', (l) => lines.push(l), 0);
  errors.error('Connection is closed.');
  errors.error(new Error('connect ECONNREFUSED 127.0.0.1:6390'));
  assert.equal(lines, ['redis redis://:***@127.0.0.1:6390 unreachable (Connection is closed.); reconnecting with backoff', 'redis redis://:***@127.0.0.1:6390 unreachable (connect ECONNREFUSED 127.0.0.1:6390); reconnecting with backoff']);
  assert.equal([signalExitCode('SIGINT'), signalExitCode('SIGTERM')], [130, 143]);
});

test('a sweep record in Redis that is not JSON, not an object or has no spec gets an error naming the sweep, not a TypeError', () => {
  const spec = parseRlSpec(sweepSpec('stored', [0.1, 0.2], 50));
  assert.is(sweepIdOf(storedSweepSpec(JSON.stringify({ spec, trials: 2, createdAt: 'now' }), 'abc')), sweepIdOf(spec));
  for (const [text, why] of [['null', /no spec field/], ['42', /no spec field/], ['{}', /no spec field/], ['{"spec":', /not JSON/]] as const) {
    assert.throws(
      () => storedSweepSpec(text, 'abc'),
      (e: unknown) => !(e instanceof TypeError) && e instanceof Error && why.test(e.message) && e.message.includes('sweep abc in redis (key nnlab:sweep:abc)'),
      text,
    );
  }
  assert.throws(() => storedSweepSpec('{"spec":{"name":"x"}}', 'abc'), /invalid experiment spec \(sweep abc in redis/);
});

test('an --attach id that could not name a sweep (its run folder) is refused, naming the flag and the rule', async () => {
  assert.throws(() => checkedSweepId('../x'), /^--attach "\.\.\/x": not a sweep id \(letters, digits, _ \. - only, not starting with a dot;/);
  assert.is(checkedSweepId('sweep-0123abcd'), 'sweep-0123abcd');
  const refused = await runExperiment({ ...quiet, spec: parseRlSpec(sweepSpec('bad-attach', [0.1], 10)), runsDir: tmp, log: () => {}, queue: { url: 'redis://127.0.0.1:1', attach: '../x' } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(refused instanceof Error && refused.message.startsWith('--attach "../x": not a sweep id'), String(refused));
});

test("a queue worker checks its trial thread's answer before it writes result.json or answers Redis: a bad or another trial's result is its error, named", () => {
  const where = { worker: 'w1', host: 'h', runDir: '/tmp/trial-3' };
  const good = { kind: 'trial', trial: 3, finalScore: 12.5, curve: Float64Array.of(1, 2), seconds: 0.5 };
  assert.equal(threadResult(good, 3, where), { trial: 3, finalScore: 12.5, curve: [1, 2], seconds: 0.5, ...where });
  for (const [out, why] of [
    [undefined, /trial 3's thread returned a bad result: \(the answer\): expected object, got undefined$/],
    // the answer is a TrialResult (protocol/messages.ts trialResultSchema), exactly: its kind, no field more
    [{ ...good, kind: 'rollout' }, /bad result: kind: expected "trial", got "rollout"$/],
    [(({ kind: _kind, ...rest }) => rest)(good), /bad result: kind: expected "trial", got undefined$/],
    [{ ...good, extra: 1 }, /bad result: \(the answer\): unknown field 'extra'$/],
    [{ ...good, finalScore: '12.5' }, /bad result: finalScore:/],
    [{ ...good, finalScore: Number.NaN }, /bad result: finalScore:/],
    [{ ...good, curve: 'abc' }, /bad result: curve:/],
    [{ ...good, seconds: -1 }, /bad result: seconds:/],
    [{ ...good, trial: 4 }, /worker w1: trial 3's thread returned the result of trial 4/],
  ] as const) {
    assert.throws(() => threadResult(out, 3, where), why, JSON.stringify(out));
  }
  // an inherited field is not an answer
  assert.throws(() => threadResult(Object.create(good), 3, where), /bad result: kind: expected "trial", got undefined$/);
});

test("the follower checks a completed job's stored result against the job's task as a socket result is checked (validateTrial): a bad one is a named problem, not a crash", () => {
  const rl: RlTrialTask = { kind: 'trial', family: 'rl', runId: 's', trial: 1, env: { id: 'CliffWalking-v1', kwargs: {} }, algo: 'qlearning', config: { seed: 1 }, episodes: 3, evalEpisodes: 2 };
  const data = (task: RlTrialTask | GenerativeTrialTask): TrialJobData => ({ sweepId: 's', overrides: {}, task });
  const result: TrialJobResult = { trial: 1, finalScore: -13, curve: [-20, -15, -13], seconds: 0.1, worker: 'w1', host: 'h', runDir: '/r/trial-1' };
  assert.equal(checkedJobResult(1, data(rl), result), { ok: true, result });
  const problem = (index: number, d: unknown, r: unknown): string => {
    const c = checkedJobResult(index, d, r);
    if (c.ok) throw new Error(`accepted: ${JSON.stringify(r)}`);
    return c.problem;
  };
  // what the schema alone let through
  assert.is(problem(1, data(rl), { ...result, curve: [-20, -15] }), 'worker w1 stored a bad result: result.curve: length 2, expected 3 (one return per training episode)');
  assert.is(problem(1, data(rl), { ...result, trial: 2 }), 'worker w1 stored a bad result: result.trial: 2 answers trial 1');
  const gen: GenerativeTrialTask = { kind: 'trial', family: 'generative', runId: 's', trial: 1, model: { kind: 'vae', config: {} }, seed: 0, epochs: 2, evaluate: false };
  assert.is(checkedJobResult(1, data(gen), { ...result, curve: [3, 2], finalScore: 2 }).ok, true);
  assert.is(problem(1, data(gen), { ...result, curve: [3, 2], finalScore: 3 }), "worker w1 stored a bad result: result.finalScore: 3, expected the last epoch's score 2");
  // what the schema refuses, and a job that is not this trial's
  assert.match(problem(1, data(rl), null), /^its stored result is malformed: returnvalue: /);
  assert.match(problem(1, data(rl), { ...result, curve: [1, null, 3] }), /^its stored result is malformed: returnvalue\.curve\.1: /);
  assert.is(problem(0, data(rl), result), 'its job holds the task of trial 1');
  assert.match(problem(1, { ...data(rl), sweepId: '../x' }, result), /^its job is not an nnlab trial: data\.sweepId: /);
});

if (REDIS === undefined) {
  if (process.env.CI !== undefined && process.env.CI !== '') {
    test('queue-backed sweeps need redis-server (CI installs it: .ci/run)', () => {
      assert.unreachable('redis-server is not installed, and CI is set: the queue tests must run in CI');
    });
  } else test.skip('queue-backed sweeps on Redis (skipped: no redis-server on this machine; apt-get install redis-server)');
} else {
  test.before(useCpu);
  test.after(async () => {
    await cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('submitting the same sweep twice enqueues each trial once; the spec is stored under the sweep id', async () => {
    await withRedis(async (redis, queue) => {
      const env = { id: 'CliffWalking-v1', kwargs: {} };
      const spec = parseRlSpec(sweepSpec('idem', [0.1, 0.2, 0.3], 50));
      const first = await submitSweep(queue, { spec, envRef: env });
      assert.equal([first.added, first.existing], [3, 0]);
      // the same spec written with its keys in another order is the same sweep
      const reordered = parseRlSpec(JSON.parse(JSON.stringify({ sweep: spec.sweep, agent: spec.agent, budget: spec.budget, eval: spec.eval, env: spec.env, name: spec.name })));
      assert.is(sweepIdOf(reordered), first.sweepId);
      const second = await submitSweep(queue, { spec: reordered, envRef: env });
      assert.equal([second.sweepId, second.added, second.existing], [first.sweepId, 0, 3]);
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
      assert.equal([counts.waiting, counts.active, counts.delayed, counts.completed, counts.failed], [3, 0, 0, 0, 0]);
      const job = await queue.getJob(jobIdOf(first.sweepId, 2));
      assert.is((job?.data as { task: { config: { alpha: number } } }).task.config.alpha, 0.3);
      const stored = await loadSweep(redis.url, first.sweepId, () => {});
      assert.is(sweepIdOf(stored), first.sweepId);
      // another spec is another sweep
      const other = await submitSweep(queue, { spec: parseRlSpec(sweepSpec('idem', [0.1, 0.2, 0.4], 50)), envRef: env });
      assert.is.not(other.sweepId, first.sweepId);
      assert.is(other.added, 3);
    });
  });

  test('a worker killed with SIGKILL mid-trial: another worker takes the trial over, and it is recorded exactly once', async () => {
    await withRedis(async (redis, queue) => {
      // wA alone takes trials until it is killed; wB starts after. (A trial here lasts a fraction of a
      // second: with wB there from the start, it could run every trial before wA had one.)
      const a = new WorkerProcess('wA', redis.url);
      runs.push(() => a.stop());
      await until('worker wA', () => /nnlab worker wA/.test(a.out) || undefined);
      const spec = parseSpec(sweepSpec('killed-worker', [0.1, 0.3, 0.5], 6000));
      const sweepId = sweepIdOf(spec);
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const run = startRun({ ...quiet, spec, runsDir, log: () => {}, queue: { url: redis.url, pollMs: 100 } });
      const activeOnA = async (i: number): Promise<boolean> => {
        const job = await queue.getJob(jobIdOf(sweepId, i));
        return job !== undefined && (await job.getState()) === 'active' && (job.progress as TrialJobProgress).worker === 'wA';
      };
      // A trial wA is running, seen through the job's progress. wA is frozen (SIGSTOP) and the job
      // looked at again before the kill: otherwise wA could finish the trial between the look and the
      // kill, and nothing would be handed on.
      let victim: number | undefined;
      while (victim === undefined) {
        const candidate = await until('a trial active on wA', async () => {
          for (let i = 0; i < 3; i++) if (await activeOnA(i)) return i;
          return undefined;
        });
        a.child.kill('SIGSTOP');
        if (await activeOnA(candidate)) victim = candidate;
        else a.child.kill('SIGCONT');
      }
      a.child.kill('SIGKILL');
      await a.exited;
      const b = new WorkerProcess('wB', redis.url);
      runs.push(() => b.stop());
      const r = await run;
      assert.is(r.state, 'finished', r.message);
      const rows = assertEachOnceCompleted(readRows(r.runDir), 3);
      assert.is(rows.find((x) => x.index === victim)!.worker, 'wB', `trial ${victim} was taken over by wB`);
      assert.match(b.out, new RegExp(`trial ${victim} of sweep ${sweepId}: final score`));
      // the stalled-job check handed it on (wA's output is no evidence either way: wA may have been
      // frozen after printing a final score and before recording it)
      const stalled = (await queue.getJob(jobIdOf(sweepId, victim)))!.stalledCounter;
      assert.ok(stalled >= 1, `trial ${victim} stalled ${stalled} time(s)`);
      assert.equal([...finalScoresPerTrial(r.runDir).entries()].sort(), [[0, 1], [1, 1], [2, 1]]);
      assert.ok(existsSync(path.join(rows.find((x) => x.index === victim)!.runDir, 'result.json')));
    });
  });

  test('the submitting process killed with SIGKILL: the jobs stay in Redis, and --attach follows the sweep to the end', async () => {
    await withRedis(async (redis, queue) => {
      const cwd = mkdtempSync(path.join(tmp, 'submitter-'));
      const specFile = path.join(cwd, 'spec.json');
      const input = sweepSpec('killed-submitter', [0.2, 0.4], 300);
      writeFileSync(specFile, JSON.stringify(input));
      const submitter = spawn(process.execPath, [CLI, 'sweep', specFile, '--queue', redis.url, '--port', '0', '--backend', 'cpu'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      submitter.stdout.on('data', (d: Buffer) => (out += d.toString()));
      submitter.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise((r) => submitter.once('exit', r));
      const sweepId = await until(`the submitter's enqueue line (${out})`, () => /sweep (\S+): 2 trial job\(s\) enqueued/.exec(out)?.[1]);
      assert.not.match(out, PASSWORD, 'the submitter printed the password');
      submitter.kill('SIGKILL');
      await exited;
      assert.is((await queue.getJobCounts('waiting')).waiting, 2);
      const w = new WorkerProcess('wC', redis.url);
      runs.push(() => w.stop());
      const spec = await loadSweep(redis.url, sweepId, () => {});
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const lines: string[] = [];
      const r = await runExperiment({ ...quiet, spec, runsDir, log: (l) => lines.push(l), queue: { url: redis.url, attach: sweepId, pollMs: 100 } });
      assert.is(r.state, 'finished', r.message);
      assert.is(path.basename(r.runDir), sweepId);
      assertEachOnceCompleted(readRows(r.runDir), 2);
      assert.ok(lines.some((l) => l.includes(`sweep ${sweepId}: following 2 trial job(s)`)), lines.join('\n'));
    });
  });

  test('--attach follows the sweep of the id given, also when its stored spec hashes to another id now: it never waits for jobs nobody submitted', async () => {
    await withRedis(async (redis, queue) => {
      const spec = parseRlSpec(sweepSpec('rehashed', [0.2, 0.4], 300));
      const { sweepId } = await submitSweep(queue, { spec, envRef: { id: 'CliffWalking-v1', kwargs: {} } });
      // the record as another nnlab might hold it (other defaults): a field the follower never reads
      // differs, so the stored spec hashes to another id than the one its jobs carry
      const client = await queue.client;
      await client.set(`nnlab:sweep:${sweepId}`, JSON.stringify({ spec: { ...spec, eval: { ...spec.eval, finalEpisodes: 3 } }, trials: 2, createdAt: new Date().toISOString() }));
      const stored = await loadSweep(redis.url, sweepId, () => {});
      assert.is.not(sweepIdOf(stored), sweepId);
      const w = new WorkerProcess('wF', redis.url);
      runs.push(() => w.stop());
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const lines: string[] = [];
      const run = startRun({ ...quiet, spec: stored, runsDir, log: (l) => lines.push(l), queue: { url: redis.url, attach: sweepId, pollMs: 100 } });
      const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`--attach ${sweepId} still following after 60 s:\n${lines.join('\n')}`)), 60_000).unref());
      const r = await Promise.race([run, deadline]);
      assert.is(r.state, 'finished', r.message);
      assert.is(path.basename(r.runDir), sweepId);
      assertEachOnceCompleted(readRows(r.runDir), 2);
      assert.ok(lines.some((l) => l.includes(`sweep ${sweepId}: following 2 trial job(s)`)), lines.join('\n'));
    });
  });

  test('a trial that throws is retried with backoff, then failed with its error in trials.json and on the dashboard', async () => {
    await withRedis(async (redis, queue) => {
      const w = new WorkerProcess('wD', redis.url, ['--allow-code']);
      runs.push(() => w.stop());
      const spec = parseSpec({
        name: 'exploding',
        env: { id: 'Exploding-v0', module: EXPLODING, kwargs: { explode: false } },
        agent: { algo: 'qlearning' },
        budget: { episodes: 50 },
        eval: { finalEpisodes: 2 },
        sweep: { parameters: { 'env.kwargs.explode': [false, true] } },
      });
      const sweepId = sweepIdOf(spec);
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const lines: string[] = [];
      // a dashboard's view: the trials of every run_state it receives
      const seen: TrialStatus[][] = [];
      // A backoff longer than the test: trial 1 stays 'retried' until the dashboard has shown it so,
      // and the test then promotes the retry. (With a short backoff the state lasts one backoff, which
      // can fall between two polls of a loaded follower.)
      const backoffMs = 600_000;
      const run = startRun({
        ...quiet,
        spec,
        runsDir,
        log: (l) => lines.push(l),
        queue: { url: redis.url, attempts: 2, backoffMs, pollMs: 100 },
        onListening: ({ port, token }) => {
          const dashboard = connectPeer(`ws://127.0.0.1:${port}/ws`, token, { role: 'dashboard', name: 'queue test' });
          dashboard.onMessage = (m) => m.type === 'run_state' && m.run.trials !== undefined && seen.push(m.run.trials);
          runs.push(async () => dashboard.ws.close());
        },
      });
      // the dashboard sees trial 1 retried with its error, while the retry waits out its backoff
      await until('the dashboard to show trial 1 retried with its error', () => seen.some((t) => t[1]?.state === 'retried' && /boom/.test(t[1].error ?? '')) || undefined).catch((e: Error) =>
        assert.unreachable(`${e.message}: ${JSON.stringify(seen.map((t) => t[1]?.state))}`),
      );
      const retry = (await queue.getJob(jobIdOf(sweepId, 1)))!;
      assert.equal([await retry.getState(), retry.attemptsMade, retry.opts.backoff], ['delayed', 1, { type: 'exponential', delay: backoffMs }]);
      await retry.promote();
      const r = await run;
      assert.is(r.state, 'finished', r.message);
      const failed = secondTrialFailed(r.runDir);
      assert.is(failed.attempts, 2);
      assert.match(failed.error, 'boom: this trial explodes by design');
      assert.match(r.message, /1 failed \(trials 1; errors in trials\.json\)/);
      assert.ok(lines.some((l) => /trial 1 failed after 2 attempt\(s\): .*boom/.test(l)), lines.join('\n'));
      // the worker logs a failure once Redis holds it (BullMQ emits 'failed' after moveToFailed), so
      // its second line may still be on its way when the follower has seen trial 1 fail
      const failures = () => w.out.match(/trial job \S+\.t1 failed/g)?.length ?? 0;
      await until('the worker to log both failures of trial 1', () => failures() >= 2 || undefined, 10_000).catch((e: Error) => assert.unreachable(`${e.message}:\n${w.out}`));
      assert.is(failures(), 2, w.out);
      // the dashboard saw trial 1 failed with its error in the end, and trial 0 completed by wD
      const lastSeen = seen[seen.length - 1]!;
      assert.equal([lastSeen[0]!.state, lastSeen[0]!.worker, lastSeen[1]!.state, lastSeen[1]!.attempts], ['completed', 'wD', 'failed', 2]);
      assert.match(lastSeen[1]!.error!, 'boom: this trial explodes by design');
    });
  });

  test('a generative sweep through a real worker: scores per epoch as progress and metrics, files beside result.json; a job naming its own folder is refused', async () => {
    await withRedis(async (redis, queue) => {
      const w = new WorkerProcess('wG', redis.url);
      runs.push(() => w.stop());
      const spec = parseSpec({
        name: 'vae-queue',
        model: { kind: 'vae', config: { hidden: [16], latentDim: 2 }, batchSize: 16 },
        budget: { epochs: 2, stepsPerEpoch: 3 },
        eval: { interval: 0 },
        sweep: { parameters: { 'model.config.learningRate': [1e-3, 1e-2] } },
      });
      const sweepId = sweepIdOf(spec);
      // a job anyone with access to Redis could add: a generative trial that names where to write
      const evil = await queue.add('trial', { sweepId: 'evil', overrides: {}, task: { kind: 'trial', family: 'generative', runId: 'evil', trial: 0, model: { kind: 'vae', config: {} }, seed: 0, epochs: 1, evaluate: false, outDir: '/tmp/elsewhere' } }, { jobId: 'evil.t0', attempts: 3 });
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const r = await runExperiment({ ...quiet, spec, runsDir, log: () => {}, queue: { url: redis.url, pollMs: 100 } });
      assert.is(r.state, 'finished', r.message);
      const rows = assertEachOnceCompleted(readRows(r.runDir), 2);
      const metrics = readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
      for (const row of rows) {
        assert.is(row.worker, 'wG');
        const result = JSON.parse(readFileSync(path.join(row.runDir, 'result.json'), 'utf8')) as { curve: number[]; finalScore: number };
        assert.is(result.curve.length, 2, 'one score per epoch');
        assert.is(result.finalScore, result.curve[1]);
        assert.is(row.finalScore, result.finalScore);
        for (const f of ['generator/model.json', 'samples/epoch-002.png', 'summary.json']) assert.ok(existsSync(path.join(row.runDir, f)), `${row.runDir}/${f}`);
        assert.equal(metrics.filter((m) => m[`trial/${row.index}/eval/test_elbo`] !== undefined).map((m) => m[`trial/${row.index}/eval/test_elbo`]), result.curve);
        assert.equal(metrics.filter((m) => m[`trial/${row.index}/eval/final_test_elbo`] !== undefined).map((m) => m[`trial/${row.index}/eval/final_test_elbo`]), [result.finalScore]);
        // progress counts epochs, not episodes
        const progress = (await queue.getJob(jobIdOf(sweepId, row.index)))!.progress as TrialJobProgress;
        assert.ok('epochs' in progress && !('episodes' in progress), JSON.stringify(progress));
      }
      const refused = await until('the job naming its folder failed', async () => ((await queue.getJob(evil.id!))?.failedReason ? queue.getJob(evil.id!) : undefined));
      assert.is(refused!.attemptsMade, 1, 'refused at once, not retried');
      assert.match(refused!.failedReason, /is not an nnlab trial: data\.task: .*outDir/);
      assert.not.ok(existsSync('/tmp/elsewhere'));
    });
  });

  test('a queue worker that stores a bad result: its trial is failed with the problem named, the other is written, and the follower goes on to the end', async () => {
    await withRedis(async (redis) => {
      // a hand-written queue worker: a sound result for trial 0, a curve one episode short for trial 1
      const hostile = new Worker(
        QUEUE_NAME,
        async (job: Job<TrialJobData>): Promise<TrialJobResult> => {
          const { task } = job.data;
          const episodes = task.family === 'rl' ? task.episodes : task.epochs;
          return { trial: task.trial, finalScore: -13, curve: new Array<number>(task.trial === 0 ? episodes : episodes - 1).fill(-13), seconds: 0.01, worker: 'hostile', host: 'h', runDir: '/nowhere' };
        },
        { connection: connectionOptions(redis.url) },
      );
      runs.push(() => hostile.close());
      const spec = parseSpec(sweepSpec('hostile-worker', [0.1, 0.2], 3));
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const lines: string[] = [];
      const r = await runExperiment({ ...quiet, spec, runsDir, log: (l) => lines.push(l), queue: { url: redis.url, pollMs: 100 } });
      assert.is(r.state, 'finished', r.message);
      const failed = secondTrialFailed(r.runDir);
      assert.is(failed.error, 'completed, but worker hostile stored a bad result: result.curve: length 2, expected 3 (one return per training episode)');
      assert.is(failed.worker, 'hostile');
      assert.match(r.message, /1 failed \(trials 1; errors in trials\.json\)/);
      assert.ok(lines.some((l) => l.startsWith('trial 1 refused: completed, but worker hostile stored a bad result')), lines.join('\n'));
      // only the sound trial's curve and score are metrics
      assert.equal([...finalScoresPerTrial(r.runDir).entries()], [[0, 1]]);
    });
  });

  test('Redis stopped mid-sweep and restarted: clients name the URL and reconnect, and every trial completes once', async () => {
    await withRedis(async (redis, queue) => {
      queue.on('error', () => {});
      const w = new WorkerProcess('wE', redis.url);
      runs.push(() => w.stop());
      // enough work after the first trial that Redis goes down mid-sweep on a fast machine too
      // (3 trials of 2500 episodes could all finish before the stop took effect)
      const alphas = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];
      const spec = parseSpec(sweepSpec('redis-restart', alphas, 5000));
      const sweepId = sweepIdOf(spec);
      const runsDir = mkdtempSync(path.join(tmp, 'runs-'));
      const lines: string[] = [];
      const run = runExperiment({ ...quiet, spec, runsDir, log: (l) => lines.push(l), queue: { url: redis.url, pollMs: 100 } });
      await until('the first trial completed', async () => {
        for (let i = 0; i < alphas.length; i++) if ((await (await queue.getJob(jobIdOf(sweepId, i)))?.getState()) === 'completed') return true;
        return undefined;
      });
      await redis.stop();
      // Redis stays down until both clients have said so, naming the URL (a fixed pause could end
      // before a loaded machine's clients tried to reconnect)
      const redacted = `redis://:***@127.0.0.1:${redis.port}`;
      await until('the follower to name the URL as unreachable', () => lines.some((l) => l.startsWith(`redis ${redacted} unreachable`)), 20_000).catch((e: Error) => assert.unreachable(`${e.message}:\n${lines.join('\n')}`));
      await until('the worker to name the URL as unreachable', () => w.out.includes(`redis ${redacted} unreachable`), 20_000).catch((e: Error) => assert.unreachable(`${e.message}:\n${w.out}`));
      await redis.start();
      const r = await run;
      assert.is(r.state, 'finished', r.message);
      assertEachOnceCompleted(readRows(r.runDir), alphas.length);
      assert.not.match(lines.join('\n') + w.out, PASSWORD);
    });
  });
}

test.run();
