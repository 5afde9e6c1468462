/**
 * The one message protocol between the coordinator and everything that talks to it: remote
 * workers and dashboards over WebSocket (msgpack frames, base/msgpack.ts's options), and
 * the learner process over Node IPC (structured clone). Every message is a member of a
 * discriminated union on `type`, validated where it arrives: what peers send, by the zod schemas
 * below; what a remote worker gets from the coordinator, by protocol/workerFrames.ts; what a
 * queue worker takes from Redis, by protocol/queue.ts (all of them built from base/schemas.ts's
 * atoms); what a page gets, by a shallow check of its own (dashboard/src/frames.ts: the page
 * bundles no zod). The protocol version travels in the challenge and the auth frame
 * (protocol/constants.ts, import-free for the page).
 *
 * A remote worker and the coordinator prove to each other that they know the run's token without
 * sending it (docs/security.md): coordinator → `challenge` (nonce_c); worker → `auth` (nonce_w and
 * HMAC-SHA256(token, "nnlab worker" | nonce_c | nonce_w)); coordinator → `proof`
 * (HMAC-SHA256(token, "nnlab coordinator" | nonce_w | nonce_c)); only then the worker's `hello`
 * and the coordinator's `welcome`. A dashboard (a browser page that already holds the token in its
 * URL) authenticates at the upgrade with `?token=` and says hello at once.
 */
import { z } from 'zod';
import { count, f32, f64, i32, firstIssueText, rngStateSchema, tensorMapSchema, u8 } from '../base/schemas.js';
import { REMOTE_TASK_KINDS, type EnvStreamState, type EvaluateResult, type GradientResult, type RolloutResult, type Task, type TaskKind, type TaskResult, type TrialResult } from './tasks.js';
import type { StateTree } from '../envs/index.js';
import type { TensorMap } from '../core/tensors.js';
import type { HiddenActivation } from '../core/activation.js';
import type { ReplayState } from '../core/replay.js';
import type { DqnTrainingState, TrainPhase } from '../agents/types.js';
import type { DqnConfig } from '../agents/dqnConfig.js';
import type { RngState } from '../base/rng.js';
import type { ImageBatch } from '../generative/types.js';
import type { GenerativeKind } from '../generative/kinds.js';
import type { RlAlgo } from '../agents/algos.js';
import type { Metrics } from '../base/metrics.js';

/** Bytes of a challenge nonce (each side sends one). */
export const NONCE_BYTES = 32;
/** Bytes of a handshake proof: an HMAC-SHA256 (protocol/auth.ts). */
export const PROOF_BYTES = 32;

/**
 * Bytes either side takes from the other before the handshake proved the token (the handshake needs
 * about 200): the coordinator from a peer until its hello is accepted, a remote worker from a
 * coordinator until its proof checked out. Counted on the raw socket as the bytes arrive.
 */
export const PRE_AUTH_BYTES = 64 * 1024;

/**
 * The largest frame each side takes once the handshake proved the token (ws's `maxPayload`; a
 * larger one closes the socket with 1009). The directions differ because their frames do: a peer
 * sends results (a rollout's transitions, a shard's gradients), and the coordinator holds a frame
 * of each of its many peers at once; the coordinator sends tasks, which carry a model's whole
 * parameters, a gradient shard's images (up to SPEC_LIMITS.batchSize of them) or an env module's
 * source, to a worker that has one coordinator.
 */
export const FRAME_BYTES = Object.freeze({
  /** What the coordinator takes from an authenticated peer (coordinator/server.ts; ServerOptions.maxPayload overrides it). */
  toCoordinator: 64 * 1024 * 1024,
  /** What a remote worker takes from the coordinator it authenticated (workers/remote.ts). */
  toWorker: 256 * 1024 * 1024,
});

/** Characters of a free-text field either side takes: an error's or task error's message, a string in an env's state. */
export const TEXT_CHARS = 10_000;

/**
 * `text` cut to TEXT_CHARS characters, ending in `…` where it was cut, for a free-text field of a
 * frame this side sends: however long what it reports (a user env's error), the frame still passes
 * its schema at the other end instead of being refused as malformed.
 */
export function fitText(text: string): string {
  return text.length <= TEXT_CHARS ? text : `${text.slice(0, TEXT_CHARS - 1)}…`;
}


export type Role = 'worker' | 'dashboard';

