/**
 * The number of values in a tensor of a given shape, written once for every room: the schema of a
 * tensor as data (base/schemas.ts), the tfjs and flat cores (core/), the result checks
 * (drivers/validate.ts) and the envs' Box.
 */

/** Values in a tensor of `shape`: the product of its dimensions (1 for a scalar, shape []). */
export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
