/**
 * bench:dqn-streams — what a second env stream costs DQN on CartPole, with no distribution at all:
 * experiments/cartpole-dqn.json run in one process (no threads, no learner process, as
 * `nnlab train dqn` runs it) with `numEnvs` 1 and 2 (the same 64 env steps a rollout task), on
 * each seed, to the spec's goal (a greedy 475 by the goal rule of agents/evaluate.ts) or its
 * env-step budget. Distributed DQN on 2 rollout threads has two env streams, one per thread, so
 * this separates their sample cost from the cost of distribution (docs/distributed.md).
 * Writes bench/results/dqn-env-streams.json.
 *
 *   npm run bench:dqn-streams -- [--seeds 0,1,2,3,4,5,6,7]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadSpecFile } from '../drivers/spec.js';
import { runExperiment } from '../coordinator/run.js';
import { median, seedListArg } from './stats.js';

const { values } = parseArgs({ options: { seeds: { type: 'string' } } });
const seeds = seedListArg('seeds', values.seeds ?? '0,1,2,3,4,5,6,7');
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-streams-'));
const results: Record<string, { goalSteps: (number | null)[]; seconds: number[] }> = {};
for (const numEnvs of [1, 2]) {
  const r = (results[`numEnvs${numEnvs}`] = { goalSteps: [] as (number | null)[], seconds: [] as number[] });
  for (const seed of seeds) {
    const spec = loadSpecFile('experiments/cartpole-dqn.json');
    spec.seed = seed;
    spec.workers = { ...spec.workers, rollout: 0, numEnvs, rolloutSteps: 64 / numEnvs, learner: { ...spec.workers.learner, process: false } };
    const t0 = performance.now();
    const out = await runExperiment({ spec, runsDir, log: () => {}, progressOut: null, handleSignals: false });
    r.seconds.push((performance.now() - t0) / 1000);
    r.goalSteps.push(out.goalReachedAt ?? null);
    console.log(`numEnvs ${numEnvs}, seed ${seed}: ${out.goalReachedAt ?? `no goal within ${out.envSteps}`} env steps, ${r.seconds.at(-1)!.toFixed(1)} s`);
  }
}
rmSync(runsDir, { recursive: true, force: true });
/** The median with a run that missed the goal counted as above every other. */
const medianSteps = (xs: (number | null)[]) => median(xs.map((x) => x ?? Number.MAX_VALUE));
const m1 = medianSteps(results.numEnvs1!.goalSteps);
const m2 = medianSteps(results.numEnvs2!.goalSteps);
console.log(`\nbench:dqn-streams — env steps to CartPole's goal, seeds ${seeds.join(',')}: median ${m1} with 1 env, ${m2} with 2 (${(m2 / m1).toFixed(2)}x)`);
writeFileSync(path.join('bench', 'results', 'dqn-env-streams.json'), JSON.stringify({ date: new Date().toISOString(), seeds, ...results, medianGoalSteps: { numEnvs1: m1, numEnvs2: m2 } }, null, 2) + '\n');
console.log('wrote bench/results/dqn-env-streams.json');
