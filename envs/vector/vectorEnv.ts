/**
 * Vector envs: `numEnvs` sub-envs stepped together (Gymnasium `gymnasium.vector.VectorEnv`).
 *
 * Batched layout (nnlab's typed-array form of Gymnasium's batched arrays):
 * - observations: one Float32Array of `numEnvs × obsDim`, row i = sub-env i. A Box observation
 *   is copied element-wise (obsDim = its size); a Discrete observation is stored as its index
 *   (obsDim = 1); MultiDiscrete / MultiBinary as their values; Tuple / Dict flattened.
 * - actions: `ArrayLike<number>` of `numEnvs × actDim` (actDim = 1 for Discrete).
 * - rewards: Float64Array(numEnvs); terminated / truncated: Uint8Array(numEnvs) of 0/1.
 *
 * The returned arrays are owned by the vector env and overwritten by the next `step` / `reset`
 * (no per-step allocation); copy them to keep them, or pass `copy: true` to `makeVec`.
 *
 * Autoreset modes (Gymnasium `AutoresetMode`):
 * - `'next-step'` (default): a sub-env that ended on step t is reset on step t+1; that step's
 *   action is ignored and it returns the reset observation with reward 0 and
 *   terminated = truncated = 0.
 * - `'same-step'`: a sub-env that ends is reset within the same step; the returned row is the
 *   reset observation and `info.finalObs[i]` / `info.finalInfo` hold the last observation / info
 *   of the finished episode (`info._finalObs[i] = 1` marks them).
 * - `'disabled'` (sync only): nothing is reset automatically; `reset({ options: { resetMask } })`
 *   resets the masked sub-envs.
 *
 * Seeding: `reset({ seed })` seeds sub-env i with `seed + i` (or `seed[i]` for an array), as
 * Gymnasium.
 */
import type { Info } from '../core.js';
import type { Space } from '../spaces/space.js';

/** Every autoreset mode (see the module doc). */
export const AUTORESET_MODES = ['next-step', 'same-step', 'disabled'] as const;
export type AutoresetMode = (typeof AUTORESET_MODES)[number];
/** The modes a batched vector entry point (e.g. CartPole-v1's kernel) implements: all but 'disabled'. */
export type BatchedAutoresetMode = Exclude<AutoresetMode, 'disabled'>;
export const BATCHED_AUTORESET_MODES: readonly BatchedAutoresetMode[] = AUTORESET_MODES.filter((m): m is BatchedAutoresetMode => m !== 'disabled');

/** Whether `mode` is an autoreset mode (options of untyped callers are checked with it). */
export function isAutoresetMode(mode: unknown): mode is AutoresetMode {
  return AUTORESET_MODES.some((m) => m === mode);
}

/** Whether `mode` is an autoreset mode a batched vector entry point implements. */
export function isBatchedAutoresetMode(mode: unknown): mode is BatchedAutoresetMode {
  return isAutoresetMode(mode) && mode !== 'disabled';
}

/** The modes quoted for an error message: `'next-step', 'same-step' or 'disabled'`. */
export function quotedModes(modes: readonly string[]): string {
  const q = modes.map((m) => `'${m}'`);
  return q.length <= 1 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/**
 * Info of a vector step / reset. Each sub-env info key `k` becomes `info[k]` (an array with
 * one entry per sub-env, null where absent) plus `info['_' + k]` (Uint8Array mask), as Gymnasium.
 */
export interface VectorInfo {
  /** Same-step mode: last observation of the episodes that ended this step (null elsewhere). */
  finalObs?: unknown[];
  _finalObs?: Uint8Array;
  /** Same-step mode: aggregated info of the episodes that ended this step. */
  finalInfo?: VectorInfo;
  _finalInfo?: Uint8Array;
  [key: string]: unknown;
}

export interface VectorResetArgs {
  /** Sub-env i gets `seed + i`; an array gives each sub-env its own seed. */
  seed?: number | readonly (number | null | undefined)[] | null;
  /** Passed to every sub-env but `resetMask`, which (in disabled mode) selects which sub-envs reset. */
  options?: VectorResetOptions | null;
}

/** A vector env's reset options: a sub-env's own, and `resetMask`. */
export type VectorResetOptions = Record<string, unknown> & {
  /** One flag per sub-env (an array or typed array of numEnvs numbers or booleans): a truthy one resets it. */
  resetMask?: ArrayLike<number | boolean>;
};

export type VectorResetReturn = [obs: Float32Array, info: VectorInfo];
export type VectorStepReturn = [obs: Float32Array, rewards: Float64Array, terminated: Uint8Array, truncated: Uint8Array, info: VectorInfo];

export interface VectorEnv {
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  /** Batched action space (Gymnasium `batch_space`), e.g. MultiDiscrete of numEnvs for Discrete. */
  readonly actionSpace: Space<unknown>;
  /** Floats per sub-env in the observation batch. */
  readonly obsDim: number;
  /** Numbers per sub-env in the action batch. */
  readonly actDim: number;
  readonly autoresetMode: AutoresetMode;
  readonly spec: import('../core.js').EnvSpec | null;
  reset(args?: VectorResetArgs): VectorResetReturn;
  step(actions: ArrayLike<number>): VectorStepReturn;
  close(): void;
}

/** Gymnasium `VectorEnv._add_info`: merge sub-env `i`'s info into the batched info. */
export function addInfo(infos: VectorInfo, envInfo: Info, i: number, numEnvs: number): VectorInfo {
  for (const [k, v] of Object.entries(envInfo)) {
    let arr = infos[k] as unknown[] | undefined;
    let mask = infos['_' + k] as Uint8Array | undefined;
    if (arr === undefined || mask === undefined) {
      arr = new Array<unknown>(numEnvs).fill(null);
      mask = new Uint8Array(numEnvs);
      infos[k] = arr;
      infos['_' + k] = mask;
    }
    arr[i] = v;
    mask[i] = 1;
  }
  return infos;
}

/** Seeds for each sub-env from a vector reset seed. */
export function subEnvSeeds(seed: VectorResetArgs['seed'], numEnvs: number): (number | undefined)[] {
  if (seed === undefined || seed === null) return new Array<undefined>(numEnvs).fill(undefined);
  if (typeof seed === 'number') return Array.from({ length: numEnvs }, (_, i) => seed + i);
  if (seed.length !== numEnvs) throw new RangeError(`reset: expected ${numEnvs} seeds, got ${seed.length}`);
  return seed.map((s) => (s === null ? undefined : s));
}
