/**
 * `npm run bench:envs` — CartPole-v1 steps per second, nnlab vs a Gymnasium-equivalent Python
 * CartPole (bench/python/cartpole_bench.py, run with `python3` as a child process).
 *
 * Rows: single env through `make` (TimeLimit + OrderEnforcing + PassiveEnvChecker), the raw
 * unwrapped env, and the batched vector kernel (`makeVec`, next-step autoreset) with 1, 64 and
 * 1024 sub-envs; random actions; reset on episode end. Medians over `REPEATS` runs, one core.
 * Prints a table and writes bench/results/envs.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../base/rng.js';
import { CartPoleEnv, make, makeVec, type Env } from '../envs/index.js';
import { pcg64Kernel } from '../envs/utils/pcg64Block.js';
import { median, parseJsonFrom } from './stats.js';
import { z } from 'zod';

const REPEATS = Number(process.env['BENCH_REPEATS'] ?? 5);
const SINGLE_STEPS = Number(process.env['BENCH_SINGLE_STEPS'] ?? 2_000_000);
const VEC_STEPS = Number(process.env['BENCH_VEC_STEPS'] ?? 20_000_000);

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');

/** Steps `env` (make's, of unknown spaces: it only passes CartPole's actions in and reads the flags) with random actions. */
function benchSingle(env: Env<unknown, unknown>, steps: number, seed: number): number {
  const rng = new Rng(seed);
  env.reset({ seed });
  let bits = 0;
  let left = 0;
  const t0 = performance.now();
  for (let t = 0; t < steps; t++) {
    if (left === 0) {
      bits = rng.uint32();
      left = 32;
    }
    const a = bits & 1;
    bits >>>= 1;
    left--;
    const r = env.step(a);
    if (r[2] || r[3]) env.reset();
  }
  return steps / ((performance.now() - t0) / 1000);
}

/** The raw env has no TimeLimit; truncate at 500 in the loop like TimeLimit does. */
function benchRaw(steps: number, seed: number): number {
  const env = new CartPoleEnv();
  const rng = new Rng(seed);
  env.reset({ seed });
  let bits = 0;
  let left = 0;
  let elapsed = 0;
  const t0 = performance.now();
  for (let t = 0; t < steps; t++) {
    if (left === 0) {
      bits = rng.uint32();
      left = 32;
    }
    const a = bits & 1;
    bits >>>= 1;
    left--;
    const r = env.step(a);
    if (r[2] || ++elapsed >= 500) {
      env.reset();
      elapsed = 0;
    }
  }
  return steps / ((performance.now() - t0) / 1000);
}

function benchVec(numEnvs: number, totalSteps: number, seed: number): number {
  const env = makeVec('CartPole-v1', { numEnvs });
  const rng = new Rng(seed);
  const actions = new Uint8Array(numEnvs);
  env.reset({ seed });
  const iters = Math.max(200, Math.floor(totalSteps / numEnvs));
  const t0 = performance.now();
  for (let t = 0; t < iters; t++) {
    for (let i = 0; i < numEnvs; i += 32) {
      let bits = rng.uint32();
      const end = Math.min(numEnvs, i + 32);
      for (let j = i; j < end; j++, bits >>>= 1) actions[j] = bits & 1;
    }
    env.step(actions);
  }
  return (iters * numEnvs) / ((performance.now() - t0) / 1000);
}

interface Row {
  name: string;
  numEnvs: number;
  medianSps: number;
  runsSps: number[];
}

function measure(name: string, numEnvs: number, fn: (seed: number) => number): Row {
  fn(1000); // warm-up (JIT)
  const runs = Array.from({ length: REPEATS }, (_, r) => fn(r));
  return { name, numEnvs, medianSps: median(runs), runsSps: runs };
}

/** What bench/python/cartpole_bench.py prints: whether numpy ran, and each row's steps/s. */
const PY_OUTPUT = z.object({
  numpy: z.boolean(),
  results: z.array(z.object({ name: z.string(), num_envs: z.number().int(), median_sps: z.number(), runs_sps: z.array(z.number()) })),
});
type PyResult = z.infer<typeof PY_OUTPUT>['results'][number];

