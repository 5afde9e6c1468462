/**
 * bench:distributed — what the coordinator's distribution buys on this machine:
 *   1. rollout env-steps/s through the scheduler with 1 and 2 piscina threads (DQN's actor, an
 *      MLP 4-256-256-2, on CartPole vector envs);
 *   1b. the same with an env whose step costs real compute (bench/heavyEnv.ts: CartPole plus
 *      ~0.2 ms of arithmetic per step), shipped to the threads as an env module;
 *   2. DQN CartPole-v1 wall time to a greedy 475: one process (`nnlab train dqn`: the spec, no threads) vs
 *      experiments/cartpole-dqn.json (2 rollout threads + a learner process), with the machine's
 *      two-thread capacity measured before and after (it bounds what any spreading can gain);
 *   2b. DCGAN training throughput: the learner alone, 1 and 2 data-parallel gradient threads
 *      (workers.gradientMode 'threads'), and 2 threads with 'auto' (the run times both paths and
 *      keeps the faster: the row's ratio is auto vs the learner alone);
 *   3. coordinator overhead per message: a frame's round trip on loopback (msgpack decode, schema
 *      validation, reply);
 *   4. a sweep of 8 tabular trials (100k episodes each) on 2 threads vs one after another, beside
 *      this machine's raw capacity for two trials at once (the same trial alone and two at once on
 *      warm threads): what two threads can give here at most, so product overhead and machine
 *      limits can be told apart.
 * Prints a table, writes bench/results/distributed.json. Medians of --repeats runs.
 *
 *   npm run bench:distributed -- [--repeats 5] [--seeds 0,1,2] [--skip rollout,heavy,dqn,gradient,message,sweep]
 */
import { existsSync, mkdirSync, writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket } from 'ws';
import { initBackend } from '../core/backend.js';
import { Rng } from '../base/rng.js';
import { packr } from '../core/tensors.js';
import { DqnLearner, initialDqnParams, resolveDqnConfig } from '../agents/dqn.js';
import { Scheduler } from '../coordinator/scheduler.js';
import { ThreadPoolExecutor } from '../coordinator/executors.js';
import { CoordinatorServer } from '../coordinator/server.js';
import { PROTOCOL_VERSION } from '../protocol/constants.js';
import { runExperiment } from '../coordinator/run.js';
import { readMetrics } from '../coordinator/runDir.js';
import { readRunSummary } from '../generative/train.js';
import { DATA_PARALLEL_STEPS_PER_S, GRADIENT_THREADS_USED, LEARNER_ALONE_STEPS_PER_S, STEPS_PER_S } from '../agents/metricNames.js';
import { expandRlSweep, loadSpecFile } from '../drivers/spec.js';
import { rlTrialTask } from '../drivers/trials.js';
import { moduleRef } from '../workers/envModules.js';
import type { EnvRef, EvaluateTask, RolloutTask } from '../protocol/tasks.js';
import { DEFAULT_WORK, HEAVY_ENV_ID } from './heavyEnv.js';
import { median, positiveIntArg, seedListArg } from './stats.js';
import { z } from 'zod';
import { checkData, readJsonFile } from '../core/stateFile.js';

const { values } = parseArgs({ options: { repeats: { type: 'string' }, seeds: { type: 'string' }, skip: { type: 'string', default: '' } } });
const repeats = positiveIntArg('repeats', values.repeats, 5);
const seeds = seedListArg('seeds', values.seeds ?? '0,1,2');
const SECTIONS = ['rollout', 'heavy', 'dqn', 'gradient', 'message', 'sweep'] as const;
const skip = new Set(values.skip!.split(',').filter(Boolean));
for (const name of skip) if (!(SECTIONS as readonly string[]).includes(name)) throw new Error(`--skip: unknown section '${name}' (sections: ${SECTIONS.join(', ')})`);
const backend = await initBackend();
type Section = (typeof SECTIONS)[number];
interface Row { section: Section; what: string; a: string; b: string; ratio: string; goal: string }
const rows: Row[] = [];
const json: Record<string, unknown> = { backend: backend.name, cpus: os.availableParallelism?.() ?? os.cpus().length, node: process.version, date: new Date().toISOString() };

// ---- 1. rollout throughput -------------------------------------------------------------------
/** What a rollout measurement steps: the env, and each task's vector width and steps. */
interface RolloutLoad {
  env: EnvRef;
  numEnvs: number;
  steps: number;
}

