/**
 * The names and shapes the generative room shares with specs and protocol's schemas, listed once
 * (import-free, so they read them without loading a backend; test/architecture.test.ts IMPORT_FREE
 * keeps it so): the model kinds (which are conditional), the optimisation phases, MNIST's image
 * shape and pixel scalings, the layout of a conditional model's sample grid and the files a
 * training run leaves in its folder. The dashboard's page reads the conditional kinds and the
 * grid's layout from here.
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
 * The kinds whose G and D take the digit label, so `sample(z, labels)` draws the digits asked for
 * and their sample grids show the digits by sampleGridDigit: the conditional DCGAN.
 * generative/models.ts makes the models of these kinds conditional.
 */
export const CONDITIONAL_KINDS: readonly GenerativeKind[] = ['cdcgan'];

/** Whether `kind` names a conditional model (CONDITIONAL_KINDS). */
export function isConditionalKind(kind: string): boolean {
  return (CONDITIONAL_KINDS as readonly string[]).includes(kind);
}

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
/**
 * Pixel scaling: 'tanh' → [-1, 1] (GAN generators end in tanh), 'unit' → [0, 1] (VAE, classifier).
 * Here, not in mnist.ts which applies it, so that GenerativeLearner (types.ts), whose types the
 * contract and the page read, names it without reaching mnist.ts's node: imports.
 */
export type PixelScale = 'tanh' | 'unit';

/**
 * The digit in cell `cell` (row-major, MNIST_CLASSES cells a row) of a conditional model's sample
 * grid: cell mod 10, so column k is digit k and every row counts 0–9. The one layout of every
 * grid the training loop and `nnlab eval` write (generative/png.ts sampleGridLabels).
 */
export function sampleGridDigit(cell: number): number {
  return cell % MNIST_CLASSES;
}

/** sampleGridDigit's layout in words, for a grid's caption (the dashboard's samples panel). */
export const SAMPLE_GRID_LAYOUT = 'column k: digit k';

/**
 * What train.ts trainGenerative leaves in its outDir: its sample grids, interpolation strip and
 * summary, and the model's own save (`save(dir)` / `load(dir)` of vae.ts, mlpGan.ts, dcgan.ts:
 * generator/, the other networks' folders and the training state). Part of a run directory's
 * layout, which protocol/runFiles.ts RUN_FILES takes from here, and read back by `nnlab eval`,
 * bench/generative.ts, bench/dcgan-ema.ts and the tests.
 */
export const GENERATIVE_FILES = {
  /** The folder of the per-epoch 10 × 10 sample grids, `epoch-NNN.png`. */
  samples: 'samples',
  /** The final latent interpolation strips, one row per digit. */
  interpolation: 'interpolation.png',
  /** The run's summary: its epochs' metrics and the model's resolved config. */
  summary: 'summary.json',
  /**
   * The folder of the tfjs generator (model.json) a browser loads: a VAE's decoder, a GAN's G (θ̄
   * when it averages G). Every model's `save(dir)` writes it.
   */
  generator: 'generator',
  /** The folder of an averaging GAN's online G, the one that trains (generator/ holds θ̄ then). */
  generatorOnline: 'generator-online',
  /** The folder of a GAN's critic (discriminator) D. */
  critic: 'critic',
  /** The folder of a VAE's encoder. */
  encoder: 'encoder',
  /** The model's training state (config, optimisers, Rngs, counters), msgpack. */
  modelState: 'state.msgpack',
} as const;

/** The name of epoch `epoch`'s sample grid in GENERATIVE_FILES.samples: `epoch-NNN.png`. */
export function epochSamplesName(epoch: number): string {
  return `epoch-${String(epoch).padStart(3, '0')}.png`;
}
