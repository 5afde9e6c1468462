/**
 * A distributed DQN run (the data flow of DESIGN.md): rollout tasks go to executors (piscina
 * threads, remote workers, or the coordinator's own thread) with the latest published parameters;
 * their transitions enter the coordinator's replay buffer; every `trainFrequency` env steps the
 * coordinator samples `gradientSteps` minibatches and sends them to the learner (its own process),
 * which returns its complete new state and the parameters to publish. When to train and copy the
 * target is agents/offPolicy.ts `OffPolicySchedule`, asked env step by env step as transitions are
 * accepted: the one schedule of the one-process loop. Tasks that start after the data a round was
 * planned on act with the parameters that round returns (the metric `charts/policy_lag` says how
 * far past that data they started). Counts are exact: a rollout
 * task's transitions are accepted once, when its result arrives; a task whose executor died is
 * redone elsewhere.
 *
 * With `workers.rollout = 0` and `learner.process = false` everything runs in order in one
 * thread, each rollout ending where the schedule trains or the goal check evaluates, on the
 * streams of agents/dqnActor.ts `dqnStreams`: that run is agents/dqn.ts `trainDqn`, number for
 * number (tested). Its checkpoints hold the envs' state too: an interrupted and resumed run ends
 * with the same weights as an uninterrupted one.
 */
import { ReplayBuffer, type ReplayState } from '../core/replay.js';
import { Rng, type RngState } from '../base/rng.js';
import type { TensorMap } from '../core/tensors.js';
import { allFinite, setParams } from '../core/tensors.js';
import { buildMlp } from '../core/nn.js';
import { resolveDqnConfig, greedyPolicy, type DqnConfig } from '../agents/dqn.js';
import { dqnStreams } from '../agents/dqnActor.js';
import { OffPolicySchedule, type TrainPhase } from '../agents/offPolicy.js';
import { EVAL_SEEDS, evaluatePolicy, goalEvaluator, type EvalResult } from '../agents/evaluate.js';
import { batchDim, Discrete, make } from '../envs/index.js';
import { RolloutRunner, type RolloutRunnerState } from '../workers/rollout.js';
import type { EnvRef, RolloutResult, RolloutTask } from '../protocol/tasks.js';
import type { DqnLearnerState, LearnerInit, TrainReply, TrainRequest } from '../protocol/messages.js';
import { LearnerLost, type LearnerClient } from './learner.js';
import type { RunContext, RunOutcome } from './context.js';
import { checkedRollout } from './validate.js';

/** What a DQN run's checkpoint holds (besides the model files). */
export interface DqnRunState {
  envSteps: number;
  dispatched: number;
  rolloutTasks: number;
  episodes: number;
  /** The schedule's counters (OffPolicySchedule) over the accepted env steps. */
  lastTrainStep: number;
  lastTargetStep: number;
  /** Phases the schedule made due that no training round has taken yet (absent: none). */
  pendingPhases?: TrainPhase[];
  lastEvalStep: number;
  lastCheckpointStep: number;
  trainRounds: number;
  nextSeed: number;
  replay: ReplayState;
  replayRng: RngState;
  learner: DqnLearnerState;
  params: TensorMap;
  paramsVersion: number;
  recentReturns: number[];
  /** The single-process runner's envs (exact resume). */
  inline?: RolloutRunnerState;
  metrics: { jsonl: number; csv: number; time: number };
  /** The newest greedy evaluation and the policy version it scored (not necessarily the one saved beside it). */
  lastEvaluation?: EvaluationRecord;
}

/** What one evaluation scored: a frozen policy version, on which seeds, with what mean return. */
export interface EvaluationRecord {
  envStep: number;
  policyVersion: number;
  updates: number;
  meanReturn: number;
  episodes: number;
  firstSeed: number;
}

export class NonFiniteError extends Error {}