const CARTPOLE: RolloutLoad = { env: { id: 'CartPole-v1', kwargs: {} }, numEnvs: 16, steps: 256 };

/** Env steps per second of `8 × threads` rollout tasks at once on warm threads (median of --repeats). */
async function rolloutRate(threads: number, load: RolloutLoad = CARTPOLE): Promise<number> {
  const scheduler = new Scheduler();
  scheduler.addExecutor(new ThreadPoolExecutor('threads', threads));
  const learner = new DqnLearner(4, 2, {}, new Rng(0));
  const { params, version } = learner.getPolicyParams();
  learner.dispose();
  const task = (i: number): RolloutTask => ({
    kind: 'rollout',
    runId: `bench-${threads}`,
    env: load.env,
    numEnvs: load.numEnvs,
    steps: load.steps,
    envStep: 50_000,
    seed: i,
    policy: { algo: 'dqn', activation: 'relu', params, version, epsilon: { explorationInitialEps: 1, explorationFinalEps: 0.05, explorationFraction: 0.1, totalTimesteps: 100_000, learningStarts: 0 } },
  });
  const run = async (n: number) => {
    const t0 = performance.now();
    const rs = await Promise.all(Array.from({ length: n }, (_, i) => scheduler.submit(task(i))));
    const steps = rs.reduce((a, r) => a + r.count, 0);
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
rows.push({ section: 'rollout', what: 'rollout env-steps/s (CartPole ×16, MLP 4-256-256-2 actor)', a: `${Math.round(r1)} (1 thread)`, b: `${Math.round(r2)} (2 threads)`, ratio: `${(r2 / r1).toFixed(2)}x`, goal: '≥ 1.8x' });
json.rollout = { oneThread: r1, twoThreads: r2, speedup: r2 / r1 };
console.log(rows.at(-1));
}

// ---- 1b. rollout throughput of an env whose step costs real compute -------------------------------
if (!skip.has('heavy')) {
  // the module is imported by path in each thread (workers/envModules.ts), as a custom env of an experiment is
  const heavy: RolloutLoad = { env: { id: HEAVY_ENV_ID, kwargs: {}, module: moduleRef(fileURLToPath(new URL('./heavyEnv.js', import.meta.url))) }, numEnvs: 8, steps: 64 };
  const h1 = await rolloutRate(1, heavy);
  const h2 = await rolloutRate(2, heavy);
  rows.push({ section: 'heavy', what: `rollout env-steps/s, env step + ~0.2 ms compute (${HEAVY_ENV_ID}, ${DEFAULT_WORK} busy iterations; ×8, MLP actor)`, a: `${Math.round(h1)} (1 thread)`, b: `${Math.round(h2)} (2 threads)`, ratio: `${(h2 / h1).toFixed(2)}x`, goal: '≥ 1.7x' });
  json.heavyRollout = { env: HEAVY_ENV_ID, work: DEFAULT_WORK, oneThread: h1, twoThreads: h2, speedup: h2 / h1 };
  console.log(rows.at(-1));
}

// ---- 2. DQN CartPole wall time to 475 ----------------------------------------------------------
/**
 * This machine's capacity for two CPU-bound threads at the moment: 8 evaluation tasks (a DQN
 * policy's greedy CartPole episodes, the goal checks' work; JavaScript only) on two warm threads,
 * one at a time and then all at once. On this VM it moves from hour to hour (a host sharing the
 * cores): 2x means two full cores, 1.4x a weak second one, and every distributed row is bounded by it.
 */
async function twoThreadCapacity(): Promise<{ oneAtATime: number; twoAtOnce: number; ratio: number }> {
  const config = resolveDqnConfig({ seed: 0 });
  const { online } = initialDqnParams(4, 2, config);
  const task = (k: number): EvaluateTask => ({ kind: 'evaluate', runId: 'bench-capacity', env: { id: 'CartPole-v1', kwargs: {} }, policy: { algo: 'dqn', activation: config.activation, params: online, version: 0 }, firstSeed: 1000 * k, episodes: 800 });
  const pool = new Scheduler();
  pool.addExecutor(new ThreadPoolExecutor('threads', 2));
  const tasks = Array.from({ length: 8 }, (_, k) => task(k));
  await Promise.all(tasks.slice(0, 2).map((t) => pool.submit(t))); // warm-up: thread start, imports, JIT
  const timed = async (f: () => Promise<unknown>): Promise<number> => {
    const t = performance.now();
    await f();
    return (performance.now() - t) / 1000;
  };
  const oneAtATime = await timed(() => tasks.reduce<Promise<unknown>>((p, t) => p.then(() => pool.submit(t)), Promise.resolve()));
  const twoAtOnce = await timed(() => Promise.all(tasks.map((t) => pool.submit(t))));
  await pool.close();
  return { oneAtATime, twoAtOnce, ratio: oneAtATime / twoAtOnce };
}

if (!skip.has('dqn')) {
  const capacity = [await twoThreadCapacity()];
  console.log(`two-thread capacity before the DQN runs: ${capacity[0]!.ratio.toFixed(2)}x`);
  const single: number[] = [];
  const dist: number[] = [];
  const distSteps: number[] = [];
  const singleSteps: number[] = [];
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-dist-'));
  for (const seed of seeds) {
    // one process: the spec with no threads and no learner process, as `nnlab train dqn` runs it
    // (trainDqn's loop, number for number: test/drivers.offPolicy.test.ts); both stop by the one
    // goal rule of the spec: a 10-episode check every 5000 env steps, confirmed over 100 check
    // episodes and 100 fresh ones
    const spec = loadSpecFile('experiments/cartpole-dqn.json');
    spec.seed = seed;
    const one = async (): Promise<void> => {
      const t0 = performance.now();
      const r = await runExperiment({ spec: { ...spec, workers: { ...spec.workers, rollout: 0, learner: { ...spec.workers.learner, process: false } } }, runsDir, log: () => {}, progressOut: null, handleSignals: false });
      single.push((performance.now() - t0) / 1000);
      singleSteps.push(r.goalReachedAt ?? Number.NaN);
    };
    const spread = async (): Promise<void> => {
      const t1 = performance.now();
      const d = await runExperiment({ spec, runsDir, log: () => {}, progressOut: null, handleSignals: false });
      dist.push((performance.now() - t1) / 1000);
      distSteps.push(d.goalReachedAt ?? Number.NaN);
    };
    // the order alternates from seed to seed, so a drift in the machine's speed falls on both sides
    if (seeds.indexOf(seed) % 2 === 0) {
      await one();
      await spread();
    } else {
      await spread();
      await one();
    }
    console.log(`seed ${seed}: single ${single.at(-1)!.toFixed(1)} s (${singleSteps.at(-1)} steps), 2 threads + learner ${dist.at(-1)!.toFixed(1)} s (${distSteps.at(-1)} steps)`);
  }
  rmSync(runsDir, { recursive: true, force: true });
  capacity.push(await twoThreadCapacity());
  const cap = capacity.map((c) => `${c.ratio.toFixed(2)}x`).join(' before, ');
  rows.push({ section: 'dqn', what: `DQN CartPole-v1 wall s to greedy 475; this machine's two-thread capacity (evaluation tasks on warm threads, two at once vs one at a time): ${cap} after`, a: `${median(single).toFixed(1)} (1 process)`, b: `${median(dist).toFixed(1)} (2 threads + learner)`, ratio: `${(median(single) / median(dist)).toFixed(2)}x`, goal: '≥ 1.0x' });
  // the runs of a seed are paired (same steps with one stream): their ratios, and the median of those
  const paired = single.map((t, i) => t / dist[i]!);
  json.dqn = { seeds, twoThreadCapacity: capacity, singleSeconds: single, distributedSeconds: dist, singleGoalSteps: singleSteps, distributedGoalSteps: distSteps, pairedRatios: paired, medianPairedRatio: median(paired) };
  console.log(`per-seed ratios ${paired.map((r) => r.toFixed(2)).join(', ')} (median ${median(paired).toFixed(2)})`);
}

// ---- 2b. data-parallel gradient throughput (DCGAN, batch 64) -----------------------------------
if (!skip.has('gradient')) {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-grad-'));
  const BATCH = 64;
  // Two epochs: the first holds the threads' start and the 'auto' run's 8 calibration iterations
  // (half of them on the slower path), the second is the steady rate a real run (~940 iterations
  // an epoch) trains at. The row compares second epochs of STEPS iterations (about 20 s alone),
  // learner alone and auto in interleaved pairs, PAIRS of them; the forced shardings, which only
  // show why auto chose as it did, run shorter epochs (FORCED_STEPS) in fewer repeats.
  const STEPS = 64;
  const FORCED_STEPS = 16;
  const PAIRS = Math.min(repeats, 5);
  /** Images/s of each epoch of one 2-epoch DCGAN run, and an 'auto' run's choice. */
  const rate = async (gradient: number, gradientMode: 'auto' | 'threads', steps: number) => {
    const r = await runExperiment({
      // rollout 0 and no learner process: gradient > 0 still gets real gradient threads (coordinator/run.ts)
      spec: { name: 'grad', model: { kind: 'dcgan', config: {}, batchSize: BATCH }, budget: { epochs: 2, stepsPerEpoch: steps }, workers: { rollout: 0, gradient, ...(gradient > 0 ? { gradientMode } : {}), learner: { process: false } }, eval: { interval: 0 } },
      runsDir,
      log: () => {},
      progressOut: null,
      handleSignals: false,
    });
    const m = readRunSummary(r.runDir);
    const choice = readMetrics(r.runDir).find((p) => p.metrics[GRADIENT_THREADS_USED] !== undefined)?.metrics;
    return {
      firstEpochImagesPerSecond: m.epochs[0]!.metrics[STEPS_PER_S]! * BATCH,
      imagesPerSecond: m.epochs[1]!.metrics[STEPS_PER_S]! * BATCH,
      ...(choice !== undefined ? { threadsUsed: choice[GRADIENT_THREADS_USED]!, dataParallelStepsPerSecond: choice[DATA_PARALLEL_STEPS_PER_S]!, learnerAloneStepsPerSecond: choice[LEARNER_ALONE_STEPS_PER_S]! } : {}),
    };
  };
  const alone: number[] = [];
  const one: number[] = [];
  const two: number[] = [];
  const auto: number[] = [];
  const autoFirst: number[] = [];
  const aloneFirst: number[] = [];
  const autoThreadsUsed: number[] = [];
  const autoRates: { dataParallelStepsPerSecond: number; learnerAloneStepsPerSecond: number }[] = [];
  for (let k = 0; k < PAIRS; k++) {
    // interleaved, and the order flips each pair, so a drift of the machine's speed falls on both alike
    const pair = k % 2 === 0 ? (['alone', 'auto'] as const) : (['auto', 'alone'] as const);
    for (const which of pair) {
      if (which === 'alone') {
        const l = await rate(0, 'auto', STEPS);
        alone.push(l.imagesPerSecond);
        aloneFirst.push(l.firstEpochImagesPerSecond);
      } else {
        const a = await rate(2, 'auto', STEPS);
        auto.push(a.imagesPerSecond);
        autoFirst.push(a.firstEpochImagesPerSecond);
        autoThreadsUsed.push(a.threadsUsed ?? Number.NaN);
        if (a.dataParallelStepsPerSecond !== undefined && a.learnerAloneStepsPerSecond !== undefined) autoRates.push({ dataParallelStepsPerSecond: a.dataParallelStepsPerSecond, learnerAloneStepsPerSecond: a.learnerAloneStepsPerSecond });
      }
    }
    if (k < 2) {
      one.push((await rate(1, 'threads', FORCED_STEPS)).imagesPerSecond);
      two.push((await rate(2, 'threads', FORCED_STEPS)).imagesPerSecond);
    }
    const used = autoThreadsUsed.at(-1);
    console.log(`DCGAN images/s, 2nd epoch: learner alone ${alone.at(-1)!.toFixed(0)}, 2 auto ${auto.at(-1)!.toFixed(0)} (kept ${used === 0 ? 'the learner alone' : `${used} threads`})${k < 2 ? `; forced: 1 thread ${one.at(-1)!.toFixed(0)}, 2 threads ${two.at(-1)!.toFixed(0)}` : ''}; 1st epoch: alone ${aloneFirst.at(-1)!.toFixed(0)}, auto ${autoFirst.at(-1)!.toFixed(0)}`);
  }
  rmSync(runsDir, { recursive: true, force: true });
  const kept = autoThreadsUsed.map((t) => (t === 0 ? 'alone' : `${t} threads`)).join(', ');
  const pairRatios = auto.map((a, k) => a / alone[k]!);
  rows.push({ section: 'gradient',
    what: `DCGAN training, images/s in the 2nd of 2 epochs of ${STEPS} iterations (batch ${BATCH}), ${PAIRS} interleaved pairs (1st epoch, with thread start and calibration: ${Math.round(median(aloneFirst))} alone, ${Math.round(median(autoFirst))} auto); forced shards (${FORCED_STEPS}-iteration epochs): ${Math.round(median(one))} on 1 gradient thread, ${Math.round(median(two))} on 2 (${(median(two) / median(alone)).toFixed(2)}x); workers.gradientMode 'auto' over 2 threads kept: ${kept}; per-pair ratios ${pairRatios.map((r) => r.toFixed(2)).join(', ')}`,
    a: `${Math.round(median(alone))} (learner alone)`,
    b: `${Math.round(median(auto))} (2 threads, auto)`,
    ratio: `${(median(auto) / median(alone)).toFixed(2)}x`,
    goal: '≥ 1.0x',
  });
  json.gradient = { batchSize: BATCH, iterations: STEPS, forcedIterations: FORCED_STEPS, epochs: 2, pairs: PAIRS, learnerAloneFirstEpochImagesPerSecond: aloneFirst, autoFirstEpochImagesPerSecond: autoFirst, learnerAloneImagesPerSecond: alone, oneThreadImagesPerSecond: one, twoThreadImagesPerSecond: two, autoTwoThreadImagesPerSecond: auto, autoThreadsUsed, autoRates, pairRatios, speedup: median(auto) / median(alone) };
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
  rows.push({ section: 'message', what: 'coordinator round trip per message (loopback)', a: `${median(samples).toFixed(1)} µs`, b: '', ratio: '', goal: 'report' });
  json.messageRoundTripMicros = median(samples);
}

// ---- 4. a sweep of 8 tabular trials -----------------------------------------------------------
if (!skip.has('sweep')) {
  const EPISODES = 100_000; // one trial ≈ 0.5–1 s here: long enough that the per-trial costs (a task's trip, its curve's metrics) are small
  const spec = loadSpecFile('experiments/cliffwalking-sarsa-vs-q.json');
  if (spec.agent === undefined) throw new Error('experiments/cliffwalking-sarsa-vs-q.json: the sweep bench needs an RL spec');
  spec.budget.episodes = EPISODES;
  const trials = expandRlSweep(spec);

  // This machine's capacity for two trials at once: the sweep's 8 trial tasks sent to two warm
  // threads one at a time, then all at once (two run, the rest queue) — the sweep's compute with
  // no run around it and no thread start. Its ratio bounds what a 2-thread sweep can reach here.
  const envRef = { id: spec.env.id, kwargs: spec.env.kwargs };
  const pool = new Scheduler();
  const t0 = performance.now();
  pool.addExecutor(new ThreadPoolExecutor('threads', 2));
  const first = trials[0]!;
  const tiny = rlTrialTask('bench-start', envRef, { ...first, spec: { ...first.spec, budget: { ...first.spec.budget, episodes: 1 } } });
  await Promise.all([pool.submit(tiny), pool.submit(tiny)]);
  const poolStart = (performance.now() - t0) / 1000; // 2 threads up, their modules imported, one 1-episode trial each
  const tasks = trials.map((t) => rlTrialTask('bench-capacity', envRef, t));
  await Promise.all(tasks.slice(0, 2).map((t) => pool.submit(t))); // warm-up: both threads JIT the trials' code
  const timed = async (f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    return (performance.now() - t) / 1000;
  };
  const oneAtATime = () => tasks.reduce<Promise<unknown>>((p, t) => p.then(() => pool.submit(t)), Promise.resolve());
  const allAtOnce = () => Promise.all(tasks.map((t) => pool.submit(t)));

  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-sweep-'));
  const sweep = (rollout: number) => timed(() => runExperiment({ spec: { ...spec, workers: { ...spec.workers, rollout } }, runsDir, log: () => {}, progressOut: null, handleSignals: false }));
  const alone: number[] = [];
  const pair: number[] = [];
  const seq: number[] = [];
  const par: number[] = [];
  for (let k = 0; k < Math.min(repeats, 3); k++) {
    // interleaved, so a change in the machine's load falls on both measures alike
    alone.push(await timed(oneAtATime));
    pair.push(await timed(allAtOnce));
    seq.push(await sweep(0));
    par.push(await sweep(2));
    console.log(`trials on warm threads: one at a time ${alone.at(-1)!.toFixed(2)} s, two at once ${pair.at(-1)!.toFixed(2)} s; sweep: sequential ${seq.at(-1)!.toFixed(2)} s, 2 threads ${par.at(-1)!.toFixed(2)} s`);
  }
  await pool.close();
  const capacity = median(alone) / median(pair);
  rmSync(runsDir, { recursive: true, force: true });
  const speedup = median(seq) / median(par);
  rows.push({ section: 'sweep',
    what: `sweep of 8 tabular trials (CliffWalking, ${EPISODES / 1000}k episodes each), wall s, its own 2-thread pool's start included (${poolStart.toFixed(2)} s); this machine's capacity: the 8 trial tasks on warm threads ${median(alone).toFixed(2)} s one at a time, ${median(pair).toFixed(2)} s two at once = ${capacity.toFixed(2)}x`,
    a: `${median(seq).toFixed(2)} (sequential)`,
    b: `${median(par).toFixed(2)} (2 threads)`,
    ratio: `${speedup.toFixed(2)}x (${Math.round((100 * speedup) / capacity)}% of capacity)`,
    goal: '≥ 1.5x',
  });
  json.sweep = { episodes: EPISODES, sequentialSeconds: seq, twoThreadSeconds: par, speedup, poolStartSeconds: poolStart, capacity: { oneAtATimeSeconds: alone, twoAtOnceSeconds: pair, speedup: capacity } };
  console.log(rows.at(-1));
}

console.log(`\nbench:distributed — backend ${backend.name}, ${json.cpus} CPUs, medians of ${repeats}\n`);
console.log('| measure | baseline | distributed | ratio | goal |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.a} | ${r.b} | ${r.ratio} | ${r.goal} |`);
mkdirSync('bench/results', { recursive: true });
// the sections skipped this time keep their previous figures, each with the date it was measured
const FILE = 'bench/results/distributed.json';
const JSON_KEY: Record<Section, string> = { rollout: 'rollout', heavy: 'heavyRollout', dqn: 'dqn', gradient: 'gradient', message: 'messageRoundTripMicros', sweep: 'sweep' };
/** Rows written before they named their section are told by their text. */
const sectionOf = (r: { section?: Section | undefined; what: string }): Section | undefined =>
  r.section ?? (r.what.startsWith('rollout env-steps/s (CartPole') ? 'rollout' : r.what.startsWith('rollout env-steps/s, env step') ? 'heavy' : r.what.startsWith('DQN') ? 'dqn' : r.what.startsWith('DCGAN') ? 'gradient' : r.what.startsWith('coordinator round trip') ? 'message' : r.what.startsWith('sweep of') ? 'sweep' : undefined);
/**
 * The previous file, checked: its rows (those written before rows named their section lack it),
 * the date of each section, and the sections' figures (kept as they are: loose).
 */
const previousSchema = z.looseObject({
  rows: z.array(z.object({ section: z.enum(SECTIONS).optional(), what: z.string(), a: z.string(), b: z.string(), ratio: z.string(), goal: z.string() })).optional(),
  dates: z.partialRecord(z.enum(SECTIONS), z.string()).optional(),
  date: z.string().optional(),
  gradientDate: z.string().optional(),
});
const previous = existsSync(FILE) ? checkData(previousSchema, readJsonFile(FILE), FILE) : undefined;
const dates: Partial<Record<Section, string>> = {};
const merged: Row[] = [];
for (const section of SECTIONS) {
  if (!skip.has(section)) {
    merged.push(...rows.filter((r) => r.section === section));
    dates[section] = json.date as string;
  } else if (previous !== undefined) {
    const kept = (previous.rows ?? []).filter((r) => sectionOf(r) === section).map((r): Row => ({ ...r, section }));
    merged.push(...kept);
    if (previous[JSON_KEY[section]] !== undefined) json[JSON_KEY[section]] = previous[JSON_KEY[section]];
    const when = previous.dates?.[section] ?? (section === 'gradient' ? previous.gradientDate : undefined) ?? previous.date;
    if (kept.length > 0 && when !== undefined) dates[section] = when;
  }
}
writeFileSync(FILE, JSON.stringify({ ...json, dates, rows: merged }, null, 2));
console.log(`\nwrote ${FILE}${skip.size > 0 ? ` (skipped sections keep their earlier figures: ${[...skip].join(', ')})` : ''}`);
