/**
 * bench:distributed — what the coordinator's distribution buys on this machine:
 *   1. rollout env-steps/s through the scheduler with 1 and 2 piscina threads (DQN's actor, an
 *      MLP 4-256-256-2, on CartPole vector envs);
 *   2. DQN CartPole-v1 wall time to a greedy 475: one process (`nnlab train dqn`'s loop) vs
 *      experiments/cartpole-dqn.json (2 rollout threads + a learner process);
 *   2b. DCGAN training throughput with 1 and 2 data-parallel gradient threads;
 *   3. coordinator overhead per message: a frame's round trip on loopback (msgpack decode, schema
 *      validation, reply);
 *   4. a sweep of 8 tabular trials on 2 threads vs one after another.
 * Prints a table, writes bench/results/distributed.json. Medians of --repeats runs.
 *
 *   npm run bench:distributed -- [--repeats 5] [--seeds 0,1,2] [--skip rollout,dqn,gradient,message,sweep]
 */
import { mkdirSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { initBackend } from '../core/backend.js';
import { Rng } from '../base/rng.js';
import { packr } from '../core/tensors.js';
import { DqnLearner, trainDqn } from '../agents/dqn.js';
import { Scheduler } from '../coordinator/scheduler.js';
import { ThreadPoolExecutor } from '../coordinator/executors.js';
import { CoordinatorServer } from '../coordinator/server.js';
import { PROTOCOL_VERSION } from '../protocol/messages.js';
import { runExperiment } from '../coordinator/run.js';
import { loadSpecFile } from '../drivers/spec.js';
import type { RolloutTask, TaskResult } from '../protocol/tasks.js';
import { median } from './stats.js';

const { values } = parseArgs({ options: { repeats: { type: 'string', default: '5' }, seeds: { type: 'string', default: '0,1,2' }, skip: { type: 'string', default: '' } } });
const repeats = Number(values.repeats);
const seeds = values.seeds!.split(',').map(Number);
const skip = new Set(values.skip!.split(',').filter(Boolean));
const backend = await initBackend();
const rows: { what: string; a: string; b: string; ratio: string; goal: string }[] = [];
const json: Record<string, unknown> = { backend: backend.name, cpus: os.availableParallelism?.() ?? os.cpus().length, node: process.version, date: new Date().toISOString() };

// ---- 1. rollout throughput -------------------------------------------------------------------
async function rolloutRate(threads: number): Promise<number> {
  const scheduler = new Scheduler();
  scheduler.addExecutor(new ThreadPoolExecutor('threads', threads));
  const learner = new DqnLearner(4, 2, {}, new Rng(0));
  const { params, version } = learner.getPolicyParams();
  learner.dispose();
  const task = (i: number): RolloutTask => ({
    kind: 'rollout',
    runId: `bench-${threads}`,
    env: { id: 'CartPole-v1', kwargs: {} },
    numEnvs: 16,
    steps: 256,
    envStep: 50_000,
    seed: i,
    policy: { algo: 'dqn', activation: 'relu', params, version, epsilon: { initial: 1, final: 0.05, fraction: 0.1, totalTimesteps: 100_000, learningStarts: 0 } },
  });
  const run = async (n: number) => {
    const t0 = performance.now();
    const rs = (await Promise.all(Array.from({ length: n }, (_, i) => scheduler.submit(task(i))))) as TaskResult[];
    const steps = rs.reduce((a, r) => a + (r.kind === 'rollout' ? r.count : 0), 0);
    return steps / ((performance.now() - t0) / 1000);
  };
  await run(2 * threads); // warm-up: threads load their modules and build their envs
  const rates: number[] = [];
  for (let k = 0; k < repeats; k++) rates.push(await run(8 * threads));
  await scheduler.close();
  return median(rates);
}

if (!skip.has('rollout')) {
const r1 = await rolloutRate(1);
const r2 = await rolloutRate(2);
rows.push({ what: 'rollout env-steps/s (CartPole ×16, MLP 4-256-256-2 actor)', a: `${Math.round(r1)} (1 thread)`, b: `${Math.round(r2)} (2 threads)`, ratio: `${(r2 / r1).toFixed(2)}x`, goal: '≥ 1.8x' });
json.rollout = { oneThread: r1, twoThreads: r2, speedup: r2 / r1 };
console.log(rows.at(-1));
}

// ---- 2. DQN CartPole wall time to 475 ----------------------------------------------------------
if (!skip.has('dqn')) {
  const single: number[] = [];
  const dist: number[] = [];
  const distSteps: number[] = [];
  const singleSteps: number[] = [];
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-dist-'));
  for (const seed of seeds) {
    const t0 = performance.now();
    // both stop by the one goal rule (agents/evaluate.ts goalEvaluator), as the spec says it:
    // a 10-episode check every 5000 env steps, confirmed over 100 check episodes and 100 fresh ones
    const r = trainDqn({ envId: 'CartPole-v1', config: { seed }, totalTimesteps: 100_000, evalInterval: 5000, evalEpisodes: 10, goalEpisodes: 100, goal: 475 });
    single.push((performance.now() - t0) / 1000);
    singleSteps.push(r.goalReachedAt ?? Number.NaN);
    r.learner.dispose();
    const spec = loadSpecFile('experiments/cartpole-dqn.json');
    spec.seed = seed;
    const t1 = performance.now();
    const d = await runExperiment({ spec, runsDir, log: () => {}, progressOut: null, handleSignals: false });
    dist.push((performance.now() - t1) / 1000);
    distSteps.push(d.goalReachedAt ?? Number.NaN);
    console.log(`seed ${seed}: single ${single.at(-1)!.toFixed(1)} s (${singleSteps.at(-1)} steps), 2 threads + learner ${dist.at(-1)!.toFixed(1)} s (${distSteps.at(-1)} steps)`);
  }
  rmSync(runsDir, { recursive: true, force: true });
  rows.push({ what: 'DQN CartPole-v1 wall s to greedy 475', a: `${median(single).toFixed(1)} (1 process)`, b: `${median(dist).toFixed(1)} (2 threads + learner)`, ratio: `${(median(single) / median(dist)).toFixed(2)}x`, goal: 'report' });
  json.dqn = { seeds, singleSeconds: single, distributedSeconds: dist, singleGoalSteps: singleSteps, distributedGoalSteps: distSteps };
}

// ---- 2b. data-parallel gradient throughput (DCGAN, batch 64) -----------------------------------
if (!skip.has('gradient')) {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-grad-'));
  const rate = async (gradient: number) => {
    const steps = 12;
    const r = await runExperiment({
      spec: { name: 'grad', model: { kind: 'dcgan', config: {}, batchSize: 64 }, budget: { epochs: 1, stepsPerEpoch: steps }, workers: { rollout: 0, gradient, learner: { process: false } }, eval: { interval: 0 } },
      runsDir,
      log: () => {},
      progressOut: null,
      handleSignals: false,
    });
    const { readFileSync } = await import('node:fs');
    const m = JSON.parse(readFileSync(path.join(r.runDir, 'summary.json'), 'utf8')) as { epochs: { metrics: Record<string, number> }[] };
    return m.epochs[0]!.metrics['charts/steps_per_s']! * 64;
  };
  const g1: number[] = [];
  const g2: number[] = [];
  for (let k = 0; k < Math.min(repeats, 3); k++) {
    g1.push(await rate(1));
    g2.push(await rate(2));
  }
  rmSync(runsDir, { recursive: true, force: true });
  rows.push({ what: 'DCGAN data-parallel training, images/s (batch 64 in shards, D+G phases)', a: `${Math.round(median(g1))} (1 gradient thread)`, b: `${Math.round(median(g2))} (2 gradient threads)`, ratio: `${(median(g2) / median(g1)).toFixed(2)}x`, goal: 'report' });
  json.gradient = { oneThreadImagesPerSecond: g1, twoThreadImagesPerSecond: g2 };
  console.log(rows.at(-1));
}

// ---- 3. coordinator overhead per message ------------------------------------------------------
if (!skip.has('message')) {
  const scheduler = new Scheduler();
  const server = new CoordinatorServer({ token: 't', runId: 'bench', scheduler, maxBadFrames: Number.POSITIVE_INFINITY });
  const port = await server.listen();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=t`);
  await new Promise((r) => ws.on('open', r));
  const replies: ((v: unknown) => void)[] = [];
  ws.on('message', () => replies.shift()?.(undefined));
  const roundTrip = async (frame: Uint8Array) => {
    const p = new Promise((r) => replies.push(r));
    ws.send(frame);
    await p;
  };
  await roundTrip(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, token: 't', role: 'worker', name: 'bench', threads: 1, kinds: [] }));
  // a task_error for a task this worker does not hold: decoded, validated, looked up, answered
  const frame = packr.pack({ type: 'task_error', taskId: 123456, message: 'x' });
  for (let i = 0; i < 500; i++) await roundTrip(frame);
  const samples: number[] = [];
  for (let k = 0; k < repeats; k++) {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) await roundTrip(frame);
    samples.push(((performance.now() - t0) * 1000) / 2000);
  }
  ws.terminate();
  await server.close();
  await scheduler.close();
  rows.push({ what: 'coordinator round trip per message (loopback)', a: `${median(samples).toFixed(1)} µs`, b: '', ratio: '', goal: 'report' });
  json.messageRoundTripMicros = median(samples);
}

// ---- 4. a sweep of 8 tabular trials -----------------------------------------------------------
if (!skip.has('sweep')) {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-sweep-'));
  const spec = loadSpecFile('experiments/cliffwalking-sarsa-vs-q.json');
  spec.budget.episodes = 40_000;
  const time = async (rollout: number) => {
    const t0 = performance.now();
    await runExperiment({ spec: { ...spec, workers: { ...spec.workers, rollout } }, runsDir, log: () => {}, progressOut: null, handleSignals: false });
    return (performance.now() - t0) / 1000;
  };
  const seq: number[] = [];
  const par: number[] = [];
  for (let k = 0; k < Math.min(repeats, 3); k++) {
    seq.push(await time(0));
    par.push(await time(2));
  }
  rmSync(runsDir, { recursive: true, force: true });
  rows.push({ what: 'sweep of 8 tabular trials (CliffWalking, 40k episodes each), wall s (thread start included)', a: `${median(seq).toFixed(2)} (sequential)`, b: `${median(par).toFixed(2)} (2 threads)`, ratio: `${(median(seq) / median(par)).toFixed(2)}x`, goal: 'report' });
  json.sweep = { sequentialSeconds: seq, twoThreadSeconds: par };
}

console.log(`\nbench:distributed — backend ${backend.name}, ${json.cpus} CPUs, medians of ${repeats}\n`);
console.log('| measure | baseline | distributed | ratio | goal |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.a} | ${r.b} | ${r.ratio} | ${r.goal} |`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/distributed.json', JSON.stringify({ ...json, rows }, null, 2));
console.log('\nwrote bench/results/distributed.json');
