#!/usr/bin/env node
// npm test's runner: each compiled test file (dist/test/*.test.js) in its own `node` process, two
// at a time, each under a time limit, with a strict account of the results (docs/testing.md).
//
//   node scripts/test.mjs [--dir DIR] [--timeout SECONDS] [--concurrency N] [--verbose] [PATTERN...]
//
// PATTERN: regular expressions matched against the file names (any may match): `npm test -- fused`
// runs dist/test/core.fused.test.js. --dir: where the files are (default dist/test, not recursive).
// --timeout / NNLAB_TEST_TIMEOUT: each file's limit in seconds (default 300); a file may raise its
// own with a comment line `// test-timeout: 900s`. --concurrency / NNLAB_TEST_CONCURRENCY: files at
// once (default 2). --verbose / NNLAB_TEST_VERBOSE=1: print every file's output (by default only
// failing files' output is printed; passing files get one line).
//
// A file fails when it exits non-zero (a failed test, a throwing hook: test/helpers.ts, an uncaught
// error, process.exit(1)), runs past its limit (its whole process group is killed), prints no uvu
// summary, registers no test, or reports fewer passed + skipped than tests. The run fails when any
// file fails or no file matches. The last line is the summary: `N passed, N failed[, N skipped]`.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_TIMEOUT_S = 300;
const DEFAULT_CONCURRENCY = 2;
/** The per-file override, a comment line in the test file (kept by tsc in the compiled file). */
const TIMEOUT_PRAGMA = /^\s*\/\/\s*test-timeout:\s*(\d+)\s*s\b/m;

function usage(message) {
  console.error(`scripts/test.mjs: ${message}`);
  console.error('usage: node scripts/test.mjs [--dir DIR] [--timeout SECONDS] [--concurrency N] [--verbose] [PATTERN...]');
  process.exit(2);
}

