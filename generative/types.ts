/**
 * Shapes shared by every generative model. As with agents, a model is split so the distributed
 * coordinator can spread minibatch work: a **learner** owns the variables and optimisers, computes
 * gradients of one phase on a batch (as data: named Float32Arrays, never tensors) and applies
 * averaged gradients; a **sampler** is the generator alone, loadable in a browser.
 *
 * Metrics are namespaced as in the agents (`losses/d_loss`, `losses/g_loss`, `losses/neg_elbo`, …)
 * and leave through the return values; models never print.
 */
import type { TensorMap } from '../core/tensors.js';
import type { GenerativeKind, Phase, PixelScale } from './kinds.js';
import type { Metrics } from '../base/metrics.js';

/** A minibatch of MNIST: images row-major [n, 28, 28, 1] scaled for the model, labels 0–9. */
export interface ImageBatch {
  n: number;
  images: Float32Array;
  labels: Uint8Array;
}

/** One optimisation phase of a model (generative/kinds.ts PHASES). */
export type { Phase } from './kinds.js';

export interface GenerativeLearner {
  /** Model kind, e.g. 'dcgan'. */
  readonly kind: GenerativeKind;
  /** The phases of one training iteration, in order (e.g. 5× 'critic' then 'generator'). */
  schedule(): Phase[];
  /** One full iteration (all phases of `schedule()`), each phase consuming one batch. */
  trainStep(batches: ImageBatch[]): Metrics;
  /** Gradients of one phase's loss on a batch (data-parallel shard), as data. */
  computeGradients(phase: Phase, batch: ImageBatch): { grads: TensorMap; metrics: Metrics };
  /** Applies (averaged) gradients of a phase with that phase's optimiser (+ e.g. weight clipping). */
  applyGradients(phase: Phase, grads: TensorMap): Metrics;
  /**
   * The names of the trainable parameters `phase` updates: exactly the gradients
   * `computeGradients(phase, …)` returns and `applyGradients(phase, …)` needs (a GAN's 'critic'
   * D's, its 'generator' G's; a VAE's 'elbo' every one). A data-parallel run sends them with each
   * shard, so a shard that answers with other names is refused before it reaches the average.
   */
  phaseParamNames(phase: Phase): readonly string[];
  /** n samples as images in [0, 1], row-major [n, 28, 28], from latents `z` (n × latentDim) and labels. */
  sample(z: Float32Array, labels?: Uint8Array): Float32Array;
  readonly latentDim: number;
  /** The model's resolved config (its defaults filled in), as summary.json records it. */
  readonly config: Readonly<object>;
  /**
   * Pixel scaling of the training images: 'tanh' → [−1, 1] (GANs with a tanh generator, the
   * default when absent), 'unit' → [0, 1] (VAE).
   */
  readonly pixelScale?: PixelScale;
  /** True when G (and D) take the digit label: `sample(z, labels)` then needs labels (default false). */
  readonly conditional?: boolean;
  /** Test negative ELBO in nats per image of n images in [0, 1] (VAEs only). */
  negElbo?(images: Float32Array, n: number): number;
  /** All trainable parameters by name (for publishing to workers / checkpoints). */
  getParams(): TensorMap;
  /**
   * Batchnorm running averages by name (`…_bn/moving_mean`, `…_bn/moving_variance`), for models
   * with batchnorm. A data-parallel learner's shards each update their own copy; the learner
   * adopts their shard-size-weighted mean with `setRunningStats`, so `sample()` and the saved
   * generator use averages of the batches it trained on.
   */
  runningStats?(): TensorMap;
  setRunningStats?(stats: TensorMap): void;
  setParams(params: TensorMap): void;
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  dispose(): void;
}
