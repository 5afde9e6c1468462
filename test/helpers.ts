/**
 * Shared test set-up: strict uvu suites, the cpu backend (deterministic, available everywhere),
 * small asserts, and the fixtures several files share (the CLI's path, an image batch, a module that
 * proves it ran, the fixtures' float64 digest; ports: test/net.ts). `NNLAB_TEST_BACKEND=webgpu` (what `npm run test:webgpu` sets) runs the same suites
 * on another backend.
 *
 * Test files import `test` / `suite` from here, not from 'uvu'. They are uvu's, with the failures
 * uvu 0.5 lets through made fatal: its runner returns from a `finally` block, so a `before` hook
 * that throws skips the suite's tests and the process still exits 0. Here a throwing hook is
 * reported (suite, hook, stack) and the process exits 1; so does a file that registers no test,
 * a suite whose `.run()` is never called, or a test registered after its suite's `.run()`.
 * scripts/test.mjs runs each file in its own process on top of this (docs/testing.md).
 */
import * as assert from 'uvu/assert';
import { suite as uvuSuite, type Callback, type Test } from 'uvu';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../core/sha256.js';
import type { Rng } from '../base/rng.js';
import type { ImageBatch } from '../generative/types.js';
import type { ModuleRef } from '../protocol/tasks.js';

/** The backend the suites run on: cpu, unless NNLAB_TEST_BACKEND names another. */
export const TEST_BACKEND = process.env.NNLAB_TEST_BACKEND ?? 'cpu';

/** Selects the test backend (cpu by default) and checks tfjs really runs on it. */
export async function useCpu(): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../core/backend.js');
  const info = await initBackend({ backend: TEST_BACKEND });
  assert.is(tf.getBackend(), TEST_BACKEND, `tests asked for backend ${TEST_BACKEND}`);
  assert.is(info.name, TEST_BACKEND);
}

/**
 * Whether this run must exercise the native addon: yes unless `NNLAB_NATIVE=off` says the wasm /
 * JavaScript fallback is wanted. Native tests fail (they do not skip) when the addon is absent
 * without that setting, so a broken build cannot pass as a green run.
 */
export const NATIVE_REQUIRED = process.env.NNLAB_NATIVE !== 'off';

// ---- strict suites -----------------------------------------------------------------------------

/** What made this file fail outside uvu's own test accounting (printed again at exit). */
const failures: string[] = [];
/** Suites created here, with how many tests each registered and whether `.run()` was called. */
const suites: { name: string; tests: number; ran: boolean }[] = [];
const FILE = path.basename(process.argv[1] ?? 'test file');

function fail(message: string): void {
  failures.push(message);
  process.stderr.write(`\n  ✘ ${FILE}: ${message}\n`);
}

process.on('exit', () => {
  const registered = suites.reduce((n, s) => n + s.tests, 0);
  if (registered === 0) fail('registered no tests (a file with nothing to run fails; use test.skip to record a skip)');
  for (const s of suites) if (s.tests > 0 && !s.ran) fail(`suite ${JSON.stringify(s.name)} registered ${s.tests} test(s) but .run() was never called`);
  if (failures.length > 0) {
    process.stderr.write(`\n  ${FILE}: FAILED outside the tests' results: ${failures.length} problem(s) above\n`);
    process.exitCode = 1;
  }
});

type HookKind = 'before' | 'after' | 'before.each' | 'after.each';

/**
 * uvu's `suite`, made strict: hooks that throw fail the file, every test and skip is counted, and
 * `.run()` is tracked. A throwing `before` / `before.each` / `after.each` still throws into uvu
 * (so the suite's tests do not run on a broken set-up); a throwing `after` is recorded without
 * rethrowing, so uvu finishes and prints its summary before the process exits 1.
 */