/** Why a task was taken back from a worker (the error frame's code; scheduler.ts). */
export const TASK_FAULT_CODES = ['bad_result', 'task_error', 'task_timeout'] as const;
export type TaskFaultCode = (typeof TASK_FAULT_CODES)[number];
/** Why a worker will not run a task (the refused frame's code, RefusedMessage): shipped code it does not allow, or a module it cannot use. */
export const WORKER_REFUSAL_CODES = ['code_not_allowed', 'module_unusable'] as const;
export type WorkerRefusalCode = (typeof WORKER_REFUSAL_CODES)[number];
/** Every code of an error frame (ErrorMessage), listed once: the type and the worker's schema read it. */
export const ERROR_CODES = ['bad_msgpack', 'bad_message', 'unauthorized', 'protocol_version', 'not_allowed', 'unknown_task', 'internal', ...TASK_FAULT_CODES] as const;

/**
 * alive: takes tasks; suspect: missed a deadline, no new tasks until it answers; quarantined:
 * dropped for bad answers; dead: gone; closed: the run closed it, needing it no more (e.g. a
 * generative run whose learner alone was faster than its gradient threads).
 */
export type ExecutorState = 'alive' | 'suspect' | 'quarantined' | 'dead' | 'closed';

// ---- peer → coordinator ----------------------------------------------------------------------

/** A worker's answer to the challenge: its own nonce and its proof that it knows the token. */
export interface AuthMessage {
  type: 'auth';
  protocol: number;
  nonce: Uint8Array;
  /** HMAC-SHA256(token, "nnlab worker" | nonce_c | nonce_w). */
  proof: Uint8Array;
}
/**
 * What a hello may say (the schema below): a peer's name at most `name` characters (it shows in the
 * worker table and the logs), a worker at most `threads` tasks at once. The worker CLI checks its
 * --name and --threads against them before it connects (helloProblem), and the coordinator closes
 * a hello past them with CLOSE.badHello, naming the field.
 */
export const HELLO_LIMITS = Object.freeze({ name: 128, threads: 1024 });

/** Why a hello with this name and thread count would be refused (the flag named as the worker CLI takes it), or undefined when it would not. */
export function helloProblem(hello: { name?: string; threads?: number }): string | undefined {
  const { name, threads } = hello;
  if (name !== undefined && name.length > HELLO_LIMITS.name) return `--name is ${name.length} characters; at most ${HELLO_LIMITS.name}`;
  if (threads !== undefined && !(Number.isSafeInteger(threads) && threads >= 1 && threads <= HELLO_LIMITS.threads)) return `--threads must be a whole number from 1 to ${HELLO_LIMITS.threads}, got ${threads}`;
  return undefined;
}

/** Sent once the peer is authenticated (a worker: after it checked the coordinator's proof). */
export interface HelloMessage {
  type: 'hello';
  protocol: number;
  role: Role;
  name: string;
  /** Tasks a worker runs at once. */
  threads?: number;
  /**
   * The kinds of task a worker takes, of REMOTE_TASK_KINDS (never 'evaluate'); without it, every
   * one of them, as `nnlab worker` names them.
   */
  kinds?: TaskKind[];
}
export interface ResultMessage {
  type: 'result';
  taskId: number;
  result: TaskResult;
}
export interface TaskErrorMessage {
  type: 'task_error';
  taskId: number;
  message: string;
}
/** A worker will not run this task, and no task like it (shipped code it does not allow, a tampered cache). */
export interface RefusedMessage {
  type: 'refused';
  taskId: number;
  code: WorkerRefusalCode;
  message: string;
}
export interface ControlMessage {
  type: 'control';
  action: 'stop' | 'checkpoint';
}
export type PeerMessage = AuthMessage | HelloMessage | ResultMessage | TaskErrorMessage | RefusedMessage | ControlMessage;

// ---- coordinator → peer ----------------------------------------------------------------------

/** The coordinator's first frame to a peer that did not authenticate at the upgrade. */
export interface ChallengeMessage {
  type: 'challenge';
  protocol: number;
  nonce: Uint8Array;
}
/** The coordinator's proof that it knows the token: HMAC-SHA256(token, "nnlab coordinator" | nonce_w | nonce_c). */
export interface ProofMessage {
  type: 'proof';
  proof: Uint8Array;
}
export interface WelcomeMessage {
  type: 'welcome';
  protocol: number;
  peerId: number;
  runId: string;
}
export interface TaskMessage {
  type: 'task';
  taskId: number;
  task: Task;
}
export interface ErrorMessage {
  type: 'error';
  /** bad_result, task_error, task_timeout: the task was taken back from this worker and goes to another (scheduler.ts). */
  code: (typeof ERROR_CODES)[number];
  message: string;
  /** The task a refusal (bad_result, task_error, task_timeout) is about. */
  taskId?: number;
}
/**
 * One point of a run's metrics: its step, seconds since the run started (across resumes) and its
 * values. The metrics log (runs/<id>/metrics.jsonl) writes each as one flat line
 * `{"step", "time", ...metrics}` (coordinator/runDir.ts), which readMetrics reads back as this.
 */
