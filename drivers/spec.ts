/**
 * Experiment specs: what to train (an agent on an env, or a generative model), with which seed,
 * budget, workers, evaluation, checkpoints, and optionally a sweep. JSON or YAML; validated with
 * zod so every bad field gets an error naming its path and what was expected. Unknown fields are
 * errors too (a typo must not be silently ignored).
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { errorMessage, ownField } from '../base/plainData.js';
import { Rng } from '../base/rng.js';
import { issueText } from '../base/schemas.js';
import { redisUrlProblem } from '../protocol/redisUrl.js';
import { SPEC_LIMITS } from '../protocol/limits.js';
import { MODULE_FILENAME } from '../protocol/tasks.js';
import { SAFE_NAME } from '../base/safeName.js';
import { RL_ALGOS, type RlAlgo } from '../agents/algos.js';
import { DEFAULT_EVAL_INTERVAL, EVAL_EPISODES, GOAL_EPISODES } from '../agents/evalEpisodes.js';
import { GENERATIVE_KINDS, type GenerativeKind } from '../generative/kinds.js';
import { BACKENDS } from '../core/backendNames.js';

export { SPEC_LIMITS };

/** Keys that reach Object.prototype when assigned: never spec fields, never swept, never config keys. */
const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** A free-form object's key (agent.config, model.config, env.kwargs). */
const recordKey = z.string().refine((k) => !FORBIDDEN_KEYS.has(k), { message: 'a reserved key (__proto__, constructor, prototype) is not allowed' });

/** A spec trains an agent or a model: never both, never neither. */
const FAMILY_PROBLEM = 'give exactly one of agent (RL) or model (generative)';

/** How a generative run with gradient threads picks its step (`workers.gradientMode`). */
export const GRADIENT_MODES = ['auto', 'threads'] as const;
export type GradientMode = (typeof GRADIENT_MODES)[number];

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
/** An integer in [lo, max] whose error quotes the cap. */
const capped = (lo: 0 | 1, max: number, what = '') =>
  (lo === 0 ? nonNegInt : posInt).max(max, `at most ${max.toLocaleString('en-US')}${what ? ` ${what}` : ''}`);

/** A sweep's list of values: a grid's only kind, and one of a random search's. */
const sweepList = z
  .array(z.union([z.number(), z.string().max(1000), z.boolean()]), { error: (iss) => (iss.code === 'invalid_type' ? 'grid search needs a list of values' : undefined) })
  .min(1)
  .superRefine((v, ctx) => {
    if (v.length > SPEC_LIMITS.sweepValues) ctx.addIssue({ code: 'custom', message: `at most ${SPEC_LIMITS.sweepValues.toLocaleString('en-US')} values, got ${v.length}` });
  });
/** A random search's range to draw from. */
const sweepRange = z
  .strictObject({ min: z.number(), max: z.number(), log: z.boolean().default(false), integer: z.boolean().default(false) })
  .superRefine((v, ctx) => {
    if (v.min >= v.max) ctx.addIssue({ code: 'custom', message: `min (${v.min}) must be < max (${v.max})` });
    if (v.log && v.min <= 0) ctx.addIssue({ code: 'custom', message: 'a log range needs min > 0' });
  });
/** Dotted spec paths (e.g. `agent.config.alpha`, `model.config.learningRate`) → what each is swept over. */
const sweepParameters = <V extends z.ZodType>(value: V) =>
  z
    .record(z.string().regex(/^[\w]+(\.[\w]+)*$/, 'a dotted path like agent.config.alpha'), value)
    .refine((p) => Object.keys(p).length <= SPEC_LIMITS.sweepParameters, `at most ${SPEC_LIMITS.sweepParameters} swept parameters`);
/** Seeds per configuration (seed, seed + 1, …). */
const sweepSeeds = () => capped(1, SPEC_LIMITS.seeds).default(1);

