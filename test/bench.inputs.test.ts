/**
 * What the benchmarks read back is checked before it is used: bench:generative's results files
 * (bench/generativeBench.ts, for --continue, --report and bench/dcgan-ema.ts) and the JSON a child
 * process or the PyTorch peer prints (bench/stats.ts parseJsonFrom). A mismatch is an error naming
 * the file or source and the field; it was a cast that let a torn file's runs through as whatever
 * they held.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { readBenchRuns } from '../bench/generativeBench.js';
import { parseJsonFrom } from '../bench/stats.js';
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

test.run();
