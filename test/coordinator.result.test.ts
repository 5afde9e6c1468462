/**
 * What a run reports is what it saved. A DQN run with rollout threads and a learner process stops
 * on an easy goal while a training round is usually in flight; the saved model must be the exact
 * policy version the goal check scored, result.json must name it, and evaluating the saved files
 * again must reproduce both the logged goal-check score and the reported final score.
 * The policy-gradient driver's report is checked the same way.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExperiment, type RunOptions, type RunResult } from '../coordinator/run.js';
import { loadModelFiles } from '../core/checkpoint.js';
import { getParams } from '../core/tensors.js';
import { greedyPolicy } from '../agents/dqn.js';
import { EVAL_SEEDS, evaluatePolicy } from '../agents/evaluate.js';
import { PolicyActor } from '../agents/policies.js';
import { readMetrics, type ResultFile } from '../coordinator/runDir.js';
import { greedyEvaluationText } from '../drivers/context.js';
import { test, useCpu } from './helpers.js';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-result-'));
test.before(useCpu);
test.after(() => rmSync(runsDir, { recursive: true, force: true }));

function run(opts: Partial<RunOptions>): Promise<RunResult> {
  return runExperiment({ runsDir, log: () => {}, progressOut: null, handleSignals: false, ...opts });
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** Greedy returns of the Q network saved at `modelDir`, episodes seeded firstSeed, firstSeed + 1, … */
async function scoreSavedQ(modelDir: string, episodes: number, firstSeed: number): Promise<number> {
  const model = await loadModelFiles(modelDir);
  const params = getParams(model);
  model.dispose();
  return evaluatePolicy('CartPole-v1', greedyPolicy(params, 'relu'), episodes, firstSeed).meanReturn;
}

test("a final evaluation's line: every driver writes its mean (and spread) with the terminal's one formatter", () => {
  assert.is(greedyEvaluationText(100, 487.25, 12.5), 'greedy evaluation over 100 episodes: mean return 487.3 ± 12.50');
  // a tabular agent's success rate keeps its digits; a whole return is written whole
  assert.is(greedyEvaluationText(100, 0.73), 'greedy evaluation over 100 episodes: mean return 0.730');
  assert.is(greedyEvaluationText(20, 500, 0), 'greedy evaluation over 20 episodes: mean return 500 ± 0');
});

test('DQN with rollout threads and a learner process: the saved model is the version whose score was reported', async () => {
  const seed = 3;
  const goal = 60;
  const finalEpisodes = 20;
  const r = await run({
    spec: {
      name: 'goal',
      seed,
      env: { id: 'CartPole-v1' },
      agent: { algo: 'dqn', config: { hidden: [64, 64], learningStarts: 1000, trainFrequency: 64, gradientSteps: 32, batchSize: 64, targetUpdateInterval: 500, explorationFraction: 0.2, learningRate: 1e-3 } },
      budget: { envSteps: 60_000 },
      workers: { rollout: 2, numEnvs: 2, rolloutSteps: 16, learner: { process: true } },
      eval: { interval: 256, episodes: 5, goal, finalEpisodes },
      checkpoint: { interval: 0 },
    },
  });
  assert.is(r.state, 'finished');
  assert.ok(r.goalReachedAt !== undefined, `the easy goal ${goal} was never met in ${r.envSteps} env steps`);
  assert.ok(r.finalScore! >= goal, `a run stopped by its goal reports ${r.finalScore}: the final evaluation must agree with the check`);
  const result = readJson<ResultFile>(path.join(r.runDir, 'result.json'));
  assert.is(result.goalReachedAt, r.goalReachedAt);
  assert.is(result.finalEpisodes, finalEpisodes);
  assert.is(result.firstSeed, EVAL_SEEDS.final(seed));
  assert.ok(result.checkpoint !== undefined && result.model !== undefined && result.policyVersion !== undefined && result.updates !== undefined, 'result.json names the evaluated model');

  // the goal check that stopped the run: its score and the version it scored, from the metrics log
  const goalCheck = readMetrics(r.runDir).find((p) => p.step === r.goalReachedAt && p.metrics['eval/episodes'] === finalEpisodes)?.metrics;
  assert.ok(goalCheck !== undefined, 'the goal-confirming evaluation is in metrics.jsonl');
  assert.ok(goalCheck['eval/mean_return']! >= goal);

  // the saved model is that version …
  const meta = readJson<{ policyVersion: number; updates: number }>(path.join(r.runDir, result.checkpoint!, 'meta.json'));
  assert.is(meta.policyVersion, goalCheck['eval/policy_version'], 'the checkpoint holds the version the goal check scored');
  assert.is(result.policyVersion, meta.policyVersion);
  assert.is(result.updates, meta.updates);

  // … and scoring the files again reproduces the logged goal check and the reported final score
  const modelDir = path.join(r.runDir, result.model!);
  assert.is(await scoreSavedQ(modelDir, finalEpisodes, EVAL_SEEDS.check(seed)), goalCheck['eval/mean_return']);
  assert.is(await scoreSavedQ(modelDir, finalEpisodes, EVAL_SEEDS.final(seed)), result.finalScore);
  assert.is(result.finalScore, r.finalScore);
  assert.is(result.message, greedyEvaluationText(finalEpisodes, result.finalScore!, result.finalStd));
});

test('A2C in the coordinator process: result.json scores the saved policy on the final seeds', async () => {
  const seed = 2;
  const r = await run({
    spec: {
      name: 'a2c-result',
      seed,
      env: { id: 'CartPole-v1' },
      agent: { algo: 'a2c', config: { numEnvs: 4, numSteps: 8 } },
      budget: { envSteps: 2048 },
      eval: { interval: 1024, episodes: 3, finalEpisodes: 5 },
    },
  });
  assert.is(r.state, 'finished');
  const result = readJson<ResultFile>(path.join(r.runDir, 'result.json'));
  assert.is(result.finalEpisodes, 5);
  assert.is(result.firstSeed, EVAL_SEEDS.final(seed));
  const meta = readJson<{ policyVersion: number; updates: number }>(path.join(r.runDir, result.checkpoint!, 'meta.json'));
  assert.is(meta.policyVersion, result.policyVersion);
  assert.ok(result.updates! > 0);

  const model = await loadModelFiles(path.join(r.runDir, result.model!));
  const actor = new PolicyActor(getParams(model), { kind: 'categorical', numActions: 2 }, 'tanh');
  model.dispose();
  const again = evaluatePolicy('CartPole-v1', (obs) => actor.greedy(obs), 5, EVAL_SEEDS.final(seed));
  assert.is(again.meanReturn, result.finalScore);
});

test.run();
