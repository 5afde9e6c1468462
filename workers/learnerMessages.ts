/**
 * The learner process's messages (protocol/messages.ts `ToLearner`, `FromLearner`) as zod schemas
 * checked against their types, for both ends of its IPC channel: the process checks what the
 * coordinator sends (workers/learnerProcess.ts), the coordinator what the process answers
 * (drivers/learner.ts). Structured clone keeps typed arrays intact but checks nothing, and either
 * end may be a buggy process: a malformed message is refused with an error naming its bad field,
 * not read as whatever it claims to be. A DQN init's config is checked by DQN's one config rule
 * (agents/dqnConfig.ts `resolveDqnConfig`, as a spec's is), so `gamma: 2` is refused naming `gamma`.
 *
 * Here rather than in protocol/ because they use core's schemas of its states (replay buffer and
 * optimiser: core/stateFile.ts) and DQN's config check, which protocol/ may only know as types.
 */
import { z } from 'zod';
import { resolveDqnConfig } from '../agents/dqnConfig.js';
import type { DqnConfig } from '../agents/dqnConfig.js';
import { count, f32, i32, rngStateSchema, tensorMapSchema, u8 } from '../base/schemas.js';
import { checkData, fusedAdamStateSchema, replayStateSchema } from '../core/stateFile.js';
import { GENERATIVE_KINDS } from '../generative/kinds.js';
import { imageBatch } from '../protocol/workerFrames.js';
import type { DqnLearnerState, FromLearner, GenerativeLearnerReply, ToLearner, TrainReply, TrainRequest } from '../protocol/messages.js';
import type { DqnTrainingState, TrainPhase } from '../agents/types.js';
import { errorMessage } from '../base/plainData.js';

/** The resolved DQN config of an init, checked by DQN's own rule; its RangeError becomes the issue (named `config: DQN config: 'gamma' …`). */
const dqnConfig = z.unknown().transform((v, ctx): DqnConfig => {
  try {
    return resolveDqnConfig(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: errorMessage(e) });
    return z.NEVER;
  }
});

/**
 * A DQN learner's training state without its replay buffer (agents/types.ts DqnTrainingState): its
 * networks, optimiser, update count and version. Also the core of a DQN run's state.msgpack
 * (drivers/runState.ts), which may hold the buffer beside it (the older layout).
 */
export const dqnTrainingStateSchema = z.object({ online: f32, target: f32, adam: fusedAdamStateSchema, updates: count, version: count }) satisfies z.ZodType<DqnTrainingState>;

/** One round's training phase (agents/types.ts TrainPhase): in a train request, and in a run's state.msgpack the phases still to train. */
export const trainPhaseSchema = z.object({ gradientSteps: count, updateTarget: z.boolean() }) satisfies z.ZodType<TrainPhase>;

/** The learner process's whole state: its training state, replay buffer and the buffer's generator. */
const learnerState = dqnTrainingStateSchema.extend({ replay: replayStateSchema, replayRng: rngStateSchema }) satisfies z.ZodType<DqnLearnerState>;

const trainRequest = z.object({
  type: z.literal('train'),
  id: count,
  state: learnerState.optional(),
  obs: f32,
  actions: i32,
  rewards: f32,
  nextObs: f32,
  terminated: u8,
  batchSize: z.number().int().min(1),
  phases: z.array(trainPhaseSchema),
  wantState: z.boolean().optional(),
}) satisfies z.ZodType<TrainRequest>;

export const toLearnerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('init'), obsDim: z.number().int().min(1), numActions: z.number().int().min(1), config: dqnConfig, online: tensorMapSchema, target: tensorMapSchema }),
  trainRequest,
  z.object({ type: z.literal('init-generative'), kind: z.enum(GENERATIVE_KINDS), config: z.record(z.string(), z.unknown()), rng: rngStateSchema, loadDir: z.string().optional() }),
  z.object({ type: z.literal('gen-step'), id: count, batches: z.array(imageBatch) }),
  z.object({ type: z.literal('gen-pull'), id: count }),
  z.object({ type: z.literal('gen-save'), id: count, dir: z.string() }),
  z.object({ type: z.literal('shutdown') }),
]) satisfies z.ZodType<ToLearner, unknown>;

const trainReply = z.object({
  type: z.literal('trained'),
  id: count,
  state: learnerState.optional(),
  updates: count,
  version: count,
  params: tensorMapSchema,
  meanLoss: z.number(),
  seconds: z.number(),
}) satisfies z.ZodType<TrainReply>;

const generativeReply = [
  z.object({ type: z.literal('gen-stepped'), id: count, metrics: z.record(z.string(), z.number()) }),
  z.object({ type: z.literal('gen-params'), id: count, params: tensorMapSchema, stats: tensorMapSchema.optional() }),
  z.object({ type: z.literal('gen-saved'), id: count }),
] as const satisfies readonly z.ZodType<GenerativeLearnerReply>[];

export const fromLearnerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), backend: z.string(), pid: z.number().int() }),
  trainReply,
  ...generativeReply,
  // id -1: the init failed
  z.object({ type: z.literal('failed'), id: z.number().int().min(-1), message: z.string() }),
]) satisfies z.ZodType<FromLearner>;

/** A message the learner process received, as ToLearner, or an error naming its first bad field. */
export function parseToLearner(value: unknown): ToLearner {
  return checkData(toLearnerSchema, value, 'a message from the coordinator');
}

/** A message from the learner process, as FromLearner, or an error naming its first bad field. */
export function parseFromLearner(value: unknown): FromLearner {
  return checkData(fromLearnerSchema, value, 'a message from the learner process');
}
