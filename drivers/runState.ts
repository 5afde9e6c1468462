/**
 * What a run's checkpoints hold, checked when a run is resumed (`nnlab run --resume`): a state
 * file is data from disk, so it is parsed against these schemas, never cast, and a corrupt or
 * foreign one is refused with an error naming the file and the field before the run starts or
 * writes anything (core/stateFile.ts `checkData`).
 */
import { z } from 'zod';
import { loadCheckpoint } from '../core/checkpoint.js';
import { replayStateSchema } from '../core/stateFile.js';
import { count, rngStateSchema, tensorMapSchema } from '../base/schemas.js';
import { envStream } from '../protocol/messages.js';
import type { DqnLearnerState } from '../protocol/messages.js';
import { dqnTrainingStateSchema, trainPhaseSchema } from '../workers/learnerMessages.js';
import type { MetricsMark } from './context.js';
import type { DqnRunState, EvaluationRecord, PolicySnapshot } from './offPolicy.js';

/** Where a run's metrics logs ended at a checkpoint (a resume cuts them back to it). */
export const metricsMarkSchema = z.object({ jsonl: count, csv: count, time: z.number().nonnegative() }) satisfies z.ZodType<MetricsMark>;

const policySnapshot = z.object({ envStep: count, params: tensorMapSchema, version: count, updates: count }) satisfies z.ZodType<PolicySnapshot>;
const evaluationRecord = z.object({
  envStep: count,
  policyVersion: count,
  updates: count,
  meanReturn: z.number(),
  episodes: count,
  firstSeed: z.number().int(),
}) satisfies z.ZodType<EvaluationRecord>;

/**
 * A DQN run's state.msgpack (drivers/offPolicy.ts DqnRunState), in either layout: the learner's
 * state holds the replay buffer and its generator, or (a checkpoint written before the learner
 * owned the replay buffer) they sit beside it and move in (`learnerOwnsReplay`).
 */
const dqnRunStateSchema = z
  .object({
    envSteps: count,
    dispatched: count,
    rolloutTasks: count,
    episodes: count,
    lastTrainStep: count,
    lastTargetStep: count,
    pendingPhases: z.array(trainPhaseSchema).optional(),
    lastEvalStep: count,
    lastCheckpointStep: count,
    trainRounds: count,
    nextSeed: z.number().int(),
    learner: dqnTrainingStateSchema.extend({ replay: replayStateSchema.optional(), replayRng: rngStateSchema.optional() }),
    params: tensorMapSchema,
    paramsVersion: count,
    recentReturns: z.array(z.number()),
    streams: z.array(envStream).optional(),
    pendingChecks: z.array(policySnapshot).optional(),
    metrics: metricsMarkSchema,
    lastEvaluation: evaluationRecord.optional(),
    // the older layout: the replay buffer beside the learner's state
    replay: replayStateSchema.optional(),
    replayRng: rngStateSchema.optional(),
  })
  .transform((s, ctx): DqnRunState => {
    const learner = learnerOwnsReplay(s.learner, s.replay, s.replayRng);
    if (learner === undefined) {
      ctx.addIssue({ code: 'custom', path: ['learner', s.learner.replay === undefined ? 'replay' : 'replayRng'], message: "missing: the learner's replay buffer and its generator (in learner, or beside it in the older layout)" });
      return z.NEVER;
    }
    const { replay: _r, replayRng: _g, ...rest } = s;
    return { ...rest, learner };
  }) satisfies z.ZodType<DqnRunState>;

/** The learner's whole state: its replay buffer and generator its own, or moved in from beside it (the older layout); undefined if neither has both. */
function learnerOwnsReplay(learner: z.output<typeof dqnRunStateSchema.in>['learner'], replay: DqnLearnerState['replay'] | undefined, replayRng: DqnLearnerState['replayRng'] | undefined): DqnLearnerState | undefined {
  const { replay: own, replayRng: ownRng, ...rest } = learner;
  if (own !== undefined && ownRng !== undefined) return { ...rest, replay: own, replayRng: ownRng };
  if (own === undefined && ownRng === undefined && replay !== undefined && replayRng !== undefined) return { ...rest, replay, replayRng };
  return undefined;
}

/**
 * The newest checkpoint of a DQN run under `root` (runs/<id>/checkpoints) and its run state,
 * checked: a state.msgpack that is not a DQN run's is refused, naming it and the field.
 */
export async function loadDqnRunState(root: string): Promise<{ dir: string; state: DqnRunState }> {
  const { dir, state } = await loadCheckpoint(root, { state: dqnRunStateSchema });
  return { dir, state };
}
