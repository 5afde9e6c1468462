/**
 * The registry of generative models: one entry per kind (generative/kinds.ts), each with the
 * model's config resolver and its factory, so a kind's variant (the conv VAE, WGAN-GP, the
 * conditional DCGAN) is spelled once for both. A kind's config is that model's typed config
 * (partial; unknown or bad fields are RangeErrors naming the field).
 */
import { Rng } from '../base/rng.js';
import { Dcgan, PAPER_DCGAN, resolveDcganConfig, type DcganConfig } from './dcgan.js';
import { Gan, resolveGanConfig, type GanConfig } from './gan.js';
import { GENERATIVE_KINDS, isConditionalKind, isGenerativeKind, type GenerativeKind } from './kinds.js';
import { resolveVaeConfig, Vae, type VaeConfig } from './vae.js';
import { resolveWganConfig, Wgan, type WganConfig, type WganVariant } from './wgan.js';
import type { GenerativeLearner } from './types.js';

/** The full config of any kind (each names its minibatch size). */
export type GenerativeConfig = VaeConfig | GanConfig | WganConfig | DcganConfig;

export type LearnerFactory = (config: Record<string, unknown>, rng: Rng) => GenerativeLearner;

/**
 * One kind of model: the resolved config of a spec's `model.config`, and a new learner from it.
 * Both take the config unchecked and pass it through the model's one check, its resolver.
 */
export interface GenerativeModelEntry {
  /** The full config (defaults filled); throws a RangeError naming an unknown or bad field. */
  resolve(config: Record<string, unknown>): GenerativeConfig;
  create: LearnerFactory;
}

const vae = (over: Partial<VaeConfig>): GenerativeModelEntry => {
  const resolve = (c: Record<string, unknown>): VaeConfig => resolveVaeConfig({ ...c, ...over });
  return { resolve, create: (c, rng) => new Vae(resolve(c), rng) };
};
const wgan = (variant: WganVariant): GenerativeModelEntry => {
  const resolve = (c: Record<string, unknown>): WganConfig => resolveWganConfig(c, variant);
  return { resolve, create: (c, rng) => new Wgan(resolve(c), rng, variant) };
};
/** A kind of CONDITIONAL_KINDS is conditional whatever its config says; `base` replaces defaults that a spec's config may still set. */
const dcgan = (kind: 'dcgan' | 'cdcgan', base: Partial<DcganConfig> = {}): GenerativeModelEntry => {
  const over: Partial<DcganConfig> = isConditionalKind(kind) ? { conditional: true } : {};
  const resolve = (c: Record<string, unknown>): DcganConfig => resolveDcganConfig({ ...base, ...c, ...over });
  return { resolve, create: (c, rng) => new Dcgan(resolve(c), rng) };
};

export const GENERATIVE_MODELS: Readonly<Record<GenerativeKind, GenerativeModelEntry>> = {
  vae: vae({}),
  'vae-conv': vae({ architecture: 'conv' }),
  gan: { resolve: (c) => resolveGanConfig(c), create: (c, rng) => new Gan(resolveGanConfig(c), rng) },
  wgan: wgan('clip'),
  'wgan-gp': wgan('gp'),
  dcgan: dcgan('dcgan'),
  // the conditional model meets its goals on the paper's nets and recipe (docs/generative.md)
  cdcgan: dcgan('cdcgan', PAPER_DCGAN),
};

/** The kinds in the registry. */
export function generativeKinds(): string[] {
  return [...GENERATIVE_KINDS];
}

/** The registry entry of `kind`; an unknown kind is a RangeError listing the known ones. */
function entryOf(kind: string): GenerativeModelEntry {
  if (!isGenerativeKind(kind)) throw new RangeError(`unknown generative model '${kind}' (known: ${generativeKinds().join(', ')})`);
  return GENERATIVE_MODELS[kind];
}

/** A new learner of `kind`, its weights and noise drawn from `seed` (a number or an Rng). */
export function makeGenerativeLearner(kind: string, config: Record<string, unknown> = {}, seed: number | Rng = 0): GenerativeLearner {
  return entryOf(kind).create(config, typeof seed === 'number' ? new Rng(seed) : seed);
}

/**
 * The minibatch size a model of `kind` trains with: `batchSize` when given (a spec's
 * `model.batchSize`, checked here), else its config's (checked by the model's resolver).
 */
export function generativeBatchSize(kind: string, config: Record<string, unknown>, batchSize?: number): number {
  if (batchSize === undefined) return entryOf(kind).resolve(config).batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  return batchSize;
}
