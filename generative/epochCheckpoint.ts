/**
 * Epoch checkpoints of a generative training loop (generative/train.ts `onCheckpoint`): the
 * learner's own save (weights, optimiser state, Rngs) in root/epoch-NNNN, and root/LATEST-epoch.json
 * naming the newest with the loop's position (epoch, step, the batch-order Rng), from which
 * `trainGenerative({ resume })` continues exactly. Used by the run driver (drivers/generative.ts)
 * and bench:generative (bench/generative.ts), so an interrupted run loses at most one epoch.
 *
 * Atomicity and rotation are core/checkpoint.ts `commitCheckpointFolder`'s, as for `saveCheckpoint`:
 * a crash at any point leaves LATEST naming a complete checkpoint.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { commitCheckpointFolder } from '../core/checkpoint.js';
import { checkData, readJsonFile } from '../core/stateFile.js';
import { count, rngStateSchema } from '../base/schemas.js';
import type { GenerativeCheckpoint } from './train.js';

/** The newest checkpoint: the loop's position, its folder (absolute), and what the caller stored beside it. */
export type EpochCheckpoint<Extra extends object = object> = GenerativeCheckpoint & Extra & { dir: string };

const LATEST = 'LATEST-epoch.json';
const FOLDER = /^epoch-\d+$/;

/** What LATEST-epoch.json holds besides the caller's extra: the loop's position and the checkpoint's folder, a name in root (as saveEpochCheckpoint writes it). */
const positionSchema = z.object({
  epoch: count,
  step: count,
  dataRng: rngStateSchema,
  dir: z.string().regex(FOLDER, 'a checkpoint folder name (epoch-NNNN)'),
}) satisfies z.ZodType<GenerativeCheckpoint & { dir: string }>;

/**
 * Saves through `c.save` into root/epoch-NNNN atomically, then points LATEST-epoch.json at it
 * (with `extra`); keeps the newest `keep`. Returns the checkpoint's folder.
 */
export async function saveEpochCheckpoint(root: string, c: GenerativeCheckpoint & { save: (dir: string) => Promise<void> }, keep: number, extra: object = {}): Promise<string> {
  const name = `epoch-${String(c.epoch).padStart(4, '0')}`;
  const text = JSON.stringify({ ...extra, epoch: c.epoch, step: c.step, dataRng: c.dataRng, dir: name }, null, 2) + '\n';
  return commitCheckpointFolder(root, name, c.save, { file: LATEST, text }, keep, FOLDER);
}

/**
 * The newest complete epoch checkpoint under `root`, or undefined; with `extra`, the schema of
 * what the caller stored beside it (saveEpochCheckpoint's `extra`). LATEST-epoch.json is checked:
 * a field of the wrong type or missing is refused with an error naming the file and the field.
 */
export function latestEpochCheckpoint(root: string): EpochCheckpoint | undefined;
export function latestEpochCheckpoint<Extra extends object>(root: string, extra: z.ZodType<Extra>): EpochCheckpoint<Extra> | undefined;
export function latestEpochCheckpoint(root: string, extra?: z.ZodType<object>): EpochCheckpoint | undefined {
  const file = path.join(root, LATEST);
  if (!existsSync(file)) return undefined;
  const raw = readJsonFile(file);
  const position = checkData(positionSchema, raw, file);
  const stored = extra === undefined ? {} : checkData(extra, raw, file);
  return { ...stored, ...position, dir: path.join(root, position.dir) };
}
