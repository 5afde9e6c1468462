/**
 * The metric names the rooms share, each named once: what the RL loops emit per episode and per
 * update, the generative models' losses, what a greedy evaluation and a run's final one are
 * written under, a sweep's per-trial names, the two throughputs (RL and generative) and the
 * trailing window of episode returns that the progress line and the page both average. Import-free (test/architecture.test.ts checks it),
 * so the page (dashboard/src/) and generative/ import them from here without loading anything of
 * the agents'.
 */

/** One training episode's undiscounted return, at the env step that ended it. */
export const EPISODIC_RETURN = 'charts/episodic_return';
/** One training episode's length in steps. */
export const EPISODIC_LENGTH = 'charts/episodic_length';
/** Training episodes in the trailing mean of EPISODIC_RETURN that a DQN run's progress line shows and the page's return chart draws. */
export const EPISODE_RETURN_WINDOW = 20;
/**
 * Training episodes in the trailing mean of each RL trial's EPISODIC_RETURN curve on the page's
 * sweep chart. A window of its own, not EPISODE_RETURN_WINDOW: the sweep chart has always drawn
 * 10, and the page names it in the chart's title.
 */
export const SWEEP_RETURN_WINDOW = 10;

/** What every loss's name starts with (`losses/td_loss`, `losses/d_loss`, …): the page's loss panel. */
export const LOSS_PREFIX = 'losses/';

/** The mean TD loss of DQN's gradient steps since the last point. */
export const TD_LOSS = 'losses/td_loss';
/** A tabular agent's TD error of one update, target − Q(s, a) (agents/tabular.ts). */
export const TD_ERROR = 'losses/td_error';

/**
 * The policy-gradient agents' losses (REINFORCE, A2C, Actor-Critic), each update's: the policy's
 * (actor's) loss, the value function's (baseline's or critic's; 0 without one) and the policy's
 * mean entropy.
 */
export const POLICY_LOSS = 'losses/policy_loss';
export const VALUE_LOSS = 'losses/value_loss';
export const ENTROPY = 'losses/entropy';

/** The VAEs' loss: the minibatch's negative ELBO in nats per image (generative/vae.ts). */
export const NEG_ELBO = 'losses/neg_elbo';
/**
 * The GANs' losses (generative/gan.ts, dcgan.ts, wgan.ts), each phase's: the discriminator's
 * (GAN, DCGAN) and the generator's (all of them).
 */
export const D_LOSS = 'losses/d_loss';
export const G_LOSS = 'losses/g_loss';
/** The MLP GAN's mean D(x) over the real and over the generated batch (generative/gan.ts). */
export const D_REAL = 'losses/d_real';
export const D_FAKE = 'losses/d_fake';
/** DCGAN's mean D(x) over the real batch and mean D(G(z)) over the generated one (generative/dcgan.ts). */
export const D_X = 'charts/d_x';
export const D_G_Z = 'charts/d_g_z';
/**
 * WGAN's and WGAN-GP's critic step (generative/wgan.ts): the estimate of W (mean f(x) − mean f(G(z))),
 * the critic's loss (−W, plus the penalty), and WGAN-GP's gradient penalty and mean ‖∇ₓ̂ f(x̂)‖₂.
 */
export const WASSERSTEIN = 'losses/wasserstein';
export const CRITIC_LOSS = 'losses/critic_loss';
export const GRADIENT_PENALTY = 'losses/gradient_penalty';
export const CRITIC_GRAD_NORM = 'losses/critic_grad_norm';

/** A distributed DQN run's learner updates so far, at each training round (drivers/offPolicy.ts). */
export const UPDATES = 'charts/updates';
/**
 * The most env steps a distributed DQN round's rollout tasks started past the data their weights
 * were trained on (drivers/offPolicy.ts; below trainFrequency; docs/distributed.md).
 */
export const POLICY_LAG = 'charts/policy_lag';

/** An RL loop's throughput: env steps per second of wall time. */
export const SPS = 'charts/sps';
/**
 * A generative model's throughput: optimisation iterations (minibatches) per second (generative/train.ts).
 * Another quantity than SPS, so another name; the bench scripts and their committed results read it.
 */
