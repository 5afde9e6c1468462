/**
 * `node dist/bench/envsAb.js BASELINE` — CartPole steps per second of this build against another
 * build of nnlab (BASELINE: a checkout whose `dist/` is built, e.g. a `git worktree` of an older
 * commit), timed interleaved in one process: this VM's speed drifts by up to 2x between separate
 * runs, so two separate `bench:envs` runs cannot show a change of a few percent.
 *
 * Rows: the batched kernel (`CartPoleVectorEnv`) with 64 and 1024 sub-envs, and the raw single
 * `CartPoleEnv`; random actions, reset on episode end. Each round times the baseline, then this
 * build; medians over `BENCH_REPEATS` rounds (default 9). Run it through `../shared/tools/quiet`.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Rng } from '../base/rng.js';
import * as current from '../envs/index.js';
import { median } from './stats.js';
import { z } from 'zod';
import { checkData } from '../core/stateFile.js';

type Envs = Pick<typeof current, 'CartPoleEnv' | 'CartPoleVectorEnv'>;

/**
 * What the baseline's envs/index.js must export: its two CartPole classes. A module is checked to
 * export both as classes (functions); that each builds a CartPole of this build's API is the
 * premise of comparing the two builds (an older build whose API differs fails at its first call).
 */
const isClass = (v: unknown) => typeof v === 'function';
const BASELINE_ENVS = z.looseObject({
  CartPoleEnv: z.custom<Envs['CartPoleEnv']>(isClass, 'expected a class'),
  CartPoleVectorEnv: z.custom<Envs['CartPoleVectorEnv']>(isClass, 'expected a class'),
});

const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 9);
const STEPS = Number(process.env['BENCH_STEPS'] ?? 4_000_000);

function vectorRate(envs: Envs, numEnvs: number, steps: number, seed: number): number {
  const env = new envs.CartPoleVectorEnv({ numEnvs });
  const rng = new Rng(seed);
  const actions = new Uint8Array(numEnvs);
  env.reset({ seed });
  const iters = Math.max(200, Math.floor(steps / numEnvs));
  const t0 = performance.now();
  for (let t = 0; t < iters; t++) {
    for (let i = 0; i < numEnvs; i++) actions[i] = rng.uint32() & 1;
    env.step(actions);
  }
  return (iters * numEnvs) / ((performance.now() - t0) / 1000);
}

function singleRate(envs: Envs, steps: number, seed: number): number {
  const env = new envs.CartPoleEnv();
  const rng = new Rng(seed);
  env.reset({ seed });
  let length = 0;
  const t0 = performance.now();
  for (let t = 0; t < steps; t++) {
    const [, , terminated] = env.step(rng.uint32() & 1);
    if (terminated || ++length >= 500) {
      env.reset();
      length = 0;
    }
  }
  return steps / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new Error('usage: node dist/bench/envsAb.js BASELINE (an nnlab checkout with dist/ built)');
  const file = path.resolve(dir, 'dist/envs/index.js');
  const baseline: Envs = checkData(BASELINE_ENVS, await import(pathToFileURL(file).href), file);
  const rows: [string, (e: Envs, seed: number) => number][] = [
    ['batched 64 envs', (e, s) => vectorRate(e, 64, STEPS, s)],
    ['batched 1024 envs', (e, s) => vectorRate(e, 1024, STEPS, s)],
    ['raw single', (e, s) => singleRate(e, STEPS / 4, s)],
  ];
  console.log(`CartPole steps/s, ${path.resolve(dir)} (baseline) vs this build, interleaved, medians of ${REPEATS}`);
  for (const [name, rate] of rows) {
    rate(baseline, 1000); // warm up both
    rate(current, 1000);
    const base: number[] = [];
    const mine: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      base.push(rate(baseline, r));
      mine.push(rate(current, r));
    }
    const b = median(base);
    const m = median(mine);
    console.log(`${name.padEnd(18)} baseline ${(b / 1e6).toFixed(2)} M  this ${(m / 1e6).toFixed(2)} M  (${m >= b ? '+' : ''}${((m / b - 1) * 100).toFixed(1)}%)`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
