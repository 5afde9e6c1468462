/**
 * A thread's rollout runners (workers/rollout.ts): it keeps a run's envs between that run's tasks,
 * and a task of another run closes the earlier run's envs, so a thread that served runs one after
 * another (the coordinator's own, running tasks inline) holds only the current run's.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { make, register } from '../envs/index.js';
import { DqnLearner } from '../agents/dqn.js';
import { Rng } from '../base/rng.js';
import { closeRollouts, runRollout } from '../workers/rollout.js';
import type { RolloutTask } from '../protocol/tasks.js';

/** CartPole envs of this id count themselves while open. */
const COUNTED = 'test/OpenCountCartPole-v0';
let open = 0;
register({
  id: COUNTED,
  entryPoint: () => {
    const env = make('CartPole-v1');
    const close = env.close.bind(env);
    open++;
    env.close = () => {
      open--;
      close();
    };
    return env;
  },
});

const learner = new DqnLearner(4, 2, { hidden: [4] }, new Rng(0));
const params = learner.getPolicyParams().params;
learner.dispose();

const task = (runId: string): RolloutTask => ({
  kind: 'rollout',
  runId,
  env: { id: COUNTED, kwargs: {} },
  numEnvs: 2,
  steps: 8,
  envStep: 0,
  seed: 1,
  policy: { algo: 'dqn', activation: 'relu', params, version: 0, epsilon: { explorationInitialEps: 1, explorationFinalEps: 1, explorationFraction: 1, totalTimesteps: 100, learningStarts: 100 } },
});

test("a thread keeps a run's envs between its tasks and closes them when a task of another run arrives (closeRollouts)", async () => {
  await runRollout(task('rollouts-a'));
  const perRun = open;
  assert.ok(perRun >= 2, `${perRun} envs open for a task of 2`);
  await runRollout(task('rollouts-a'));
  assert.is(open, perRun, 'a run reuses its envs');
  await runRollout(task('rollouts-b'));
  assert.is(open, perRun, "run rollouts-a's envs were closed when rollouts-b's were made");
  closeRollouts('rollouts-b');
  assert.is(open, 0, "closeRollouts closes the run's envs");
});

test.run();
