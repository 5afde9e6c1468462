import { npRandom, type NpGenerator } from '../utils/npGenerator.js';

export { checkSeed, entropySeed } from '../utils/npGenerator.js';

/**
 * Base of every space (Gymnasium `gymnasium.spaces.Space`): a set of values with `contains`,
 * a seeded `sample`, and a `shape`. Each space has its own generator (`npRandom`, numpy's
 * `Generator(PCG64)` as Gymnasium's `np_random`), seeded by `seed(n)` exactly as Gymnasium's
 * `Space.seed(n)` (`seeding.np_random(n)`), or lazily from entropy.
 */
export abstract class Space<T = unknown> {
  protected _npRandom: NpGenerator | null = null;

  constructor(
    /** Shape of one value (empty for scalars such as Discrete). */
    readonly shape: readonly number[] = [],
  ) {}

  /**
   * The space's generator. Never seeded: `seed()` first (entropy), and if that did not set it (a
   * composite space seeds only its subspaces), a generator from entropy, as Gymnasium.
   */
  get npRandom(): NpGenerator {
    if (this._npRandom === null) this.seed();
    if (this._npRandom === null) this._npRandom = npRandom()[0];
    return this._npRandom;
  }

  /** Seed the space's generator; returns the seeds used (one for fundamental spaces). */
  seed(seed?: number): number[] {
    const [rng, s] = npRandom(seed, `${this.toString()}.seed`);
    this._npRandom = rng;
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
