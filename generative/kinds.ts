/**
 * The names and shapes the generative room shares with specs and protocol's schemas, listed once
 * (import-free, so they read them without loading a backend; test/architecture.test.ts IMPORT_FREE
 * keeps it so): the model kinds, the optimisation phases and MNIST's image shape.
 */

/**
 * The kinds of generative model a spec's `model.kind` may name. generative/models.ts gives each
 * kind its one registry entry (config resolver and factory); its type makes every kind here have one.
 */
export const GENERATIVE_KINDS = ['vae', 'vae-conv', 'gan', 'wgan', 'wgan-gp', 'dcgan', 'cdcgan'] as const;
export type GenerativeKind = (typeof GENERATIVE_KINDS)[number];

/** Whether `kind` names a generative model. */
export function isGenerativeKind(kind: string): kind is GenerativeKind {
  return (GENERATIVE_KINDS as readonly string[]).includes(kind);
}

/** The kinds whose learner measures a test negative ELBO each epoch (`eval/test_neg_elbo`): the VAEs. */
export const ELBO_KINDS: readonly GenerativeKind[] = ['vae', 'vae-conv'];

/**
 * The optimisation phases of a model. GANs have two ('critic' updates D, 'generator' updates G,
 * K critic steps per generator step as algorithm 13.1); a VAE has one ('elbo').
 */
export const PHASES = ['critic', 'generator', 'elbo'] as const;
export type Phase = (typeof PHASES)[number];

/** A GAN's phases (PHASES but 'elbo'). */
export const GAN_PHASES = ['critic', 'generator'] as const;
export type GanPhase = (typeof GAN_PHASES)[number];

/** `phase` as a GAN's phase; a RangeError naming `model` otherwise (a VAE's 'elbo' is not one). */
export function ganPhase(phase: string, model: string): GanPhase {
  for (const p of GAN_PHASES) if (p === phase) return p;
  throw new RangeError(`${model} has phases ${GAN_PHASES.map((g) => `'${g}'`).join(' and ')}, got '${phase}'`);
}

/** Side of an MNIST image in pixels: an ImageBatch's images are row-major [n, 28, 28, 1]. */
export const MNIST_SIDE = 28;
/** Pixels of one MNIST image (28 × 28 = 784). */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Classes of MNIST: labels are the digits 0–9. */
export const MNIST_CLASSES = 10;
