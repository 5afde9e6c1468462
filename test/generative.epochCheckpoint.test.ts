// Epoch checkpoints of the generative loop (generative/epochCheckpoint.ts), as the run driver and
// bench:generative keep them: the newest complete one is found with the loop's position and what the
// caller stored; older ones beyond `keep` are removed; a save that died half-way is never named.
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { Rng } from '../base/rng.js';
import { latestEpochCheckpoint, saveEpochCheckpoint } from '../generative/epochCheckpoint.js';
import { test } from './helpers.js';
import { errorMessage } from '../base/plainData.js';

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
    const latest = latestEpochCheckpoint(root, z.object({ note: z.string() }))!;
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

test('a LATEST-epoch.json with a field of the wrong type, a missing field or a folder outside root is refused, naming the file and the field', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'nnlab-epoch-ckpt-'));
  try {
    const rng = new Rng(3);
    await saveEpochCheckpoint(root, { epoch: 2, step: 14, dataRng: rng.getState(), save: saver(2) }, 2, { note: 'after 2' });
    const file = path.join(root, 'LATEST-epoch.json');
    const good: Record<string, unknown> = JSON.parse(await readFile(file, 'utf8'));
    const refused = async (latest: unknown, pattern: RegExp, extra?: z.ZodType<object>) => {
      await writeFile(file, typeof latest === 'string' ? latest : JSON.stringify(latest));
      try {
        if (extra === undefined) latestEpochCheckpoint(root);
        else latestEpochCheckpoint(root, extra);
        assert.unreachable(`${JSON.stringify(latest)} was read`);
      } catch (e) {
        assert.ok(errorMessage(e).startsWith(`${file}: `), errorMessage(e));
        assert.match(errorMessage(e), pattern);
      }
    };
    await refused({ ...good, epoch: '2' }, /: epoch: expected number, got "2"/);
    const { dataRng: _rng, ...noRng } = good;
    await refused(noRng, /: dataRng: expected tuple, got undefined/);
    await refused({ ...good, dir: '../elsewhere' }, /: dir: a checkpoint folder name \(epoch-NNNN\), got "..\/elsewhere"/);
    await refused({ ...good, note: 7 }, /: note: expected string, got 7/, z.object({ note: z.string() }));
    await refused('{"epoch": 2, ', /: not a readable JSON file/);
    // the untampered file is read as written
    await writeFile(file, JSON.stringify(good));
    assert.equal(latestEpochCheckpoint(root, z.object({ note: z.string() })), { epoch: 2, step: 14, dataRng: rng.getState(), note: 'after 2', dir: path.join(root, 'epoch-0002') });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test.run();
