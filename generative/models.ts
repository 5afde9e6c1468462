/**
 * The registry of generative models: kind → factory(config, rng). A kind's config is that model's
 * typed config (partial; unknown or bad fields are RangeErrors naming the field).
 */
import { Rng } from '../base/rng.js';
import { Dcgan, type DcganConfig } from './dcgan.js';
import { Gan, type GanConfig } from './gan.js';
import { Vae, type VaeConfig } from './vae.js';
import { Wgan, type WganConfig } from './wgan.js';
import type { GenerativeLearner } from './types.js';

export type LearnerFactory = (config: Record<string, unknown>, rng: Rng) => GenerativeLearner;

export const GENERATIVE_MODELS: Record<string, LearnerFactory> = {
  vae: (cfg, rng) => new Vae(cfg as Partial<VaeConfig>, rng),
  'vae-conv': (cfg, rng) => new Vae({ ...cfg, architecture: 'conv' } as Partial<VaeConfig>, rng),
  gan: (cfg, rng) => new Gan(cfg as Partial<GanConfig>, rng),
  wgan: (cfg, rng) => new Wgan(cfg as Partial<WganConfig>, rng, 'clip'),
  'wgan-gp': (cfg, rng) => new Wgan(cfg as Partial<WganConfig>, rng, 'gp'),
  dcgan: (cfg, rng) => new Dcgan(cfg as Partial<DcganConfig>, rng),
  cdcgan: (cfg, rng) => new Dcgan({ ...cfg, conditional: true } as Partial<DcganConfig>, rng),
};

/** The kinds in the registry. */
export function generativeKinds(): string[] {
  return Object.keys(GENERATIVE_MODELS);
}

/** A new learner of `kind`, its weights and noise drawn from `seed` (a number or an Rng). */
export function makeGenerativeLearner(kind: string, config: Record<string, unknown> = {}, seed: number | Rng = 0): GenerativeLearner {
  const factory = Object.hasOwn(GENERATIVE_MODELS, kind) ? GENERATIVE_MODELS[kind] : undefined;
  if (factory === undefined) throw new RangeError(`unknown generative model '${kind}' (known: ${generativeKinds().join(', ')})`);
  return factory(config, typeof seed === 'number' ? new Rng(seed) : seed);
}
