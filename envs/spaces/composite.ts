import { InvalidArgument } from '../errors.js';
import { Space } from './space.js';

/** Elements of a Tuple space: one element per subspace. */
export type TupleValue = unknown[];
/** Elements of a Dict space: one element per key. */
export type DictValue = Record<string, unknown>;

/** Cartesian product of spaces (Gymnasium `Tuple`); elements are arrays. */
export class Tuple extends Space<TupleValue> {
  constructor(readonly spaces: readonly Space<unknown>[]) {
    super([]);
    if (!spaces.every((s) => s instanceof Space)) throw new InvalidArgument('Tuple: every element must be a Space');
  }

  /** Seeds subspace k with `seed + k` (one seed per subspace is returned). */
  override seed(seed?: number): number[] {
    const base = super.seed(seed)[0]!;
    return [base, ...this.spaces.flatMap((s, k) => s.seed((base + k + 1) % Number.MAX_SAFE_INTEGER))];
  }

  sample(mask?: readonly unknown[]): TupleValue {
    return this.spaces.map((s, k) => s.sample(mask?.[k]));
  }

  contains(x: unknown): boolean {
    return Array.isArray(x) && x.length === this.spaces.length && this.spaces.every((s, k) => s.contains(x[k]));
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof Tuple && other.spaces.length === this.spaces.length && other.spaces.every((s, k) => s.equals(this.spaces[k]!));
  }

  toString(): string {
    return `Tuple(${this.spaces.map((s) => s.toString()).join(', ')})`;
  }
}

/**
 * Named spaces (Gymnasium `Dict`); elements are plain objects. Keys are sorted, as Gymnasium
 * sorts the keys of a plain dict, so flattening order is stable.
 */
export class Dict extends Space<DictValue> {
  readonly spaces: Readonly<Record<string, Space<unknown>>>;
  readonly keys: readonly string[];

  constructor(spaces: Record<string, Space<unknown>>) {
    super([]);
    const keys = Object.keys(spaces).sort();
    for (const k of keys) if (!(spaces[k] instanceof Space)) throw new InvalidArgument(`Dict: value for key '${k}' is not a Space`);
    this.keys = keys;
    this.spaces = Object.fromEntries(keys.map((k) => [k, spaces[k]!]));
  }

  override seed(seed?: number): number[] {
    const base = super.seed(seed)[0]!;
    return [base, ...this.keys.flatMap((k, i) => this.spaces[k]!.seed((base + i + 1) % Number.MAX_SAFE_INTEGER))];
  }

  sample(mask?: Record<string, unknown>): DictValue {
    const out: DictValue = {};
    for (const k of this.keys) out[k] = this.spaces[k]!.sample(mask?.[k]);
    return out;
  }

  contains(x: unknown): boolean {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
    const obj = x as Record<string, unknown>;
    if (Object.keys(obj).length !== this.keys.length) return false;
    return this.keys.every((k) => k in obj && this.spaces[k]!.contains(obj[k]));
  }

  equals(other: Space<unknown>): boolean {
    return (
      other instanceof Dict &&
      other.keys.length === this.keys.length &&
      other.keys.every((k, i) => k === this.keys[i] && other.spaces[k]!.equals(this.spaces[k]!))
    );
  }

  toString(): string {
    return `Dict(${this.keys.map((k) => `'${k}': ${this.spaces[k]!.toString()}`).join(', ')})`;
  }
}
