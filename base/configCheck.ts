/**
 * The config checks of every typed config (agents, generative models): each has frozen defaults,
 * and a bad field is a RangeError naming its owner and the field, e.g.
 * `DQN config: 'gamma' must be a number ≥ 0 and ≤ 1, got 1.5`. `owner` is the agent or model
 * ('DQN', 'A2C', 'WGAN-GP', …), and the bad value is shown by the one describer of
 * `base/plainData.ts` (a NaN as NaN, where JSON showed null). Imports the seed rule (base/rng.ts), so
 * a config's seed is refused by the rule its Rng would refuse it by, naming the field.
 */
import { describeValue } from './plainData.js';
import { isSeed, SEED_RULE } from './rng.js';

/**
 * Rejects a config that is not an object, and own keys the defaults lack (a typo would otherwise be
 * silently ignored; an inherited name such as `toString` or `__proto__` is no field either).
 */
export function checkKnownKeys(owner: string, config: unknown, defaults: object): asserts config is object {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new RangeError(`${owner} config must be an object, got ${describeValue(config)}`);
  for (const key of Object.keys(config)) {
    if (!Object.hasOwn(defaults, key)) throw new RangeError(`${owner} config: unknown field '${key}' (known: ${Object.keys(defaults).join(', ')})`);
  }
}

/** The fields of config `C`, each `unknown` until its own check (what `configFields` returns). */
export type ConfigFields<C> = { readonly [K in keyof C]: unknown };

/**
 * The fields of an unchecked config (a spec's, a message's) over the defaults, each `unknown` until
 * its own check: what a resolver reads before it builds its typed config from the checked values.
 * Refuses what `checkKnownKeys` refuses.
 */
export function configFields<C extends object>(owner: string, config: unknown, defaults: Readonly<C>): ConfigFields<C> {
  checkKnownKeys(owner, config, defaults);
  return { ...defaults, ...config };
}

/** Checks a finite number, optionally an integer, within [min, max] (either end exclusive on request). */
export function checkNumber(
  owner: string,
  field: string,
  value: unknown,
  opts: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean; maxExclusive?: boolean } = {},
): asserts value is number {
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
    throw new RangeError(`${owner} config: '${field}' must be ${integer ? 'an integer' : 'a number'}${range ? ' ' + range : ''}, got ${describeValue(value)}`);
  }
}

/** Checks a list of positive integers (layer sizes); `allowEmpty` where [] means no hidden layer (a linear policy or critic). */
export function checkLayerSizes(owner: string, field: string, value: unknown, allowEmpty = false): asserts value is number[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0) || value.some((h) => !Number.isInteger(h) || h <= 0)) {
    throw new RangeError(`${owner} config: '${field}' must be a ${allowEmpty ? '' : 'non-empty '}list of positive integers, got ${describeValue(value)}`);
  }
}

/** Checks that `value` is one of `choices`. */
export function checkChoice<T extends string>(owner: string, field: string, value: unknown, choices: readonly T[]): asserts value is T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new RangeError(`${owner} config: '${field}' must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}`);
  }
}

/** Checks a boolean. */
export function checkBoolean(owner: string, field: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new RangeError(`${owner} config: '${field}' must be true or false, got ${describeValue(value)}`);
}

/**
 * Checks a seed field by the one seed rule (base/rng.ts `isSeed`: a non-negative safe integer), so
 * a seed an Rng would refuse later (1e17 is an integer, but no safe one) is refused here, naming
 * the field.
 */
export function checkSeedField(owner: string, field: string, value: unknown): asserts value is number {
  if (!isSeed(value)) throw new RangeError(`${owner} config: '${field}' must be ${SEED_RULE}, got ${describeValue(value)}`);
}

/**
 * Checks an agent's `maxGradNorm`, the global L2 norm its gradients are clipped to: a number ≥ 0,
 * 0 = no clipping (`clipNormOf`). One rule for every agent: DQN's tuned configs clip (10), and the
 * policy-gradient ones may turn it off (REINFORCE's and Actor-Critic's default 0).
 */
export function checkMaxGradNorm(owner: string, value: unknown): asserts value is number {
  checkNumber(owner, 'maxGradNorm', value, { min: 0 });
}

/** The clip norm a checked `maxGradNorm` asks an optimiser for: undefined (no clipping) for 0. */
export function clipNormOf(maxGradNorm: number): number | undefined {
  return maxGradNorm > 0 ? maxGradNorm : undefined;
}

/**
 * A number > 0: a learning rate or step size (a zero one never moves), a scale (an init's standard
 * deviation, a weight clip).
 */
export const POSITIVE = Object.freeze({ min: 0, minExclusive: true });

/** An integer ≥ 1: a count of things there must be at least one of (a batch, envs, filters, critic steps). */
export const POSITIVE_INTEGER = Object.freeze({ min: 1, integer: true });

/** The range of a discount factor γ: [0, 1] (0: only the next reward counts; 1: undiscounted, for episodic tasks). */
export const DISCOUNT = Object.freeze({ min: 0, max: 1 });

/**
 * The range of a moving average's decay rate (Adam's β₁ and β₂, RMSprop's and Adadelta's ρ, a GAN's
 * average of its generator's weights, `emaDecay`): [0, 1), as 1 would never move from its start.
 */
export const DECAY_RATE = Object.freeze({ min: 0, max: 1, maxExclusive: true });

/** The Adam settings a model's config names: learning rate α (also its RMSprop's, where it may choose one), β₁ and β₂. */
export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
}

/** Checks a config's Adam settings: α > 0 (`POSITIVE`), β₁ and β₂ in [0, 1) (`DECAY_RATE`); a bad one is a RangeError naming it. */
export function checkedAdam(owner: string, c: ConfigFields<AdamSettings>): AdamSettings {
  const { learningRate, beta1, beta2 } = c;
  checkNumber(owner, 'learningRate', learningRate, POSITIVE);
  checkNumber(owner, 'beta1', beta1, DECAY_RATE);
  checkNumber(owner, 'beta2', beta2, DECAY_RATE);
  return { learningRate, beta1, beta2 };
}
