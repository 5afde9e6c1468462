import { Box, Discrete, type BoxArray } from './fundamental.js';
import type { Space } from './space.js';

/**
 * A runtime check that a space is of one kind, and so holds values of type `T`: what `withSpaces`
 * (envs/core.ts) asks of an env's spaces before code may treat its observations or actions as `T`.
 * `expected` names the kind in the error when a space is not of it.
 */
export interface SpaceKind<T> {
  readonly expected: string;
  readonly test: (space: Space<unknown>) => space is Space<T>;
}

/** A Discrete space: its elements are numbers. */
export const DISCRETE: SpaceKind<number> = Object.freeze({
  expected: 'Discrete',
  test: (space: Space<unknown>): space is Space<number> => space instanceof Discrete,
});

/** A Box of any dtype: its elements are typed arrays of that dtype. */
export const BOX: SpaceKind<BoxArray> = Object.freeze({
  expected: 'Box',
  test: (space: Space<unknown>): space is Space<BoxArray> => space instanceof Box,
});

/** A float32 Box (CartPole's, Pendulum's observations): its elements are Float32Arrays (a Box's dtype picks its array type). */
export const BOX_FLOAT32: SpaceKind<Float32Array> = Object.freeze({
  expected: 'Box of float32',
  test: (space: Space<unknown>): space is Space<Float32Array> => space instanceof Box && space.dtype === 'float32',
});

/** Any space: its elements stay `unknown` (for the side whose type the caller does not need). */
export const ANY_SPACE: SpaceKind<unknown> = Object.freeze({
  expected: 'any space',
  test: (space: Space<unknown>): space is Space<unknown> => true,
});