/** A sweep: a grid's lists (the default method), or a random search's lists and ranges with its number of samples. */
const sweepSchema = z.discriminatedUnion('method', [
  z.strictObject({
    method: z.literal('grid').default('grid'),
    /** Each path → its list of values; the trials are their cartesian product. */
    parameters: sweepParameters(sweepList),
    seeds: sweepSeeds(),
  }),
  z.strictObject({
    method: z.literal('random'),
    /** Each path → a list (a uniform choice) or {min, max, log, integer} (a uniform draw, log-uniform when log). */
    parameters: sweepParameters(z.union([sweepList, sweepRange])),
    /** The number of configurations drawn. */
    samples: z
      .number({ error: (iss) => (iss.input === undefined ? 'random search needs samples' : undefined) })
      .int()
      .positive()
      .max(SPEC_LIMITS.samples, `at most ${SPEC_LIMITS.samples.toLocaleString('en-US')}`),
    seeds: sweepSeeds(),
  }),
], { error: (iss) => (iss.code === 'invalid_union' ? `a sweep's method is 'grid' (the default) or 'random', not ${JSON.stringify(ownField(iss.input, 'method'))}` : undefined) });

// A section with defaulted fields is `.prefault({})`: when absent it is parsed as {}, so its
// fields' own defaults are the only statement of them.
const specObject = z
  .strictObject({
    /** A name for the run directory and the dashboard. */
    name: z.string().regex(SAFE_NAME.pattern, SAFE_NAME.rule).max(SPEC_LIMITS.name, `at most ${SPEC_LIMITS.name} characters`).default('experiment'),
    env: z
      .strictObject({
        /** A registered id (CartPole-v1) or one registered by `module`. */
        id: z.string().min(1),
        /** A custom env module (a .js file, path relative to the spec file) that registers `id`; its file name is the ModuleRef's (MODULE_FILENAME), checked here rather than by the first thread or worker that would refuse it. */
        module: z
          .string()
          .min(1)
          .refine((m) => MODULE_FILENAME.test(path.basename(m)), `its file name must be ${MODULE_FILENAME.rule}`)
          .optional(),
        kwargs: z.record(recordKey, z.unknown()).default({}),
      })
      .optional(),
    agent: z.strictObject({ algo: z.enum(RL_ALGOS), config: z.record(recordKey, z.unknown()).default({}) }).optional(),
    model: z.strictObject({ kind: z.enum(GENERATIVE_KINDS), config: z.record(recordKey, z.unknown()).default({}), batchSize: capped(1, SPEC_LIMITS.batchSize).optional() }).optional(),
    seed: capped(0, SPEC_LIMITS.seed).default(0),
    budget: z
      .strictObject({
        /** Env steps (deep agents; when absent protocol/tasks.ts's defaultEnvSteps: DQN 100k, the policy-gradient agents 200k, a run or a sweep trial alike). */
        envSteps: capped(1, SPEC_LIMITS.envSteps).optional(),
        /** Episodes (tabular agents; when absent TABULAR_EPISODES). */
        episodes: capped(1, SPEC_LIMITS.episodes).optional(),
        /** Epochs (generative models). */
        epochs: capped(1, SPEC_LIMITS.epochs).optional(),
        /** Cap on iterations per epoch (generative models; quick tries and tests). */
        stepsPerEpoch: capped(1, SPEC_LIMITS.stepsPerEpoch).optional(),
        /** Stop after this many seconds of wall time, whatever else is left. */
        wallSeconds: z.number().positive().max(SPEC_LIMITS.wallSeconds, `at most ${SPEC_LIMITS.wallSeconds} (30 days)`).optional(),
      })
      .default({}),
    workers: z
      .strictObject({
        /** Rollout threads (piscina) on this machine; 0 runs everything in one thread. */
        rollout: capped(0, SPEC_LIMITS.threads, 'threads').default(2),
        /** Envs stepped together by each rollout task. */
        numEnvs: capped(1, SPEC_LIMITS.numEnvs).default(1),
        /** Vector steps per rollout task (at most: a DQN task ends where training or a goal check is due). */
        rolloutSteps: capped(1, SPEC_LIMITS.rolloutSteps).default(64),
        /**
         * Env streams a DQN run collects at once, each a vector env of numEnvs whose state travels with
         * its tasks. 1 (the default) takes the one-process run's env steps; more collect in parallel
         * (an env whose step is expensive) at the cost of staler data per update.
         */
        streams: capped(1, SPEC_LIMITS.streams).default(1),
        /** Data-parallel gradient threads for generative models (0: the learner alone). */
        gradient: capped(0, SPEC_LIMITS.threads, 'threads').default(0),
        /**
         * With gradient > 0: 'auto' times the first iterations both ways (sharded over the threads,
         * and the learner alone) and keeps the faster, since kernels that already use every core can
         * make sharding slower; 'threads' always shards.
         */
        gradientMode: z.enum(GRADIENT_MODES).default('auto'),
        learner: z
          .strictObject({
            /** Run the learner in its own process (the "GPU worker process"). */
            process: z.boolean().default(true),
            /** NNLAB_BACKEND of the learner process. */
            backend: z.enum(BACKENDS).optional(),
          })
          .prefault({}),
        /** Wait for this many remote workers before starting. */
        remote: capped(0, SPEC_LIMITS.remoteWorkers).default(0),
        /** Seconds a task may take before it is taken back and sent to another executor (default: 10 × the median task time of its kind, at least 10 s). */
        taskTimeout: z.number().positive().max(SPEC_LIMITS.taskTimeoutSeconds, `at most ${SPEC_LIMITS.taskTimeoutSeconds.toLocaleString('en-US')} (one day)`).optional(),
      })
      .prefault({}),
    eval: z
      .strictObject({
        /** Env steps between greedy evaluations (0: none; default DEFAULT_EVAL_INTERVAL, as the training loops'). */
        interval: capped(0, SPEC_LIMITS.interval).default(DEFAULT_EVAL_INTERVAL),
        episodes: capped(1, SPEC_LIMITS.evalEpisodes).default(EVAL_EPISODES),
        /** Stop when the greedy mean return reaches this. */
        goal: z.number().optional(),
        /** Episodes of the final evaluation. */
        finalEpisodes: capped(1, SPEC_LIMITS.evalEpisodes).default(GOAL_EPISODES),
        /** Generated images per classifier evaluation of a generative model (default 10 000). */
        samples: capped(1, SPEC_LIMITS.evalSamples, 'samples').optional(),
      })
      .prefault({}),
    checkpoint: z
      .strictObject({
        /** Env steps (or epochs for generative models) between checkpoints (0: only at the end and on SIGINT/SIGTERM). */
        interval: capped(0, SPEC_LIMITS.interval).default(10_000),
        keep: capped(1, SPEC_LIMITS.keepCheckpoints).default(3),
      })
      .prefault({}),
    sweep: sweepSchema.optional(),
    /** Run the trials as jobs of a Redis-backed queue (docs/scale-out.md): redis://[user:pass@]HOST:PORT[/DB], rediss:// for TLS. */
    queue: z
      .string()
      .max(2048)
      .superRefine((url, ctx) => {
        const problem = redisUrlProblem(url);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
  });

/** The schema's fields and the checks across them. */
const refinedSpec = specObject.superRefine((s, ctx) => {
  if ((s.agent === undefined) === (s.model === undefined)) ctx.addIssue({ code: 'custom', path: ['agent'], message: FAMILY_PROBLEM });
  if (s.agent !== undefined && s.env === undefined) ctx.addIssue({ code: 'custom', path: ['env'], message: 'an agent needs an env' });
  if (s.workers.gradientMode === 'threads' && s.workers.gradient === 0) ctx.addIssue({ code: 'custom', path: ['workers', 'gradientMode'], message: "'threads' shards each minibatch over the gradient threads, but workers.gradient is 0: give workers.gradient ≥ 1, or leave gradientMode out" });
  const transitions = s.workers.numEnvs * s.workers.rolloutSteps;
  if (s.workers.rolloutSteps <= SPEC_LIMITS.rolloutSteps && transitions > SPEC_LIMITS.rolloutTransitions) {
    ctx.addIssue({ code: 'custom', path: ['workers', 'rolloutSteps'], message: `numEnvs × rolloutSteps = ${transitions} transitions per rollout task; at most ${SPEC_LIMITS.rolloutTransitions.toLocaleString('en-US')}` });
  }
  if (s.sweep !== undefined) {
    for (const p of Object.keys(s.sweep.parameters)) {
      const bad = sweepPathProblem(p);
      if (bad !== undefined) ctx.addIssue({ code: 'custom', path: ['sweep', 'parameters', p], message: bad });
    }
    const n = sweepTrialCount(s.sweep);
    if (n > SPEC_LIMITS.trials) ctx.addIssue({ code: 'custom', path: ['sweep'], message: `expands to ${n.toLocaleString('en-US')} trials (${describeCount(s.sweep)}); at most ${SPEC_LIMITS.trials.toLocaleString('en-US')}` });
  }
});

/**
 * The whole spec schema: a spec that passes the checks is of one family or the other, and its
 * type says which (RlSpec | GenerativeSpec). zod runs the transform only on a spec without issues.
 */
export const specSchema = refinedSpec.transform((s, ctx): ExperimentSpec => {
  const spec = specFamily(s);
  if (spec === undefined) {
    ctx.addIssue({ code: 'custom', path: ['agent'], message: FAMILY_PROBLEM });
    return z.NEVER;
  }
  return spec;
});

/** The schema under ZodDefault / ZodPrefault / ZodOptional wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  while (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
  return s;
}

/**
 * Why a dotted sweep path names no field of the spec schema, or undefined when it does. Inside a
 * free-form record (agent.config, model.config, env.kwargs) any key but the forbidden ones is
 * accepted here; the agent's or model's own resolver then rejects unknown keys.
 */
export function sweepPathProblem(dotted: string): string | undefined {
  const keys = dotted.split('.');
  const forbidden = keys.find((k) => FORBIDDEN_KEYS.has(k));
  if (forbidden !== undefined) return `'${forbidden}' is not a spec field and cannot be swept`;
  if (keys[0] === 'sweep') return 'a sweep cannot set its own sweep section';
  if (keys[0] === 'queue') return 'a sweep runs on one queue; it cannot be swept';
  let schema: z.ZodType = specObject;
  for (const [i, k] of keys.entries()) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodObject) {
      const shape = schema.shape as Record<string, z.ZodType>;
      const where = i === 0 ? 'the spec' : `spec.${keys.slice(0, i).join('.')}`;
      if (!Object.hasOwn(shape, k)) return `${where} has no field '${k}' (it has ${Object.keys(shape).join(', ')})`;
      schema = shape[k]!;
    } else if (schema instanceof z.ZodRecord) {
      return undefined;
    } else {
      return `spec.${keys.slice(0, i).join('.')} is a value, not an object with fields`;
    }
  }
  return undefined;
}

