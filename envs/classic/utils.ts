import { InvalidArgument } from '../errors.js';
import { describeValue } from '../../base/plainData.js';

/** Gymnasium `verify_number_and_cast`: the option as a number, or a clear error. */
export function verifyNumber(name: string, x: unknown): number {
  const v = typeof x === 'string' && x.trim() !== '' ? Number(x) : x;
  if (typeof v !== 'number' || Number.isNaN(v)) {
    throw new InvalidArgument(`reset option \`${name}\` (${describeValue(x)}) could not be converted to a number`);
  }
  return v;
}

/**
 * Gymnasium `maybe_parse_reset_bounds`: `options.low` / `options.high` override the default
 * bounds of the starting-state distribution; low must not exceed high.
 */
export function maybeParseResetBounds(
  options: Record<string, unknown> | null | undefined,
  defaultLow: number,
  defaultHigh: number,
): [number, number] {
  if (options === null || options === undefined) return [defaultLow, defaultHigh];
  const low = verifyNumber('low', 'low' in options ? options['low'] : defaultLow);
  const high = verifyNumber('high', 'high' in options ? options['high'] : defaultHigh);
  if (low > high) throw new InvalidArgument(`Lower bound (${low}) must be lower than higher bound (${high}).`);
  return [low, high];
}

/** Whether `a` is an integer action in {0, ..., n-1}. */
export function isDiscreteAction(a: unknown, n: number): a is number {
  return typeof a === 'number' && Number.isInteger(a) && a >= 0 && a < n;
}
