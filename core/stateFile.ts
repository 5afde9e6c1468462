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
import type { RngState } from '../base/rng.js';
import { valueAt } from '../base/plainData.js';
import type { FusedAdamState } from './flatParams.js';
import type { OptimizerSlot } from './optim.js';
import type { ReplayState } from './replay.js';
import type { TensorData, TensorMap } from './tensors.js';

export const f32 = z.instanceof(Float32Array);
export const f64 = z.instanceof(Float64Array);
export const i32 = z.instanceof(Int32Array);
export const u8 = z.instanceof(Uint8Array);
export const count = z.number().int().nonnegative();

/** An Rng's state (base/rng.ts): four 32-bit words (Rng.setState refuses all zero). */
export const rngStateSchema = z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]).readonly() satisfies z.ZodType<RngState>;

const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
/** Whether a tensor's data has as many values as its shape holds. */
const fillsShape = (t: { shape: readonly number[]; data: { length: number } }): boolean => t.data.length === sizeOf(t.shape);
const FILLS_SHAPE = { message: 'data has as many values as its shape holds' };

/** One tensor's values with its shape; the length must be the shape's size. */
export const tensorDataSchema = z
  .object({ shape: z.array(count), data: f32 })
  .refine(fillsShape, FILLS_SHAPE) satisfies z.ZodType<TensorData>;
export const tensorMapSchema = z.record(z.string(), tensorDataSchema) satisfies z.ZodType<TensorMap>;

/** FusedAdam's state (core/fused.ts). */
export const fusedAdamStateSchema = z.object({ t: count, m: f32, v: f32 }) satisfies z.ZodType<FusedAdamState>;
/** FusedRmsprop's state (core/fused.ts). */
export const fusedRmspropStateSchema = z.object({ t: count, sq: f32 });

/** A tfjs optimiser's slots (core/optim.ts `Optimizer.getState`): the int32 iteration count, then float32 slot variables. */
export const optimizerSlotsSchema = z.array(
  z.object({
    name: z.string(),
    value: z
      .object({ shape: z.array(count), data: z.union([f32, i32]) })
      .refine(fillsShape, FILLS_SHAPE),
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

/** A short description of a value found where another was expected. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}${'length' in v ? ` of ${String(v.length)}` : ''}`;
  if (Array.isArray(v)) return `an Array of ${v.length}`;
  if (typeof v === 'object') return `an object with ${Object.keys(v).length} field(s)`;
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * `value` (read from `file`) as the schema's type, or a StateFileError naming the file and the
 * first bad field, what was expected and what was found there.
 */
export function checkData<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(the whole file)';
  const more = r.error.issues.length > 1 ? ` (and ${r.error.issues.length - 1} more problem(s))` : '';
  const found = issue.code === 'custom' ? '' : `, got ${describe(valueAt(value, issue.path))}`;
  // zod's own "received …" is replaced by the description of what was found
  const expected = issue.code === 'invalid_union' ? 'not of any accepted type' : issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '');
  throw new StateFileError(file, `${field}: ${expected}${found}${more}`);
}

/** Parses a JSON file: its value, unchecked (`unknown`), or an error naming the file. */
export function readJsonFile(file: string): unknown {
  const text = readFileSync(file, 'utf8');
  try {
    const value: unknown = JSON.parse(text);
    return value;
  } catch (e) {
    throw new StateFileError(file, `not a readable JSON file (${(e as Error).message})`);
  }
}
