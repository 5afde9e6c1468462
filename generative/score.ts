/**
 * The one number that scores a generative run (a run's final score, a sweep trial's curve and
 * rank): the classifier score (`eval/classifier_score`, eval.ts) when the run is evaluated with the
 * classifier; otherwise, for a VAE, its test ELBO in nats per image (`eval/test_elbo`, the negative
 * of the `eval/test_neg_elbo` it measures every epoch, so higher is better for both); otherwise
 * none (a GAN without evaluation measures nothing to rank it by). tfjs-free, so spec checks and
 * the coordinator can name the metric without loading a model.
 */
import { ELBO_KINDS, type GenerativeKind } from './kinds.js';
import type { Metrics } from '../base/metrics.js';
import { CLASSIFIER_SCORE, TEST_ELBO, TEST_NEG_ELBO } from '../agents/metricNames.js';

/** The metrics a generative run can be scored by (both: higher is better). */
export type ScoreMetric = typeof CLASSIFIER_SCORE | typeof TEST_ELBO;

/** The classifier score's range over 10 classes: exp(E KL(p(y|x) ‖ p(y))) lies in [1, 10]. */
export const CLASSIFIER_SCORE_RANGE = [1, 10] as const;

/** Which metric scores a run of `kind` with the classifier evaluation on or off (module doc); undefined: none. */
export function scoreMetric(kind: GenerativeKind, evaluated: boolean): ScoreMetric | undefined {
  if (evaluated) return CLASSIFIER_SCORE;
  return ELBO_KINDS.includes(kind) ? TEST_ELBO : undefined;
}

/** The value of `metric` in one epoch's metrics (generative/train.ts EpochSummary), or undefined when the epoch did not measure it. */
export function scoreOf(metric: ScoreMetric, metrics: Metrics): number | undefined {
  if (metric === CLASSIFIER_SCORE) return metrics[CLASSIFIER_SCORE];
  const negElbo = metrics[TEST_NEG_ELBO];
  return negElbo === undefined ? undefined : -negElbo;
}
