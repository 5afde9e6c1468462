import { describeValue } from '../../base/plainData.js';
import { isNumberArray } from '../../base/typedArray.js';
import type { Env, EnvSpec, Info } from '../core.js';
import { InvalidArgument } from '../errors.js';
import { Box, Discrete, MultiBinary, MultiDiscrete } from '../spaces/fundamental.js';
import type { Space } from '../spaces/space.js';
import { batchSpace, discreteIndex, elementNumber, elementValues, flatdim, flatten } from '../spaces/utils.js';
import {
  addInfo,
  AUTORESET_MODES,
  isAutoresetMode,
  quotedModes,
  subEnvSeeds,
  type AutoresetMode,
  type VectorEnv,
  type VectorInfo,
  type VectorResetArgs,
  type VectorResetReturn,
  type VectorStepReturn,
} from './vectorEnv.js';

/** Throws unless `mask` (unchecked: reset options may come as data) is an array or typed array of `numEnvs` numbers or booleans. */
function checkResetMask(mask: unknown, numEnvs: number): void {
  const list: readonly unknown[] | undefined = Array.isArray(mask) ? mask : isNumberArray(mask) ? Array.from(mask) : undefined;
  if (list === undefined) throw new InvalidArgument(`SyncVectorEnv.reset: options.resetMask must be an array of ${numEnvs} flags (one per sub-env), got ${describeValue(mask)}`);
  if (list.length !== numEnvs) throw new InvalidArgument(`SyncVectorEnv.reset: options.resetMask has ${list.length} flags for ${numEnvs} sub-envs`);
  const bad = list.findIndex((f) => typeof f !== 'number' && typeof f !== 'boolean');
  if (bad >= 0) throw new InvalidArgument(`SyncVectorEnv.reset: options.resetMask[${bad}] must be a number or a boolean, got ${describeValue(list[bad])}`);
}

/** Floats per element of `space` in a batch row (see `vectorEnv.ts`). */
export function batchDim(space: Space<unknown>): number {
  if (space instanceof Discrete) return 1;
  if (space instanceof Box) return space.size;
  if (space instanceof MultiDiscrete) return space.nvec.length;
  if (space instanceof MultiBinary) return space.n;
  return flatdim(space);
}

/** Writes one element of `space` as its batch row, the `dim = batchDim(space)` floats of `out` from `offset` (see `vectorEnv.ts`). */
export function writeBatchRow(space: Space<unknown>, obs: unknown, out: Float32Array, offset: number, dim: number): void {
  // each element is checked as it is read (a range check per Discrete value, a typeof per Box
  // value, not the Box's bounds): a bad observation is an error naming the space, not NaN or a
  // value in the next row
  const fn = 'writeBatchRow';
  if (space instanceof Discrete) out[offset] = space.start + discreteIndex(fn, space, obs, obs, space.start, space.n);
  else if (space instanceof MultiDiscrete) {
    const a = elementValues(fn, space, obs, dim);
    for (let j = 0; j < dim; j++) out[offset + j] = space.start[j]! + discreteIndex(fn, space, obs, a[j], space.start[j]!, space.nvec[j]!);
  } else if (space instanceof Box || space instanceof MultiBinary) {
    const a = elementValues(fn, space, obs, dim);
    for (let j = 0; j < dim; j++) out[offset + j] = elementNumber(fn, space, obs, a[j]);
  } else out.set(flatten(space, obs), offset);
}

/**
 * Writes sub-env `e`'s true next observation after a step as its batch row, at `offset` of `out`:
 * where its episode ended in that step under same-step autoreset, the final observation
 * (`info.finalObs[e]`, a raw observation, written like any row: a Discrete state as its index,
 * Tuple and Dict flattened); elsewhere row `e` of `nextObs`.
 */