export const STEPS_PER_S = 'charts/steps_per_s';
/** The throughputs the page's speed panel charts. */
export const SPEED_METRICS: readonly string[] = [SPS, STEPS_PER_S];

/**
 * A generative run's choice between data-parallel gradient threads and the learner alone
 * (drivers/generative.ts, `gradientMode: 'auto'`), written once when its calibration ends: the
 * threads it chose (0: the learner alone) and the two rates it compared, in iterations per second.
 * The gradient benchmark (bench/distributed.ts) reads them back from metrics.jsonl.
 */
export const GRADIENT_THREADS_USED = 'charts/gradient_threads_used';
export const DATA_PARALLEL_STEPS_PER_S = 'charts/data_parallel_steps_per_s';
export const LEARNER_ALONE_STEPS_PER_S = 'charts/learner_alone_steps_per_s';

/** What every evaluation metric's name starts with. */
export const EVAL_PREFIX = 'eval/';
/** A greedy check's mean return. */
export const EVAL_MEAN_RETURN = 'eval/mean_return';
/** The episodes a greedy check played: a count, not a score. */
export const EVAL_EPISODE_COUNT = 'eval/episodes';
/** The version of the published policy a DQN run's greedy check scored (a frozen snapshot; drivers/offPolicy.ts). */
export const EVAL_POLICY_VERSION = 'eval/policy_version';
/**
 * A generative model's evaluation after each epoch (generative/train.ts): the test set's negative
 * ELBO in nats per image (the VAEs), and with the classifier (generative/eval.ts) the classifier
 * score, the Fréchet distance to the test set and the rarest class's share of the samples. The
 * bench scripts and their committed results read these names.
 */
export const TEST_NEG_ELBO = 'eval/test_neg_elbo';
export const CLASSIFIER_SCORE = 'eval/classifier_score';
export const FRECHET_DISTANCE = 'eval/frechet_distance';
export const MIN_CLASS_FRACTION = 'eval/min_class_fraction';
/** The test ELBO a VAE run is scored by when unevaluated: −TEST_NEG_ELBO, so higher is better (generative/score.ts). */
export const TEST_ELBO = 'eval/test_elbo';

/** What a run's final evaluation's metrics start with (one point, at the end). */
export const FINAL_PREFIX = 'eval/final_';
/** The saved policy's greedy mean return on the final evaluation's episodes. */
export const FINAL_MEAN_RETURN = 'eval/final_mean_return';

/** The final evaluation's name of an evaluation metric: 'eval/test_elbo' → 'eval/final_test_elbo'. */
export function finalMetricOf(evalMetric: string): string {
  if (!evalMetric.startsWith(EVAL_PREFIX)) throw new RangeError(`'${evalMetric}' is not an evaluation metric (it does not start with '${EVAL_PREFIX}')`);
  return FINAL_PREFIX + evalMetric.slice(EVAL_PREFIX.length);
}

/**
 * A metric's name without its namespace, as a terminal line shows it (`losses/g_loss` → `g_loss`,
 * `charts/steps_per_s` → `steps_per_s`): the generative training loop's log lines and a
 * generative run's progress line.
 */
export function shortMetricName(name: string): string {
  return name.replace(/^[a-z]+\//, '');
}

/** What a sweep's per-trial metric names start with (`trial/<index>/<metric>`). */
export const TRIAL_PREFIX = 'trial/';

/** Trial `index`'s own name of `metric` in a sweep of several. */
export function trialMetric(index: number, metric: string): string {
  return `${TRIAL_PREFIX}${index}/${metric}`;
}

/** The trial index and metric of a name trialMetric wrote, or undefined for any other name. */
export function parseTrialMetric(name: string): { index: number; metric: string } | undefined {
  if (!name.startsWith(TRIAL_PREFIX)) return undefined;
  const m = /^(\d+)\/(.+)$/.exec(name.slice(TRIAL_PREFIX.length));
  return m === null ? undefined : { index: Number(m[1]), metric: m[2]! };
}

/** An RL trial's metrics (protocol/messages.ts's TrialMetricNames): one curve point per training episode. */
export const RL_TRIAL_METRICS = { curve: EPISODIC_RETURN, final: FINAL_MEAN_RETURN, unit: 'episode' } as const;
