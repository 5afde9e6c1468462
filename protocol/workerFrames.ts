/**
 * What a remote worker accepts from the coordinator it connected to: the frames it acts on
 * (`challenge`, `proof`, `welcome`, `task`, `error`; protocol/messages.ts), as zod schemas checked
 * against their types. The coordinator validates every peer frame (protocol/messages.ts
 * `parsePeerMessage`); this is the other direction. The coordinator is not trusted blindly
 * (docs/security.md): it may be a buggy one, or a man in the middle of a plain ws:// link, and a
 * task that passed here is one this worker can run without crashing on its shape: the kinds a
 * remote worker takes (REMOTE_TASK_KINDS; an evaluation is refused by kind), the names of real
 * algorithms, models and activations, tensors whose data fills their shape, and the sizes the
 * coordinator's own spec check allows (protocol/limits.ts).
 *
 * They name the algorithms, models, phases and activations, and MNIST's shape, by value, from the
 * import-free name lists (agents/algos.ts, generative/kinds.ts, core/activation.ts:
 * docs/architecture.md). Two task fields never come from a coordinator and are dropped (zod drops
 * the fields a schema does not name): a generative trial's `outDir` (a remote worker writes its
 * files in a temporary folder it removes) and a rollout's `crash` (fault injection is for the
 * coordinator's own threads).
 */
import { z } from 'zod';
import { ownField } from '../base/plainData.js';
import { count, f32, shortName, tensorMapSchema, u8 } from '../base/schemas.js';
import { RL_ALGOS } from '../agents/algos.js';
import { HIDDEN_ACTIVATIONS } from '../core/activation.js';
import { GENERATIVE_KINDS, MNIST_CLASSES, MNIST_PIXELS, PHASES } from '../generative/kinds.js';
import { SPEC_LIMITS } from './limits.js';
import { ERROR_CODES, NONCE_BYTES, PROOF_BYTES, TEXT_CHARS, envStream, frameProblem, type ChallengeMessage, type ErrorMessage, type ProofMessage, type TaskMessage, type WelcomeMessage } from './messages.js';
import { MODULE_FILENAME, REMOTE_TASK_KINDS, SHA256_HEX, type EnvRef, type GenerativeTrialTask, type GradientTask, type ModuleRef, type RlTrialTask, type RolloutTask, type Task } from './tasks.js';
import type { ImageBatch } from '../generative/types.js';

/** A task of a kind a remote worker takes. */
export type RemoteTask = Extract<Task, { kind: (typeof REMOTE_TASK_KINDS)[number] }>;
export interface RemoteTaskMessage extends TaskMessage {
  task: RemoteTask;
}
/** Every frame a remote worker acts on. */
export type ToRemoteWorker = ChallengeMessage | ProofMessage | WelcomeMessage | RemoteTaskMessage | ErrorMessage;

const capped = (max: number) => count.max(max);
const positive = (max: number) => z.number().int().min(1).max(max);
/** ε and its decay fraction. */
const unit = z.number().min(0).max(1);
/** A seed: what base/rng.ts Rng takes (a non-negative safe integer; zod's int is a safe one). */
const seed = count;
const record = z.record(z.string(), z.unknown());
const bytes = (n: number, what: string) => u8.refine((b) => b.length === n, `a ${n}-byte ${what}`);

/**
 * A ref with a hash that is no sha256 or a file name that is no plain .js/.mjs name is refused at
 * the frame (task_error, naming the field); workers/envModules.ts checks the same two rules again
 * before it installs or imports a module, and whether this worker may run it.
 */
const moduleRef = z.object({
  hash: z.string().regex(SHA256_HEX.pattern, SHA256_HEX.rule),
  filename: z.string().max(255).refine(MODULE_FILENAME.test, MODULE_FILENAME.rule),
  path: z.string().max(4096),
  source: z.string().optional(),
}) satisfies z.ZodType<ModuleRef>;
const envRef = z.object({ id: shortName, kwargs: record, module: moduleRef.optional() }) satisfies z.ZodType<EnvRef>;

const rolloutTask = z
  .object({
    kind: z.literal('rollout'),
    runId: shortName,
    env: envRef,
    numEnvs: positive(SPEC_LIMITS.numEnvs),
    steps: positive(SPEC_LIMITS.rolloutSteps),
    envStep: capped(SPEC_LIMITS.envSteps),
    policy: z.object({
      algo: z.literal('dqn'),
      activation: z.enum(HIDDEN_ACTIVATIONS),
      params: tensorMapSchema,
      version: count,
      epsilon: z.object({ learningStarts: count, explorationInitialEps: unit, explorationFinalEps: unit, explorationFraction: unit, totalTimesteps: capped(SPEC_LIMITS.envSteps) }),
    }),
    seed,
    stream: envStream.optional(),
  })
  .superRefine((t, ctx) => {
    const transitions = t.numEnvs * t.steps;
    if (transitions > SPEC_LIMITS.rolloutTransitions) ctx.addIssue({ code: 'custom', path: ['steps'], message: `numEnvs × steps = ${transitions} transitions; at most ${SPEC_LIMITS.rolloutTransitions.toLocaleString('en-US')}` });
    if (t.stream === undefined) return;
    for (const field of ['returns', 'lengths'] as const) {
      if (t.stream[field].length !== t.numEnvs) ctx.addIssue({ code: 'custom', path: ['stream', field], message: `length ${t.stream[field].length}, expected numEnvs ${t.numEnvs}` });
    }
    if (t.stream.obs.length % t.numEnvs !== 0) ctx.addIssue({ code: 'custom', path: ['stream', 'obs'], message: `length ${t.stream.obs.length} is not a multiple of numEnvs ${t.numEnvs}` });
  }) satisfies z.ZodType<RolloutTask>;

