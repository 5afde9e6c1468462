/**
 * Data-parallel generative training: shards cover a batch exactly once, and a VAE run whose every
 * step is split over 2 gradient threads (shard gradients averaged by shard size, applied by the
 * learner) trains: the loss falls, and every step sent exactly one gradient task per shard, each
 * run on the pool's 2 threads (never inline). With workers.gradientMode 'auto' a run times its
 * first iterations on both paths, interleaved, keeps the faster, records both rates and its
 * choice, and calibrates again after a resume; 'threads' always shards. A
 * generative run stopped and resumed saves the same weights as an uninterrupted one. A run whose
 * model trains in the learner process (workers.learner.process, the default) trains, samples,
 * saves and resumes exactly as one that trains in the coordinator's process.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CALIBRATION_ITERATIONS, dataParallelStep, gradientStep, shardBatch, latestGenerativeCheckpoint, type GradientChoice, type TrainStep } from '../drivers/generative.js';
import { Scheduler } from '../coordinator/scheduler.js';
import { InlineExecutor, ThreadPoolExecutor } from '../coordinator/executors.js';
import { makeGenerativeLearner } from '../generative/models.js';
import { readRunSummary } from '../generative/train.js';
import { closeGradients, runGradient } from '../workers/gradient.js';
import type { GradientTask } from '../protocol/tasks.js';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../base/rng.js';
import { runExperiment } from '../coordinator/run.js';
import type { SamplesMessage } from '../protocol/messages.js';
import { connectPeer, type TestPeer } from './peer.js';

test('shards cover every row of a batch exactly once, in order', () => {
  const n = 7;
  const images = Float32Array.from({ length: n * 4 }, (_, i) => i);
  const labels = Uint8Array.from({ length: n }, (_, i) => i);
  const shards = shardBatch({ n, images, labels }, 3);
  assert.equal(shards.map((s) => s.n), [2, 2, 3]);
  assert.equal(shards.flatMap((s) => Array.from(s.labels)), Array.from(labels));
  assert.equal(shards.flatMap((s) => Array.from(s.images)), Array.from(images));
});

test("data-parallel training brings the shards' batchnorm running averages back to the learner (GAN with batchnorm in G)", async () => {
  // learning rate ~0: the weights stay put, so the running variance of G's first layer must
  // approach the population variance of Z = zW over z ~ N(0, I), Σₖ W²ₖⱼ, times (1 − 1/n) for the
  // biased variance of shards of n = 8 rows (it would stay at its initial 1 if the learner never
  // heard of the shards' averages)
  const model = { kind: 'gan' as const, config: { latentDim: 4, generatorHidden: [16], criticHidden: [8], generatorBatchNorm: true, learningRate: 1e-9 }, seed: 3 };
  const learner = makeGenerativeLearner(model.kind, model.config, model.seed);
  const scheduler = new Scheduler();
  scheduler.addExecutor(new InlineExecutor());
  const step = dataParallelStep(scheduler, 'bn-test', model, 2);
  const rng = new Rng(4);
  const batch = () => ({ n: 16, images: Float32Array.from({ length: 16 * 784 }, () => rng.uniform(-1, 1)), labels: new Uint8Array(16) });
  for (let i = 0; i < 30; i++) await step(learner, [batch(), batch()]);
  const W = learner.getParams()['generator_0_dense/kernel']!;
  const stats = learner.runningStats!();
  const runVar = stats['generator_0_dense_bn/moving_variance']!.data;
  let err = 0;
  for (let j = 0; j < 16; j++) {
    let pop = 0;
    for (let k = 0; k < 4; k++) pop += W.data[k * 16 + j]! ** 2;
    err += Math.abs(runVar[j]! / ((7 / 8) * pop) - 1) / 16;
  }
  assert.ok(err < 0.2, `running variance off the population's by ${(100 * err).toFixed(0)}% on average`);
  learner.dispose();
});

test("a thread holds only the current run's model copy: a gradient task of another run disposes the earlier run's (closeGradients)", async () => {
  const model = { kind: 'gan' as const, config: { latentDim: 4, generatorHidden: [16], criticHidden: [8] }, seed: 3 };
  const source = makeGenerativeLearner(model.kind, model.config, model.seed);
  const params = source.getParams();
  const phaseParams = source.phaseParamNames('critic');
  source.dispose();
  const task = (runId: string): GradientTask => ({ kind: 'gradient', runId, model, phase: 'critic', params, paramsVersion: 0, phaseParams, batch: { n: 4, images: new Float32Array(4 * 784), labels: new Uint8Array(4) } });
  await runGradient(task('copies-a'));
  const one = tf.memory().numTensors;
  await runGradient(task('copies-a'));
  assert.is(tf.memory().numTensors, one, 'a run reuses its copy');
  await runGradient(task('copies-b'));
  assert.is(tf.memory().numTensors, one, "run copies-a's copy was disposed when copies-b's was made");
  closeGradients('copies-b');
  assert.ok(tf.memory().numTensors < one, "closeGradients frees the run's copy");
});

test('a VAE trained with 2 gradient threads lowers its loss, one task per shard per step', async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-dp-'));
  const lines: string[] = [];
  try {
    const stepsPerEpoch = 20;
    const r = await runExperiment({
      // rollout 0 and no learner process: the gradient threads must still be real threads
      spec: { name: 'dp', model: { kind: 'vae', config: {}, batchSize: 64 }, budget: { epochs: 2, stepsPerEpoch }, workers: { rollout: 0, gradient: 2, gradientMode: 'threads', learner: { process: false } }, eval: { interval: 0 } },
      runsDir,
      log: (l) => lines.push(l),
      progressOut: null,
      handleSignals: false,
    });
    assert.is(r.state, 'finished');
    assert.is(r.counts!.completed, 2 * stepsPerEpoch * 2, 'one gradient task per shard per step');
    assert.is(r.counts!.duplicates, 0);
    // the scheduler's own tally: every gradient task ran on the 2-thread pool, none in this thread
    assert.ok(lines.includes(`gradient tasks ran on: threads (thread ×2) ${2 * stepsPerEpoch * 2}`), lines.join('\n'));
    // each epoch logs its mean loss at its end: the second epoch's must be below the first's
    const losses = readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>)
      .filter((m) => m['losses/neg_elbo'] !== undefined);
    assert.equal(losses.map((m) => m['step']), [stepsPerEpoch, 2 * stepsPerEpoch], 'one mean loss per epoch');
    const [first, second] = losses.map((m) => m['losses/neg_elbo']!);
    assert.ok(second! < first!, `neg ELBO ${first} → ${second}`);
    assert.ok(second! < 400, `after ${2 * stepsPerEpoch} steps the per-image neg ELBO is ${second}`);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('a generative run stopped after an epoch and resumed ends with the weights of an uninterrupted run', async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-gres-'));
  try {
    const spec = { name: 'gres', model: { kind: 'vae', config: {}, batchSize: 64 }, budget: { epochs: 3, stepsPerEpoch: 8 }, workers: { rollout: 0, gradient: 0, learner: { process: false } }, eval: { interval: 0 } };
    const quiet = { runsDir, log: () => {}, progressOut: null, handleSignals: false } as const;
    const whole = await runExperiment({ spec, ...quiet });
    const stop = new AbortController();
    const first = await runExperiment({ spec, ...quiet, signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && stop.abort() });
    assert.is(first.state, 'stopped');
    assert.match(first.message, /--resume/);
    const k = latestGenerativeCheckpoint(first.runDir)!.epoch;
    assert.ok(k >= 1 && k < 3, `stopped after epoch ${k}`);
    const lines: string[] = [];
    const resumed = await runExperiment({ resume: first.runDir, ...quiet, log: (l) => lines.push(l) });
    assert.is(resumed.state, 'finished');
    assert.ok(lines.some((l) => l.includes(`resumed after epoch ${k} (step ${8 * k})`)), lines.join('\n'));
    const summary = readRunSummary(first.runDir);
    assert.equal(summary.epochs.map((e) => [e.epoch, e.steps]), [[2, 16], [3, 24]].slice(k - 1));
    // the saved models of the resumed and the uninterrupted run are the same, bit for bit
    const load = async (dir: string) => {
      const l = makeGenerativeLearner('vae', {}, 0);
      await l.load(dir);
      const p = l.getParams();
      l.dispose();
      return p;
    };
    const a = await load(whole.runDir);
    const b = await load(first.runDir);
    assert.equal(Object.keys(b).sort(), Object.keys(a).sort());
    const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    for (const [name, t] of Object.entries(a)) assert.ok(bytes(b[name]!.data).equals(bytes(t.data)), `weights of ${name} differ after the resume`);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

/** An MLP GAN small enough that a run of a few iterations takes well under a second of compute. */
const TINY_GAN = { latentDim: 4, generatorHidden: [16], criticHidden: [8] };

