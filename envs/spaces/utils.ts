/**
 * Flattening helpers (Gymnasium `gymnasium.spaces.utils`): `flatdim`, `flatten`, `unflatten`,
 * `flattenSpace`. Discrete values flatten to one-hot vectors, MultiDiscrete to concatenated
 * one-hots, Box and MultiBinary to their elements, Tuple and Dict (sorted keys) to the
 * concatenation of their parts. Flat values are Float32Arrays (Gymnasium keeps the space dtype;
 * nnlab always feeds float32 networks).
 */
import { InvalidArgument } from '../errors.js';
import { argmax } from '../../base/stats.js';
import { Dict, Tuple, type DictValue } from './composite.js';
import { Box, Discrete, MultiBinary, MultiDiscrete } from './fundamental.js';
import type { Space } from './space.js';

/** Length of the flattened vector of an element of `space`. */
export function flatdim(space: Space<unknown>): number {
  if (space instanceof Box) return space.size;
  if (space instanceof Discrete) return space.n;
  if (space instanceof MultiDiscrete) return space.nvec.reduce((a, b) => a + b, 0);
  if (space instanceof MultiBinary) return space.n;
  if (space instanceof Tuple) return space.spaces.reduce((a, s) => a + flatdim(s), 0);
  if (space instanceof Dict) return space.keys.reduce((a, k) => a + flatdim(space.spaces[k]!), 0);
  throw new InvalidArgument(`flatdim: cannot flatten ${String(space)}`);
}

function flattenInto(space: Space<unknown>, x: unknown, out: Float32Array, offset: number): number {
  if (space instanceof Box) {
    const a = x as ArrayLike<number>;
    for (let i = 0; i < space.size; i++) out[offset + i] = a[i]!;
    return offset + space.size;
  }
  if (space instanceof Discrete) {
    out[offset + ((x as number) - space.start)] = 1;
    return offset + space.n;
  }
  if (space instanceof MultiDiscrete) {
    const a = x as ArrayLike<number>;
    for (let k = 0; k < space.nvec.length; k++) {
      out[offset + a[k]! - space.start[k]!] = 1;
      offset += space.nvec[k]!;
    }
    return offset;
  }
  if (space instanceof MultiBinary) {
    const a = x as ArrayLike<number>;
    for (let i = 0; i < space.n; i++) out[offset + i] = a[i]!;
    return offset + space.n;
  }
  if (space instanceof Tuple) {
    const a = x as unknown[];
    space.spaces.forEach((s, k) => (offset = flattenInto(s, a[k], out, offset)));
    return offset;
  }
  if (space instanceof Dict) {
    const d = x as DictValue;
    for (const k of space.keys) offset = flattenInto(space.spaces[k]!, d[k], out, offset);
    return offset;
  }
  throw new InvalidArgument(`flatten: cannot flatten ${String(space)}`);
}

/** Flatten an element of `space` into a Float32Array of length `flatdim(space)`. */
export function flatten(space: Space<unknown>, x: unknown, out?: Float32Array): Float32Array {
  const dst = out ?? new Float32Array(flatdim(space));
  if (out !== undefined) dst.fill(0);
  flattenInto(space, x, dst, 0);
  return dst;
}

function unflattenFrom(space: Space<unknown>, flat: ArrayLike<number>, offset: number): [unknown, number] {
  if (space instanceof Box) {
    const v = space.zeros();
    for (let i = 0; i < space.size; i++) v[i] = flat[offset + i]!;
    return [v, offset + space.size];
  }
  if (space instanceof Discrete) return [space.start + argmax(flat, offset, space.n), offset + space.n];
  if (space instanceof MultiDiscrete) {
    const v = new Int32Array(space.nvec.length);
    for (let k = 0; k < v.length; k++) {
      v[k] = space.start[k]! + argmax(flat, offset, space.nvec[k]!);
      offset += space.nvec[k]!;
    }
    return [v, offset];
  }
  if (space instanceof MultiBinary) {
    const v = new Int8Array(space.n);
    for (let i = 0; i < space.n; i++) v[i] = flat[offset + i]!;
    return [v, offset + space.n];
  }
  if (space instanceof Tuple) {
    const parts: unknown[] = [];
    for (const s of space.spaces) {
      const [p, next] = unflattenFrom(s, flat, offset);
      parts.push(p);
      offset = next;
    }
    return [parts, offset];
  }
  if (space instanceof Dict) {
    const d: DictValue = {};
    for (const k of space.keys) {
      const [p, next] = unflattenFrom(space.spaces[k]!, flat, offset);
      d[k] = p;
      offset = next;
    }
    return [d, offset];
  }
  throw new InvalidArgument(`unflatten: cannot unflatten ${String(space)}`);
}

/** Inverse of `flatten`. */
export function unflatten(space: Space<unknown>, flat: ArrayLike<number>): unknown {
  if (flat.length !== flatdim(space)) throw new InvalidArgument(`unflatten: expected ${flatdim(space)} values, got ${flat.length}`);
  return unflattenFrom(space, flat, 0)[0];
}

function flatBounds(space: Space<unknown>, low: number[], high: number[]): void {
  if (space instanceof Box) {
    low.push(...space.low);
    high.push(...space.high);
  } else if (space instanceof Discrete || space instanceof MultiDiscrete || space instanceof MultiBinary) {
    const d = flatdim(space);
    for (let i = 0; i < d; i++) {
      low.push(0);
      high.push(1);
    }
  } else if (space instanceof Tuple) space.spaces.forEach((s) => flatBounds(s, low, high));
  else if (space instanceof Dict) space.keys.forEach((k) => flatBounds(space.spaces[k]!, low, high));
  else throw new InvalidArgument(`flattenSpace: cannot flatten ${String(space)}`);
}

/** The float32 Box of flattened elements of `space`. */
export function flattenSpace(space: Space<unknown>): Box<Float32Array> {
  const low: number[] = [];
  const high: number[] = [];
  flatBounds(space, low, high);
  return new Box<Float32Array>(low, high, [low.length], 'float32');
}

/**
 * The space of a batch of `n` elements (Gymnasium `batch_space`): Discrete → MultiDiscrete,
 * Box → Box with a leading batch dimension, MultiDiscrete → MultiDiscrete of n·k variables,
 * MultiBinary → MultiBinary(n·k); composite spaces → Tuple of n copies.
 */
export function batchSpace(space: Space<unknown>, n: number): Space<unknown> {
  if (space instanceof Discrete) return new MultiDiscrete(new Array<number>(n).fill(space.n), new Array<number>(n).fill(space.start));
  if (space instanceof Box) {
    const low = new Float64Array(n * space.size);
    const high = new Float64Array(n * space.size);
    for (let i = 0; i < n; i++) {
      low.set(space.low, i * space.size);
      high.set(space.high, i * space.size);
    }
    return new Box(low, high, [n, ...space.shape], space.dtype);
  }
  if (space instanceof MultiDiscrete) {
    const nvec: number[] = [];
    const start: number[] = [];
    for (let i = 0; i < n; i++) {
      nvec.push(...space.nvec);
      start.push(...space.start);
    }
    return new MultiDiscrete(nvec, start);
  }
  if (space instanceof MultiBinary) return new MultiBinary(n * space.n);
  return new Tuple(new Array(n).fill(space));
}
