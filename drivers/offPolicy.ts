/**
 * A distributed DQN run (the data flow of DESIGN.md): rollout tasks go to executors (piscina
 * threads, remote workers, or the coordinator's own thread) with the latest published parameters
 * and the run's one env stream (its state travels with the task, so whichever executor is free
 * continues it); the coordinator checks and counts their transitions, and every `trainFrequency` env
 * steps sends the ones accepted since the last round to the learner (its own process), Ape-X's flow:
 * the learner owns the replay buffer, adds them, draws `gradientSteps` minibatches, trains, and
 * returns only the parameters to publish (its whole state at checkpoints). When to train and copy the
 * target is agents/offPolicy.ts `OffPolicySchedule`, asked env step by env step as transitions are
 * accepted: the one schedule of the one-process loop. Tasks that start after the data a round was
 * planned on act with the parameters that round returns (the metric `charts/policy_lag` says how
 * far past that data they started). Counts are exact: a rollout
 * task's transitions are accepted once, when its result arrives; a task whose executor died is
 * redone elsewhere, from the stream state it carried.
 *
 * The goal checks (agents/evaluate.ts `GoalRule`) score frozen snapshots of the published policy
 * as evaluation tasks on the run's threads, Ape-X's evaluator: the quick check runs beside
 * training; when it passes, training waits while the confirmation's episodes are spread over every
 * thread. A snapshot that meets the goal is what the run saves and reports, whatever training did
 * after it. Tasks end where training or a check is due, so with one stream the run takes the
 * one-process run's steps and checks the same snapshots.
 *
 * With `workers.rollout = 0` and `learner.process = false` everything runs in order in one
 * thread, each rollout ending where the schedule trains or the goal check evaluates, on the
 * streams of agents/dqnActor.ts `dqnStreams`: that run is agents/dqn.ts `trainDqn`, number for
 * number (tested). Its checkpoints hold the envs' state too: an interrupted and resumed run ends
 * with the same weights as an uninterrupted one.
 */
import { Rng } from '../base/rng.js';
import { mean } from '../base/stats.js';
import { latestCheckpoint } from '../core/checkpoint.js';
import type { TensorMap } from '../core/tensors.js';
import { allFinite, setParams } from '../core/tensors.js';
import { buildMlp } from '../core/nn.js';
import { dqnEnvSizes, resolveDqnConfig, greedyPolicy, initialDqnParams, epsilonSchedule, type DqnConfig } from '../agents/dqn.js';
import { OffPolicySchedule } from '../agents/offPolicy.js';
import type { TrainPhase } from '../agents/types.js';
import { finalEvaluation, GoalRule, summarizeEpisodes, type EpisodeBlock, type EvalResult } from '../agents/evaluate.js';
import { EPISODE_RETURN_WINDOW, EPISODIC_LENGTH, EPISODIC_RETURN, EVAL_EPISODE_COUNT, EVAL_MEAN_RETURN, EVAL_POLICY_VERSION, FINAL_MEAN_RETURN, POLICY_LAG, SPS, TD_LOSS, UPDATES } from '../agents/metricNames.js';
import { Q_MODEL, Q_NET } from '../agents/netNames.js';
import { RolloutRunner, type RolloutRunnerState } from '../workers/rollout.js';
import { defaultEnvSteps, type EvaluateTask, type RolloutResult, type RolloutTask } from '../protocol/tasks.js';
import type { DqnLearnerState, LearnerInit, TrainReply, TrainRequest } from '../protocol/messages.js';
import { EMPTY_ROUND, InlineLearner, LearnerLost, ProcessLearner, WarmStartLearner, type LearnerClient } from './learner.js';
import { greedyEvaluationText, type MetricsMark, type RlRunContext, type RunOutcome } from './context.js';
import { checkedRollout } from './validate.js';
import { loadDqnRunState } from './runState.js';
import { agentConfigOf } from './spec.js';
import { runPath } from '../protocol/runFiles.js';

