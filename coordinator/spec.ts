/**
 * Experiment specs: what to train (an agent on an env, or a generative model), with which seed,
 * budget, workers, evaluation, checkpoints, and optionally a sweep. JSON or YAML; validated with
 * zod so every bad field gets an error naming its path and what was expected. Unknown fields are
 * errors too (a typo must not be silently ignored).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { Rng } from '../core/rng.js';

export const RL_ALGOS = ['dqn', 'qlearning', 'sarsa', 'expected-sarsa', 'reinforce', 'actor-critic', 'a2c'] as const;
export const TABULAR_ALGOS = ['qlearning', 'sarsa', 'expected-sarsa'] as const;
export const GENERATIVE_KINDS = ['vae', 'vae-conv', 'gan', 'wgan', 'wgan-gp', 'dcgan', 'cdcgan'] as const;

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();

const sweepValue = z.union([
  z.array(z.union([z.number(), z.string(), z.boolean()])).min(1),
  z.strictObject({ min: z.number(), max: z.number(), log: z.boolean().default(false), integer: z.boolean().default(false) }),
]);

export const specSchema = z
  .strictObject({
    /** A name for the run directory and the dashboard. */
    name: z.string().regex(/^[\w.-]+$/, 'letters, digits, _ . - only').default('experiment'),
    env: z
      .strictObject({
        /** A registered id (CartPole-v1) or one registered by `module`. */
        id: z.string().min(1),
        /** A custom env module (a .js file, path relative to the spec file) that registers `id`. */
        module: z.string().min(1).optional(),
        kwargs: z.record(z.string(), z.unknown()).default({}),
      })
      .optional(),
    agent: z.strictObject({ algo: z.enum(RL_ALGOS), config: z.record(z.string(), z.unknown()).default({}) }).optional(),
    model: z.strictObject({ kind: z.enum(GENERATIVE_KINDS), config: z.record(z.string(), z.unknown()).default({}), batchSize: posInt.optional() }).optional(),
    seed: nonNegInt.default(0),
    budget: z
      .strictObject({
        /** Env steps (deep agents). */
        envSteps: posInt.optional(),
        /** Episodes (tabular agents). */
        episodes: posInt.optional(),
        /** Epochs (generative models). */
        epochs: posInt.optional(),
        /** Cap on iterations per epoch (generative models; quick tries and tests). */
        stepsPerEpoch: posInt.optional(),
        /** Stop after this many seconds of wall time, whatever else is left. */
        wallSeconds: z.number().positive().optional(),
      })
      .default({}),
    workers: z
      .strictObject({
        /** Rollout threads (piscina) on this machine; 0 runs everything in one thread. */
        rollout: nonNegInt.max(64).default(2),
        /** Envs stepped together by each rollout task. */
        numEnvs: posInt.max(4096).default(1),
        /** Vector steps per rollout task. */
        rolloutSteps: posInt.default(64),
        /** Data-parallel gradient threads for generative models (0: the learner alone). */
        gradient: nonNegInt.max(64).default(0),
        learner: z
          .strictObject({
            /** Run the learner in its own process (the "GPU worker process"). */
            process: z.boolean().default(true),
            /** NNLAB_BACKEND of the learner process. */
            backend: z.enum(['tensorflow', 'native', 'webgpu', 'wasm', 'cpu']).optional(),
          })
          .default({ process: true }),
        /** Wait for this many remote workers before starting. */
        remote: nonNegInt.default(0),
        /** Seconds a task may take before it is taken back and sent to another executor (default: 10 × the median task time of its kind, at least 30 s). */
        taskTimeout: z.number().positive().max(86_400).optional(),
      })
      .default({ rollout: 2, numEnvs: 1, rolloutSteps: 64, gradient: 0, learner: { process: true }, remote: 0 }),
    eval: z
      .strictObject({
        /** Env steps between greedy evaluations (0: none). */
        interval: nonNegInt.default(5000),
        episodes: posInt.default(10),
        /** Stop when the greedy mean return reaches this. */
        goal: z.number().optional(),
        /** Episodes of the final evaluation. */
        finalEpisodes: posInt.default(100),
      })
      .default({ interval: 5000, episodes: 10, finalEpisodes: 100 }),
    checkpoint: z
      .strictObject({
        /** Env steps (or epochs for generative models) between checkpoints (0: only at the end and on SIGINT/SIGTERM). */
        interval: nonNegInt.default(10_000),
        keep: posInt.default(3),
      })
      .default({ interval: 10_000, keep: 3 }),
    sweep: z
      .strictObject({
        method: z.enum(['grid', 'random']).default('grid'),
        /** Dotted spec paths (e.g. `agent.config.alpha`) → values (grid/random choice) or {min, max, log} (random). */
        parameters: z.record(z.string().regex(/^[\w]+(\.[\w]+)*$/, 'a dotted path like agent.config.alpha'), sweepValue),
        /** Random search: number of configurations. */
        samples: posInt.optional(),
        /** Seeds per configuration (seed, seed + 1, …). */
        seeds: posInt.default(1),
      })
      .optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.agent === undefined) === (s.model === undefined)) ctx.addIssue({ code: 'custom', path: ['agent'], message: 'give exactly one of agent (RL) or model (generative)' });
    if (s.agent !== undefined && s.env === undefined) ctx.addIssue({ code: 'custom', path: ['env'], message: 'an agent needs an env' });
    if (s.sweep !== undefined) {
      for (const [p, v] of Object.entries(s.sweep.parameters)) {
        if (!Array.isArray(v) && s.sweep.method === 'grid') ctx.addIssue({ code: 'custom', path: ['sweep', 'parameters', p], message: 'grid search needs a list of values' });
        if (!Array.isArray(v) && v.min >= v.max) ctx.addIssue({ code: 'custom', path: ['sweep', 'parameters', p], message: `min (${v.min}) must be < max (${v.max})` });
        if (!Array.isArray(v) && v.log && v.min <= 0) ctx.addIssue({ code: 'custom', path: ['sweep', 'parameters', p], message: 'a log range needs min > 0' });
      }
      if (s.sweep.method === 'random' && s.sweep.samples === undefined) ctx.addIssue({ code: 'custom', path: ['sweep', 'samples'], message: 'random search needs samples' });
    }
  });

