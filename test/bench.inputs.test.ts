/**
 * What the benchmarks read back is checked before it is used: bench:generative's results files
 * (bench/generativeBench.ts, for --continue, --report and bench/dcgan-ema.ts) and the JSON a child
 * process or the PyTorch peer prints (bench/stats.ts parseJsonFrom). A mismatch is an error naming
 * the file or source and the field; it was a cast that let a torn file's runs through as whatever
 * they held. So are their flags: `--seeds 0` or `--seeds abc` trained nothing and then rewrote
 * bench:generative's results.json with no runs in it.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { epochsArg, readBenchRuns } from '../bench/generativeBench.js';
import { parseJsonFrom, positiveIntArg, seedListArg } from '../bench/stats.js';
import { test } from './helpers.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-bench-inputs-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const epoch = { epoch: 1, steps: 468, trainSeconds: 12.5, evalSeconds: 3, metrics: { 'losses/d_loss': 0.7, 'eval/classifier_score': null }, samplePath: 'samples/epoch-001.png' };

test("a results file's runs are read checked: a diverged metric (null in JSON) reads back as NaN", () => {
  const file = path.join(tmp, 'results.json');
  writeFileSync(file, JSON.stringify({ date: 'd', backend: 'cpu', runs: [{ model: 'gan', seed: 1, epochs: [epoch], wallSeconds: 15.5 }] }));
  const [run] = readBenchRuns(file);
  assert.is(run!.model, 'gan');
  assert.is(run!.epochs[0]!.metrics['losses/d_loss'], 0.7);
  assert.ok(Number.isNaN(run!.epochs[0]!.metrics['eval/classifier_score']));
});

test('a results file of another shape is an error naming the file and the field', () => {
  const file = path.join(tmp, 'results-bad.json');
  writeFileSync(file, JSON.stringify({ runs: [{ model: 'gan', seed: 1, epochs: [{ ...epoch, trainSeconds: 'slow' }], wallSeconds: 1 }] }));
  assert.throws(() => readBenchRuns(file), (e: unknown) => e instanceof Error && e.message.startsWith(`${file}: runs.0.epochs.0.trainSeconds: `));
  writeFileSync(file, JSON.stringify({ date: 'd' }));
  assert.throws(() => readBenchRuns(file), (e: unknown) => e instanceof Error && e.message.startsWith(`${file}: runs: `));
  writeFileSync(file, '{"runs": [');
  assert.throws(() => readBenchRuns(file), (e: unknown) => e instanceof Error && e.message.startsWith(`${file}: not a readable JSON file`));
});

test("a peer's printed JSON is checked, naming the source and the field", () => {
  const schema = z.object({ torch: z.string(), threads: z.number().int() });
  assert.equal(parseJsonFrom(schema, '{"torch":"2.5","threads":2}', 'peer.py'), { torch: '2.5', threads: 2 });
  assert.throws(() => parseJsonFrom(schema, '{"torch":"2.5","threads":"two"}', 'peer.py'), /^peer\.py: threads: /);
  assert.throws(() => parseJsonFrom(schema, 'Traceback (most recent call last)', 'peer.py'), /^peer\.py: not JSON \(.*\): Traceback/);
});

test('a count flag is a positive integer or its default; anything else names the flag', () => {
  assert.is(positiveIntArg('repeats', undefined, 5), 5);
  assert.is(positiveIntArg('repeats', '3', 5), 3);
  for (const bad of ['0', '-1', '2.5', 'abc', '', ' 3', '1e3', '99999999999999999']) {
    assert.throws(() => positiveIntArg('seeds', bad, 2), (e: unknown) => e instanceof Error && e.message === `--seeds must be a positive integer, got '${bad}'`, bad);
  }
});

test('a seed list holds non-negative integers, at least one', () => {
  assert.equal(seedListArg('seeds', '0,1,2'), [0, 1, 2]);
  assert.equal(seedListArg('seeds', '2,'), [2]);
  assert.throws(() => seedListArg('seeds', ','), /^--seeds lists no seed, got ','$/);
  assert.throws(() => seedListArg('seeds', '1,x'), /^--seeds: 'x' is not a seed \(a non-negative integer\), in '1,x'$/);
  assert.throws(() => seedListArg('seeds', '1,-2'), /'-2' is not a seed/);
});

test("bench:generative's --epochs: one count, or counts by kind over the defaults; a part naming no kind is refused", () => {
  const defaults = { vae: 30, 'vae-conv': 5, gan: 20, wgan: 12, 'wgan-gp': 12, dcgan: 10, cdcgan: 4 };
  assert.is(epochsArg(undefined, defaults)('gan'), 20);
  assert.is(epochsArg('7', defaults)('dcgan'), 7);
  const byKind = epochsArg('vae=10,gan=3', defaults);
  assert.equal([byKind('vae'), byKind('gan'), byKind('wgan')], [10, 3, 12]);
  assert.throws(() => epochsArg('0', defaults), /^--epochs must be a positive integer, got '0'$/);
  assert.throws(() => epochsArg('abc', defaults), /^--epochs must be a positive integer, got 'abc'$/);
  assert.throws(() => epochsArg('vae=0', defaults), /^--epochs: vae's must be a positive integer, got '0', in 'vae=0'$/);
  assert.throws(() => epochsArg('vea=3', defaults), /^--epochs: 'vea=3' is not KIND=N \(KIND one of vae, /);
});

test.run();
