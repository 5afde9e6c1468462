/**
 * The zod atoms every schema of plain data is built from, written once: what crosses a thread, a
 * process or a socket (protocol/) and what comes back from disk (core/stateFile.ts and the
 * readers built on it), so the wire and the state files agree on what a typed array, a count, a
 * tensor as data and a generator state are. And the one way a zod issue becomes a line of text
 * naming the field (`issueText`).
 *
 * zod is the one package base/ may import: plain JavaScript, no tfjs, no node: built-ins. The page
 * must not import this file (it bundles no zod; test/architecture.test.ts checks it). zod 4's
 * `z.number()` refuses NaN and ±Infinity, so every number below is finite; non-finite values
 * travel only inside typed arrays (msgpack round-trips them exactly), which these schemas take
 * as they are.
 */
import { z } from 'zod';
import { describeValue, valueAt } from './plainData.js';
import { sizeOf } from './shape.js';
import type { RngState } from './rng.js';

export const f32 = z.instanceof(Float32Array);
export const f64 = z.instanceof(Float64Array);
export const i32 = z.instanceof(Int32Array);
export const u8 = z.instanceof(Uint8Array);
/** A non-negative safe integer: a size, an index, a step counter, a seed. */
export const count = z.number().int().nonnegative();
/** A name: of a run, an env, a tensor (1 to 200 characters). */
export const shortName = z.string().min(1).max(200);

/** Dimensions of a tensor, at most (the conv nets' kernels have 4). */
export const MAX_RANK = 8;

/**
 * A tensor's values with its shape (at most MAX_RANK dimensions), `data` holding exactly as many
 * values as the shape does; `data` is the schema of the values (Float32Array, or an optimiser's
 * int32 iteration count).
 */
export function shapedData<D extends { readonly length: number }>(data: z.ZodType<D>) {
  return z.object({ shape: z.array(count).max(MAX_RANK), data }).superRefine((t, ctx) => {
    const size = sizeOf(t.shape);
    if (size !== t.data.length) ctx.addIssue({ code: 'custom', path: ['data'], message: `${t.data.length} values for shape [${t.shape.join(', ')}] (${size})` });
  });
}
/** One tensor as data (core/tensors.ts TensorData). */
export const tensorDataSchema = shapedData(f32);
/** Named tensors as data (core/tensors.ts TensorMap). */
export const tensorMapSchema = z.record(shortName, tensorDataSchema);

/** One word of an Rng state: what `Rng.getState` gives (an unsigned 32-bit integer). */
const word = z.number().int().min(0).max(0xffff_ffff);
/** An Rng's state (base/rng.ts): four unsigned 32-bit words, not all zero (Rng.setState refuses that). */
export const rngStateSchema = z
  .tuple([word, word, word, word])
  .readonly()
  .refine((s) => s.some((w) => w !== 0), 'an Rng state that is not all zero') satisfies z.ZodType<RngState>;

// ---- issues as text -----------------------------------------------------------------------------

/** How `issueText` writes an issue. */
export interface IssueTextOptions {
  /** Named before the path (`spec`, `data`): `spec.agent.algo`. */
  root?: string;
  /** What an issue about the value itself is called when there is no root (`message`, `(the whole file)`). */
  whole?: string;
  /**
   * The value that was parsed. Given, zod's message is rewritten for a person reading a file's or
   * a spec's error: its "Invalid input: " and "received <type>" are replaced by what was found
   * at the path ("expected number, got \"three\""), unknown and reserved keys are named. Absent,
   * zod's message is kept as it is (the wire's reasons).
   */
  input?: unknown;
  /** Longest line returned (the rest is cut with …): a path through record keys may be as long as its sender likes. */
  maxLength?: number;
}

/** The message of an issue, rewritten for a person (IssueTextOptions.input). */
function describedMessage(issue: z.core.$ZodIssue, input: unknown): string {
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  // the path ends at the key; what is wrong with it is the key schema's message
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  const found = issue.code === 'custom' ? '' : `, got ${describeValue(valueAt(input, issue.path))}`;
  const expected = issue.code === 'invalid_union' && issue.message === 'Invalid input' ? 'not of any accepted type' : issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, '');
  return `${expected}${found}`;
}

/**
 * One zod issue as one line, `field.path: message`: the path joined with dots (after `root`),
 * control characters escaped (a key along the path may hold a newline), at most `maxLength` long.
 */
export function issueText(issue: z.core.$ZodIssue, opts: IssueTextOptions = {}): string {
  const path = issue.path.map(String);
  const where = opts.root !== undefined ? [opts.root, ...path].join('.') : path.length > 0 ? path.join('.') : (opts.whole ?? '(the value)');
  const message = 'input' in opts ? describedMessage(issue, opts.input) : issue.message;
  const line = `${where}: ${message}`.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return opts.maxLength !== undefined && line.length > opts.maxLength ? `${line.slice(0, opts.maxLength)}…` : line;
}

/** The first issue of a failed parse as one line (`issueText`; a ZodError always holds one). */
export function firstIssueText(error: z.ZodError, opts: IssueTextOptions = {}): string {
  const [first] = error.issues;
  return first !== undefined ? issueText(first, opts) : `${opts.root ?? opts.whole ?? '(the value)'}: ${error.message}`;
}