export type ExperimentSpec = z.infer<typeof specSchema>;
export type SpecInput = z.input<typeof specSchema>;

/** A spec error: one line per bad field, each naming its path. */
export class SpecError extends Error {
  constructor(readonly problems: string[], source: string) {
    super(`invalid experiment spec${source ? ` ${source}` : ''}:\n  ${problems.join('\n  ')}`);
    this.name = 'SpecError';
  }
}

function describe(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(obj: unknown, p: PropertyKey[]): unknown {
  let v = obj;
  for (const k of p) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined;
  return v;
}

/** Validates a spec object; fills defaults; throws SpecError naming every bad field. */
export function parseSpec(input: unknown, source = ''): ExperimentSpec {
  const r = specSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => {
    const where = ['spec', ...i.path.map(String)].join('.');
    if (i.code === 'unrecognized_keys') return `${where}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    const got = i.code === 'custom' ? '' : `, got ${describe(valueAt(input, i.path))}`;
    return `${where}: ${i.message}${got}`;
  });
  throw new SpecError(problems, source);
}

/** Reads a .json / .yaml / .yml spec file; a relative env module path is resolved against the file. */
export function loadSpecFile(file: string): ExperimentSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SpecError([`cannot read ${file}: ${(e as Error).message}`], '');
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new SpecError([`${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n')[0]}`], '');
  }
  const spec = parseSpec(raw, file);
  if (spec.env?.module !== undefined && !path.isAbsolute(spec.env.module)) spec.env.module = path.resolve(path.dirname(file), spec.env.module);
  return spec;
}

/** Sets a dotted path in a plain object, creating objects on the way. */
function setPath(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] === undefined) o[k] = {};
    if (o[k] === null || typeof o[k] !== 'object') throw new SpecError([`spec.sweep.parameters.${dotted}: '${k}' is not an object in the spec`], '');
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]!] = value;
}

export interface Trial {
  index: number;
  /** The values this trial sets, by dotted path (seed included). */
  overrides: Record<string, unknown>;
  spec: ExperimentSpec;
}

/**
 * Expands a sweep into trials: the grid's cartesian product (or `samples` random draws from lists
 * and ranges, seeded by the spec's seed), each repeated for `seeds` seeds. Each trial's spec is
 * validated again, so a swept value out of range is reported with its path.
 */
export function expandSweep(spec: ExperimentSpec): Trial[] {
  if (spec.sweep === undefined) return [{ index: 0, overrides: {}, spec }];
  const { method, parameters, samples, seeds } = spec.sweep;
  const names = Object.keys(parameters);
  let points: Record<string, unknown>[] = [{}];
  if (method === 'grid') {
    for (const name of names) {
      const values = parameters[name] as unknown[];
      points = points.flatMap((p) => values.map((v) => ({ ...p, [name]: v })));
    }
  } else {
    const rng = new Rng(spec.seed + 7919);
    points = Array.from({ length: samples! }, () => {
      const p: Record<string, unknown> = {};
      for (const name of names) {
        const v = parameters[name]!;
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
  const trials: Trial[] = [];
  for (const point of points) {
    for (let k = 0; k < seeds; k++) {
      const raw = structuredClone({ ...spec, sweep: undefined }) as Record<string, unknown>;
      delete raw.sweep;
      raw.seed = spec.seed + k;
      for (const [name, v] of Object.entries(point)) setPath(raw, name, v);
      const overrides = { ...point, seed: raw.seed };
      trials.push({ index: trials.length, overrides, spec: parseSpec(raw, `(sweep trial ${trials.length}: ${JSON.stringify(overrides)})`) });
    }
  }
  return trials;
}
