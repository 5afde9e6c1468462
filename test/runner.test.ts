/**
 * npm test's runner (scripts/test.mjs) and the strict suites of test/helpers.ts, on the fixtures in
 * test/runner-fixtures/ (outside the runner's default file list): each case runs the real runner
 * in a child process and checks its exit code, the line naming the failing file and why, and the
 * closing summary line.
 */
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNNER = path.join(ROOT, 'scripts', 'test.mjs');
const FIXTURES = path.join('dist', 'test', 'runner-fixtures');
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;

/** Runs the runner on the fixtures whose names match `pattern`; returns its exit code, output and summary. */
function runner(pattern: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [RUNNER, '--dir', FIXTURES, pattern], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NNLAB_TEST_TIMEOUT: '20', NNLAB_TEST_VERBOSE: '', ...env },
    timeout: 60_000,
  });
  const output = `${r.stdout}${r.stderr}`;
  const lines = r.stdout.trimEnd().split('\n');
  const summary = SUMMARY.exec(lines[lines.length - 1] ?? '');
  assert.ok(summary, `the runner's last line is the summary, got:\n${output}`);
  return { status: r.status, output, passed: Number(summary[1]), failed: Number(summary[2]), skipped: Number(summary[3] ?? 0) };
}

/** The failure line the runner prints for fixture NAME, which must say `why`. */
function failLine(output: string, name: string, why: RegExp): void {
  const file = path.join(FIXTURES, `${name}.test.js`);
  const line = output.split('\n').find((l) => l.startsWith(`✘ FAIL ${file}: `) && why.test(l));
  assert.ok(line, `expected a line '✘ FAIL ${file}: …' matching ${why}, got:\n${output}`);
}

const cases: { name: string; why: RegExp; passed: number; failed: number; env?: Record<string, string> }[] = [
  { name: 'before-throws', why: /before hook of suite "\(default\)" threw: Error: fixture: set-up failed/, passed: 0, failed: 1 },
  { name: 'raw-uvu-before-throws', why: /1 of 1 test\(s\) did not pass/, passed: 0, failed: 1 },
  { name: 'after-throws', why: /after hook of suite "\(default\)" threw: Error: fixture: teardown failed/, passed: 1, failed: 1 },
  { name: 'fails', why: /1 of 2 test\(s\) did not pass/, passed: 1, failed: 1 },
  { name: 'exits', why: /exited with code 1/, passed: 0, failed: 1 },
  { name: 'uncaught', why: /printed no uvu summary/, passed: 0, failed: 1 },
  { name: 'no-tests', why: /registered no tests/, passed: 0, failed: 1 },
  { name: 'late', why: /test "registered too late" of suite "\(default\)" was registered after the suite's \.run\(\): it never runs/, passed: 1, failed: 1 },
  { name: 'not-run', why: /suite "forgotten" registered 1 test\(s\) but \.run\(\) was never called/, passed: 0, failed: 1 },
  { name: 'hangs', why: /timed out after 2 s/, passed: 0, failed: 1, env: { NNLAB_TEST_TIMEOUT: '2' } },
];

for (const c of cases) {
  test(`runner: ${c.name} fails the run, naming the file and why`, () => {
    const r = runner(`^${c.name}\\.test\\.js$`, c.env);
    assert.is(r.status, 1, r.output);
    failLine(r.output, c.name, c.why);
    assert.is(r.passed, c.passed, 'passed');
    assert.is(r.failed, c.failed, 'failed');
  });
}

test('runner: passing and skipped tests in two suites give exit 0 and skips counted as skipped', () => {
  const r = runner('^passes\\.test\\.js$');
  assert.is(r.status, 0, r.output);
  assert.equal([r.passed, r.failed, r.skipped], [2, 0, 1]);
  assert.match(r.output, `✓ ${path.join(FIXTURES, 'passes.test.js')}  (2 passed, 1 skipped`);
});

test('runner: a pattern matching no file fails', () => {
  const r = runner('^no-such-file\\.test\\.js$');
  assert.is(r.status, 1, r.output);
  assert.match(r.output, /✘ FAIL no test files matching/);
});

test('runner: one failing file among passing ones fails the whole run, and every file still runs', () => {
  const r = runner('^(passes|before-throws)\\.test\\.js$');
  assert.is(r.status, 1, r.output);
  assert.equal([r.passed, r.failed, r.skipped], [2, 1, 1]);
});

test('a fixture run on its own (node FILE) exits non-zero when its set-up throws', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, FIXTURES, 'before-throws.test.js')], { encoding: 'utf8', timeout: 30_000 });
  assert.is(r.status, 1, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /before-throws\.test\.js: before hook of suite "\(default\)" threw/);
});

test.run();
