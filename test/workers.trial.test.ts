/**
 * One whole trial of any RL agent (workers/trial.ts), as sweeps over threads, WebSocket workers
 * and queue workers run it: the curve it returns is the one its episode callback saw, the final
 * score is a greedy evaluation, and a deep agent's sweep runs through `nnlab run` as trial tasks.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runTrial } from '../workers/trial.js';
import { runExperiment } from '../coordinator/run.js';
import type { RlTrialTask, TrialAlgo } from '../protocol/tasks.js';
import { useCpu, test } from './helpers.js';

test.before(useCpu);

function task(algo: TrialAlgo, config: Record<string, unknown>, env = 'CartPole-v1'): RlTrialTask {
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

test.run();