/** What a DQN run's checkpoint holds (besides the model files); read back through drivers/runState.ts `loadDqnRunState`, which checks it. */
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
  /** The learner's whole state, its replay buffer included (every accepted transition is in it: a checkpoint first sends the learner those not yet sent). */
  learner: DqnLearnerState;
  params: TensorMap;
  paramsVersion: number;
  /** The last EPISODE_RETURN_WINDOW training episodes' returns (the progress line's trailing mean). */
  recentReturns: number[];
  /** The env streams (exact resume): the single-process runners', or the last accepted rollouts'. */
  streams?: RolloutRunnerState[];
  /** Snapshots whose goal check had not finished (checked again on resume). */
  pendingChecks?: PolicySnapshot[];
  metrics: MetricsMark;
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

/** A frozen published policy: its parameters, version and update count, and the env step it was taken at. */
export interface PolicySnapshot {
  envStep: number;
  params: TensorMap;
  version: number;
  updates: number;
}

export class NonFiniteError extends Error {}

/** Rounds a run keeps for a learner restart before it asks the learner for its whole state again. */
const MAX_LOGGED_ROUNDS = 64;

/** A DQN run's resolved config and its env's sizes. */
interface DqnSetup {
  config: DqnConfig;
  obsDim: number;
  numActions: number;
}

/** A DQN spec's resolved config and its env's sizes (a clear error for a config or env DQN cannot take). */
function dqnSetup(ctx: RlRunContext): DqnSetup {
  const spec = ctx.spec;
  const config = resolveDqnConfig(agentConfigOf(spec));
  if (!config.fused) throw new RangeError(`spec.agent.config.fused: distributed DQN trains on the fused path; set it to true (the default)`);
  return { config, ...dqnEnvSizes(ctx.envRef.id, ctx.envRef.kwargs) };
}

/** What a DQN learner (a process, or inline) starts from: the config and the initial online and target parameters. */
function dqnLearnerInit({ config, obsDim, numActions }: DqnSetup): LearnerInit {
  return { type: 'init', obsDim, numActions, config, ...initialDqnParams(obsDim, numActions, config) };
}

/**
 * Starts the run's DQN learner: in this thread (`workers.learner.process` false), or in its own
 * process (drivers/learner.ts), shown in the dashboards' worker table. A process on the
 * coordinator's backend takes over from a learner in this thread that trains the first rounds
 * while it starts (WarmStartLearner).
 */
async function startLearner(ctx: RlRunContext, setup: DqnSetup): Promise<LearnerClient> {
  const { learner: settings } = ctx.spec.workers;
  const init = dqnLearnerInit(setup);
  let learner: LearnerClient;
  if (!settings.process) learner = new InlineLearner(init, ctx.backend);
  else {
    const starting = ProcessLearner.start(init, settings.backend).then((l) => {
      ctx.log(`learner process ${l.pid} ready (backend ${l.backend})`);
      ctx.event({ type: 'learner-started', pid: l.pid });
      return l;
    });
    const sameBackend = settings.backend === undefined || settings.backend === ctx.backend;
    learner = sameBackend ? new WarmStartLearner(init, ctx.backend, starting) : await starting;
  }
  ctx.showLearner(learner);
  return learner;
}

/**
 * How a DQN run resumes (`nnlab run --resume RUN_DIR`): from the run state of its newest complete
 * checkpoint under RUN_DIR/checkpoints, checked (drivers/runState.ts: a corrupt or foreign
 * state.msgpack is refused naming it and the field).
 */
export async function loadDqnResume(runDir: string): Promise<DqnRunState> {
  const root = runPath(runDir, 'checkpoints');
  if ((await latestCheckpoint(root)) === undefined) throw new Error(`--resume ${runDir}: no complete checkpoint under ${root}`);
  return (await loadDqnRunState(root)).state;
}