/** What every trial task has: its run and its index in the sweep. */
const trialOf = { kind: z.literal('trial'), runId: shortName, trial: capped(SPEC_LIMITS.trials) };

/** A trial of an RL sweep (a remote worker's task, and a queue job's: protocol/queue.ts). */
export const rlTrialTask = z.object({
  ...trialOf,
  family: z.literal('rl'),
  env: envRef,
  algo: z.enum(RL_ALGOS),
  config: record,
  episodes: capped(SPEC_LIMITS.episodes),
  envSteps: capped(SPEC_LIMITS.envSteps).optional(),
  evalEpisodes: capped(SPEC_LIMITS.evalEpisodes),
}) satisfies z.ZodType<RlTrialTask>;

/** A trial of a generative sweep; `outDir` is not part of it: the worker decides where a trial writes. */
export const generativeTrialTask = z.object({
  ...trialOf,
  family: z.literal('generative'),
  model: z.object({ kind: z.enum(GENERATIVE_KINDS), config: record }),
  seed: capped(SPEC_LIMITS.seed),
  epochs: positive(SPEC_LIMITS.epochs),
  stepsPerEpoch: positive(SPEC_LIMITS.stepsPerEpoch).optional(),
  batchSize: positive(SPEC_LIMITS.batchSize).optional(),
  evaluate: z.boolean(),
  evalSamples: positive(SPEC_LIMITS.evalSamples).optional(),
}) satisfies z.ZodType<GenerativeTrialTask>;

export const imageBatch = z
  .object({ n: positive(SPEC_LIMITS.batchSize), images: f32, labels: u8 })
  .superRefine((b, ctx) => {
    if (b.images.length !== b.n * MNIST_PIXELS) ctx.addIssue({ code: 'custom', path: ['images'], message: `length ${b.images.length}, expected ${b.n} images × ${MNIST_PIXELS} pixels` });
    if (b.labels.length !== b.n) ctx.addIssue({ code: 'custom', path: ['labels'], message: `length ${b.labels.length}, expected ${b.n}` });
    const bad = b.labels.findIndex((l) => l >= MNIST_CLASSES);
    if (bad >= 0) ctx.addIssue({ code: 'custom', path: ['labels', bad], message: `${b.labels[bad]} is not a digit 0–9` });
  }) satisfies z.ZodType<ImageBatch>;

const gradientTask = z.object({
  kind: z.literal('gradient'),
  runId: shortName,
  model: z.object({ kind: z.enum(GENERATIVE_KINDS), config: record, seed }),
  phase: z.enum(PHASES),
  params: tensorMapSchema,
  paramsVersion: count,
  phaseParams: z.array(shortName),
  batch: imageBatch,
}) satisfies z.ZodType<GradientTask>;

/** A name from the coordinator, quoted short and escaped for a log line (it may be megabytes long, or hold a newline). */
const quote = (name: string) => `'${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name).slice(1, -1)}'`;

/** Why a discriminator (a task's kind, a frame's type) names nothing this worker takes. */
function unknownName(name: unknown, named: (quoted: string) => string, unnamed: string, takes: string): string {
  return `${typeof name === 'string' ? named(quote(name)) : unnamed} (${takes})`;
}

export const remoteTaskSchema = z.discriminatedUnion('kind', [rolloutTask, z.discriminatedUnion('family', [rlTrialTask, generativeTrialTask]), gradientTask], {
  // an evaluation decides what a run saves: the coordinator runs it on its own threads
  error: (iss) => (iss.code === 'invalid_union' ? unknownName(ownField(iss.input, 'kind'), (k) => `a remote worker does not take ${k} tasks`, 'a task needs a kind', `it takes ${REMOTE_TASK_KINDS.join(', ')}`) : undefined),
}) satisfies z.ZodType<RemoteTask>;

const FRAME_TYPES = ['challenge', 'proof', 'welcome', 'task', 'error'] as const satisfies readonly ToRemoteWorker['type'][];

export const toRemoteWorkerSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('challenge'), protocol: z.number().int(), nonce: bytes(NONCE_BYTES, 'nonce') }),
    z.object({ type: z.literal('proof'), proof: bytes(PROOF_BYTES, 'HMAC-SHA256') }),
    z.object({ type: z.literal('welcome'), protocol: z.number().int(), peerId: count, runId: shortName }),
    z.object({ type: z.literal('task'), taskId: count, task: remoteTaskSchema }),
    z.object({ type: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string().max(TEXT_CHARS), taskId: count.optional() }),
  ],
  { error: (iss) => (iss.code === 'invalid_union' ? unknownName(ownField(iss.input, 'type'), (t) => `a remote worker does not take ${t} frames`, 'a frame needs a type', `it takes ${FRAME_TYPES.join(', ')}`) : undefined) },
) satisfies z.ZodType<ToRemoteWorker>;

/** The id of a frame that says it is a task, however malformed the rest: the worker answers that task with an error. */
const taskFrameId = z.object({ type: z.literal('task'), taskId: count });

/**
 * Validates a decoded frame from the coordinator; returns the message, or a one-line reason naming
 * the bad field and, when the frame is a task with a valid id, that id (to answer it with a task_error).
 */
export function parseToRemoteWorker(value: unknown): { ok: true; message: ToRemoteWorker } | { ok: false; reason: string; taskId?: number } {
  const r = toRemoteWorkerSchema.safeParse(value);
  if (r.success) return { ok: true, message: r.data };
  const reason = frameProblem(r.error);
  const task = taskFrameId.safeParse(value);
  return task.success ? { ok: false, reason, taskId: task.data.taskId } : { ok: false, reason };
}