export function writeNextObsRow(envs: VectorEnv, nextObs: Float32Array, info: VectorInfo, e: number, out: Float32Array, offset: number): void {
  const dim = envs.obsDim;
  const { finalObs, _finalObs: ended } = info;
  if (finalObs !== undefined && ended?.[e] === 1) writeBatchRow(envs.singleObservationSpace, finalObs[e], out, offset, dim);
  else out.set(nextObs.subarray(e * dim, (e + 1) * dim), offset);
}

export interface SyncVectorEnvOptions {
  autoresetMode?: AutoresetMode;
  /** Return fresh arrays from step / reset instead of the env's reused buffers. Default false. */
  copy?: boolean;
}

/**
 * Steps sub-envs one after another in this thread (Gymnasium `SyncVectorEnv`), with
 * Gymnasium's autoreset semantics (see `vectorEnv.ts`).
 */
export class SyncVectorEnv implements VectorEnv {
  readonly envs: Env<unknown, unknown>[];
  readonly numEnvs: number;
  readonly singleObservationSpace: Space<unknown>;
  readonly singleActionSpace: Space<unknown>;
  readonly actionSpace: Space<unknown>;
  readonly obsDim: number;
  readonly actDim: number;
  readonly autoresetMode: AutoresetMode;
  readonly copy: boolean;
  private readonly obs: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminations: Uint8Array;
  private readonly truncations: Uint8Array;
  private readonly autoresetEnvs: Uint8Array;
  private readonly actionIsScalar: boolean;

  constructor(envFns: readonly (() => Env<unknown, unknown>)[] | readonly Env<unknown, unknown>[], options: SyncVectorEnvOptions = {}) {
    if (envFns.length === 0) throw new InvalidArgument('SyncVectorEnv needs at least one env');
    this.envs = envFns.map((e) => (typeof e === 'function' ? e() : e));
    this.numEnvs = this.envs.length;
    this.singleObservationSpace = this.envs[0]!.observationSpace;
    this.singleActionSpace = this.envs[0]!.actionSpace;
    for (const [i, e] of this.envs.entries()) {
      if (!e.observationSpace.equals(this.singleObservationSpace) || !e.actionSpace.equals(this.singleActionSpace)) {
        throw new InvalidArgument(`SyncVectorEnv: sub-env ${i} has different spaces than sub-env 0`);
      }
    }
    this.actionSpace = batchSpace(this.singleActionSpace, this.numEnvs);
    this.obsDim = batchDim(this.singleObservationSpace);
    this.actDim = batchDim(this.singleActionSpace);
    this.actionIsScalar = this.singleActionSpace instanceof Discrete;
    this.autoresetMode = options.autoresetMode ?? 'next-step';
    if (!isAutoresetMode(this.autoresetMode)) {
      throw new InvalidArgument(`SyncVectorEnv: autoresetMode must be ${quotedModes(AUTORESET_MODES)}, got '${String(this.autoresetMode)}'`);
    }
    this.copy = options.copy ?? false;
    this.obs = new Float32Array(this.numEnvs * this.obsDim);
    this.rewards = new Float64Array(this.numEnvs);
    this.terminations = new Uint8Array(this.numEnvs);
    this.truncations = new Uint8Array(this.numEnvs);
    this.autoresetEnvs = new Uint8Array(this.numEnvs);
  }

  get spec(): EnvSpec | null {
    return this.envs[0]!.spec;
  }

  reset(args: VectorResetArgs = {}): VectorResetReturn {
    const seeds = subEnvSeeds(args.seed, this.numEnvs);
    const options = args.options ?? undefined;
    const { resetMask, ...others } = options ?? {};
    if (resetMask !== undefined) checkResetMask(resetMask, this.numEnvs);
    const subOptions = resetMask === undefined ? options : others;
    let infos: VectorInfo = {};
    for (let i = 0; i < this.numEnvs; i++) {
      if (resetMask !== undefined && !resetMask[i]) continue;
      const [o, info] = this.envs[i]!.reset({ seed: seeds[i], options: subOptions });
      writeBatchRow(this.singleObservationSpace, o, this.obs, i * this.obsDim, this.obsDim);
      infos = addInfo(infos, info, i, this.numEnvs);
      this.autoresetEnvs[i] = 0;
      this.terminations[i] = 0;
      this.truncations[i] = 0;
    }
    return [this.copy ? this.obs.slice() : this.obs, infos];
  }

