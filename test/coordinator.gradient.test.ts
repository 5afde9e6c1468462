/**
 * Data-parallel generative training: shards cover a batch exactly once, and a VAE run whose every
 * step is split over 2 gradient threads (shard gradients averaged by shard size, applied by the
 * learner) trains: the loss falls, and every step sent exactly one gradient task per shard.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shardBatch } from '../coordinator/generativeRun.js';
import { runExperiment } from '../coordinator/run.js';

test('shards cover every row of a batch exactly once, in order', () => {
  const n = 7;
  const images = Float32Array.from({ length: n * 4 }, (_, i) => i);
  const labels = Uint8Array.from({ length: n }, (_, i) => i);
  const shards = shardBatch({ n, images, labels }, 3);
  assert.equal(shards.map((s) => s.n), [2, 2, 3]);
  assert.equal(shards.flatMap((s) => Array.from(s.labels)), Array.from(labels));
  assert.equal(shards.flatMap((s) => Array.from(s.images)), Array.from(images));
});

test('a VAE trained with 2 gradient threads lowers its loss, one task per shard per step', async () => {
  const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-dp-'));
  try {
    const steps = 40;
    const r = await runExperiment({
      spec: { name: 'dp', model: { kind: 'vae', config: {}, batchSize: 64 }, budget: { epochs: 1, stepsPerEpoch: steps }, workers: { rollout: 0, gradient: 2, learner: { process: false } }, eval: { interval: 0 } },
      runsDir,
      log: () => {},
      progressOut: null,
      handleSignals: false,
    });
    assert.is(r.state, 'finished');
    assert.is(r.counts!.completed, steps * 2, 'one gradient task per shard per step');
    assert.is(r.counts!.duplicates, 0);
    const losses = readFileSync(path.join(r.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>)
      .filter((m) => m['losses/neg_elbo'] !== undefined);
    assert.ok(losses.length >= 1);
    const first = losses[0]!['losses/neg_elbo']!;
    const last = losses.at(-1)!['losses/neg_elbo']!;
    assert.ok(last < first || losses.length === 1, `neg ELBO ${first} → ${last}`);
    assert.ok(last < 400, `after ${steps} steps the per-image neg ELBO is ${last}`);
  } finally {
    rmSync(runsDir, { recursive: true, force: true });
  }
});

test.run();