/**
 * Runs a DQN spec to its budget, its goal or a stop request, with the learner it chooses
 * (startLearner), replaced by a new one from the last state when its process is lost; rollouts go
 * to the scheduler's executors, or run inline in a one-thread run.
 */
export async function runDqn(ctx: RlRunContext, resumed?: DqnRunState): Promise<RunOutcome> {
  const setup = dqnSetup(ctx);
  let learner = await startLearner(ctx, setup);
  try {
    return await trainRun(ctx, setup, learner, async () => (learner = await startLearner(ctx, setup)), resumed);
  } finally {
    await learner.close();
  }
}

async function trainRun(ctx: RlRunContext, setup: DqnSetup, learner0: LearnerClient, restartLearner: () => Promise<LearnerClient>, resume?: DqnRunState): Promise<RunOutcome> {
  const { spec } = ctx;
  const { config, obsDim, numActions } = setup;
  const budget = spec.budget.envSteps ?? defaultEnvSteps('dqn');
  const numEnvs = spec.workers.numEnvs;
  const taskSteps = spec.workers.rolloutSteps;
  const single = ctx.singleProcess;
  let learner = learner0;

  // ---- state (all of it checkpointed) ----
  let s: Omit<DqnRunState, 'metrics' | 'streams' | 'pendingChecks'>;
  if (resume !== undefined) {
    const { metrics: _m, streams: _i, pendingPhases: _p, pendingChecks: _c, ...counters } = resume;
    s = counters;
    s.dispatched = s.envSteps; // tasks in flight at the checkpoint were never accepted: redo them
  } else {
    const first = await learner.train({ ...EMPTY_ROUND, wantState: true });
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
      paramsVersion: first.version,
      recentReturns: [],
    };
  }
  let learnerHasState = resume === undefined;
  /**
   * The rounds sent since `s.learner` (the learner's complete state as the coordinator last had it):
   * replies carry only the parameters to publish, and a new learner process is given that state and
   * these rounds again (deterministic: it ends in the state the lost one had). The state is fetched
   * at each checkpoint, and with every MAX_LOGGED_ROUNDS-th round so the log stays small.
   */
  let roundLog: TrainRequest[] = [];
  /** Transitions accepted since the last round was planned: the next round (or checkpoint) carries them to the learner. */
  let fresh: RolloutResult[] = [];
  /** Gradient updates so far (the latest reply's). */
  let updates = s.learner.updates;
  const schedule = new OffPolicySchedule(config, s.lastTrainStep, s.lastTargetStep);
  let pending: TrainPhase[] = resume?.pendingPhases?.map((p) => ({ ...p })) ?? [];
  // the run's env streams (workers.streams; stream k seeded with seed + k): in a one-thread run these
  // runners step them, in turn; otherwise each stream's state travels with its rollout tasks
  const numStreams = spec.workers.streams;
  const runners = Array.from({ length: numStreams }, (_, k) => new RolloutRunner(numEnvs, ctx.envRef.id, ctx.envRef.kwargs, config.seed + k));
  if (resume?.streams !== undefined) {
    if (resume.streams.length !== numStreams) throw new RangeError(`spec.workers.streams: the run was checkpointed with ${resume.streams.length} env streams; resume it with that many`);
    runners.forEach((r, k) => r.setState(resume.streams![k]!));
  }
  const streams = runners.map((r) => r.getState());
  if (!single) for (const r of runners) r.close();
  let nextStream = 0;

  const epsilon = epsilonSchedule(config, budget);
  /**
   * Vector steps of the next task: `rolloutSteps`, but it ends where training is due, where the
   * goal check evaluates or where the budget ends, so the actor acts with the parameters of every
   * training round from the step after it, as in the one-process loop.
   */
  const nextTaskSteps = (envStep: number): number => {
    for (let t = 1; t < taskSteps; t++) {
      const e = envStep + t * numEnvs;
      if (e >= budget || schedule.trainDue(e) || (spec.eval.interval > 0 && e - s.lastEvalStep >= spec.eval.interval)) return t;
    }
    return taskSteps;
  };
  const rolloutTask = (k: number): RolloutTask => {
    const envStep = s.dispatched;
    const steps = nextTaskSteps(envStep);
    if (updates > 0) policyLag = Math.max(policyLag, envStep - appliedThrough);
    s.dispatched += steps * numEnvs;
    const task: RolloutTask = {
      kind: 'rollout',
      runId: ctx.runId,
      env: ctx.envRef,
      numEnvs,
      steps,
      envStep,
      seed: s.nextSeed++,
      policy: { algo: 'dqn', activation: config.activation, params: s.params, version: s.paramsVersion, epsilon },
      ...(single ? {} : { stream: streams[k]! }),
    };
    if (ctx.faults?.crashRolloutAt !== undefined && envStep >= ctx.faults.crashRolloutAt) {
      task.crash = true; // fault injection (tests): the thread running this task dies
      delete ctx.faults.crashRolloutAt;
    }
    return task;
  };

  /** Takes a validated result's transitions (the scheduler refuses bad ones and requeues their task; validate.ts). */
  const accept = (r: RolloutResult, k: number): void => {
    const n = r.count;
    fresh.push(r);
    schedule.advance(s.envSteps, n / numEnvs, numEnvs, pending);
    s.lastTrainStep = schedule.lastTrain;
    s.lastTargetStep = schedule.lastTarget;
    for (let k = 0; k < r.episodeReturns.length; k++) {
      s.episodes++;
      s.recentReturns.push(r.episodeReturns[k]!);
      if (s.recentReturns.length > EPISODE_RETURN_WINDOW) s.recentReturns.shift();
      ctx.metrics.write(s.envSteps + r.episodeEnds[k]! + 1, { [EPISODIC_RETURN]: r.episodeReturns[k]!, [EPISODIC_LENGTH]: r.episodeLengths[k]! });
    }
    s.envSteps += n;
    s.rolloutTasks++;
    if (!single) streams[k] = r.stream!; // validated: a task that carries a stream gets it back
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
  const planTrain = (): TrainRequest | undefined => {
    if (!pending.some((p) => p.gradientSteps > 0)) return undefined;
    const phases = pending;
    pending = [];
    plannedThrough = s.envSteps;
    const wantState = roundLog.length + 1 >= MAX_LOGGED_ROUNDS;
    return { ...takeFresh(), type: 'train', id: ++s.trainRounds, batchSize: config.batchSize, phases, ...(wantState ? { wantState } : {}) };
  };
  /** A round of no gradient steps with the transitions not yet sent, asking for the learner's state (a checkpoint's). */
  const stateRound = (): TrainRequest => ({ ...EMPTY_ROUND, ...takeFresh(), wantState: true });
  /** The accepted transitions not yet sent, joined in order (and forgotten here: the round carrying them is logged until the learner's state is fetched). */
  const takeFresh = (): Pick<TrainRequest, 'obs' | 'actions' | 'rewards' | 'nextObs' | 'terminated'> => {
    const n = fresh.reduce((a, r) => a + r.count, 0);
    const t = { obs: new Float32Array(n * obsDim), actions: new Int32Array(n), rewards: new Float32Array(n), nextObs: new Float32Array(n * obsDim), terminated: new Uint8Array(n) };
    let row = 0;
    for (const r of fresh) {
      t.obs.set(r.obs, row * obsDim);
      t.nextObs.set(r.nextObs, row * obsDim);
      t.actions.set(r.actions, row);
      t.rewards.set(r.rewards, row);
      t.terminated.set(r.terminated, row);
      row += r.count;
    }
    fresh = [];
    return t;
  };

  const sendTrain = async (req: TrainRequest): Promise<TrainReply> => {
    for (let attempt = 0; ; attempt++) {
      try {
        if (!learnerHasState) {
          // a new learner: the state the coordinator holds, then the rounds since, again
          await learner.train({ ...EMPTY_ROUND, state: s.learner });
          for (const logged of roundLog) await learner.train(logged);
          learnerHasState = true;
        }
        const r = await learner.train(req);
        if (r.state !== undefined) {
          s.learner = r.state;
          roundLog = [];
        } else if (req.phases.length > 0 || req.rewards.length > 0) roundLog.push(req);
        return r;
      } catch (e) {
        if (!(e instanceof LearnerLost) || attempt >= 3) throw e;
        ctx.log(`${e.message}; starting a new learner process with the state after update ${s.learner.updates} and the ${roundLog.length} round(s) since`);
        ctx.event({ type: 'learner-restart', reason: e.message });
        learner = await restartLearner();
        learnerHasState = false;
      }
    }
  };

  const applyTrain = (r: TrainReply): void => {
    if (!Number.isFinite(r.meanLoss) || !allFinite(r.params)) {
      throw new NonFiniteError(`non-finite TD loss (${r.meanLoss}) in training round ${r.id}, updates ${updates + 1}–${r.updates}, at env step ${s.envSteps}: the run stops; the last good checkpoint stays loadable`);
    }
    updates = r.updates;
    appliedThrough = plannedThrough;
    s.params = r.params;
    s.paramsVersion = r.version;
    ctx.metrics.write(s.envSteps, { [TD_LOSS]: r.meanLoss, [SPS]: s.envSteps / Math.max(1e-9, ctx.metrics.time - startTime), [UPDATES]: r.updates, [POLICY_LAG]: policyLag });
    policyLag = 0;
    ctx.publish(s.params, s.paramsVersion, config.activation);
  };

  const startTime = resume?.metrics.time ?? 0;
  /** The final report: the published policy on finalEpisodes episodes no check plays. */
  const finalReport = (): EvalResult => finalEvaluation(ctx.envRef.id, greedyPolicy(s.params, config.activation), { episodes: spec.eval.finalEpisodes, seed: config.seed, kwargs: ctx.envRef.kwargs });
  let final: EvalResult | undefined;
  /** The snapshot whose evaluation confirmed the goal: what the run saves and reports. */
  let goalSnapshot: PolicySnapshot | undefined;
  let lastEvaluation: EvaluationRecord | undefined = resume?.lastEvaluation;

  // ---- goal checks (agents/evaluate.ts GoalRule) on frozen snapshots, as evaluation tasks ----
  const rule = new GoalRule({ ...(spec.eval.goal !== undefined ? { goal: spec.eval.goal } : {}), evalEpisodes: spec.eval.episodes, goalEpisodes: spec.eval.finalEpisodes, seed: config.seed });
  /** Snapshots waiting for their check, oldest first, and the one being checked. */
  const dueChecks: PolicySnapshot[] = resume?.pendingChecks ?? [];
  let checking: PolicySnapshot | undefined;
  /** An evaluation is due at the step just accepted: its snapshot is taken once the round planned on that step's data has landed. */
  let evalDue = false;
  /** Training waits while a snapshot's confirmation has every thread. */
  let holding = false;
  const snapshot = (): PolicySnapshot => ({ envStep: s.envSteps, params: s.params, version: s.paramsVersion, updates });
  /** Plays a block of episodes of a snapshot as `parts` evaluation tasks (consecutive seeds), joined in seed order. */
  const play = async (snap: PolicySnapshot, block: EpisodeBlock, parts: number): Promise<EvalResult> => {
    const n = Math.max(1, Math.min(parts, block.episodes));
    const tasks: EvaluateTask[] = [];
    for (let p = 0, first = 0; p < n; p++) {
      const episodes = Math.floor((block.episodes * (p + 1)) / n) - first;
      tasks.push({ kind: 'evaluate', runId: ctx.runId, env: ctx.envRef, policy: { algo: 'dqn', activation: config.activation, params: snap.params, version: snap.version }, firstSeed: block.firstSeed + first, episodes });
      first += episodes;
    }
    const results = await Promise.all(tasks.map((t) => ctx.scheduler.submit(t)));
    return summarizeEpisodes(
      results.flatMap((r) => Array.from(r.returns)),
      results.flatMap((r) => Array.from(r.lengths)),
    );
  };
  type Verdict = { snap: PolicySnapshot; check: EvalResult; fresh?: EvalResult };
  /**
   * One goal check of a snapshot. In a one-thread run it plays the blocks in order, as
   * `goalEvaluator` does; otherwise the quick check is one task beside training, and its
   * confirmation (the rest of the check seeds and the fresh episodes, together) is spread over
   * every evaluating thread while training waits.
   */
  const checkSnapshot = async (snap: PolicySnapshot): Promise<Verdict> => {
    const quick = await play(snap, rule.quick, 1);
    if (!rule.reaches(quick)) return { snap, check: quick };
    if (single) {
      const check = rule.confirmed(quick, rule.rest !== undefined ? await play(snap, rule.rest, 1) : undefined);
      return rule.reaches(check) ? { snap, check, fresh: await play(snap, rule.fresh, 1) } : { snap, check };
    }
    holding = true;
    try {
      const parts = Math.max(1, ctx.scheduler.capacity('evaluate'));
      const [rest, fresh] = await Promise.all([rule.rest !== undefined ? play(snap, rule.rest, parts) : undefined, play(snap, rule.fresh, parts)]);
      return { snap, check: rule.confirmed(quick, rest), fresh };
    } finally {
      holding = false;
    }
  };
  /** Records a check; true when its snapshot met the goal (and becomes what the run saves). */
  const judge = (v: Verdict): boolean => {
    ctx.metrics.write(v.snap.envStep, { [EVAL_MEAN_RETURN]: v.check.meanReturn, [EVAL_EPISODE_COUNT]: v.check.returns.length, [EVAL_POLICY_VERSION]: v.snap.version });
    lastEvaluation = { envStep: v.snap.envStep, policyVersion: v.snap.version, updates: v.snap.updates, meanReturn: v.check.meanReturn, episodes: v.check.returns.length, firstSeed: rule.quick.firstSeed };
    if (v.fresh === undefined || !rule.reaches(v.check)) return false;
    if (rule.reaches(v.fresh)) {
      goalSnapshot = v.snap;
      final = v.fresh;
      return true;
    }
    // the check passed on its seeds, fresh episodes did not: a lucky snapshot, training goes on
    ctx.log(`env step ${v.snap.envStep}: the goal check scored ${v.check.meanReturn.toFixed(1)}, fresh episodes ${v.fresh.meanReturn.toFixed(1)} < ${spec.eval.goal}: training goes on`);
    ctx.metrics.write(v.snap.envStep, { [FINAL_MEAN_RETURN]: v.fresh.meanReturn });
    return false;
  };

  /** The checkpoint being written while the run goes on: one at a time, and the run's end waits for it. */
  let saving: Promise<void> | undefined;
  /**
   * Checkpoints the run as it is now; the model `q` holds `model` (default: the published
   * parameters), named in meta.json. The state is taken at once (the learner's fetched first, with
   * every accepted transition sent to it); the files are written while the run goes on (`written`,
   * the checkpoint's directory once they are), after the previous checkpoint's.
   */
  const checkpoint = async (why: string, model: PolicySnapshot = snapshot()): Promise<{ written: Promise<string> }> => {
    if (roundLog.length > 0 || fresh.length > 0) await sendTrain(stateRound()); // the learner's state as it is now, every accepted transition in its buffer
    const checks = [...(checking !== undefined ? [checking] : []), ...dueChecks];
    const state: DqnRunState = {
      ...s,
      recentReturns: s.recentReturns.slice(),
      pendingPhases: pending.map((p) => ({ ...p })),
      metrics: ctx.metrics.mark(),
      streams: single ? runners.map((r) => r.getState()) : streams.slice(),
      ...(checks.length > 0 ? { pendingChecks: checks } : {}),
      ...(lastEvaluation !== undefined ? { lastEvaluation } : {}),
    };
    s.lastCheckpointStep = s.envSteps;
    state.lastCheckpointStep = s.envSteps;
    const previous = saving;
    const write = (async () => {
      await previous;
      const q = buildMlp({ name: Q_NET, inputDim: obsDim, hidden: config.hidden, outputDim: numActions, activation: config.activation }, new Rng(0));
      try {
        setParams(q, model.params);
        const dir = await ctx.saveCheckpoint(state.envSteps, state, { [Q_MODEL]: q }, { policyVersion: model.version, updates: model.updates });
        ctx.log(`checkpoint (${why}) at env step ${state.envSteps}: ${dir}`);
        return dir;
      } finally {
        q.dispose();
      }
    })();
    saving = write.then(() => undefined);
    saving.catch(() => undefined); // a failed write fails the run where it is awaited: the next checkpoint or the run's end
    return { written: write };
  };

  // a task dispatched again after its worker died acts with the current parameters
  // (and an injected crash happens once: the task's second attempt runs normally)
  ctx.scheduler.prepare = (task, attempt) => {
    if (task.kind !== 'rollout' || task.runId !== ctx.runId || attempt === 1) return task;
    const { crash: _crash, ...rest } = task;
    return { ...rest, policy: { ...task.policy, params: s.params, version: s.paramsVersion } };
  };

  // ---- the loop ----
  type Done = { kind: 'rollout'; stream: number; result: RolloutResult } | { kind: 'train'; reply: TrainReply } | { kind: 'check'; verdict: Verdict };
  /** The rollout in flight on each stream. */
  const rollouts = new Map<number, Promise<Done>>();
  let training: Promise<Done> | undefined;
  let evaluation: Promise<Done> | undefined;
  let stopReason: string | undefined;
  const progress = () =>
    ctx.progress(s.envSteps, budget, {
      return: s.recentReturns.length > 0 ? mean(s.recentReturns) : undefined,
      eval: lastEvaluation?.meanReturn,
      updates,
      'steps/s': Math.round(s.envSteps / Math.max(1e-9, ctx.metrics.time - startTime)),
      workers: ctx.workersAlive(),
    });
  const finishTraining = async (): Promise<void> => {
    if (training === undefined) return;
    const t = await training;
    training = undefined;
    if (t.kind === 'train') applyTrain(t.reply);
  };
  /** Takes the due snapshot once the round planned on its step has landed, and starts the next check (a one-thread run waits for it). */
  const startChecks = async (): Promise<boolean> => {
    if (evalDue && training === undefined) {
      dueChecks.push(snapshot());
      evalDue = false;
    }
    if (evaluation !== undefined || dueChecks.length === 0) return false;
    const snap = dueChecks.shift()!;
    checking = snap;
    evaluation = checkSnapshot(snap).then((verdict): Done => ({ kind: 'check', verdict }));
    if (!single) return false;
    const v = await evaluation;
    evaluation = undefined;
    checking = undefined;
    return v.kind === 'check' && judge(v.verdict);
  };
  /** Waits for every check due or running (at the budget's end): true when one met the goal. */
  const drainChecks = async (): Promise<boolean> => {
    await finishTraining();
    for (;;) {
      if (await startChecks()) return true;
      if (evaluation === undefined) return false;
      const v = await evaluation;
      evaluation = undefined;
      checking = undefined;
      if (v.kind === 'check' && judge(v.verdict)) return true;
    }
  };

  let reached = false;
  try {
    while (s.envSteps < budget) {
      stopReason = ctx.stopRequested();
      if (stopReason !== undefined) break;
      if (spec.budget.wallSeconds !== undefined && ctx.metrics.time - startTime >= spec.budget.wallSeconds) {
        ctx.log(`wall-time budget of ${spec.budget.wallSeconds} s reached at env step ${s.envSteps}`);
        break;
      }
      // a task on each idle stream, on whichever executor is free (a one-thread run: one task at a time, streams in turn)
      while (rollouts.size < (single ? 1 : numStreams) && mayDispatch()) {
        const k = single ? nextStream : [...streams.keys()].find((j) => !rollouts.has(j))!;
        nextStream = (k + 1) % numStreams;
        const task = rolloutTask(k);
        const run = single ? Promise.resolve(runners[k]!.run(task)).then((r) => checkedRollout(task, r)) : ctx.scheduler.submit(task);
        rollouts.set(k, run.then((result): Done => ({ kind: 'rollout', stream: k, result })));
      }
      const racing = [...rollouts.values(), training, evaluation].filter((p): p is Promise<Done> => p !== undefined);
      if (racing.length === 0) throw new Error(`DQN run stalled at env step ${s.envSteps} (nothing in flight)`);
      const next = await Promise.race(racing);
      if (next.kind === 'rollout') {
        rollouts.delete(next.stream);
        accept(next.result, next.stream);
        if (spec.eval.interval > 0 && s.envSteps - s.lastEvalStep >= spec.eval.interval) {
          s.lastEvalStep = s.envSteps;
          evalDue = true;
        }
      } else if (next.kind === 'train') {
        training = undefined;
        applyTrain(next.reply);
      } else {
        evaluation = undefined;
        checking = undefined;
        if (judge(next.verdict)) {
          reached = true;
          break;
        }
      }
      if (training === undefined && !holding) {
        const req = planTrain();
        if (req !== undefined) {
          if (single) applyTrain(await sendTrain(req));
          else training = sendTrain(req).then((reply): Done => ({ kind: 'train', reply }));
        }
      }
      if (await startChecks()) {
        reached = true;
        break;
      }
      const requested = ctx.checkpointRequested();
      if (requested || (spec.checkpoint.interval > 0 && s.envSteps - s.lastCheckpointStep >= spec.checkpoint.interval)) {
        await finishTraining();
        await saving; // a failed write stops the run here
        await checkpoint(requested ? 'requested' : 'periodic');
        ctx.checkpointDone();
      }
      progress();
    }
    if (!reached && stopReason === undefined) reached = await drainChecks();
    await finishTraining();
  } catch (e) {
    // the other in-flight work settles quietly
    for (const p of [...rollouts.values(), training, evaluation]) p?.catch(() => undefined);
    await saving?.catch(() => undefined); // the run's files are complete when it returns
    throw e;
  }
  for (const p of rollouts.values()) p.catch(() => undefined);
  evaluation?.catch(() => undefined);
  progress();
  ctx.progressBreak();
  const saved = await (await checkpoint(stopReason !== undefined ? stopReason : reached ? 'goal' : 'final', goalSnapshot)).written;
  const counts = { ...ctx.scheduler.counts, rolloutTasks: s.rolloutTasks };
  if (stopReason !== undefined) return { state: 'stopped', message: `stopped (${stopReason}) at env step ${s.envSteps}; continue with --resume ${ctx.runDir}`, envSteps: s.envSteps, counts };

  // the reported score is the saved model's, on episodes the goal check never played
  final ??= finalReport();
  ctx.metrics.write(s.envSteps, { [FINAL_MEAN_RETURN]: final.meanReturn });
  const model = goalSnapshot ?? snapshot();
  const outcome: RunOutcome = {
    state: 'finished',
    message: greedyEvaluationText(spec.eval.finalEpisodes, final.meanReturn, final.stdReturn),
    envSteps: s.envSteps,
    finalScore: final.meanReturn,
    evaluation: { finalScore: final.meanReturn, finalStd: final.stdReturn, finalEpisodes: final.returns.length, firstSeed: rule.fresh.firstSeed, policyVersion: model.version, updates: model.updates, checkpoint: saved, model: Q_MODEL },
    counts,
    params: model.params,
  };
  if (goalSnapshot !== undefined) outcome.goalReachedAt = goalSnapshot.envStep;
  return outcome;
}