  private actionFor(actions: ArrayLike<number>, i: number): unknown {
    if (this.actionIsScalar) return actions[i];
    const d = this.actDim;
    if (this.singleActionSpace instanceof Box) {
      const a = this.singleActionSpace.zeros();
      for (let j = 0; j < d; j++) a[j] = actions[i * d + j]!;
      return a;
    }
    if (this.singleActionSpace instanceof MultiDiscrete) return Int32Array.from({ length: d }, (_, j) => actions[i * d + j]!);
    if (this.singleActionSpace instanceof MultiBinary) return Int8Array.from({ length: d }, (_, j) => actions[i * d + j]!);
    throw new InvalidArgument(`SyncVectorEnv: batched actions for ${this.singleActionSpace.toString()} are not supported`);
  }

  step(actions: ArrayLike<number>): VectorStepReturn {
    if (actions === null || typeof actions !== 'object' || actions.length !== this.numEnvs * this.actDim) {
      throw new InvalidArgument(`SyncVectorEnv.step: expected ${this.numEnvs * this.actDim} actions (numEnvs × actDim), got ${actions?.length}`);
    }
    let infos: VectorInfo = {};
    /** Same-step mode: the info of each episode that ended this step (null elsewhere). */
    let finalInfos: (Info | null)[] | undefined;
    for (let i = 0; i < this.numEnvs; i++) {
      const env = this.envs[i]!;
      let obs: unknown;
      let envInfo: Info;
      if (this.autoresetMode === 'next-step' && this.autoresetEnvs[i]) {
        [obs, envInfo] = env.reset();
        this.rewards[i] = 0;
        this.terminations[i] = 0;
        this.truncations[i] = 0;
      } else {
        const [o, r, te, tr, info] = env.step(this.actionFor(actions, i));
        obs = o;
        envInfo = info;
        this.rewards[i] = r;
        this.terminations[i] = te ? 1 : 0;
        this.truncations[i] = tr ? 1 : 0;
        if (this.autoresetMode === 'same-step' && (te || tr)) {
          infos = addInfo(infos, { finalObs: obs, finalInfo: info }, i, this.numEnvs);
          (finalInfos ??= new Array<Info | null>(this.numEnvs).fill(null))[i] = info;
          [obs, envInfo] = env.reset();
        }
      }
      writeBatchRow(this.singleObservationSpace, obs, this.obs, i * this.obsDim, this.obsDim);
      infos = addInfo(infos, envInfo, i, this.numEnvs);
    }
    if (finalInfos !== undefined) infos.finalInfo = aggregateFinalInfo(finalInfos, this.numEnvs);
    for (let i = 0; i < this.numEnvs; i++) this.autoresetEnvs[i] = this.terminations[i]! | this.truncations[i]!;
    if (this.copy) return [this.obs.slice(), this.rewards.slice(), this.terminations.slice(), this.truncations.slice(), infos];
    return [this.obs, this.rewards, this.terminations, this.truncations, infos];
  }

  close(): void {
    for (const e of this.envs) e.close();
  }
}

/** Turn the per-env `finalInfo` entries into one batched info (Gymnasium nests `final_info` the same way). */
export function aggregateFinalInfo(perEnv: readonly (Info | null)[], numEnvs: number): VectorInfo {
  let out: VectorInfo = {};
  perEnv.forEach((info, i) => {
    if (info !== null) out = addInfo(out, info, i, numEnvs);
  });
  return out;
}