type SweepSection = NonNullable<z.infer<typeof specObject>['sweep']>;

/** Configurations of a sweep (grid: the product of the list lengths; random: samples), without expanding it. */
function sweepPoints(sweep: SweepSection): number {
  if (sweep.method === 'random') return sweep.samples;
  return Object.values(sweep.parameters).reduce((n, v) => n * v.length, 1);
}

/** How many trials a sweep expands to (configurations × seeds), computed arithmetically. */
export function sweepTrialCount(sweep: SweepSection): number {
  return sweepPoints(sweep) * sweep.seeds;
}

function describeCount(sweep: SweepSection): string {
  const points = sweep.method === 'random' ? `${sweep.samples} samples` : Object.values(sweep.parameters).map((v) => v.length).join(' × ') + ' grid points';
  return `${points} × ${sweep.seeds} seed${sweep.seeds === 1 ? '' : 's'}`;
}

/** A spec as the schema's fields give it, before it is told apart by family: agent, env and model all optional. */
type ParsedSpec = z.infer<typeof specObject>;
/** What every spec has, whatever it trains. */
type SpecCommon = Omit<ParsedSpec, 'agent' | 'env' | 'model'>;
export type EnvSection = NonNullable<ParsedSpec['env']>;
export type AgentSection = NonNullable<ParsedSpec['agent']>;
export type ModelSection = NonNullable<ParsedSpec['model']>;

