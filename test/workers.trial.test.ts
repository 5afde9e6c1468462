/**
 * One whole trial of any RL agent or generative model (workers/trial.ts), as sweeps over threads,
 * WebSocket workers and queue workers run it: the curve it returns is the one its callback saw, an
 * RL trial's final score is a greedy evaluation, a generative trial's the score of its last epoch
 * (trainGenerative's own), and deep-agent and generative sweeps run through `nnlab run` as trial tasks.
 */
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTrial } from '../workers/trial.js';
import { runTrain } from '../drivers/train.js';
import type { RunMetrics } from '../drivers/context.js';
import { moduleRef } from '../workers/envModules.js';
import { runExperiment } from '../coordinator/run.js';
import { Scheduler } from '../coordinator/scheduler.js';
import { ThreadPoolExecutor } from '../coordinator/executors.js';
import { DqnLearner } from '../agents/dqn.js';
import { Rng } from '../base/rng.js';
import type { GenerativeTrialTask, RlTrialTask, RolloutTask } from '../protocol/tasks.js';
import type { RlAlgo } from '../agents/algos.js';
import { PROBE_ID, tfjsModulesLoaded } from './fixtures/tfjsProbe.js';
import { readRunSummary, trainGenerative } from '../generative/train.js';
import { TrialProgress } from '../workers/trialProgress.js';
import { PROGRESS_TAIL } from '../protocol/queue.js';
import { Worker } from 'node:worker_threads';
import { useCpu, test } from './helpers.js';
import { closeCountingEnvs } from './envClosing.js';
import { errorMessage, ownField } from '../base/plainData.js';

test.before(useCpu);

function task(algo: RlAlgo, config: Record<string, unknown>, env = 'CartPole-v1'): RlTrialTask {
  return { kind: 'trial', family: 'rl', runId: 'trial-test', trial: 3, env: { id: env, kwargs: {} }, algo, config: { seed: 5, ...config }, episodes: 40, envSteps: 400, evalEpisodes: 2 };
}

test('a tabular trial reports every training episode to its callback, in order', async () => {
  const seen: number[] = [];
  const r = await runTrial(task('qlearning', {}, 'CliffWalking-v1'), (ret) => seen.push(ret));
  assert.is(r.trial, 3);
  assert.is(r.curve.length, 40);
  assert.equal(seen, Array.from(r.curve));
  assert.ok(Number.isFinite(r.finalScore) && r.finalScore <= 0, `CliffWalking returns are ≤ 0, got ${r.finalScore}`);
});

