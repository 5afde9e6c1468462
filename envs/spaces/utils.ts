/**
 * Flattening helpers (Gymnasium `gymnasium.spaces.utils`): `flatdim`, `flatten`, `unflatten`,
 * `flattenSpace`. Discrete values flatten to one-hot vectors, MultiDiscrete to concatenated
 * one-hots, Box and MultiBinary to their elements, Tuple and Dict (sorted keys) to the
 * concatenation of their parts. Flat values are Float32Arrays (Gymnasium keeps the space dtype;
 * nnlab always feeds float32 networks).
 */
import { InvalidArgument } from '../errors.js';
import { argmax } from '../../base/stats.js';
import { describeValue, ownField } from '../../base/plainData.js';
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

/**
 * `x`, which should be an element of `space`, as its `length` values, or an InvalidArgument naming
 * the space and the value: `flatten` and a vector env's batch rows read elements by index, and
 * an element of the wrong length or kind would write NaN, or into the next field's slot.
 */
export function elementValues(fn: string, space: Space<unknown>, x: unknown, length: number): ArrayLike<unknown> {
  if (!isArrayLike(x) || x.length !== length) throw notAnElement(fn, space, x, `expected ${length} values`);
  return x;
}

function isArrayLike(x: unknown): x is ArrayLike<unknown> {
  return typeof x === 'object' && x !== null && 'length' in x && typeof x.length === 'number';
}

/** The error of a value that is not an element of `space` (`why` says what was expected). */
export function notAnElement(fn: string, space: Space<unknown>, x: unknown, why: string): InvalidArgument {
  return new InvalidArgument(`${fn}: ${describeValue(x)} is not an element of ${String(space)} (${why})`);
}

/** `v`, a value of an element, checked to be a number (a Box's or MultiBinary's; their bounds are not checked, as Gymnasium's flatten does not). */
export function elementNumber(fn: string, space: Space<unknown>, x: unknown, v: unknown): number {
  if (typeof v !== 'number') throw notAnElement(fn, space, x, `${describeValue(v)} is not a number`);
  return v;
}

/** `v` as the index of a Discrete element in [start, start + n), else the error naming the space (a value out of range would set another slot's one-hot bit). */
export function discreteIndex(fn: string, space: Space<unknown>, x: unknown, v: unknown, start: number, n: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < start || v >= start + n) throw notAnElement(fn, space, x, `expected an integer in [${start}, ${start + n})`);
  return v - start;
}

function flattenInto(space: Space<unknown>, x: unknown, out: Float32Array, offset: number): number {
  if (space instanceof Box) {
    const a = elementValues('flatten', space, x, space.size);
    for (let i = 0; i < space.size; i++) out[offset + i] = elementNumber('flatten', space, x, a[i]);
    return offset + space.size;
  }
  if (space instanceof Discrete) {
    out[offset + discreteIndex('flatten', space, x, x, space.start, space.n)] = 1;
    return offset + space.n;
  }
  if (space instanceof MultiDiscrete) {
    const a = elementValues('flatten', space, x, space.nvec.length);
    for (let k = 0; k < space.nvec.length; k++) {
      out[offset + discreteIndex('flatten', space, x, a[k], space.start[k]!, space.nvec[k]!)] = 1;
      offset += space.nvec[k]!;
    }
    return offset;
  }
  if (space instanceof MultiBinary) {
    const a = elementValues('flatten', space, x, space.n);
    for (let i = 0; i < space.n; i++) out[offset + i] = elementNumber('flatten', space, x, a[i]);
    return offset + space.n;
  }
  if (space instanceof Tuple) {
    const a = elementValues('flatten', space, x, space.spaces.length);
    space.spaces.forEach((s, k) => (offset = flattenInto(s, a[k], out, offset)));
    return offset;
  }
  if (space instanceof Dict) {
    if (typeof x !== 'object' || x === null) throw notAnElement('flatten', space, x, 'expected an object with its keys');
    for (const k of space.keys) offset = flattenInto(space.spaces[k]!, ownField(x, k), out, offset);
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
