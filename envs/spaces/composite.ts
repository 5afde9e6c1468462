import { InvalidArgument } from '../errors.js';
import { Space } from './space.js';

/** `np.iinfo(np.int32).max`: the exclusive bound of the subspace seeds a composite space draws. */
const INT32_MAX = 2147483647;

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

  /**
   * Gymnasium's `Tuple.seed`: an integer seeds the Tuple's own generator, which draws one seed
   * per subspace (`np_random.integers(2^31 − 1, size=k)`); an array gives each subspace its seed;
   * nothing seeds every subspace from entropy. Returns the subspaces' seeds, flattened.
   */
  override seed(seed?: number | readonly number[]): number[] {
    if (seed === undefined) return this.spaces.flatMap((s) => s.seed());
    if (typeof seed !== 'number') {
      if (!Array.isArray(seed) || seed.length !== this.spaces.length) {
        throw new InvalidArgument(`${this.toString()}.seed: expected an integer or ${this.spaces.length} seeds, got ${String(seed)}`);
      }
      return this.spaces.flatMap((s, k) => s.seed(seed[k]));
    }
    super.seed(seed);
    const sub = this.npRandom.integersFill(new Array<number>(this.spaces.length), 0, INT32_MAX);
    return this.spaces.flatMap((s, k) => s.seed(sub[k]));
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

  /**
   * Gymnasium's `Dict.seed`: an integer seeds the Dict's own generator, which draws one seed per
   * key in key order (`np_random.integers(2^31 − 1, size=k)`); an object gives each key its seed;
   * nothing seeds every subspace from entropy. Returns the subspaces' seeds, flattened in key order.
   */
  override seed(seed?: number | Readonly<Record<string, number>>): number[] {
    if (seed === undefined) return this.keys.flatMap((k) => this.spaces[k]!.seed());
    if (typeof seed !== 'number') {
      const given = seed !== null && typeof seed === 'object' ? Object.keys(seed).sort() : [];
      if (given.length !== this.keys.length || given.some((k, i) => k !== this.keys[i])) {
        throw new InvalidArgument(`${this.toString()}.seed: the seed keys [${given.join(', ')}] are not the space keys [${this.keys.join(', ')}]`);
      }
      return this.keys.flatMap((k) => this.spaces[k]!.seed(seed[k]));
    }
    super.seed(seed);
    const sub = this.npRandom.integersFill(new Array<number>(this.keys.length), 0, INT32_MAX);
    return this.keys.flatMap((k, i) => this.spaces[k]!.seed(sub[i]));
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