/** An RL spec: an agent (`agent.algo`, `agent.config`) trained on an env. */
export interface RlSpec extends SpecCommon {
  agent: AgentSection;
  env: EnvSection;
  model?: undefined;
}

/** A generative spec: a model (`model.kind`, `model.config`) trained on MNIST; an env, if given, is not used. */
export interface GenerativeSpec extends SpecCommon {
  model: ModelSection;
  agent?: undefined;
  env?: EnvSection;
}

/**
 * A validated spec, of one family or the other: told apart by the field the spec file already has,
 * `agent` (RL) or `model` (generative), so `spec.agent !== undefined` narrows it to an RlSpec and
 * the else branch to a GenerativeSpec.
 */
export type ExperimentSpec = RlSpec | GenerativeSpec;
export type SpecInput = z.input<typeof specSchema>;

/**
 * The agent's config as a run of `spec` trains it: `agent.config` over the spec's seed, so a config
 * that names its own `seed` keeps it. One rule for every RL driver, a trial's task, the spec check
 * and `nnlab eval`, which must evaluate on the seeds of the seed the run trained with.
 */
export function agentConfigOf(spec: RlSpec): Record<string, unknown> {
  return { seed: spec.seed, ...spec.agent.config };
}

/** What a spec trains: its agent's algorithm or its model's kind (`dqn`, `vae`, …). */
export function specKind(spec: ExperimentSpec): RlAlgo | GenerativeKind {
  return spec.agent !== undefined ? spec.agent.algo : spec.model.kind;
}