test('`nnlab train` of a tabular agent (drivers/train.ts runTrain) closes its env, as a trial does, whether it trains or fails', async () => {
  const envs = closeCountingEnvs('Closing');
  const runDir = mkdtempSync(path.join(tmpdir(), 'nnlab-train-close-'));
  const metrics: RunMetrics = { time: 0, write: () => undefined, writeMany: () => undefined, writeSeries: () => undefined, mark: () => ({ jsonl: 0, csv: 0, time: 0 }), reset: () => undefined };
  const opts = { agent: 'qlearning', seed: 1, budget: 3, finalEpisodes: 1, runDir, metrics, backend: 'cpu', log: () => undefined };
  try {
    const r = await runTrain({ ...opts, env: envs.cliff });
    assert.is(r.state, 'finished');
    assert.is(envs.closes(), 1, 'closed after training');
    // CartPole's Box observations: discreteEnv refuses it, and the env is closed all the same
    await runTrain({ ...opts, env: envs.cartPole }).then(
      () => assert.unreachable('a tabular agent trained on CartPole'),
      (e: unknown) => assert.match(errorMessage(e), /needs Discrete observation and action spaces/),
    );
    assert.is(envs.closes(), 2, 'closed after a failure');
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
});

test("a queue worker's progress slot: points pushed on another thread are counted, and the latest PROGRESS_TAIL read back in order", async () => {
  const slot = new TrialProgress();
  assert.is(slot.points(), 0);
  assert.equal(slot.recent(), []);
  const url = new URL('../workers/trialProgress.js', import.meta.url).href;
  const code = `const { workerData } = require('node:worker_threads'); import(${JSON.stringify(url)}).then(({ TrialProgress }) => { const s = new TrialProgress(workerData); for (let i = 0; i < 250; i++) s.push(i * 0.5); });`;
  const thread = new Worker(code, { eval: true, workerData: slot.buffer });
  await new Promise((resolve, reject) => thread.once('exit', resolve).once('error', reject));
  assert.is(slot.points(), 250);
  assert.equal(slot.recent(), Array.from({ length: PROGRESS_TAIL }, (_, i) => (250 - PROGRESS_TAIL + i) * 0.5));
});

for (const [algo, config] of [
  ['dqn', { learningStarts: 100, bufferSize: 1000, batchSize: 16, hidden: [16] }],
  ['reinforce', { hidden: [16] }],
  ['actor-critic', { hidden: [16] }],
  ['a2c', { hidden: [16], numEnvs: 2, numSteps: 8 }],
] as const) {
  test(`a ${algo} trial trains for its env-step budget and is evaluated greedily`, async () => {
    const seen: number[] = [];
    const r = await runTrial(task(algo, config), (ret) => seen.push(ret));
    assert.ok(r.curve.length >= 2, `${algo}: ${r.curve.length} episodes in 400 CartPole steps`);
    assert.equal(seen, Array.from(r.curve));
    // CartPole pays 1 per step: every episode's return is its length, and 400 steps bound their sum
    assert.ok(r.curve.every((x) => Number.isInteger(x) && x >= 1), `${algo}: returns ${Array.from(r.curve).join(', ')}`);
    assert.ok(r.curve.reduce((a, b) => a + b, 0) <= 400 + 500, `${algo}: more env steps than the budget`);
    assert.ok(r.finalScore >= 1 && r.finalScore <= 500, `${algo}: final score ${r.finalScore}`);
  });
}

test('a thread loads tfjs for its first deep trial, not for rollouts or tabular trials', async () => {
  assert.ok(tfjsModulesLoaded() > 0, 'the probe sees the tfjs this (main) thread has loaded');
  const probe: RlTrialTask = { ...task('qlearning', {}, PROBE_ID), env: { id: PROBE_ID, kwargs: {}, module: moduleRef(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tfjsProbe.js')) }, episodes: 3 };
  const learner = new DqnLearner(4, 2, { hidden: [8] }, new Rng(0));
  const { params, version } = learner.getPolicyParams();
  learner.dispose();
  const rollout: RolloutTask = { kind: 'rollout', runId: 'probe', env: { id: 'CartPole-v1', kwargs: {} }, numEnvs: 2, steps: 8, envStep: 0, seed: 1, policy: { algo: 'dqn', activation: 'relu', params, version, epsilon: { explorationInitialEps: 1, explorationFinalEps: 0.05, explorationFraction: 0.1, totalTimesteps: 1000, learningStarts: 0 } } };
  const scheduler = new Scheduler();
  scheduler.addExecutor(new ThreadPoolExecutor('threads', 1));
  try {
    await scheduler.submit(rollout);
    await scheduler.submit(task('sarsa', {}, 'CliffWalking-v1'));
    const before = await scheduler.submit(probe);
    assert.equal(Array.from(before.curve), [0, 0, 0], 'tfjs modules loaded by a thread that ran a rollout and tabular trials');
    await scheduler.submit(task('dqn', { learningStarts: 100, bufferSize: 1000, batchSize: 16, hidden: [8] }));
    const after = await scheduler.submit(probe);
    assert.ok(after.curve.every((r) => r < 0), `after a DQN trial the thread has tfjs loaded: probe returns ${Array.from(after.curve).join(', ')}`);
  } finally {
    await scheduler.close();
  }
});

test('a sweep of a deep agent runs each trial as a whole-run task and writes trials.json', async () => {
  const runsDir = mkdtempSync(path.join(tmpdir(), 'nnlab-deep-sweep-'));
  try {
    const spec = {
      name: 'reinforce-sweep',
      env: { id: 'CartPole-v1' },
      agent: { algo: 'reinforce', config: { hidden: [16] } },
      budget: { envSteps: 300 },
      eval: { finalEpisodes: 2, interval: 0 },
      workers: { rollout: 0, learner: { process: false } },
      sweep: { parameters: { 'agent.config.learningRate': [0.01, 0.001] } },
    };
    const r = await runExperiment({ spec, runsDir, port: 0, log: () => {}, progressOut: null, handleSignals: false });
    assert.is(r.state, 'finished');
    const rows = JSON.parse(readFileSync(path.join(r.runDir, 'trials.json'), 'utf8')) as { index: number; overrides: Record<string, unknown>; finalScore: number }[];
    assert.equal(rows.map((x) => x.index).sort(), [0, 1]);
    assert.equal(rows.map((x) => x.overrides['agent.config.learningRate']).sort(), [0.001, 0.01]);
    for (const row of rows) assert.ok(row.finalScore >= 1, `trial ${row.index}: ${row.finalScore}`);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

const TINY_VAE = { hidden: [16], latentDim: 2 };

function generativeTask(over: Partial<GenerativeTrialTask> = {}): GenerativeTrialTask {
  return { kind: 'trial', family: 'generative', runId: 'trial-test', trial: 4, model: { kind: 'vae', config: TINY_VAE }, seed: 7, epochs: 2, stepsPerEpoch: 3, batchSize: 16, evaluate: false, ...over };
}

test("a generative trial is trainGenerative's run: its curve is the test ELBO after each epoch, and its temporary folder is removed", async () => {
  const temps = () => readdirSync(tmpdir()).filter((n) => n.startsWith('nnlab-trial-4-')).length;
  const before = temps();
  const seen: number[] = [];
  const r = await runTrial(generativeTask(), (score) => seen.push(score));
  assert.is(r.trial, 4);
  assert.equal(seen, Array.from(r.curve));
  assert.is(r.finalScore, r.curve[1]);
  // the same run through trainGenerative itself: the trial's scores are its −eval/test_neg_elbo, epoch by epoch
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-direct-'));
  try {
    const direct = await trainGenerative({ kind: 'vae', config: TINY_VAE, epochs: 2, seed: 7, batchSize: 16, maxStepsPerEpoch: 3, evaluate: false, outDir: dir });
    assert.equal(Array.from(r.curve), direct.epochs.map((e) => -e.metrics['eval/test_neg_elbo']!));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.is(temps(), before, 'the trial removed its temporary folder');
});

test('a GAN trial without the classifier evaluation has no score: it fails before training, saying why', async () => {
  try {
    await runTrial(generativeTask({ model: { kind: 'gan', config: {} } }));
    assert.unreachable('the trial ran');
  } catch (e) {
    assert.match(errorMessage(e), 'trial 4: a gan trial without the classifier evaluation has no score to rank it by');
  }
});

test('a generative sweep of 2 trials on 2 threads: trials.json, each epoch\'s score as metrics, each trial\'s files in its folder', async () => {
  const runsDir = mkdtempSync(path.join(tmpdir(), 'nnlab-gen-sweep-'));
  try {
    const spec = {
      name: 'vae-sweep',
      model: { kind: 'vae', config: TINY_VAE, batchSize: 16 },
      budget: { epochs: 2, stepsPerEpoch: 3 },
      eval: { interval: 0 },
      workers: { rollout: 2 },
      sweep: { parameters: { 'model.config.learningRate': [1e-3, 1e-2] } },
    };
    const r = await runExperiment({ spec, runsDir, port: 0, log: () => {}, progressOut: null, handleSignals: false });
    assert.is(r.state, 'finished', r.message);
    assert.is(r.counts!.completed, 2, 'one trial task per trial');
    const rows = JSON.parse(readFileSync(path.join(r.runDir, 'trials.json'), 'utf8')) as { index: number; overrides: Record<string, unknown>; finalScore: number }[];
    assert.equal(rows.map((x) => x.overrides['model.config.learningRate']).sort(), [0.001, 0.01]);
    assert.ok(rows[0]!.finalScore >= rows[1]!.finalScore, 'sorted best first');
    const points = readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    for (const row of rows) {
      const curve = points.filter((p) => p[`trial/${row.index}/eval/test_elbo`] !== undefined).map((p) => [p['step'], p[`trial/${row.index}/eval/test_elbo`]]);
      assert.is(curve.length, 2, `trial ${row.index}: one score per epoch`);
      assert.equal(curve.map(([step]) => step), [1, 2]);
      assert.ok(curve.every(([, v]) => v! < 0 && v! > -1000), `trial ${row.index}: test ELBOs ${JSON.stringify(curve)}`);
      const final = points.filter((p) => p[`trial/${row.index}/eval/final_test_elbo`] !== undefined);
      assert.equal(final.map((p) => [p['step'], p[`trial/${row.index}/eval/final_test_elbo`]]), [[2, row.finalScore]]);
      assert.is(curve[1]![1], row.finalScore, "the final score is the last epoch's");
      const dir = path.join(r.runDir, `trial-${row.index}`);
      for (const f of ['generator/model.json', 'samples/epoch-001.png', 'samples/epoch-002.png', 'summary.json']) assert.ok(existsSync(path.join(dir, f)), `${dir}/${f}`);
      assert.is(ownField(readRunSummary(dir).config, 'learningRate'), row.overrides['model.config.learningRate'], 'each folder holds its own trial');
    }
    assert.not.ok(points.some((p) => Object.keys(p).some((k) => k.includes('episodic_return'))), 'no episodic returns in a generative sweep');
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test.run();
