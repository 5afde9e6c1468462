/**
 * Config validation shared by the generative models: each model has a typed config with frozen
 * defaults; a bad field is a RangeError naming the model and the field.
 */

/** Rejects config keys the model does not know (a typo would otherwise be silently ignored). */
export function checkKnownKeys(model: string, config: object, defaults: object): void {
  if (config === null || typeof config !== 'object') throw new RangeError(`${model} config must be an object, got ${JSON.stringify(config)}`);
  for (const key of Object.keys(config)) {
    if (!(key in defaults)) throw new RangeError(`${model} config: unknown field '${key}' (known: ${Object.keys(defaults).join(', ')})`);
  }
}

/** Checks a finite number, optionally an integer, within [min, max] (or (min, max] with minExclusive). */
export function checkNumber(
  model: string,
  field: string,
  value: unknown,
  opts: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean; maxExclusive?: boolean } = {},
): void {
  const { min, max, integer, minExclusive, maxExclusive } = opts;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    (min === undefined || (minExclusive ? value > min : value >= min)) &&
    (max === undefined || (maxExclusive ? value < max : value <= max));
  if (!ok) {
    const lo = min === undefined ? '' : `${minExclusive ? '>' : '≥'} ${min}`;
    const hi = max === undefined ? '' : `${maxExclusive ? '<' : '≤'} ${max}`;
    const range = [lo, hi].filter((s) => s !== '').join(' and ');
    throw new RangeError(`${model} config: '${field}' must be ${integer ? 'an integer' : 'a number'}${range ? ' ' + range : ''}, got ${JSON.stringify(value)}`);
  }
}

/** Checks a list of positive integers (layer sizes); `allowEmpty` for e.g. a linear critic. */
export function checkLayerSizes(model: string, field: string, value: unknown, allowEmpty = false): void {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0) || value.some((h) => !Number.isInteger(h) || h <= 0)) {
    throw new RangeError(`${model} config: '${field}' must be a ${allowEmpty ? '' : 'non-empty '}list of positive integers, got ${JSON.stringify(value)}`);
  }
}

/** Checks that `value` is one of `choices`. */
export function checkChoice<T extends string>(model: string, field: string, value: unknown, choices: readonly T[]): asserts value is T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new RangeError(`${model} config: '${field}' must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(value)}`);
  }
}

export function checkBoolean(model: string, field: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new RangeError(`${model} config: '${field}' must be true or false, got ${JSON.stringify(value)}`);
}