export interface MetricPoint {
  step: number;
  time: number;
  metrics: Metrics;
}
/** Metric points of a run, as they happen (the dashboard also gets the history first). */
export interface MetricsMessage {
  type: 'metrics';
  runId: string;
  points: MetricPoint[];
}
/** The state of the run and its workers, sent to dashboards when it changes. */
export interface RunStateMessage {
  type: 'run_state';
  run: RunSummary;
  workers: WorkerSummary[];
}
/** Published policy parameters (dashboards run the policy in the page). */
export interface ParamsMessage {
  type: 'params';
  runId: string;
  version: number;
  params: TensorMap;
  /** Hidden activation of the network (the agent's `activation`); absent for a Q-table. */
  activation?: HiddenActivation;
}
/** The newest sample grid of a generative run (fixed latents, one per epoch), as PNG bytes. */
export interface SamplesMessage {
  type: 'samples';
  runId: string;
  epoch: number;
  png: Uint8Array;
}
export type CoordinatorMessage = ChallengeMessage | ProofMessage | WelcomeMessage | TaskMessage | ErrorMessage | MetricsMessage | RunStateMessage | ParamsMessage | SamplesMessage;

export interface RunSummary {
  runId: string;
  name: string;
  state: 'starting' | 'running' | 'stopping' | 'stopped' | 'finished' | 'failed';
  /** What the run trains: its agent's algorithm or its model's kind. */
  kind: RlAlgo | GenerativeKind;
  env?: string;
  /** The spec's env kwargs: the dashboard makes the same env (FrozenLake's isSlippery, a map). */
  envKwargs?: Record<string, unknown>;
  backend: string;
  startedAt: string;
  message?: string;
  /** A queue-backed sweep's trials (drivers/queue.ts). */
  trials?: TrialStatus[];
  /** A sweep's (or tabular run's) trial metrics: what the dashboard's sweep chart and table show. */
  trialMetrics?: TrialMetricNames;
}

/** The names a sweep's trials write their curve and final score under (`trial/<i>/` before each in a sweep of several). */
export interface TrialMetricNames {
  /** One point per episode (`charts/episodic_return`) or per epoch (a generative score, e.g. `eval/test_elbo`). */
  curve: string;
  /** The final score (`eval/final_mean_return`, `eval/final_test_elbo`, …). */
  final: string;
  /** What one point of the curve is. */
  unit: 'episode' | 'epoch';
}

/** One trial of a queue-backed sweep as the dashboard's sweep table shows it. */
export interface TrialStatus {
  index: number;
  /** `retried`: waiting for another try after a failed one. */
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'retried';
  /** The worker running it (or that ran it). */
  worker?: string;
  attempts: number;
  /** Points of the training curve reported so far (the whole curve once completed): episodes, or epochs of a generative trial (RunSummary.trialMetrics.unit). */
  points: number;
  finalScore?: number;
  /** The last failure (a failed trial's, or a retried one's). */
  error?: string;
}

export interface WorkerSummary {
  id: string;
  kind: 'thread' | 'learner' | 'remote' | 'inline';
  alive: boolean;
  /** Finer than alive: suspect (missed a deadline), quarantined (dropped for bad answers), closed (no longer needed). */
  state?: ExecutorState;
  /** Why it is suspect, quarantined, dead or closed. */
  reason?: string;
  tasksDone: number;
  /** Env steps (or items) per second over the last tasks. */
  throughput: number;
  lastSeen: number;
  current?: string;
}

// ---- validation of what arrives over the socket (at the coordinator) --------------------------
// Each schema is declared as (`: z.ZodType<T>`) or `satisfies` the type it parses, so tsc checks
// that what passes it is that type; test/coordinator.protocol.test.ts checks the other way (a
// message with every field, optional ones included, parses to itself: zod drops the fields a
// schema does not name).

