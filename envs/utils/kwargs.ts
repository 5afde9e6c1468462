import { describeValue } from '../../base/plainData.js';
import { InvalidArgument } from '../errors.js';
import { didYouMean } from './didYouMean.js';

/** A validator returns an error message for a bad value, or undefined when the value is fine. */
export type KwargCheck = (value: unknown) => string | undefined;

/** Validators for the keyword arguments an env accepts (Gymnasium's names in camelCase). */
export type KwargsSchema = Readonly<Record<string, KwargCheck>>;

/**
 * Throws `InvalidArgument` for an unknown keyword (with a "did you mean" suggestion, so
 * `is_slippery` points at `isSlippery`) or for a value its validator rejects. `undefined` values
 * count as absent. Custom envs may use this for their own kwargs.
 */
export function validateKwargs(envName: string, kwargs: object | undefined, schema: KwargsSchema): void {
  if (kwargs === undefined || kwargs === null) return;
  if (typeof kwargs !== 'object' || Array.isArray(kwargs)) {
    throw new InvalidArgument(`${envName}: keyword arguments must be an object, got ${describeValue(kwargs)}`);
  }
  for (const [key, value] of Object.entries(kwargs)) {
    const check = schema[key];
    if (check === undefined) {
      const accepted = Object.keys(schema);
      throw new InvalidArgument(
        `${envName}: unknown keyword argument \`${key}\`.${didYouMean(key, accepted)} ` +
          `Accepted: ${accepted.length ? accepted.join(', ') : '(none)'}.`,
      );
    }
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== undefined) {
      throw new InvalidArgument(`${envName}: bad value for \`${key}\`: ${problem} (got ${describeValue(value)})`);
    }
  }
}

/** Common validators. */
export const is = {
  boolean: ((v) => (typeof v === 'boolean' ? undefined : 'expected a boolean')) satisfies KwargCheck,
  finiteNumber: ((v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a finite number')) satisfies KwargCheck,
  probability: ((v) =>
    typeof v === 'number' && v >= 0 && v <= 1 ? undefined : 'expected a probability in [0, 1]') satisfies KwargCheck,
  oneOf:
    (...options: unknown[]): KwargCheck =>
    (v) =>
      options.includes(v) ? undefined : `expected one of ${options.map((o) => describeValue(o)).join(', ')}`,
  renderMode:
    (...modes: string[]): KwargCheck =>
    (v) =>
      v === null || (typeof v === 'string' && modes.includes(v))
        ? undefined
        : `render mode not supported; this env renders ${modes.length ? modes.map((m) => `'${m}'`).join(', ') : 'nothing'} (or null)`,
};
