/**
 * The registry of generative models: one entry per kind (generative/kinds.ts), each with the
 * model's config resolver and its factory, so a kind's variant (the conv VAE, WGAN-GP, the
 * conditional DCGAN) is spelled once for both. A kind's config is that model's typed config
 * (partial; unknown or bad fields are RangeErrors naming the field).
 */
import { Rng } from '../base/rng.js';
import { Dcgan, PAPER_DCGAN, resolveDcganConfig, type DcganConfig } from './dcgan.js';
import { Gan, resolveGanConfig, type GanConfig } from './gan.js';
import { GENERATIVE_KINDS, isGenerativeKind, type GenerativeKind } from './kinds.js';
import { resolveVaeConfig, Vae, type VaeConfig } from './vae.js';
import { resolveWganConfig, Wgan, type WganConfig } from './wgan.js';
import type { GenerativeLearner } from './types.js';

export type LearnerFactory = (config: Record<string, unknown>, rng: Rng) => GenerativeLearner;

/** One kind of model: the resolved config of a spec's `model.config`, and a new learner from it. */
export interface GenerativeModelEntry {
  /** The full config (defaults filled); throws a RangeError naming an unknown or bad field. */
  resolve(config: Record<string, unknown>): object;
  create: LearnerFactory;
}

const vae = (over: Partial<VaeConfig>): GenerativeModelEntry => ({
  resolve: (c) => resolveVaeConfig({ ...c, ...over } as Partial<VaeConfig>),
  create: (c, rng) => new Vae({ ...c, ...over } as Partial<VaeConfig>, rng),
});
const wgan = (variant: 'clip' | 'gp'): GenerativeModelEntry => ({
  resolve: (c) => resolveWganConfig(c as Partial<WganConfig>, variant),
  create: (c, rng) => new Wgan(c as Partial<WganConfig>, rng, variant),
});
/** `over` fixes fields of the kind; `base` replaces defaults that a spec's config may still set. */
const dcgan = (over: Partial<DcganConfig>, base: Partial<DcganConfig> = {}): GenerativeModelEntry => ({
  resolve: (c) => resolveDcganConfig({ ...base, ...c, ...over } as Partial<DcganConfig>),
  create: (c, rng) => new Dcgan({ ...base, ...c, ...over } as Partial<DcganConfig>, rng),
});

export const GENERATIVE_MODELS: Readonly<Record<GenerativeKind, GenerativeModelEntry>> = {
  vae: vae({}),
  'vae-conv': vae({ architecture: 'conv' }),
  gan: { resolve: (c) => resolveGanConfig(c as Partial<GanConfig>), create: (c, rng) => new Gan(c as Partial<GanConfig>, rng) },
  wgan: wgan('clip'),
  'wgan-gp': wgan('gp'),
  dcgan: dcgan({}),
  // the conditional model meets its goals on the paper's nets and recipe (docs/generative.md)
  cdcgan: dcgan({ conditional: true }, PAPER_DCGAN),
};

/** The kinds in the registry. */
export function generativeKinds(): string[] {
  return [...GENERATIVE_KINDS];
}

/** A new learner of `kind`, its weights and noise drawn from `seed` (a number or an Rng). */
export function makeGenerativeLearner(kind: string, config: Record<string, unknown> = {}, seed: number | Rng = 0): GenerativeLearner {
  if (!isGenerativeKind(kind)) throw new RangeError(`unknown generative model '${kind}' (known: ${generativeKinds().join(', ')})`);
  return GENERATIVE_MODELS[kind].create(config, typeof seed === 'number' ? new Rng(seed) : seed);
}