/** Env state as data (envs/snapshot.ts StateTree): plain values, typed arrays, lists and records, at most 32 levels deep. */
const stateTree: z.ZodType<StateTree> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string().max(TEXT_CHARS), z.instanceof(Float64Array), f32, i32, u8, z.instanceof(Uint32Array), z.instanceof(Int8Array), z.instanceof(Int16Array), z.instanceof(Uint16Array), z.array(stateTree).max(100_000), z.record(z.string(), stateTree)]),
).refine((t) => depth(t) <= 32, 'a state tree at most 32 levels deep');
function depth(t: StateTree): number {
  if (t === null || typeof t !== 'object' || ArrayBuffer.isView(t)) return 0;
  let d = 0;
  for (const v of Array.isArray(t) ? t : Object.values(t)) d = Math.max(d, depth(v));
  return d + 1;
}
/** An env stream as data (protocol/tasks.ts EnvStreamState): in a rollout result, a rollout task (protocol/workerFrames.ts) and a DQN run checkpoint (drivers/runState.ts). */
export const envStream: z.ZodType<EnvStreamState> = z.object({
  env: stateTree,
  obs: f32,
  returns: f64,
  lengths: i32,
  rng: rngStateSchema,
});

const rolloutResult = z.object({
  kind: z.literal('rollout'),
  count,
  obs: f32,
  actions: i32,
  rewards: f32,
  nextObs: f32,
  terminated: u8,
  episodeReturns: f64,
  episodeLengths: i32,
  episodeEnds: i32,
  policyVersion: count,
  stream: envStream.optional(),
}) satisfies z.ZodType<RolloutResult>;
const gradientResult = z.object({
  kind: z.literal('gradient'),
  grads: tensorMapSchema,
  metrics: z.record(z.string(), z.number()),
  n: count,
  stats: tensorMapSchema.optional(),
}) satisfies z.ZodType<GradientResult>;
/** A trial's result (a remote worker's, a thread's); a queue job's result is built from it (protocol/queue.ts jobResultSchema). */
export const trialResultSchema = z.object({ kind: z.literal('trial'), trial: count, finalScore: z.number(), curve: f64, seconds: z.number().nonnegative() }) satisfies z.ZodType<TrialResult>;
/** An evaluation's returns: only this machine's threads run evaluations (REMOTE_TASK_KINDS), so no peer sends one. */
const evaluateResult = z.object({ kind: z.literal('evaluate'), returns: f64, lengths: i32, policyVersion: count }) satisfies z.ZodType<EvaluateResult>;

/**
 * A result of any kind, as an executor's thread answers it (coordinator/executors.ts, a remote
 * worker's own threads: workers/remote.ts). A thread's answer crosses a structured clone untyped
 * (piscina's `run` returns any), so it is checked like a peer's before anyone takes it as a result.
 */
export const taskResultSchema = z.discriminatedUnion('kind', [rolloutResult, trialResultSchema, gradientResult, evaluateResult]) satisfies z.ZodType<TaskResult>;

/** Checks a thread's answer; returns the result or a one-line reason naming the bad field. */
export function parseTaskResult(value: unknown): { ok: true; result: TaskResult } | { ok: false; reason: string } {
  const r = taskResultSchema.safeParse(value);
  return r.success ? { ok: true, result: r.data } : { ok: false, reason: firstIssueText(r.error, { root: 'result', maxLength: MAX_REASON }) };
}

export const peerMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), protocol: z.number().int(), nonce: u8.refine((b) => b.length === NONCE_BYTES, `a ${NONCE_BYTES}-byte nonce`), proof: u8.refine((b) => b.length === PROOF_BYTES, `a ${PROOF_BYTES}-byte HMAC-SHA256`) }),
  z.object({
    type: z.literal('hello'),
    protocol: z.number().int(),
    role: z.enum(['worker', 'dashboard']),
    name: z.string().max(HELLO_LIMITS.name),
    threads: z.number().int().min(1).max(HELLO_LIMITS.threads).optional(),
    kinds: z.array(z.enum(REMOTE_TASK_KINDS)).optional(),
  }),
  z.object({ type: z.literal('result'), taskId: count, result: z.discriminatedUnion('kind', [rolloutResult, trialResultSchema, gradientResult]) }),
  z.object({ type: z.literal('task_error'), taskId: count, message: z.string().max(TEXT_CHARS) }),
  z.object({ type: z.literal('refused'), taskId: count, code: z.enum(WORKER_REFUSAL_CODES), message: z.string().max(TEXT_CHARS) }),
  z.object({ type: z.literal('control'), action: z.enum(['stop', 'checkpoint']) }),
]) satisfies z.ZodType<PeerMessage>;

/** Validates a decoded frame; returns the message or a one-line reason naming the bad field. */
export function parsePeerMessage(value: unknown): { ok: true; message: PeerMessage } | { ok: false; reason: string } {
  const r = peerMessageSchema.safeParse(value);
  if (r.success) return { ok: true, message: r.data };
  return { ok: false, reason: frameProblem(r.error) };
}

