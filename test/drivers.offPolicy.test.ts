/**
 * One DQN schedule, one code path: a spec run with no threads and no learner process
 * (drivers/offPolicy.ts) is agents/dqn.ts `trainDqn`, number for number, for a schedule whose
 * training, target copies, rollout length and evaluation interval do not line up; and
 * `OffPolicySchedule.advance` over a block of steps makes the phases the per-step loop makes; and
 * with one env stream, rollout threads and a learner process change nothing but where it runs;
 * and `nnlab eval` rechecks a run's saved network on the seed the run trained with.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExperiment } from '../coordinator/run.js';
import { readMetrics } from '../coordinator/runDir.js';
import { greedyPolicy, resolveDqnConfig, trainDqn, type DqnConfig } from '../agents/dqn.js';
import { EVAL_SEEDS, evaluatePolicy } from '../agents/evaluate.js';
import { Q_MODEL } from '../agents/netNames.js';
import { loadModelFiles, modelDir } from '../core/checkpoint.js';
import { getParams } from '../core/tensors.js';
import { evalRun } from '../drivers/eval.js';
import { OffPolicySchedule } from '../agents/offPolicy.js';
import type { TrainPhase } from '../agents/types.js';
import { test, useCpu } from './helpers.js';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-offpolicy-'));
test.before(useCpu);
test.after(() => rmSync(runsDir, { recursive: true, force: true }));

const config: Partial<DqnConfig> = { hidden: [32, 32], learningStarts: 300, trainFrequency: 7, gradientSteps: 3, batchSize: 16, targetUpdateInterval: 50, explorationFraction: 0.3, learningRate: 1e-3 };

/** Runs a CartPole DQN spec with no checkpoints in this file's runs folder. */
function runCartPole(name: string, agentConfig: Partial<DqnConfig>, seed: number, envSteps: number, workers: { rollout: number; rolloutSteps: number; learnerProcess?: boolean }, evaluation: { interval: number; episodes?: number; finalEpisodes?: number }) {
  return runExperiment({
    runsDir,
    log: () => {},
    progressOut: null,
    handleSignals: false,
    spec: {
      name,
      env: { id: 'CartPole-v1' },
      agent: { algo: 'dqn', config: agentConfig },
      seed,
      budget: { envSteps },
      workers: { rollout: workers.rollout, rolloutSteps: workers.rolloutSteps, numEnvs: 1, learner: { process: workers.learnerProcess ?? false } },
      eval: evaluation,
      checkpoint: { interval: 0 },
    },
  });
}

test('a spec with no threads trains exactly as trainDqn: same weights, same evaluations', async () => {
  const steps = 2500;
  const single = trainDqn({ envId: 'CartPole-v1', config: { ...config, seed: 3 }, totalTimesteps: steps, evalInterval: 1000, evalEpisodes: 3, goalEpisodes: 3 });
  const singleParams = single.learner.getPolicyParams().params;
  const run = await runCartPole('no-threads', config, 3, steps, { rollout: 0, rolloutSteps: 64 }, { interval: 1000, episodes: 3, finalEpisodes: 3 });
  assert.is(run.state, 'finished');
  assert.is(run.envSteps, steps);
  assert.is(run.evaluation!.updates, single.learner.updates, 'gradient steps');
  assert.ok(single.learner.updates > 0);
  const params = run.params!;
  assert.equal(Object.keys(params).sort(), Object.keys(singleParams).sort());
  for (const [name, t] of Object.entries(singleParams)) assert.equal(Array.from(params[name]!.data), Array.from(t.data), `parameter ${name}`);
  single.learner.dispose();
});