export function suite<T extends Record<string, unknown> = Record<string, unknown>>(name = '', context?: T): Test<T> {
  const inner = context === undefined ? uvuSuite<T>(name) : uvuSuite<T>(name, context);
  const entry = { name: name === '' ? '(default)' : name, tests: 0, ran: false };
  suites.push(entry);
  const guard = (kind: HookKind, hook: Callback<T>, rethrow: boolean): Callback<T> => async (ctx) => {
    try {
      await hook(ctx);
    } catch (e) {
      const where = kind.endsWith('each') && ctx.__test__ ? ` (test ${JSON.stringify(ctx.__test__)})` : '';
      fail(`${kind} hook of suite ${JSON.stringify(entry.name)}${where} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (rethrow) throw e;
    }
  };
  /** Counts a test; one registered after `.run()` is a failure of the file (uvu took its list at `.run()`: the test would silently never run). */
  const count = (name: string | undefined) => {
    entry.tests++;
    if (entry.ran) fail(`test ${JSON.stringify(name ?? '')} of suite ${JSON.stringify(entry.name)} was registered after the suite's .run(): it never runs`);
  };
  const add = (name: string, fn: Callback<T>) => {
    count(name);
    inner(name, fn);
  };
  return Object.assign(add, {
    only: (name: string, fn: Callback<T>) => {
      count(name);
      inner.only(name, fn);
    },
    skip: (name?: string, fn?: Callback<T>) => {
      count(name);
      inner.skip(name, fn);
    },
    before: Object.assign((hook: Callback<T>) => inner.before(guard('before', hook, true)), {
      each: (hook: Callback<T>) => inner.before.each(guard('before.each', hook, true)),
    }),
    after: Object.assign((hook: Callback<T>) => inner.after(guard('after', hook, false)), {
      each: (hook: Callback<T>) => inner.after.each(guard('after.each', hook, true)),
    }),
    run: () => {
      entry.ran = true;
      inner.run();
    },
  });
}

/** The file's default suite (uvu's `test`, strict). */
export const test = suite();

// ---- asserts -----------------------------------------------------------------------------------

/** Asserts |a − b| ≤ tol elementwise, naming the first bad index. */
export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6, what = 'value'): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      assert.unreachable(`${what}[${i}] = ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

/**
 * The compiled files a module under dist/ reaches through its imports (static and literal
 * `import(...)`, followed transitively; type-only imports are gone from the JavaScript) and the
 * packages they load: how a test says a module stays free of tfjs. `file` is relative to dist/.
 */
export function reachableImports(file: string): { files: string[]; packages: string[] } {
  const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
  const seen = new Set<string>();
  const packages = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f)) return;
    seen.add(f);
    for (const m of readFileSync(f, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm)) {
      const target = (m[1] ?? m[2])!;
      if (target.startsWith('.')) visit(path.resolve(path.dirname(f), target));
      else packages.add(target);
    }
  };
  visit(path.join(dist, file));
  return { files: [...seen], packages: [...packages] };
}

/**
 * Polls `probe` every `everyMs` until it returns a value other than undefined or false, and resolves
 * with it; throws `timed out after ms ms waiting for <what>` after `ms`.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000, everyMs = 10): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- fixtures several files share ---------------------------------------------------------------

/** The compiled CLI (`nnlab`), for tests that spawn it: dist/coordinator/cli.js. */
export const CLI = fileURLToPath(new URL('../coordinator/cli.js', import.meta.url));

/** A batch of `n` unlabelled MNIST-sized images, each pixel uniform in [-1, 1) from `rng`. */
export function batchOf(n: number, rng: Rng): ImageBatch {
  return { n, images: Float32Array.from({ length: n * 784 }, () => rng.uniform(-1, 1)), labels: new Uint8Array(n) };
}

/**
 * The source of an env module whose import leaves a marker file (`marker`): proof that shipped
 * code ran. Each call's source is unique, so its hash is too (no cache hit from an earlier test).
 */
export function markerModuleSource(marker: string): string {
  return `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'imported'); // ${randomBytes(8).toString('hex')}\n`;
}

/** A shipped env module (payload.js) of markerModuleSource's source, as a task carries it. */
export function markerModule(marker: string): ModuleRef {
  const source = markerModuleSource(marker);
  return { hash: sha256Hex(source), filename: 'payload.js', path: '/nonexistent/payload.js', source };
}

/** SHA-256 of the values as float64 little-endian bytes: the `digest` of the Python scripts that wrote test/fixtures/ (glibc_libm.py, gymnasium_seeding.py). */
export function float64Digest(values: readonly number[]): string {
  return sha256Hex(new Uint8Array(Float64Array.from(values).buffer));
}