function runPython(): { numpy: boolean; results: PyResult[] } | { error: string } {
  const script = join(repoRoot, 'bench', 'python', 'cartpole_bench.py');
  const res = spawnSync('python3', [script, '--repeats', String(REPEATS)], { encoding: 'utf8', timeout: 300_000 });
  if (res.error) return { error: `python3 not runnable: ${res.error.message}` };
  if (res.status !== 0) return { error: `python3 exited ${res.status}: ${res.stderr.trim().split('\n').at(-1)}` };
  return parseJsonFrom(PY_OUTPUT, res.stdout, 'bench/python/cartpole_bench.py');
}

const fmt = (sps: number) => (sps >= 1e6 ? `${(sps / 1e6).toFixed(2)} M` : `${(sps / 1e3).toFixed(1)} k`);

function main(): void {
  console.log(`CartPole-v1 steps/s — node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'}, ${REPEATS} repeats (median), PCG64 kernel: ${pcg64Kernel.kind}\n`);
  const rows: Row[] = [
    measure('nnlab make() single (TimeLimit+OrderEnforcing+PassiveEnvChecker)', 1, (s) => benchSingle(make('CartPole-v1'), SINGLE_STEPS, s)),
    measure('nnlab raw CartPoleEnv single', 1, (s) => benchRaw(SINGLE_STEPS, s)),
    ...[1, 64, 1024].map((n) => measure(`nnlab makeVec batched kernel, ${n} envs`, n, (s) => benchVec(n, n === 1 ? SINGLE_STEPS : VEC_STEPS, s))),
  ];
  const py = runPython();
  const pyRows = 'error' in py ? [] : py.results;
  const pySingle = pyRows.find((r) => r.name.startsWith('python-numpy single')) ?? pyRows.find((r) => r.name.startsWith('python-pure single'));
  const pyVec = (n: number) => pyRows.find((r) => r.name.startsWith(`python-numpy vector ${n} `));

  const header = ['benchmark', 'envs', 'nnlab steps/s', 'python peer', 'python steps/s', 'ratio'];
  const table: string[][] = [];
  for (const r of rows) {
    const peer = r.name.includes('batched') ? pyVec(r.numEnvs) : pySingle;
    table.push([r.name, String(r.numEnvs), fmt(r.medianSps), peer ? peer.name.replace(/ \(.*\)$/, '') : 'n/a', peer ? fmt(peer.median_sps) : 'n/a', peer ? `${(r.medianSps / peer.median_sps).toFixed(1)}x` : 'n/a']);
  }
  for (const p of pyRows) table.push([p.name, String(p.num_envs), '', '', fmt(p.median_sps), '']);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 && i !== 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table) console.log(line(row));
  if ('error' in py) console.log(`\nPython peer skipped: ${py.error}`);
  const batched1024 = rows.find((r) => r.numEnvs === 1024)!;
  const makeRow = rows[0]!;
  console.log(`\nGoals: batched ≥ 10 M steps/s per core: ${fmt(batched1024.medianSps)} (${batched1024.medianSps >= 10e6 ? 'met' : 'NOT met'}); ` +
    `make() single ≥ 10x Python single: ${pySingle ? `${(makeRow.medianSps / pySingle.median_sps).toFixed(1)}x (${makeRow.medianSps >= 10 * pySingle.median_sps ? 'met' : 'NOT met'})` : 'n/a'}`);

  const out = join(repoRoot, 'bench', 'results', 'envs.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify(
      {
        benchmark: 'envs',
        date: new Date().toISOString(),
        node: process.version,
        cpu: os.cpus()[0]?.model ?? null,
        repeats: REPEATS,
        pcg64Kernel: pcg64Kernel.kind,
        nnlab: rows,
        python: 'error' in py ? { error: py.error } : py,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${out}`);
}

main();