test('one env stream on rollout threads with a learner process trains exactly as one process: same weights, same checks', async () => {
  const steps = 2500;
  const evaluation = { interval: 1000, episodes: 3, finalEpisodes: 3 };
  const one = await runCartPole('one-process', config, 4, steps, { rollout: 0, rolloutSteps: 64 }, evaluation);
  const spread = await runCartPole('spread', config, 4, steps, { rollout: 2, rolloutSteps: 64, learnerProcess: true }, evaluation);
  assert.is(spread.state, 'finished');
  assert.is(spread.envSteps, one.envSteps);
  assert.is(spread.evaluation!.updates, one.evaluation!.updates, 'gradient steps');
  for (const [name, t] of Object.entries(one.params!)) assert.equal(Array.from(spread.params![name]!.data), Array.from(t.data), `parameter ${name}`);
  // the goal checks ran as evaluation tasks on the threads, on the same snapshots, with the same returns
  const checks = (dir: string) => readMetrics(dir).flatMap((p) => (p.metrics['eval/mean_return'] !== undefined ? [[p.step, p.metrics['eval/mean_return'], p.metrics['eval/policy_version']]] : []));
  assert.equal(checks(spread.runDir), checks(one.runDir));
  assert.is(checks(one.runDir).length, 2);
  assert.is(spread.finalScore, one.finalScore);
});

test('on rollout threads, tasks that start after the data of a training round act with its parameters', async () => {
  // rollouts would run ahead of the learner if they could: 2 threads, 3 tasks per training round
  const c = { ...config, trainFrequency: 48, gradientSteps: 2 };
  const run = await runCartPole('threads-lag', c, 1, 1536, { rollout: 2, rolloutSteps: 16 }, { interval: 0 });
  assert.is(run.state, 'finished');
  assert.is(run.envSteps, 1536);
  const lags = readMetrics(run.runDir).flatMap((p) => (p.metrics['charts/policy_lag'] !== undefined ? [p.metrics['charts/policy_lag']] : []));
  assert.ok(lags.length >= (1536 - 300) / 48 - 1, `one lag per training round (${lags.length})`);
  assert.ok(Math.max(...lags) < c.trainFrequency, `policy lag at most ${c.trainFrequency - 1} env steps, got ${Math.max(...lags)}`);
  assert.ok(Math.max(...lags) > 0, 'tasks started after a training point');
});

test("nnlab eval rechecks on the seeds of the seed the run trained with: agent.config's own seed over the spec's", async () => {
  const agentConfig = { ...config, seed: 11 };
  const run = await runCartPole('eval-seed', agentConfig, 2, 600, { rollout: 0, rolloutSteps: 64 }, { interval: 0, finalEpisodes: 2 });
  assert.is(run.state, 'finished');
  const episodes = 8;
  const score = await evalRun(run.runDir, episodes, () => {});
  const model = await loadModelFiles(modelDir(run.evaluation!.checkpoint, Q_MODEL));
  const policy = greedyPolicy(getParams(model), resolveDqnConfig(agentConfig).activation);
  model.dispose();
  const recheck = (seed: number) => evaluatePolicy('CartPole-v1', policy, episodes, EVAL_SEEDS.recheck(seed)).meanReturn;
  assert.is.not(recheck(2), recheck(11), "the spec's seed and the config's give different scores (else this test shows nothing)");
  assert.is(score, recheck(11), "evaluated on the recheck seeds of the config's seed, which trained the run");
});

test('OffPolicySchedule: phases from a block of steps = the per-step loop, target copies in order', () => {
  const c = { learningStarts: 20, trainFrequency: 6, gradientSteps: 2, targetUpdateInterval: 15 };
  for (const numEnvs of [1, 4]) {
    // the per-step loop's events
    const byStep = new OffPolicySchedule(c);
    const events: string[] = [];
    for (let e = numEnvs; e <= 200; e += numEnvs) {
      const due = byStep.step(e);
      if (due.train) events.push('train');
      if (due.target) events.push('target');
    }
    // the same steps in blocks of 7 vector steps, replayed as phases
    const byBlock = new OffPolicySchedule(c);
    const phases: TrainPhase[] = [];
    for (let e = 0; e < 200; e += 7 * numEnvs) byBlock.advance(e, Math.min(7, (200 - e) / numEnvs), numEnvs, phases);
    const replayed = phases.flatMap((p) => [...(p.gradientSteps > 0 ? ['train'] : []), ...(p.updateTarget ? ['target'] : [])]);
    assert.equal(replayed, events, `numEnvs ${numEnvs}`);
    assert.ok(events.includes('train') && events[0] === 'target', 'the first target copy comes before learning starts');
    assert.is(byBlock.lastTrain, byStep.lastTrain);
    assert.is(byBlock.lastTarget, byStep.lastTarget);
  }
});

test.run();