/** Longest reason a frame check returns: a path through the sender's record keys may be as long as it likes. */
const MAX_REASON = 500;

/**
 * Why a frame failed its schema, as one line of at most MAX_REASON characters: the first bad field
 * and zod's message (`message` when the frame itself is wrong), whatever the sender put in the
 * names along the path (the coordinator's check here, a remote worker's in protocol/workerFrames.ts).
 */
export function frameProblem(error: z.ZodError): string {
  return firstIssueText(error, { whole: 'message', maxLength: MAX_REASON });
}

// ---- the learner process (Node IPC, structured clone) ----------------------------------------

/**
 * Everything a DQN learner needs to continue exactly where it was: its nets and Adam state (agents/types.ts), and
 * the replay buffer it owns with the generator its minibatches are drawn from.
 */
export interface DqnLearnerState extends DqnTrainingState {
  replay: ReplayState;
  replayRng: RngState;
}

/**
 * One training round, Ape-X's flow: the transitions the coordinator accepted since the previous
 * round go one way into the learner's replay buffer, then `phases` of gradient steps on
 * minibatches the learner draws from it, each phase followed by an optional target update. A
 * round may carry transitions and no phases (before learning starts, at a checkpoint).
 */
export interface TrainRequest {
  type: 'train';
  id: number;
  /** Sent when the learner process is new (or was restarted) so it continues from this state. */
  state?: DqnLearnerState;
  /** The new transitions, row after row, added to the replay buffer in this order before any minibatch is drawn. */
  obs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  terminated: Uint8Array;
  batchSize: number;
  /** Per phase: number of gradient steps and whether the target is updated after it (agents/offPolicy.ts's schedule). */
  phases: TrainPhase[];
  /** Reply with the complete state too (for a checkpoint or a hand-over); otherwise only the parameters to publish. */
  wantState?: boolean;
}

export interface TrainReply {
  type: 'trained';
  id: number;
  /** The complete state after the round, when the request asked for it (`wantState`). */
  state?: DqnLearnerState;
  /** Gradient updates so far and the version of `params`. */
  updates: number;
  version: number;
  params: TensorMap;
  meanLoss: number;
  seconds: number;
}

/** The reply to a round that asked for the learner's state (`wantState: true`): the state is there. */
export interface TrainReplyWithState extends TrainReply {
  state: DqnLearnerState;
}

export interface LearnerInit {
  type: 'init';
  obsDim: number;
  numActions: number;
  /** The resolved DQN config; the learner process checks it on arrival with the same rule as a spec's (agents/dqnConfig.ts `resolveDqnConfig`). */
  config: DqnConfig;
  /** The online and target parameters to start from (agents/dqn.ts `initialDqnParams`): the learner builds its nets from them, no tfjs. */
  online: TensorMap;
  target: TensorMap;
}

/**
 * A generative run's learner in the learner process: the same model the driver builds, from the
 * same generator state (or loaded from a checkpoint), so both copies start identical; the driver
 * keeps a copy for sampling and evaluation and pulls the trained parameters into it.
 */
export interface GenerativeLearnerInit {
  type: 'init-generative';
  kind: GenerativeKind;
  config: Record<string, unknown>;
  /** State of the Rng the model is built from. */
  rng: RngState;
  /** Load this checkpoint directory after building (a resumed run). */
  loadDir?: string;
}

/** One training iteration (`learner.trainStep`), or a request for the parameters, or a save. */
export type GenerativeLearnerRequest =
  | { type: 'gen-step'; id: number; batches: ImageBatch[] }
  | { type: 'gen-pull'; id: number }
  | { type: 'gen-save'; id: number; dir: string };

export type GenerativeLearnerReply =
  | { type: 'gen-stepped'; id: number; metrics: Metrics }
  | { type: 'gen-params'; id: number; params: TensorMap; stats?: TensorMap }
  | { type: 'gen-saved'; id: number };

/** Everything the coordinator sends the learner process (validated there: workers/learnerMessages.ts). */
export type ToLearner = LearnerInit | TrainRequest | GenerativeLearnerInit | GenerativeLearnerRequest | { type: 'shutdown' };
/** Everything the learner process answers (validated by the coordinator: workers/learnerMessages.ts); a `failed` of id -1 is a failed init. */
export type FromLearner = { type: 'ready'; backend: string; pid: number } | TrainReply | GenerativeLearnerReply | { type: 'failed'; id: number; message: string };
