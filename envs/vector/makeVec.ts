import type { EnvSpec } from '../core.js';
import { InvalidArgument } from '../errors.js';
import { make, resolveSpecAsync, resolveSpecSync, type MakeOptions } from '../registration.js';
import { SyncVectorEnv } from './syncVectorEnv.js';
import { checkMaxEpisodeSteps } from '../wrappers/timeLimit.js';
import { AUTORESET_MODES, BATCHED_AUTORESET_MODES, isAutoresetMode, isBatchedAutoresetMode, quotedModes, type AutoresetMode, type VectorEnv } from './vectorEnv.js';

/**
 * How makeVec builds its vector env: `'vector-entry-point'`, the registered batched kernel (e.g.
 * CartPole-v1's); `'sync'`, a SyncVectorEnv of `make(id)` sub-envs; `'auto'`, the batched kernel
 * when the spec has one and the autoreset mode is supported, else sync.
 */
export const VECTORIZATION_MODES = ['auto', 'sync', 'vector-entry-point'] as const;
export type VectorizationMode = (typeof VECTORIZATION_MODES)[number];

function isVectorizationMode(mode: unknown): mode is VectorizationMode {
  return VECTORIZATION_MODES.some((m) => m === mode);
}

/** Options of `makeVec` (Gymnasium `make_vec`). */
export interface MakeVecOptions {
  /** Number of sub-envs. Default 1. */
  numEnvs?: number;
  /** Default `'next-step'` (Gymnasium 1.x default). */
  autoresetMode?: AutoresetMode;
  /** One of VECTORIZATION_MODES. Default `'auto'`. */
  vectorizationMode?: VectorizationMode;
  /** Env kwargs for every sub-env. */
  kwargs?: Record<string, unknown>;
  /** Override the spec's time limit. */
  maxEpisodeSteps?: number | null;
  /** Return fresh arrays from step/reset instead of reused buffers (sync mode). Default false. */
  copy?: boolean;
  /** `make` options for sync sub-envs. */
  makeOptions?: Omit<MakeOptions, 'maxEpisodeSteps'>;
}

function build(envSpec: EnvSpec, options: MakeVecOptions): VectorEnv {
  const numEnvs = options.numEnvs ?? 1;
  if (!Number.isSafeInteger(numEnvs) || numEnvs <= 0) throw new InvalidArgument(`makeVec: numEnvs must be a positive integer, got ${numEnvs}`);
  const autoresetMode = options.autoresetMode ?? 'next-step';
  if (!isAutoresetMode(autoresetMode)) {
    throw new InvalidArgument(`makeVec: autoresetMode must be ${quotedModes(AUTORESET_MODES)}, got '${String(autoresetMode)}'`);
  }
  const mode = options.vectorizationMode ?? 'auto';
  const kwargs = { ...envSpec.kwargs, ...(options.kwargs ?? {}) };
  // checked here for every vector entry point (the batched CartPole checks its own again when constructed directly)
  const maxEpisodeSteps = checkMaxEpisodeSteps(`makeVec('${envSpec.id}')`, options.maxEpisodeSteps !== undefined ? options.maxEpisodeSteps : envSpec.maxEpisodeSteps, { nullable: true });
  const batchedMode = isBatchedAutoresetMode(autoresetMode) ? autoresetMode : undefined;
  const batched = envSpec.vectorEntryPoint !== null && batchedMode !== undefined;
  if (mode === 'vector-entry-point' && !batched) {
    throw new InvalidArgument(
      envSpec.vectorEntryPoint === null
        ? `makeVec('${envSpec.id}'): this env has no vector entry point (batched kernel); use vectorizationMode 'sync'`
        : `makeVec('${envSpec.id}'): the batched kernel supports autoresetMode ${quotedModes(BATCHED_AUTORESET_MODES)} only`,
    );
  }
  if (!isVectorizationMode(mode)) throw new InvalidArgument(`makeVec: vectorizationMode must be ${quotedModes(VECTORIZATION_MODES)}, got '${String(mode)}'`);
  if (envSpec.vectorEntryPoint !== null && batchedMode !== undefined && mode !== 'sync') {
    return envSpec.vectorEntryPoint({ numEnvs, autoresetMode: batchedMode, maxEpisodeSteps, kwargs, spec: { ...envSpec, kwargs, maxEpisodeSteps } });
  }
  const fns = Array.from({ length: numEnvs }, () => () => make(envSpec, kwargs, { ...(options.makeOptions ?? {}), maxEpisodeSteps }));
  return new SyncVectorEnv(fns, { autoresetMode, copy: options.copy ?? false });
}

/**
 * Make a vector env of a registered id (Gymnasium `make_vec`). Uses the batched kernel when the
 * env registers one (CartPole-v1 does), otherwise a SyncVectorEnv.
 */
export function makeVec(id: string | EnvSpec, options: MakeVecOptions = {}): VectorEnv {
  return build(resolveSpecSync(id, 'makeVecAsync'), options);
}

/** `makeVec` for `"module:Env-v0"` ids (imports the module first). */
export async function makeVecAsync(id: string | EnvSpec, options: MakeVecOptions = {}): Promise<VectorEnv> {
  return build(await resolveSpecAsync(id), options);
}
