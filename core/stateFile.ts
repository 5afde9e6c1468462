/**
 * State read back from disk is checked, never cast: each reader (a checkpoint's loader, a run's
 * resume) owns a zod schema of what it reads, and `checkData` turns a value that fails it into one
 * error naming the file and the field (`…/state.msgpack: learner.replay.obs: expected Float32Array,
 * got an Array of 8`), so a corrupt or foreign file is refused where it is read, before any model,
 * optimiser or log is touched, not deep inside training.
 *
 * The schemas of core's own data types are here too. msgpack (core/tensors.ts `packr`, moreTypes)
 * gives typed arrays back as typed arrays, so the schemas take them as such (`z.instanceof`).
 * No tfjs here (a tabular agent checks its table with these schemas without loading it); msgpack
 * files are read by core/checkpoint.ts `readMsgpackFile`.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { count, f32, firstIssueText, i32, shapedData, u8 } from '../base/schemas.js';
import type { FusedAdamState, FusedRmspropState } from './flatParams.js';
import type { OptimizerSlot } from './optim.js';
import type { ReplayState } from './replay.js';
import { errorMessage } from '../base/plainData.js';

/** FusedAdam's state (core/fused.ts). */
export const fusedAdamStateSchema = z.object({ t: count, m: f32, v: f32 }) satisfies z.ZodType<FusedAdamState>;
/** FusedRmsprop's state (core/fused.ts). */
export const fusedRmspropStateSchema = z.object({ t: count, sq: f32 }) satisfies z.ZodType<FusedRmspropState>;

/** A tfjs optimiser's slots (core/optim.ts `Optimizer.getState`): the int32 iteration count, then float32 slot variables. */
export const optimizerSlotsSchema = z.array(
  z.object({
    name: z.string(),
    value: shapedData(z.union([f32, i32])),
  }),
) satisfies z.ZodType<OptimizerSlot[]>;

/** A replay buffer's state (core/replay.ts; ReplayBuffer.fromState checks the sizes against the config). */
export const replayStateSchema = z.object({
  config: z.object({ capacity: count, obsDim: count, actionDim: count, actionType: z.enum(['discrete', 'continuous']) }),
  pos: count,
  size: count,
  obs: f32,
  actions: z.union([i32, f32]),
  rewards: f32,
  nextObs: f32,
  terminated: u8,
}) satisfies z.ZodType<ReplayState>;

/** An error about a file read back from disk: its message names the file and the field. */
export class StateFileError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'StateFileError';
  }
}

/**
 * `value` (read from `file`) as the schema's type, or a StateFileError naming the file and the
 * first bad field, what was expected and what was found there (base/schemas.ts `issueText`).
 */
export function checkData<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem(s))` : '';
  throw new StateFileError(file, `${firstIssueText(r.error, { whole: '(the whole file)', input: value })}${more}`);
}

/** Parses a JSON file: its value, unchecked (`unknown`), or an error naming the file. */
export function readJsonFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch (e) {
    throw new StateFileError(file, `not a readable JSON file (${errorMessage(e)})`);
  }
}