test("'auto' alternates its first iterations between the two paths, order flipping each round, then keeps the faster; 'threads' always shards", async () => {
  const learner = makeGenerativeLearner('gan', TINY_GAN, 0);
  const busy = (ms: number) => {
    const t = performance.now();
    while (performance.now() - t < ms);
  };
  const calibrating = CALIBRATION_ITERATIONS;
  for (const [dpMs, aloneMs, threadsUsed] of [[1, 8, 2], [8, 1, 0]] as const) {
    const calls: string[] = [];
    const fake = (name: string, ms: number): TrainStep => async () => {
      calls.push(name);
      busy(ms);
      return { 'losses/x': calls.length };
    };
    const choices: GradientChoice[] = [];
    const step = gradientStep('auto', 2, fake('dp', dpMs), fake('alone', aloneMs), (c) => void choices.push(c));
    const metrics = [];
    for (let i = 0; i < calibrating + 4; i++) metrics.push(await step(learner, []));
    assert.equal(metrics.map((m) => m['losses/x']), Array.from({ length: calibrating + 4 }, (_, i) => i + 1), 'every iteration trains and returns its metrics');
    assert.equal(calls.slice(0, calibrating), ['dp', 'alone', 'alone', 'dp', 'dp', 'alone', 'alone', 'dp'].slice(0, calibrating));
    assert.is(choices.length, 1, 'one choice');
    const c = choices[0]!;
    assert.is(c.threadsUsed, threadsUsed, JSON.stringify(c));
    assert.is(c.iterations, calibrating);
    const [fast, slow] = threadsUsed > 0 ? [c.dataParallelStepsPerSecond, c.learnerAloneStepsPerSecond] : [c.learnerAloneStepsPerSecond, c.dataParallelStepsPerSecond];
    assert.ok(fast > slow && slow > 0 && slow <= 1000 / 8 + 1e-9, JSON.stringify(c));
    assert.equal(calls.slice(calibrating), Array<string>(4).fill(threadsUsed > 0 ? 'dp' : 'alone'), 'the faster path trains the rest');
  }
  const calls: string[] = [];
  const record = (name: string): TrainStep => async () => {
    calls.push(name);
    return {};
  };
  const step = gradientStep('threads', 2, record('dp'), record('alone'), () => assert.unreachable('threads mode never calibrates'));
  for (let i = 0; i < calibrating + 2; i++) await step(learner, []);
  assert.equal(calls, Array<string>(calibrating + 2).fill('dp'));
  learner.dispose();
});

