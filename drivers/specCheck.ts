/**
 * The whole-spec check `nnlab run` does before anything listens or is written: the schema
 * (spec.ts), then every sweep trial's agent or model config through that algorithm's own resolver
 * (resolveDqnConfig, resolveVaeConfig, …: unknown keys and bad values fail there, naming the
 * field; a swept `model.config.learningRate` is resolved per trial), that a generative sweep's
 * trials can be scored, then caps on each config size that allocates memory up front (replay capacity, layer
 * widths, batch sizes, filters). A spec that passes builds; one that does not fails with every
 * problem listed, each naming its field, before the run directory exists.
 */
import { RL_AGENTS } from '../agents/registry.js';
import type { ConfigResolver } from '../agents/algos.js';
import { GENERATIVE_MODELS } from '../generative/models.js';
import { MNIST_SIDE } from '../generative/kinds.js';
import { agentConfigOf, expandGenerativeSweep, expandSweep, SpecError, SPEC_LIMITS, type ExperimentSpec, type GenerativeSpec, type Trial } from './spec.js';
import { generativeScoreMetric } from './generative.js';
import { errorMessage } from '../base/plainData.js';
import { CLASSIFIER_SCORE, TEST_ELBO } from '../agents/metricNames.js';

/**
 * Caps on agent and model config sizes (docs/experiments.md, "Limits"). Each is far above what the
 * examples and papers use, and small enough that the buffers it sizes fit in memory.
 */
export const CONFIG_LIMITS = Object.freeze({
  /** Replay capacity in transitions (SB3's default is 1e6). */
  bufferSize: 1_000_000,
  batchSize: SPEC_LIMITS.batchSize,
  /** Vector envs of A2C / Actor-Critic, A2C's steps per update, and their product: the caps of a rollout task's. */
  numEnvs: SPEC_LIMITS.numEnvs,
  numSteps: SPEC_LIMITS.rolloutSteps,
  rolloutTransitions: SPEC_LIMITS.rolloutTransitions,
  episodesPerUpdate: 10_000,
  /** Hidden layers of an MLP, units in each, and weights between consecutive hidden layers (Σ hᵢ·hᵢ₊₁). */
  layers: 16,
  layerWidth: 4096,
  hiddenWeights: 2 ** 24,
  latentDim: 1024,
  /** Convolution filters (DCGAN gFilters / dFilters, conv VAE convFilters). */
  filters: 256,
  /** DCGAN's fully connected hidden layer. */
  denseUnits: 2048,
  /** A convolution kernel's side: at most an MNIST image's. */
  kernelSize: MNIST_SIDE,
});

const SCALAR_CAPS: [field: string, max: number, unit: string][] = [
  ['bufferSize', CONFIG_LIMITS.bufferSize, 'transitions'],
  ['batchSize', CONFIG_LIMITS.batchSize, ''],
  ['numEnvs', CONFIG_LIMITS.numEnvs, 'envs'],
  ['numSteps', CONFIG_LIMITS.numSteps, 'steps'],
  ['episodesPerUpdate', CONFIG_LIMITS.episodesPerUpdate, 'episodes'],
  ['latentDim', CONFIG_LIMITS.latentDim, ''],
  ['gFilters', CONFIG_LIMITS.filters, 'filters'],
  ['dFilters', CONFIG_LIMITS.filters, 'filters'],
  ['denseUnits', CONFIG_LIMITS.denseUnits, 'units'],
  ['kernelSize', CONFIG_LIMITS.kernelSize, ''],
];

const fmt = (n: number) => n.toLocaleString('en-US');

/** Problems with layer sizes `value` (a list of widths, or one width) of field `where`. */
function layerProblems(where: string, value: unknown, maxWidth: number): string[] {
  const widths = typeof value === 'number' ? [value] : Array.isArray(value) ? value.filter((v): v is number => typeof v === 'number') : [];
  const out: string[] = [];
  if (widths.length > CONFIG_LIMITS.layers) out.push(`${where}: at most ${CONFIG_LIMITS.layers} layers, got ${widths.length}`);
  const wide = widths.find((w) => w > maxWidth);
  if (wide !== undefined) out.push(`${where}: each layer has at most ${fmt(maxWidth)} units, got ${wide}`);
  let weights = 0;
  for (let i = 1; i < widths.length; i++) weights += widths[i - 1]! * widths[i]!;
  if (wide === undefined && weights > CONFIG_LIMITS.hiddenWeights) out.push(`${where}: ${fmt(weights)} weights between hidden layers; at most ${fmt(CONFIG_LIMITS.hiddenWeights)}`);
  return out;
}

