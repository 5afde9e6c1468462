/**
 * The evaluation network: the committed classifier loads only with the weights its meta.json
 * names, and a retrained one is bit for bit the same from the same seed (dropout masks included).
 */
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../core/backend.js';
import { Rng } from '../base/rng.js';
import { loadOrTrainClassifier, trainLenet, weightsSha256 } from '../generative/lenet.js';
import type { Mnist, MnistSplit } from '../generative/mnist.js';
import { test, useCpu } from './helpers.js';

/** The classifier in the repository (not $NNLAB_MODELS_DIR's). */
const COMMITTED = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'lenet-mnist');

test.before(async () => {
  // the native kernels where they build (the cpu backend's conv gradients take seconds a step)
  await initBackend({ backend: 'native' }).catch(useCpu);
});

test('the committed classifier: its weights are the ones its meta.json names, and it loads with ≥ 99% test accuracy', async () => {
  const meta = JSON.parse(readFileSync(path.join(COMMITTED, 'meta.json'), 'utf8')) as { testAccuracy: number; weightsSha256: string };
  assert.is(await weightsSha256(COMMITTED), meta.weightsSha256);
  const c = await loadOrTrainClassifier({ dir: COMMITTED });
  assert.ok(c.testAccuracy >= 0.99, `test accuracy ${c.testAccuracy}`);
  assert.is(c.featureDim, 128);
  c.dispose();
});

test('a changed weights file is refused, naming it and the hashes; nothing is retrained over it', async () => {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'nnlab-lenet-')), 'lenet-mnist');
  try {
    cpSync(COMMITTED, dir, { recursive: true });
    const weights = readFileSync(path.join(dir, 'weights.bin'));
    weights[100]! ^= 1;
    writeFileSync(path.join(dir, 'weights.bin'), weights);
    await loadOrTrainClassifier({ dir }).then(
      (c) => {
        c.dispose();
        assert.unreachable('a changed classifier loaded');
      },
      (e: Error) => assert.match(e.message, /weights\.bin: SHA-256 [0-9a-f]{64} is not the [0-9a-f]{64} of its meta\.json/),
    );
    assert.ok(readFileSync(path.join(dir, 'weights.bin')).equals(weights), 'the file was left as it was');
  } finally {
    rmSync(path.dirname(dir), { recursive: true, force: true });
  }
});

test('a classifier trained twice from the same seed is bit for bit the same (dropout masks come from the seed); another seed gives another', async () => {
  const rng = new Rng(3);
  const split = (n: number): MnistSplit => ({ n, images: Uint8Array.from({ length: n * 784 }, () => rng.int(256)), labels: Uint8Array.from({ length: n }, () => rng.int(10)) });
  const mnist: Mnist = { train: split(16), test: split(4) };
  const weights = async (seed: number): Promise<Buffer> => {
    const c = await trainLenet(mnist, { epochs: 1, batchSize: 8, seed });
    const bytes = Buffer.concat(c.model.getWeights().map((w) => Buffer.from((w.dataSync() as Float32Array).buffer)));
    c.dispose();
    return bytes;
  };
  const a = await weights(0);
  const b = await weights(0);
  assert.ok(a.length > 400_000 * 4, `all the weights (${a.length} bytes)`);
  assert.ok(a.equals(b), 'two trainings from seed 0 differ');
  assert.not.ok(a.equals(await weights(1)), 'seeds 0 and 1 gave the same classifier');
});

test.run();
