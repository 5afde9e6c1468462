import { npRandom, type NpGenerator } from '../utils/npGenerator.js';

export { entropySeed } from '../utils/npGenerator.js';
export { checkSeed } from '../../base/rng.js';

/**
 * Base of every space (Gymnasium `gymnasium.spaces.Space`): a set of values with `contains`,
 * a seeded `sample`, and a `shape`. Each space has its own generator (`npRandom`, numpy's
 * `Generator(PCG64)` as Gymnasium's `np_random`), seeded by `seed(n)` exactly as Gymnasium's
 * `Space.seed(n)` (`seeding.np_random(n)`), or lazily from entropy.
 */
export abstract class Space<T = unknown> {
  /**
   * Created from entropy at construction (Gymnasium creates it on first use; the draws are the
   * same, and a generator that always exists is one `restoreState` can write a checkpoint into).
   */
  protected _npRandom: NpGenerator = npRandom()[0];

  constructor(
    /** Shape of one value (empty for scalars such as Discrete). */
    readonly shape: readonly number[] = [],
  ) {}

  /** The space's generator (from entropy until `seed` is called). */
  get npRandom(): NpGenerator {
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

/**
 * Whether `s` is a space: a `Space`, or an object with the `sample` and `contains` methods of one
 * (a user's env module may bring spaces of its own classes). The env checker and the passive
 * checker wrapper both ask this of an env's `actionSpace` and `observationSpace`.
 */
export function isSpace(s: unknown): s is Space<unknown> {
  if (s instanceof Space) return true;
  return typeof s === 'object' && s !== null && 'sample' in s && typeof s.sample === 'function' && 'contains' in s && typeof s.contains === 'function';
}