/** A positive integer from a flag or variable, or a usage error naming it. */
function positiveInt(value, what) {
  if (!/^\d+$/.test(value) || Number(value) <= 0) usage(`${what} must be a positive whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

function parseArgs(argv) {
  const opts = {
    dir: path.join(ROOT, 'dist', 'test'),
    timeoutS: process.env.NNLAB_TEST_TIMEOUT ? positiveInt(process.env.NNLAB_TEST_TIMEOUT, 'NNLAB_TEST_TIMEOUT') : DEFAULT_TIMEOUT_S,
    concurrency: process.env.NNLAB_TEST_CONCURRENCY ? positiveInt(process.env.NNLAB_TEST_CONCURRENCY, 'NNLAB_TEST_CONCURRENCY') : DEFAULT_CONCURRENCY,
    verbose: process.env.NNLAB_TEST_VERBOSE === '1',
    patterns: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--dir') opts.dir = path.resolve(value());
    else if (arg === '--timeout') opts.timeoutS = positiveInt(value(), '--timeout');
    else if (arg === '--concurrency') opts.concurrency = positiveInt(value(), '--concurrency');
    else if (arg === '--verbose') opts.verbose = true;
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else {
      try {
        opts.patterns.push(new RegExp(arg));
      } catch (e) {
        usage(`pattern ${JSON.stringify(arg)} is not a regular expression: ${e.message}`);
      }
    }
  }
  return opts;
}

/** uvu's closing summary (the last one printed), colours stripped; undefined when absent. */
function uvuSummary(output) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  const last = (label) => {
    const all = [...plain.matchAll(new RegExp(`^\\s*${label}:\\s+(\\d+)\\s*$`, 'gm'))];
    return all.length === 0 ? undefined : Number(all[all.length - 1][1]);
  };
  const total = last('Total');
  const passed = last('Passed');
  const skipped = last('Skipped');
  if (total === undefined || passed === undefined || skipped === undefined) return undefined;
  return { total, passed, skipped };
}

/** Runs one file in its own process group; resolves with its outcome (never rejects). */
function runFile(file, opts, running) {
  const rel = path.relative(process.cwd(), file) || file;
  const pragma = TIMEOUT_PRAGMA.exec(readFileSync(file, 'utf8'));
  const limitS = pragma ? Number(pragma[1]) : opts.timeoutS;
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group, so a time-out also kills the servers, workers and browsers it started
      detached: process.platform !== 'win32',
    });
    running.add(child);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, limitS * 1000);
    let exit;
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      clearTimeout(timer);
      killGroup(child); // what the file left running would hold its pipes open
    });
    child.on('close', () => {
      running.delete(child);
      const seconds = (Date.now() - started) / 1000;
      const summary = uvuSummary(output);
      const problems = [];
      if (timedOut) problems.push(`timed out after ${limitS} s (limit: --timeout / NNLAB_TEST_TIMEOUT, or a '// test-timeout: Ns' line in the file)`);
      else if (exit.signal) problems.push(`killed by ${exit.signal}`);
      else if (exit.code !== 0) problems.push(`exited with code ${exit.code}`);
      // test/helpers.ts names what failed outside the tests (a hook, no tests, a suite never run)
      for (const m of output.matchAll(/^\s*✘ [^\s:]+\.test\.js: (.+)$/gm)) problems.push(m[1].slice(0, 300));
      let passed = 0;
      let skipped = 0;
      let failed = 0;
      if (summary === undefined) {
        if (!timedOut) problems.push('printed no uvu summary (it crashed, exited early, or never called .run())');
      } else {
        // uvu's Total counts the tests that ran; test.skip() is counted apart, in Skipped.
        passed = summary.passed;
        skipped = summary.skipped;
        failed = summary.total - summary.passed;
        if (summary.total + summary.skipped === 0 && !problems.some((p) => p.startsWith('registered no tests'))) problems.push('registered no tests');
        if (failed > 0) problems.push(`${failed} of ${summary.total} test(s) did not pass`);
      }
      // a file that failed outside its tests (crash, hook, time-out) counts as one failed test
      if (problems.length > 0 && failed === 0) failed = 1;
      resolve({ file: rel, output, seconds, passed, failed, skipped, problems });
    });
  });
}

function killGroup(child) {
  try {
    if (process.platform === 'win32') child.kill('SIGKILL');
    else process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function report(result, verbose) {
  const counts = `${result.passed} passed${result.failed ? `, ${result.failed} failed` : ''}${result.skipped ? `, ${result.skipped} skipped` : ''}`;
  const ok = result.problems.length === 0;
  if (verbose || !ok) {
    process.stdout.write(`\n── ${result.file} ${'─'.repeat(Math.max(3, 70 - result.file.length))}\n${result.output.trimEnd()}\n`);
  }
  if (ok) console.log(`✓ ${result.file}  (${counts}, ${result.seconds.toFixed(1)} s)`);
  else for (const p of result.problems) console.log(`✘ FAIL ${result.file}: ${p}`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  let names;
  try {
    names = readdirSync(opts.dir).filter((n) => n.endsWith('.test.js')).sort();
  } catch (e) {
    names = [];
    console.error(`scripts/test.mjs: cannot read ${opts.dir}: ${e.message} (run tsc first: npm test does)`);
  }
  if (opts.patterns.length > 0) names = names.filter((n) => opts.patterns.some((p) => p.test(n)));
  if (names.length === 0) {
    const which = opts.patterns.length > 0 ? ` matching ${opts.patterns.map(String).join(' or ')}` : '';
    console.log(`✘ FAIL no test files${which} in ${path.relative(process.cwd(), opts.dir) || opts.dir}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
    return;
  }
  const running = new Set();
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      for (const child of running) killGroup(child);
      process.exit(130);
    });
  }
  const queue = names.map((n) => path.join(opts.dir, n));
  const results = [];
  const started = Date.now();
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const result = await runFile(file, opts, running);
      report(result, opts.verbose);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, names.length) }, worker));
  const sum = (k) => results.reduce((n, r) => n + r[k], 0);
  const failedFiles = results.filter((r) => r.problems.length > 0);
  console.log(`\n${results.length} file(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failedFiles.length > 0) {
    console.log(`failed files:`);
    for (const r of failedFiles) console.log(`  ${r.file}: ${r.problems.join('; ')}`);
    process.exitCode = 1;
  }
  const skipped = sum('skipped');
  console.log(`${sum('passed')} passed, ${sum('failed')} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
}

await main();
