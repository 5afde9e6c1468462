/** What the benchmarks share: medians and quantiles, step timing, finding the PyTorch peer, `--name value` arguments, reading JSON back. */
import { execFileSync } from 'node:child_process';
import type { z } from 'zod';
import { checkData } from '../core/stateFile.js';
import { errorMessage } from '../base/plainData.js';

/** The value after `--name` on the command line, if given. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export { mean, median } from '../base/stats.js';

/** `text` as a whole number ≥ `min` (digits only: no sign, point, exponent or blank), or undefined. */
export function wholeNumber(text: string, min: number): number | undefined {
  const n = Number(text);
  return /^\d+$/.test(text) && Number.isSafeInteger(n) && n >= min ? n : undefined;
}

/**
 * A count flag's value (`--repeats 5`, `--eval-samples 10000`): a positive integer, or `fallback`
 * when the flag is absent. Anything else (0, -1, 2.5, abc) is an error naming the flag, thrown
 * before anything runs: `Number('abc')` is NaN, and a bench that loops NaN or 0 times measures
 * nothing and then writes its results file with nothing in it.
 */
export function positiveIntArg(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = wholeNumber(value, 1);
  if (n === undefined) throw new Error(`--${flag} must be a positive integer, got '${value}'`);
  return n;
}

/** A seed list flag's value (`--seeds 0,1,2`; `2,` for seed 2 alone): non-negative integers, at least one, each checked as positiveIntArg checks a count. */
export function seedListArg(flag: string, value: string): number[] {
  const parts = value.split(',').filter((s) => s !== '');
  if (parts.length === 0) throw new Error(`--${flag} lists no seed, got '${value}'`);
  return parts.map((part) => {
    const seed = wholeNumber(part, 0);
    if (seed === undefined) throw new Error(`--${flag}: '${part}' is not a seed (a non-negative integer), in '${value}'`);
    return seed;
  });
}

/** The q-quantile by rank (q = 0.1 → the 10th percentile). */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Milliseconds of each of `steps` calls of `step`, after `warmup` untimed calls. */
export function timeSteps(step: () => void, steps: number, warmup: number): number[] {
  for (let i = 0; i < warmup; i++) step();
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/**
 * A Python interpreter that imports torch (and numpy): `python3` first, then Debian's
 * `/usr/bin/python3` (where `apt-get install python3-torch` puts it). Undefined when neither has it.
 */
export function findTorchPython(): string | undefined {
  for (const exe of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(exe, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
      return exe;
    } catch {
      // try the next interpreter
    }
  }
  return undefined;
}

/**
 * JSON that `source` printed (a child process, the PyTorch peer's last line) as the schema's type,
 * checked: a mismatch is an error naming the source and its first bad field, never figures of
 * whatever shape it holds (files: core/stateFile.ts `checkData(schema, readJsonFile(file), file)`).
 */
export function parseJsonFrom<T>(schema: z.ZodType<T>, text: string, source: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not JSON (${errorMessage(e)}): ${text.slice(0, 200)}`);
  }
  return checkData(schema, value, source);
}