/**
 * The spec as its family's type, or undefined when it is of neither (both or none of agent and
 * model, or an agent without an env: the schema's refinement refuses those). The object keeps its
 * fields in their order, so spec.json reads as before.
 */
function specFamily(s: ParsedSpec): ExperimentSpec | undefined {
  if (s.agent !== undefined && s.env !== undefined && s.model === undefined) {
    const { model: _none, ...rest } = s;
    return { ...rest, agent: s.agent, env: s.env };
  }
  if (s.model !== undefined && s.agent === undefined) {
    const { agent: _none, ...rest } = s;
    return { ...rest, model: s.model };
  }
  return undefined;
}

/** A spec error: one line per bad field, each naming its path. */
export class SpecError extends Error {
  constructor(readonly problems: string[], source: string) {
    super(`invalid experiment spec${source ? ` ${source}` : ''}:\n  ${problems.join('\n  ')}`);
    this.name = 'SpecError';
  }
}


/** Validates a spec object; fills defaults; throws SpecError naming every bad field. */
export function parseSpec(input: unknown, source = ''): ExperimentSpec {
  const r = specSchema.safeParse(input);
  if (r.success) return r.data;
  throw new SpecError(
    r.error.issues.map((i) => issueText(i, { root: 'spec', input })),
    source,
  );
}

/** parseSpec, for a spec that must train an agent on an env; a generative one is refused. */
export function parseRlSpec(input: unknown, source = ''): RlSpec {
  const spec = parseSpec(input, source);
  if (spec.agent === undefined) throw new SpecError([`spec.model: an RL spec (agent and env) is needed here, not a generative one (${spec.model.kind})`], source);
  return spec;
}

/** parseSpec, for a spec that must train a generative model; an RL one is refused. */
export function parseGenerativeSpec(input: unknown, source = ''): GenerativeSpec {
  const spec = parseSpec(input, source);
  if (spec.model === undefined) throw new SpecError([`spec.agent: a generative spec (model) is needed here, not an RL one (${spec.agent.algo})`], source);
  return spec;
}

/** Reads a .json / .yaml / .yml spec file; a relative env module path is resolved against the file. */
export function loadSpecFile(file: string): ExperimentSpec {
  let text: string;
  try {
    const bytes = statSync(file).size;
    if (bytes > SPEC_LIMITS.fileBytes) throw new SpecError([`${file}: ${bytes} bytes; a spec file has at most ${SPEC_LIMITS.fileBytes} bytes`], '');
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof SpecError) throw e;
    throw new SpecError([`cannot read ${file}: ${errorMessage(e)}`], '');
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new SpecError([`${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${errorMessage(e).split('\n')[0]}`], '');
  }
  const spec = parseSpec(raw, file);
  if (spec.env?.module !== undefined && !path.isAbsolute(spec.env.module)) spec.env.module = path.resolve(path.dirname(file), spec.env.module);
  return spec;
}

/**
 * Sets a dotted path in a plain object, creating objects on the way. Only own fields are followed
 * and written (defineProperty, never a setter), so no path can reach Object.prototype.
 */