test("an 'auto' run on 2 real gradient threads records both rates and a choice that agrees with them; a resumed run calibrates again", async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-dpauto-'));
  try {
    const stepsPerEpoch = 10;
    const calibrating = CALIBRATION_ITERATIONS;
    const phases = makeGenerativeLearner('gan', TINY_GAN, 0).schedule().length;
    const spec = { name: 'dpauto', model: { kind: 'gan', config: TINY_GAN, batchSize: 32 }, budget: { epochs: 3, stepsPerEpoch }, workers: { rollout: 0, gradient: 2, learner: { process: false } }, eval: { interval: 0 } };
    const quiet = { runsDir, progressOut: null, handleSignals: false } as const;
    const stop = new AbortController();
    const first = await runExperiment({ spec, ...quiet, log: () => {}, signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && stop.abort() });
    assert.is(first.state, 'stopped');
    const k = latestGenerativeCheckpoint(first.runDir)!.epoch;
    assert.ok(k >= 1 && k < 3, `stopped after epoch ${k}`);
    const lines: string[] = [];
    const resumed = await runExperiment({ resume: first.runDir, ...quiet, log: (l) => lines.push(l) });
    assert.is(resumed.state, 'finished');
    const choices = readFileSync(path.join(first.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>)
      .filter((m) => m['charts/gradient_threads_used'] !== undefined);
    // one choice by the first run (after its 8th iteration), one by the resumed run (8 iterations after the checkpoint's step)
    assert.equal(choices.map((m) => m['step']), [calibrating, k * stepsPerEpoch + calibrating], JSON.stringify(choices));
    for (const m of choices) {
      const dp = m['charts/data_parallel_steps_per_s']!;
      const alone = m['charts/learner_alone_steps_per_s']!;
      assert.ok(Number.isFinite(dp) && dp > 0 && Number.isFinite(alone) && alone > 0, JSON.stringify(m));
      assert.is(m['charts/gradient_threads_used'], dp > alone ? 2 : 0, JSON.stringify(m));
    }
    const used = choices[1]!['charts/gradient_threads_used']!;
    assert.ok(lines.some((l) => l.startsWith("workers.gradientMode 'auto': timing the first 8 iterations")), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('gradient threads: 2 thread(s) ') && l.includes(used > 0 ? 'sharding over 2 thread(s)' : 'the learner alone')), lines.join('\n'));
    // the resumed run's iterations: half of the calibration sharded (2 shards × each phase), then the kept path
    const left = (3 - k) * stepsPerEpoch;
    const sharded = calibrating / 2 + (used > 0 ? left - calibrating : 0);
    assert.is(resumed.counts!.completed, 2 * phases * sharded, `${phases} phase(s), ${sharded} sharded iteration(s)`);
    assert.ok(lines.includes(`gradient tasks ran on: threads (thread ×2) ${2 * phases * sharded}`), lines.join('\n'));
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test("closeThreads ends a run's local threads (state closed, reason kept, capacity gone) and leaves its other executors working", async () => {
  const model = { kind: 'gan' as const, config: TINY_GAN, seed: 1 };
  const learner = makeGenerativeLearner(model.kind, model.config, model.seed);
  const scheduler = new Scheduler();
  const pool = new ThreadPoolExecutor('threads', 2);
  scheduler.addExecutor(pool);
  scheduler.addExecutor(new InlineExecutor());
  try {
    const rng = new Rng(2);
    const batch = () => ({ n: 8, images: Float32Array.from({ length: 8 * 784 }, () => rng.uniform(-1, 1)), labels: new Uint8Array(8) });
    const step = dataParallelStep(scheduler, 'close-test', model, 3);
    await step(learner, learner.schedule().map(batch));
    assert.is(scheduler.capacity('gradient'), 3);
    assert.is(pool.threads, 2);
    await scheduler.closeThreads('closed: the learner alone was faster');
    const threads = scheduler.stats().find((e) => e.id === 'threads')!;
    assert.equal([threads.alive, threads.state, threads.reason], [false, 'closed', 'closed: the learner alone was faster']);
    assert.is(pool.threads, 0, 'the pool\'s threads ended');
    assert.is(scheduler.capacity('gradient'), 1, 'only the inline executor takes tasks');
    const doneBefore = scheduler.stats().find((e) => e.id === 'inline')!.tasksDone;
    await step(learner, learner.schedule().map(batch));
    const phases = learner.schedule().length;
    assert.is(scheduler.stats().find((e) => e.id === 'inline')!.tasksDone - doneBefore, 3 * phases, 'every shard of the next step ran inline');
  } finally {
    learner.dispose();
    await scheduler.close();
  }
});

/** A saved generative model's parameters (a checkpoint or a run directory). */
async function savedParams(kind: string, config: Record<string, unknown>, dir: string) {
  const l = makeGenerativeLearner(kind, config, 0);
  await l.load(dir);
  const p = l.getParams();
  const stats = l.runningStats?.() ?? {};
  l.dispose();
  return { ...p, ...stats };
}

function assertSameParams(a: Record<string, { data: Float32Array }>, b: Record<string, { data: Float32Array }>, what: string): void {
  assert.equal(Object.keys(b).sort(), Object.keys(a).sort(), what);
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  for (const [name, t] of Object.entries(a)) assert.ok(bytes(b[name]!.data).equals(bytes(t.data)), `${what}: ${name} differs`);
}

test('a model trained in the learner process is the model trained in process: weights, batchnorm averages, samples, losses, resume', async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-glp-'));
  try {
    const quiet = { runsDir, progressOut: null, handleSignals: false } as const;
    for (const model of [
      { kind: 'vae', config: {}, batchSize: 64 },
      { kind: 'gan', config: { latentDim: 4, generatorHidden: [16], criticHidden: [8], generatorBatchNorm: true }, batchSize: 32 },
    ]) {
      const spec = (process: boolean) => ({ name: `glp-${model.kind}-${process}`, model, budget: { epochs: 2, stepsPerEpoch: 6 }, workers: { rollout: 0, gradient: 0, learner: { process } }, eval: { interval: 0 } });
      const inProcess = await runExperiment({ spec: spec(false), ...quiet, log: () => {} });
      const lines: string[] = [];
      const remote = await runExperiment({ spec: spec(true), ...quiet, log: (l) => lines.push(l) });
      assert.is(remote.state, 'finished');
      const pid = /trained in learner process (\d+)/.exec(lines.join('\n'));
      assert.ok(pid !== null && Number(pid[1]) !== process.pid, `the model trained in another process:\n${lines.join('\n')}`);
      assertSameParams(await savedParams(model.kind, model.config, inProcess.runDir), await savedParams(model.kind, model.config, remote.runDir), `${model.kind} saved model`);
      // the loop's own copy samples what the learner process trained (pulled before each grid)
      for (const f of ['samples/epoch-001.png', 'samples/epoch-002.png', 'interpolation.png']) {
        assert.ok(readFileSync(path.join(remote.runDir, f)).equals(readFileSync(path.join(inProcess.runDir, f))), `${model.kind} ${f}`);
      }
      const losses = (dir: string) => readRunSummary(dir).epochs.map((e) => Object.entries(e.metrics).filter(([k]) => k.startsWith('losses/')));
      assert.equal(losses(remote.runDir), losses(inProcess.runDir), `${model.kind} losses`);
    }
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test("a dashboard receives each epoch's sample grid: the bytes the run wrote", async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-gsm-'));
  const got: SamplesMessage[] = [];
  let dashboard: TestPeer | undefined;
  try {
    const model = { kind: 'gan', config: { latentDim: 4, generatorHidden: [16], criticHidden: [8] }, batchSize: 32 };
    const r = await runExperiment({
      spec: { name: 'gsm', model, budget: { epochs: 2, stepsPerEpoch: 4 }, workers: { rollout: 0, gradient: 0, learner: { process: true } }, eval: { interval: 0 } },
      runsDir,
      log: () => {},
      progressOut: null,
      handleSignals: false,
      onListening: ({ port, token }) => {
        dashboard = connectPeer(`ws://127.0.0.1:${port}/ws`, token, { role: 'dashboard' });
        dashboard.onMessage = (m) => m.type === 'samples' && got.push(m);
      },
    });
    assert.is(r.state, 'finished');
    assert.ok(got.length > 0, 'no sample grid reached the dashboard');
    assert.is(got.at(-1)!.epoch, 2, 'the last grid is the last epoch');
    for (const m of got) assert.ok(Buffer.from(m.png).equals(readFileSync(path.join(r.runDir, 'samples', `epoch-00${m.epoch}.png`))), `epoch ${m.epoch}: the grid sent is the one written`);
  } finally {
    dashboard?.ws.close();
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test('a model trained in the learner process, stopped after a checkpoint the process wrote, resumes to the uninterrupted weights', async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-glr-'));
  try {
    const quiet = { runsDir, log: () => {}, progressOut: null, handleSignals: false } as const;
    const spec = (process: boolean) => ({ name: `glr-${process}`, model: { kind: 'vae', config: {}, batchSize: 64 }, budget: { epochs: 3, stepsPerEpoch: 8 }, workers: { rollout: 0, gradient: 0, learner: { process } }, eval: { interval: 0 } });
    const whole = await runExperiment({ spec: spec(false), ...quiet });
    const stop = new AbortController();
    const first = await runExperiment({ spec: spec(true), ...quiet, signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && stop.abort() });
    assert.is(first.state, 'stopped');
    const k = latestGenerativeCheckpoint(first.runDir)!.epoch;
    assert.ok(k >= 1 && k < 3, `stopped after epoch ${k}`);
    const resumed = await runExperiment({ resume: first.runDir, ...quiet });
    assert.is(resumed.state, 'finished');
    assertSameParams(await savedParams('vae', {}, whole.runDir), await savedParams('vae', {}, first.runDir), `resumed after epoch ${k} in the learner process`);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test.run();