export function dqnLearnerInit(ctx: RunContext): { init: LearnerInit; config: DqnConfig; obsDim: number; numActions: number } {
  const spec = ctx.spec;
  const config = resolveDqnConfig({ seed: spec.seed, ...(spec.agent!.config as Partial<DqnConfig>) });
  if (!config.fused) throw new RangeError(`spec.agent.config.fused: distributed DQN trains on the fused path; set it to true (the default)`);
  const probe = make(ctx.envRef.id, ctx.envRef.kwargs);
  const obsDim = batchDim(probe.observationSpace);
  const actionSpace = probe.actionSpace;
  probe.close();
  if (!(actionSpace instanceof Discrete)) throw new TypeError(`DQN needs a Discrete action space; ${ctx.envRef.id} has ${String(actionSpace)}`);
  return { init: { type: 'init', obsDim, numActions: actionSpace.n, config: { ...config } }, config, obsDim, numActions: actionSpace.n };
}

/**
 * Runs a DQN spec to its budget, its goal or a stop request. The learner is `learner0` (a process,
 * or in process); rollouts go to the scheduler's executors, or run inline in a one-thread run.
 */
export async function runDqn(ctx: RunContext, learner0: LearnerClient, resume?: DqnRunState): Promise<RunOutcome> {
  const { spec } = ctx;
  const { config, obsDim, numActions } = dqnLearnerInit(ctx);
  const budget = spec.budget.envSteps ?? 100_000;
  const numEnvs = spec.workers.numEnvs;
  const taskSteps = spec.workers.rolloutSteps;
  const single = ctx.singleProcess;
  let learner = learner0;

  // ---- state (all of it checkpointed) ----
  const replay = resume !== undefined ? ReplayBuffer.fromState(resume.replay) : new ReplayBuffer({ capacity: config.bufferSize, obsDim });
  const replayRng = dqnStreams(config.seed).replay;
  let s: Omit<DqnRunState, 'replay' | 'replayRng' | 'metrics' | 'inline'>;
  if (resume !== undefined) {
    replayRng.setState(resume.replayRng);
    const { replay: _r, replayRng: _g, metrics: _m, inline: _i, pendingPhases: _p, ...counters } = resume;
    s = counters;
    s.dispatched = s.envSteps; // tasks in flight at the checkpoint were never accepted: redo them
  } else {
    const first = await learner.train({ type: 'train', id: 0, obs: new Float32Array(0), actions: new Int32Array(0), rewards: new Float32Array(0), nextObs: new Float32Array(0), terminated: new Uint8Array(0), batchSize: config.batchSize, phases: [] });
    s = {
      envSteps: 0,
      dispatched: 0,
      rolloutTasks: 0,
      episodes: 0,
      lastTrainStep: 0,
      lastTargetStep: 0,
      lastEvalStep: 0,
      lastCheckpointStep: 0,
      trainRounds: 0,
      nextSeed: config.seed,
      learner: first.state,
      params: first.params,
      paramsVersion: first.state.version,
      recentReturns: [],
    };
  }
  let learnerHasState = resume === undefined;
  const schedule = new OffPolicySchedule(config, s.lastTrainStep, s.lastTargetStep);
  let pending: TrainPhase[] = resume?.pendingPhases?.map((p) => ({ ...p })) ?? [];
  const inline = single ? new RolloutRunner(numEnvs, ctx.envRef.id, ctx.envRef.kwargs, config.seed) : undefined;
  if (inline !== undefined && resume?.inline !== undefined) inline.setState(resume.inline);

  const epsilon = { initial: config.explorationInitialEps, final: config.explorationFinalEps, fraction: config.explorationFraction, totalTimesteps: budget, learningStarts: config.learningStarts };
  /**
   * Vector steps of the next task: `rolloutSteps`, but in a one-thread run it ends where training is
   * due, where the goal check evaluates or where the budget ends, so the actor acts with the
   * parameters of every training round from the step after it, as in the one-process loop.
   */
  const nextTaskSteps = (envStep: number): number => {
    if (!single) return taskSteps;
    for (let t = 1; t < taskSteps; t++) {
      const e = envStep + t * numEnvs;
      if (e >= budget || schedule.trainDue(e) || (spec.eval.interval > 0 && e - s.lastEvalStep >= spec.eval.interval)) return t;
    }
    return taskSteps;
  };
  const rolloutTask = (): RolloutTask => {
    const envStep = s.dispatched;
    const steps = nextTaskSteps(envStep);
    if (s.learner.updates > 0) policyLag = Math.max(policyLag, envStep - appliedThrough);
    s.dispatched += steps * numEnvs;
    const task: RolloutTask = {
      kind: 'rollout',
      runId: ctx.runId,
      env: ctx.envRef as EnvRef,
      numEnvs,
      steps,
      envStep,
      seed: s.nextSeed++,
      policy: { algo: 'dqn', activation: config.activation, params: s.params, version: s.paramsVersion, epsilon },
    };
    if (ctx.faults?.crashRolloutAt !== undefined && envStep >= ctx.faults.crashRolloutAt) {
      task.crash = true; // fault injection (tests): the thread running this task dies
      delete ctx.faults.crashRolloutAt;
    }
    return task;
  };

  /** Takes a validated result's transitions (the scheduler refuses bad ones and requeues their task; validate.ts). */
  const accept = (r: RolloutResult): void => {
    const n = r.count;
    replay.addBatch(r.obs, r.actions, r.rewards, r.nextObs, r.terminated);
    schedule.advance(s.envSteps, n / numEnvs, numEnvs, pending);
    s.lastTrainStep = schedule.lastTrain;
    s.lastTargetStep = schedule.lastTarget;
    for (let k = 0; k < r.episodeReturns.length; k++) {
      s.episodes++;
      s.recentReturns.push(r.episodeReturns[k]!);
      if (s.recentReturns.length > 20) s.recentReturns.shift();
      ctx.metrics.write(s.envSteps + r.episodeEnds[k]! + 1, { 'charts/episodic_return': r.episodeReturns[k]!, 'charts/episodic_length': r.episodeLengths[k]! });
    }
    s.envSteps += n;
    s.rolloutTasks++;
  };

  // The acting policy is as fresh as in the one-process loop: the steps after the data a round was
  // planned on are collected with the parameters it returns, so rollouts wait while the learner
  // trains (a task that spans a training point acts with the older parameters to its end, at most
  // rolloutSteps × numEnvs steps). Letting them run two rounds ahead overlapped collection with
  // training but cost about 1.4x the env steps to reach CartPole's goal (docs/distributed.md); on
  // two cores the learner is the bottleneck, and collection is cheap.
  let plannedThrough = s.envSteps;
  let appliedThrough = s.envSteps;
  /** The largest gap (env steps) between the data a dispatched task's parameters were trained on and the step it starts at, since the last round landed. */
  let policyLag = 0;
  const mayDispatch = (): boolean => s.dispatched < budget && (s.dispatched < config.learningStarts || s.dispatched - appliedThrough < config.trainFrequency);

  /**
   * Plans a training round once the schedule made gradient steps due: it takes every pending phase
   * (target copies due before them included) and samples their minibatches now, in order.
   */
  let undoPlan: { phases: TrainPhase[]; trainRounds: number; replayRng: RngState; plannedThrough: number } | undefined;
  const planTrain = (): TrainRequest | undefined => {
    if (!pending.some((p) => p.gradientSteps > 0)) return undefined;
    const phases = pending;
    pending = [];
    undoPlan = { phases, trainRounds: s.trainRounds, replayRng: replayRng.getState(), plannedThrough };
    const rows = phases.reduce((a, p) => a + p.gradientSteps, 0) * config.batchSize;
    const b = replay.sample(rows, replayRng);
    plannedThrough = s.envSteps;
    return { type: 'train', id: ++s.trainRounds, obs: b.obs, actions: b.actions as Int32Array, rewards: b.rewards, nextObs: b.nextObs, terminated: b.terminated, batchSize: config.batchSize, phases };
  };

  const sendTrain = async (req: TrainRequest): Promise<TrainReply> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await learner.train(learnerHasState ? req : { ...req, state: s.learner });
        learnerHasState = true;
        return r;
      } catch (e) {
        if (!(e instanceof LearnerLost) || attempt >= 3) throw e;
        ctx.log(`${e.message}; starting a new learner process with the state after update ${s.learner.updates}`);
        ctx.event({ type: 'learner-restart', reason: e.message });
        learner = await ctx.restartLearner();
        learnerHasState = false;
      }
    }
  };

  const applyTrain = (r: TrainReply): void => {
    if (!Number.isFinite(r.meanLoss) || !allFinite(r.params)) {
      throw new NonFiniteError(`non-finite TD loss (${r.meanLoss}) in training round ${r.id}, updates ${s.learner.updates + 1}–${r.state.updates}, at env step ${s.envSteps}: the run stops; the last good checkpoint stays loadable`);
    }
    s.learner = r.state;
    appliedThrough = plannedThrough;
    s.params = r.params;
    s.paramsVersion = r.state.version;
    ctx.metrics.write(s.envSteps, { 'losses/td_loss': r.meanLoss, 'charts/sps': s.envSteps / Math.max(1e-9, ctx.metrics.time - startTime), 'charts/updates': r.state.updates, 'charts/policy_lag': policyLag });
    policyLag = 0;
    ctx.publish(s.params, s.paramsVersion, config.activation);
  };

  const startTime = resume?.metrics.time ?? 0;
  /** The final report: the published policy on finalEpisodes episodes no check plays. */
  const finalSeed = EVAL_SEEDS.final(config.seed);
  const finalEvaluation = (): EvalResult => evaluatePolicy(ctx.envRef.id, greedyPolicy(s.params, config.activation), spec.eval.finalEpisodes, finalSeed, ctx.envRef.kwargs);
  let final: EvalResult | undefined;
  /** The snapshot whose evaluation confirmed the goal: what the run saves and reports. */
  let goalSnapshot: EvaluationRecord | undefined;
  let lastEvaluation: EvaluationRecord | undefined = resume?.lastEvaluation;
  /**
   * Scores the published policy as it is now: one frozen snapshot (s.params is replaced, never
   * mutated, when a training round lands), named by its version and update count. The goal stands
   * as agents/evaluate.ts `goalEvaluator` defines it for every trainer: the quick check, its
   * confirmation on the check seeds, and `finalEpisodes` fresh episodes, which are then the report.
   */
  const goalCheck = goalEvaluator({
    envId: ctx.envRef.id,
    kwargs: ctx.envRef.kwargs,
    policy: () => greedyPolicy(s.params, config.activation),
    evalEpisodes: spec.eval.episodes,
    goalEpisodes: spec.eval.finalEpisodes,
    ...(spec.eval.goal !== undefined ? { goal: spec.eval.goal } : {}),
    seed: config.seed,
    onMetrics: (m) => ctx.metrics.write(s.envSteps, { ...m, 'eval/policy_version': s.paramsVersion }),
  });
  const evaluate = (): boolean => {
    if (spec.eval.interval === 0 || s.envSteps - s.lastEvalStep < spec.eval.interval) return false;
    s.lastEvalStep = s.envSteps;
    const reached = goalCheck.evaluate(s.envSteps);
    const ev = goalCheck.result.lastEval!;
    lastEvaluation = { envStep: s.envSteps, policyVersion: s.paramsVersion, updates: s.learner.updates, meanReturn: ev.meanReturn, episodes: ev.returns.length, firstSeed: EVAL_SEEDS.check(config.seed) };
    if (reached) {
      goalSnapshot = lastEvaluation;
      final = goalCheck.result.final!;
    } else if (goalCheck.result.final !== undefined && goalCheck.result.final !== lastFinal) {
      // the check passed on its seeds, fresh episodes did not: a lucky snapshot, training goes on
      lastFinal = goalCheck.result.final;
      ctx.log(`env step ${s.envSteps}: the goal check scored ${ev.meanReturn.toFixed(1)}, fresh episodes ${lastFinal.meanReturn.toFixed(1)} < ${spec.eval.goal}: training goes on`);
      ctx.metrics.write(s.envSteps, { 'eval/final_mean_return': lastFinal.meanReturn });
    }
    return reached;
  };
  let lastFinal: EvalResult | undefined;

  /** Saves everything; the model `q` holds the published parameters, version s.paramsVersion (named in meta.json). */
  const checkpoint = async (why: string): Promise<string> => {
    const state: DqnRunState = { ...s, replay: replay.getState(), replayRng: replayRng.getState(), pendingPhases: pending.map((p) => ({ ...p })), metrics: ctx.metrics.mark(), ...(inline !== undefined ? { inline: inline.getState() } : {}), ...(lastEvaluation !== undefined ? { lastEvaluation } : {}) };
    s.lastCheckpointStep = s.envSteps;
    state.lastCheckpointStep = s.envSteps;
    const q = buildMlp({ name: 'q', inputDim: obsDim, hidden: config.hidden, outputDim: numActions, activation: config.activation }, new Rng(0));
    setParams(q, s.params);
    const dir = await ctx.saveCheckpoint(s.envSteps, state, { q }, { policyVersion: s.paramsVersion, updates: s.learner.updates });
    q.dispose();
    ctx.log(`checkpoint (${why}) at env step ${s.envSteps}: ${dir}`);
    return dir;
  };

  // a task dispatched again after its worker died acts with the current parameters
  // (and an injected crash happens once: the task's second attempt runs normally)
  ctx.scheduler.prepare = (task, attempt) => {
    if (task.kind !== 'rollout' || task.runId !== ctx.runId || attempt === 1) return task;
    const { crash: _crash, ...rest } = task;
    return { ...rest, policy: { ...task.policy, params: s.params, version: s.paramsVersion } };
  };

  // ---- the loop ----
  type Done = { kind: 'rollout'; id: number; result: RolloutResult } | { kind: 'train'; reply: TrainReply };
  const inFlight = new Map<number, Promise<Done>>();
  let nextLocal = 0;
  let training: Promise<Done> | undefined;
  let stopReason: string | undefined;
  const progress = () =>
    ctx.progress(s.envSteps, budget, {
      return: s.recentReturns.length > 0 ? s.recentReturns.reduce((a, b) => a + b, 0) / s.recentReturns.length : undefined,
      eval: lastEvaluation?.meanReturn,
      updates: s.learner.updates,
      'steps/s': Math.round(s.envSteps / Math.max(1e-9, ctx.metrics.time - startTime)),
      workers: ctx.workersAlive(),
    });
  const finishTraining = async (): Promise<void> => {
    if (training === undefined) return;
    const t = await training;
    training = undefined;
    if (t.kind === 'train') applyTrain(t.reply);
  };
  /**
   * Drops the round in flight, as if it had never been planned: the run keeps the snapshot that
   * met the goal. Its counters and replay sampling stream go back to before the round; the
   * learner, which applied it, gets the kept state with the next request.
   */
  const abandonTraining = async (): Promise<void> => {
    if (training === undefined) return;
    const t = training;
    training = undefined;
    await t;
    const u = undoPlan!;
    pending = [...u.phases, ...pending];
    s.trainRounds = u.trainRounds;
    replayRng.setState(u.replayRng);
    plannedThrough = u.plannedThrough;
    learnerHasState = false;
  };

  try {
    while (s.envSteps < budget) {
      stopReason = ctx.stopRequested();
      if (stopReason !== undefined) break;
      if (spec.budget.wallSeconds !== undefined && ctx.metrics.time - startTime >= spec.budget.wallSeconds) {
        ctx.log(`wall-time budget of ${spec.budget.wallSeconds} s reached at env step ${s.envSteps}`);
        break;
      }
      // keep every rollout slot busy (in a single-process run: one task at a time, in order)
      const slots = single ? 1 : Math.max(1, ctx.scheduler.capacity('rollout'));
      while (inFlight.size < slots && mayDispatch()) {
        const id = nextLocal++;
        const task = rolloutTask();
        const run = single ? Promise.resolve(inline!.run(task)).then((r) => checkedRollout(task, r)) : (ctx.scheduler.submit(task) as Promise<RolloutResult>);
        inFlight.set(id, run.then((result): Done => ({ kind: 'rollout', id, result })));
      }
      if (inFlight.size === 0 && training === undefined) throw new Error(`DQN run stalled at env step ${s.envSteps} (nothing in flight)`);
      const next = await Promise.race(training === undefined ? inFlight.values() : [training, ...inFlight.values()]);
      if (next.kind === 'rollout') {
        inFlight.delete(next.id);
        accept(next.result);
      } else {
        training = undefined;
        applyTrain(next.reply);
      }
      if (training === undefined) {
        const req = planTrain();
        if (req !== undefined) {
          if (single) applyTrain(await sendTrain(req));
          else training = sendTrain(req).then((reply): Done => ({ kind: 'train', reply }));
        }
      }
      if (evaluate()) {
        // the snapshot that met the goal is what the run saves: the round in flight is dropped
        await abandonTraining();
        break;
      }
      const requested = ctx.checkpointRequested();
      if (requested || (spec.checkpoint.interval > 0 && s.envSteps - s.lastCheckpointStep >= spec.checkpoint.interval)) {
        await finishTraining();
        await checkpoint(requested ? 'requested' : 'periodic');
        ctx.checkpointDone();
      }
      progress();
    }
    await finishTraining();
  } catch (e) {
    // the other in-flight work settles quietly
    for (const p of inFlight.values()) p.catch(() => undefined);
    training?.catch(() => undefined);
    throw e;
  }
  for (const p of inFlight.values()) p.catch(() => undefined);
  progress();
  ctx.progressBreak();
  if (goalSnapshot !== undefined && goalSnapshot.policyVersion !== s.paramsVersion) {
    throw new Error(`internal: the goal was met by policy version ${goalSnapshot.policyVersion}, but version ${s.paramsVersion} is about to be saved`);
  }
  const saved = await checkpoint(stopReason !== undefined ? stopReason : goalSnapshot !== undefined ? 'goal' : 'final');
  const counts = { ...ctx.scheduler.counts, rolloutTasks: s.rolloutTasks };
  if (stopReason !== undefined) return { state: 'stopped', message: `stopped (${stopReason}) at env step ${s.envSteps}; continue with --resume ${ctx.runDir}`, envSteps: s.envSteps, counts };

  // the reported score is the saved model's, on episodes the goal check never played
  final ??= finalEvaluation();
  ctx.metrics.write(s.envSteps, { 'eval/final_mean_return': final.meanReturn });
  const outcome: RunOutcome = {
    state: 'finished',
    message: `greedy evaluation over ${spec.eval.finalEpisodes} episodes: mean return ${final.meanReturn.toFixed(1)} ± ${final.stdReturn.toFixed(1)}`,
    envSteps: s.envSteps,
    finalScore: final.meanReturn,
    evaluation: { finalScore: final.meanReturn, finalStd: final.stdReturn, finalEpisodes: final.returns.length, firstSeed: finalSeed, policyVersion: s.paramsVersion, updates: s.learner.updates, checkpoint: saved, model: 'q' },
    counts,
    params: s.params,
  };
  if (goalSnapshot !== undefined) outcome.goalReachedAt = goalSnapshot.envStep;
  return outcome;
}
