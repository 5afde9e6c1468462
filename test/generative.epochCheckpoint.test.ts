// Epoch checkpoints of the generative loop (generative/epochCheckpoint.ts), as the run driver and
// bench:generative keep them: the newest complete one is found with the loop's position and what the
// caller stored; older ones beyond `keep` are removed; a save that died half-way is never named.
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../base/rng.js';
import { latestEpochCheckpoint, saveEpochCheckpoint } from '../generative/epochCheckpoint.js';
import { test } from './helpers.js';

/** A stand-in for `learner.save`: one file naming the epoch. */
const saver = (epoch: number) => async (dir: string) => {
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'state.txt'), `epoch ${epoch}`);
};

test('the newest complete checkpoint is found with its position and extras; older ones beyond keep are removed; a half-written one is never named', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'nnlab-epoch-ckpt-'));
  try {
    assert.is(latestEpochCheckpoint(root), undefined, 'none yet');
    const rng = new Rng(3);
    for (let epoch = 1; epoch <= 3; epoch++) {
      rng.permutation(10);
      const dir = await saveEpochCheckpoint(root, { epoch, step: 7 * epoch, dataRng: rng.getState(), save: saver(epoch) }, 2, { note: `after ${epoch}` });
      assert.is(dir, path.join(root, `epoch-000${epoch}`));
    }
    const latest = latestEpochCheckpoint<{ note: string }>(root)!;
    assert.equal({ epoch: latest.epoch, step: latest.step, note: latest.note, dir: latest.dir }, { epoch: 3, step: 21, note: 'after 3', dir: path.join(root, 'epoch-0003') });
    assert.equal(latest.dataRng, rng.getState(), 'the batch-order Rng continues from its saved state');
    assert.is(await readFile(path.join(latest.dir, 'state.txt'), 'utf8'), 'epoch 3');
    assert.equal((await readdir(root)).filter((n) => n.startsWith('epoch-')).sort(), ['epoch-0002', 'epoch-0003'], 'keep 2');
    // a save that throws half-way leaves the newest complete checkpoint named
    const failing = async (dir: string) => {
      await saver(4)(dir);
      throw new Error('disk full');
    };
    await saveEpochCheckpoint(root, { epoch: 4, step: 28, dataRng: rng.getState(), save: failing }, 2).then(
      () => assert.unreachable('the failed save resolved'),
      (e: Error) => assert.is(e.message, 'disk full'),
    );
    assert.is(latestEpochCheckpoint(root)!.epoch, 3);
    assert.not.ok(existsSync(path.join(root, 'epoch-0004')), 'no epoch-0004 from the failed save');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
