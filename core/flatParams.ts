/**
 * A network's parameters as one flat Float32Array of consecutive named slices, in the order of the
 * tfjs twin's weights (`getParams(model)`): slice k holds `names[k]`, of shape `shapes[k]`,
 * row-major. The fused engines (core/fusedNet.ts `FusedNet`, core/fusedConvNet.ts `FusedConvNet`)
 * keep `params` and `grads` in this layout, so one optimiser step (core/fused.ts `FusedAdam`) covers
 * the whole net, and these two functions convert between it and a TensorMap by name.
 * No imports of tfjs (rollout workers load it).
 */
import { sizeOf } from '../base/shape.js';
import type { TensorMap } from './tensors.js';

/** base/shape.ts's, re-exported beside the slices it sizes (generative/dcgan.ts and the fused conv net take it from here). */
export { sizeOf };

/** The slices of `flat` as a TensorMap with their names (copies). */
export function sliceMap(names: readonly string[], shapes: readonly (readonly number[])[], flat: Float32Array): TensorMap {
  const out: TensorMap = {};
  let offset = 0;
  names.forEach((name, i) => {
    const shape = shapes[i]!;
    const n = sizeOf(shape);
    out[name] = { shape: shape.slice(), data: flat.slice(offset, offset + n) };
    offset += n;
  });
  return out;
}

/**
 * Copies the named tensors of `map` (every name, of the right size; other entries are ignored) into
 * their slices of `into`, which it returns. `owner` prefixes the error that names a missing or
 * wrongly sized entry.
 */
export function fillFromMap(
  names: readonly string[], shapes: readonly (readonly number[])[], map: TensorMap, into: Float32Array, owner: string,
): Float32Array {
  let offset = 0;
  names.forEach((name, i) => {
    const t = map[name];
    const n = sizeOf(shapes[i]!);
    if (t === undefined || t.data.length !== n) throw new Error(`${owner}: '${name}' missing or of the wrong size (expected ${n} values)`);
    into.set(t.data, offset);
    offset += n;
  });
  return into;
}

/** Adam's state over one flat parameter vector (core/fused.ts `FusedAdam`): the step count and the two moment vectors. */
export interface FusedAdamState {
  t: number;
  m: Float32Array;
  v: Float32Array;
}

/** RMSprop's state over one flat parameter vector (core/fused.ts `FusedRmsprop`): the step count and the running average E[g²]. */
export interface FusedRmspropState {
  t: number;
  sq: Float32Array;
}
