import { Rng } from '../../core/rng.js';

/** A seed drawn from Math.random, used when a space or env is sampled before being seeded. */
export function entropySeed(): number {
  return Math.floor(Math.random() * 4294967296) * 2048 + Math.floor(Math.random() * 2048);
}

/** Check a user seed (Gymnasium: a non-negative int) and return it. */
export function checkSeed(seed: unknown, who: string): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`${who}: seed must be a non-negative safe integer, got ${String(seed)}`);
  }
  return seed;
}

/**
 * Base of every space (Gymnasium `gymnasium.spaces.Space`): a set of values with `contains`,
 * a seeded `sample`, and a `shape`. Each space has its own generator (`npRandom`), seeded by
 * `seed(n)` or lazily from entropy.
 */
export abstract class Space<T = unknown> {
  protected _npRandom: Rng | null = null;

  constructor(
    /** Shape of one value (empty for scalars such as Discrete). */
    readonly shape: readonly number[] = [],
  ) {}

  /** The space's generator (created from entropy on first use if never seeded). */
  get npRandom(): Rng {
    if (this._npRandom === null) this._npRandom = new Rng(entropySeed());
    return this._npRandom;
  }

  /** Seed the space's generator; returns the seeds used (one for fundamental spaces). */
  seed(seed?: number): number[] {
    const s = seed === undefined ? entropySeed() : checkSeed(seed, `${this.toString()}.seed`);
    this._npRandom = new Rng(s);
    return [s];
  }

  /** A random element (uniform where the space is bounded). */
  abstract sample(mask?: unknown): T;

  /** Whether `x` is an element of this space. */
  abstract contains(x: unknown): boolean;

  /** Structural equality (same kind, bounds and shape). */
  abstract equals(other: Space<unknown>): boolean;

  abstract toString(): string;
}

/** Whether a value is an array or typed array of numbers. */
export function isNumericArrayLike(x: unknown): x is ArrayLike<number> {
  if (ArrayBuffer.isView(x)) return !(x instanceof DataView);
  return Array.isArray(x);
}