/** Problems with the sizes of a resolved config (fields it does not have are skipped). */
export function configSizeProblems(where: string, config: object): string[] {
  const c = new Map(Object.entries(config));
  const out: string[] = [];
  for (const [field, max, unit] of SCALAR_CAPS) {
    const v = c.get(field);
    if (typeof v === 'number' && v > max) out.push(`${where}.${field}: at most ${fmt(max)}${unit ? ` ${unit}` : ''}, got ${v}`);
  }
  const envs = c.get('numEnvs');
  const steps = c.get('numSteps');
  if (typeof envs === 'number' && typeof steps === 'number' && envs <= CONFIG_LIMITS.numEnvs && steps <= CONFIG_LIMITS.numSteps && envs * steps > CONFIG_LIMITS.rolloutTransitions) {
    out.push(`${where}.numSteps: numEnvs × numSteps = ${fmt(envs * steps)} transitions per update; at most ${fmt(CONFIG_LIMITS.rolloutTransitions)}`);
  }
  for (const field of ['hidden', 'generatorHidden', 'criticHidden']) if (c.has(field)) out.push(...layerProblems(`${where}.${field}`, c.get(field), CONFIG_LIMITS.layerWidth));
  if (c.has('convFilters')) out.push(...layerProblems(`${where}.convFilters`, c.get('convFilters'), CONFIG_LIMITS.filters));
  return out;
}

/** Problems with one (sweep-free) spec's agent or model config: its resolver's error, or its sizes. */
export function configProblems(spec: ExperimentSpec): string[] {
  // each algorithm's or model's own resolver, from its registry entry (agents/registry.ts, generative/models.ts)
  const [where, resolve, config]: [string, ConfigResolver, Record<string, unknown>] =
    spec.agent !== undefined
      ? ['spec.agent.config', RL_AGENTS[spec.agent.algo].resolve, agentConfigOf(spec)]
      : ['spec.model.config', GENERATIVE_MODELS[spec.model.kind].resolve, spec.model.config];
  let resolved: object;
  try {
    resolved = resolve(config);
  } catch (e) {
    return [`${where}: ${errorMessage(e)}`];
  }
  return configSizeProblems(where, resolved);
}

/**
 * Problems of a generative spec run as trials (a sweep, or jobs of a queue): each trial must have
 * a score to be ranked by (generative/score.ts: a GAN needs the classifier evaluation), all trials
 * the same one (their curves share one chart), and no data-parallel gradient workers (a trial
 * trains whole on one thread).
 */
function generativeTrialProblems(spec: GenerativeSpec, trials: Trial<GenerativeSpec>[]): string[] {
  const out: string[] = [];
  if (spec.workers.gradient > 0 || trials.some((t) => t.spec.workers.gradient > 0)) out.push(`spec.workers.gradient: each trial of a generative sweep trains whole on one thread (workers.rollout threads, or a worker); data-parallel gradient workers are for single runs: set it to 0`);
  const metrics = new Map<string, number>();
  for (const t of trials) {
    const metric = generativeScoreMetric(t.spec);
    if (metric === undefined) {
      out.push(`spec.eval.interval: a ${t.spec.model.kind} trial is ranked by ${CLASSIFIER_SCORE}, so the classifier evaluation must be on (eval.interval > 0; only a VAE can be ranked without it, by ${TEST_ELBO})${trials.length > 1 ? ` (sweep trial ${t.index}: ${JSON.stringify(t.overrides)})` : ''}`);
      break;
    }
    if (!metrics.has(metric)) metrics.set(metric, t.index);
  }
  if (metrics.size > 1) out.push(`spec.sweep: its trials would be scored by different metrics (${[...metrics].map(([m, i]) => `${m} from trial ${i}`).join(', ')}); sweep values that keep the classifier evaluation on (or off) in every trial`);
  return out;
}

/**
 * Checks a parsed spec completely, every sweep trial included, and returns its trials. Throws a
 * SpecError listing each distinct problem once (with the first trial that has it). `asTrials`:
 * the spec runs as trials even without a sweep section (`--queue` given on the command line).
 */
export function checkExperiment(spec: ExperimentSpec, source = '', opts: { asTrials?: boolean } = {}): Trial[] {
  const trials = expandSweep(spec);
  const problems = new Map<string, string>();
  for (const t of trials) {
    const found = configProblems(t.spec);
    for (const p of found) if (!problems.has(p)) problems.set(p, trials.length > 1 ? ` (sweep trial ${t.index}: ${JSON.stringify(t.overrides)})` : '');
  }
  if (spec.model !== undefined && (spec.sweep !== undefined || spec.queue !== undefined || opts.asTrials === true)) for (const p of generativeTrialProblems(spec, expandGenerativeSweep(spec))) problems.set(p, '');
  if (problems.size > 0) throw new SpecError([...problems].map(([p, trial]) => p + trial), source);
  return trials;
}