function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  const problem = sweepPathProblem(dotted);
  if (problem !== undefined) throw new SpecError([`spec.sweep.parameters.${dotted}: ${problem}`], '');
  const own = (o: Record<string, unknown>, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (!Object.hasOwn(o, k) || o[k] === undefined) own(o, k, {});
    const next = o[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) throw new SpecError([`spec.sweep.parameters.${dotted}: '${k}' is not an object in the spec`], '');
    o = next as Record<string, unknown>;
  }
  own(o, keys[keys.length - 1]!, value);
}

/** Sweeps already expanded, by spec object (validation and the run expand the same spec once). */
const expandedRl = new WeakMap<RlSpec, Trial<RlSpec>[]>();
const expandedGenerative = new WeakMap<GenerativeSpec, Trial<GenerativeSpec>[]>();

/** One trial of a sweep: a whole run of its own spec, of its sweep's family. */
export interface Trial<S extends ExperimentSpec = ExperimentSpec> {
  index: number;
  /** The values this trial sets, by dotted path (seed included). */
  overrides: Record<string, unknown>;
  spec: S;
}

/**
 * Expands a sweep into trials: the grid's cartesian product (or `samples` random draws from lists
 * and ranges, seeded by the spec's seed), each repeated for `seeds` seeds. Each trial's spec is
 * validated again, so a swept value out of range is reported with its path. The trial count is
 * checked against SPEC_LIMITS.trials before anything is expanded. A trial is of its sweep's family
 * (a swept path cannot remove the agent or the model, and one that adds the other is refused).
 */
export function expandSweep(spec: ExperimentSpec): Trial[] {
  return spec.agent !== undefined ? expandRlSweep(spec) : expandGenerativeSweep(spec);
}

/** expandSweep of an RL spec: its trials are RL specs. */
export function expandRlSweep(spec: RlSpec): Trial<RlSpec>[] {
  return expandWith(spec, expandedRl, parseRlSpec);
}

/** expandSweep of a generative spec: its trials are generative specs. */
export function expandGenerativeSweep(spec: GenerativeSpec): Trial<GenerativeSpec>[] {
  return expandWith(spec, expandedGenerative, parseGenerativeSpec);
}

function expandWith<S extends ExperimentSpec>(spec: S, cache: WeakMap<S, Trial<S>[]>, reparse: (raw: unknown, source: string) => S): Trial<S>[] {
  if (spec.sweep === undefined) return [{ index: 0, overrides: {}, spec }];
  const cached = cache.get(spec);
  if (cached !== undefined) return cached;
  const count = sweepTrialCount(spec.sweep);
  if (count > SPEC_LIMITS.trials) throw new SpecError([`spec.sweep: expands to ${count.toLocaleString('en-US')} trials (${describeCount(spec.sweep)}); at most ${SPEC_LIMITS.trials.toLocaleString('en-US')}`], '');
  const sweep = spec.sweep;
  let points: Record<string, unknown>[] = [{}];
  if (sweep.method === 'grid') {
    for (const [name, values] of Object.entries(sweep.parameters)) {
      points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
    }
  } else {
    const rng = new Rng(spec.seed + 7919);
    const parameters = Object.entries(sweep.parameters);
    points = Array.from({ length: sweep.samples }, () => {
      const p: Record<string, unknown> = {};
      for (const [name, v] of parameters) {
        if (Array.isArray(v)) p[name] = v[rng.int(v.length)];
        else {
          const u = rng.uniform();
          let x = v.log ? Math.exp(Math.log(v.min) + u * (Math.log(v.max) - Math.log(v.min))) : v.min + u * (v.max - v.min);
          if (v.integer) x = Math.round(x);
          p[name] = x;
        }
      }
      return p;
    });
  }
  const trials: Trial<S>[] = [];
  for (const point of points) {
    for (let k = 0; k < sweep.seeds; k++) {
      // the spec's fields but its sweep, deep-copied: the trial's overrides are set in this copy
      const raw: Record<string, unknown> = structuredClone(Object.fromEntries(Object.entries(spec).filter(([k]) => k !== 'sweep')));
      raw.seed = spec.seed + k;
      for (const [name, v] of Object.entries(point)) setPath(raw, name, v);
      const overrides = { ...point, seed: raw.seed };
      trials.push({ index: trials.length, overrides, spec: reparse(raw, `(sweep trial ${trials.length}: ${JSON.stringify(overrides)})`) });
    }
  }
  cache.set(spec, trials);
  return trials;
}
