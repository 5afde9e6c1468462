/**
 * Epoch checkpoints of a generative training loop (generative/train.ts `onCheckpoint`): the
 * learner's own save (weights, optimiser state, Rngs) in root/epoch-NNNN, and root/LATEST-epoch.json
 * naming the newest with the loop's position (epoch, step, the batch-order Rng), from which
 * `trainGenerative({ resume })` continues exactly. Used by the run driver (drivers/generative.ts)
 * and bench:generative (bench/generative.ts), so an interrupted run loses at most one epoch.
 *
 * Atomicity: a checkpoint is written under a temporary name and renamed into place, then LATEST is
 * replaced by write-temp-then-rename; a crash at any point leaves LATEST naming a complete one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/checkpoint.js';
import type { GenerativeCheckpoint } from './train.js';

/** The newest checkpoint: the loop's position, its folder (absolute), and what the caller stored beside it. */
export type EpochCheckpoint<Extra extends object = object> = GenerativeCheckpoint & Extra & { dir: string };

const LATEST = 'LATEST-epoch.json';

/**
 * Saves through `c.save` into root/epoch-NNNN atomically, then points LATEST-epoch.json at it
 * (with `extra`); keeps the newest `keep`. Returns the checkpoint's folder.
 */
export async function saveEpochCheckpoint(root: string, c: GenerativeCheckpoint & { save: (dir: string) => Promise<void> }, keep: number, extra: object = {}): Promise<string> {
  const name = `epoch-${String(c.epoch).padStart(4, '0')}`;
  const tmp = path.join(root, `.tmp-${name}-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await c.save(tmp);
  await rm(path.join(root, name), { recursive: true, force: true });
  await rename(tmp, path.join(root, name));
  await writeFileAtomic(path.join(root, LATEST), JSON.stringify({ ...extra, epoch: c.epoch, step: c.step, dataRng: c.dataRng, dir: name }, null, 2) + '\n');
  const old = (await readdir(root)).filter((n) => /^epoch-\d+$/.test(n)).sort();
  for (const n of old.slice(0, Math.max(0, old.length - keep))) await rm(path.join(root, n), { recursive: true, force: true });
  return path.join(root, name);
}

/** The newest complete epoch checkpoint under `root`, or undefined. */
export function latestEpochCheckpoint<Extra extends object = object>(root: string): EpochCheckpoint<Extra> | undefined {
  const file = path.join(root, LATEST);
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')) as EpochCheckpoint<Extra>;
  return { ...s, dir: path.join(root, s.dir) };
}
