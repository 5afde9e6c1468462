/**
 * The names of the tensor backends (core/backend.ts picks and starts one): what `NNLAB_BACKEND`,
 * `--backend` and an experiment spec's `learner.backend` (drivers/spec.ts) accept.
 * No imports (no tfjs): the spec's schema names them by value without loading a backend.
 */
export const BACKENDS = ['tensorflow', 'native', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(s: string): s is BackendName {
  return (BACKENDS as readonly string[]).includes(s);
}
