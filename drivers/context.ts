/**
 * What a run driver (offPolicy, onPolicy, generative, trials, queue) gets from the coordinator: the
 * validated spec, typed by its family (with the env an RL run's tasks carry), the run's directory
 * and metrics log, the scheduler and its executors, the coordinator's backend, and the hooks for
 * progress, publishing parameters, showing the learner, checkpoints and stop requests. A driver
 * chooses and starts its own learner (drivers/learner.ts); it never touches the socket or the
 * terminal, and sees the coordinator's scheduler and metrics log through the two interfaces below,
 * which coordinator/scheduler.ts and coordinator/runDir.ts implement.
 */
import type * as tf from '@tensorflow/tfjs';
import { formatMetric } from '../base/format.js';
import type { Metrics } from '../base/metrics.js';
import type { TensorMap } from '../core/tensors.js';
import type { HiddenActivation } from '../core/activation.js';
import type { EnvRef } from '../protocol/tasks.js';
import type { ExperimentSpec, GenerativeSpec, RlSpec } from './spec.js';
import type { ResultFor, Task, TaskKind } from '../protocol/tasks.js';
import type { LearnerClient } from './learner.js';
import type { TaskFaultCode, TrialStatus } from '../protocol/messages.js';

/** What a scheduler has counted over a run (reported in result.json). */
export interface SchedulerCounts {
  submitted: number;
  completed: number;
  /** Dispatches put back because their executor died, failed them or missed their deadline. */
  requeued: number;
  /** Tasks given up (their failures or losses exceeded the limits). */
  failed: number;
  /** Answers dropped because their dispatch was no longer live (cancelled, or its executor was closed). */
  duplicates: number;
  /** Results refused by validation. */
  invalid: number;
  /** `task_error` answers. */
  taskErrors: number;
  /** Deadlines missed. */
  timeouts: number;
  /** Answers that came after their deadline (dropped, not counted). */
  late: number;
  /** Workers quarantined. */
  quarantined: number;
}

/** The coordinator's scheduler as a driver uses it: tasks in, validated results out. */
export interface TaskScheduler {
  /** Runs a task on whichever executor is free; resolves with its validated result, of the task's kind. */
  submit<T extends Task>(task: T): Promise<ResultFor<T>>;
  /** How many tasks of a kind can run at once now. */
  capacity(kind: TaskKind): number;
  readonly counts: SchedulerCounts;
  /** Each executor (its kind: 'thread', 'inline', 'remote'; tasks it can run at once) and the tasks it finished: where the work ran. */
  stats(): readonly { id: string; kind: string; capacity: number; tasksDone: number }[];
  /** Closes this machine's thread executors for the rest of the run, naming why (remote workers stay). */
  closeThreads(reason: string): Promise<void>;
  /** Rewrites a task before each dispatch (attempt 1, 2, …), e.g. to act with newer parameters. */
  prepare: ((task: Task, attempt: number) => Task) | undefined;
}

/**
 * Where a run's metrics log ends: the byte lengths of metrics.jsonl and metrics.csv and the run's
 * clock in seconds. A checkpoint records it, so a resumed run truncates the logs back to it.
 */
export interface MetricsMark {
  jsonl: number;
  csv: number;
  time: number;
}

/** The run's metrics log as a driver uses it (metrics.jsonl and metrics.csv). */
export interface RunMetrics {
  /** Seconds since the run started (resumed runs continue their clock). */
  readonly time: number;
  write(step: number, metrics: Metrics): void;
  writeMany(points: { step: number; metrics: Metrics }[]): void;
  /** One metric's whole series, value i at step firstStep + i (a trial's curve), written in bulk. */
  writeSeries(name: string, values: ArrayLike<number>, firstStep?: number): void;
  /** Where the logs end now (a checkpoint records it, so a resume can truncate them back). */
  mark(): MetricsMark;
  /** Empties the logs (a queue-backed sweep's follower writes every trial's metrics again from Redis). */
  reset(): void;
}

export interface Faults {
  /** The rollout task starting at or after this env step crashes its thread. */
  crashRolloutAt?: number;
}

export type RunEvent = { type: 'learner-started'; pid: number | undefined } | { type: 'learner-restart'; reason: string } | { type: 'checkpoint'; dir: string; step: number } | { type: 'worker-lost'; executor: string; tasks: number[]; reason: string }
  | { type: 'task-fault'; executor: string; task: number; code: TaskFaultCode; problem: string }
  | { type: 'worker-quarantined'; executor: string; reason: string };

/** What the coordinator gives every driver, whatever its run trains: everything of a RunContext but the spec and its env. */
export interface RunServices {
  runId: string;
  runDir: string;
  /** The coordinator's tensor backend (what a learner in this thread trains on). */
  backend: string;
  /** Everything in this thread, in order (no threads, no learner process). */
  singleProcess: boolean;
  scheduler: TaskScheduler;
  metrics: RunMetrics;
  faults?: Faults;
  log(line: string): void;
  event(e: RunEvent): void;
  progress(done: number, total: number, fields: Record<string, string | number | undefined>): void;
  progressBreak(): void;
  workersAlive(): string;
  /** Publishes policy parameters and the network's hidden activation (dashboards). */
  publish(params: TensorMap, version: number, activation: HiddenActivation): void;
  /** Publishes a generative run's newest sample grid (PNG bytes) to dashboards. */
  publishSamples(epoch: number, png: Uint8Array): void;
  /** Publishes a queue-backed sweep's trial states to dashboards (in run_state). */
  publishTrials(trials: TrialStatus[]): void;
  /** Shows the run's learner (a process, or in this thread) in the dashboards' worker table; a new one (a restart) replaces it. The driver closes it. */
  showLearner(learner: LearnerClient): void;
  stopRequested(): string | undefined;
  checkpointRequested(): boolean;
  checkpointDone(): void;
  /** Saves a checkpoint; `meta` (e.g. the policy version its models hold) goes into its meta.json. */
  saveCheckpoint(step: number, state: unknown, models: Record<string, tf.LayersModel>, meta?: Record<string, number | string>): Promise<string>;
}

/** An RL run trains its spec's agent on its env: `envRef` is that env as tasks carry it (id, kwargs, and its module's hash taken when the run started). */
export interface RlTarget {
  spec: RlSpec;
  envRef: EnvRef;
}

/** A generative run trains its spec's model: it has no env (one the spec names is not used). */
export interface GenerativeTarget {
  spec: GenerativeSpec;
  envRef?: undefined;
}

/** What a run trains, of one family or the other: `envRef !== undefined` tells them apart (and narrows the spec with it). */
export type RunTarget = RlTarget | GenerativeTarget;

export interface RlRunContext extends RunServices, RlTarget {}
export interface GenerativeRunContext extends RunServices, GenerativeTarget {}

/**
 * A driver's context: the services and its run's target. A family's driver takes its own
 * (runDqn and runOnPolicy an RlRunContext, runGenerative a GenerativeRunContext); runTrials and
 * runQueueSweep take either and tell them apart by `envRef`.
 */
export type RunContext = RlRunContext | GenerativeRunContext;

/** A run that follows a queue-backed sweep another process submitted (`--attach`): its spec as Redis holds it, and no env (the jobs carry it). */
export interface FollowContext extends RunServices {
  spec: ExperimentSpec;
}

/**
 * Exactly what a run's reported score scored: the saved model (in `checkpoint`, `models/<model>`),
 * the policy version and update count it holds, and the episodes played (seeds firstSeed, firstSeed + 1, …).
 */
export interface ReportedEvaluation {
  finalScore: number;
  finalStd: number;
  finalEpisodes: number;
  /** Episode k of the evaluation reset with seed firstSeed + k. */
  firstSeed: number;
  /** The policy version and learner update count of the evaluated (and saved) parameters. */
  policyVersion: number;
  updates: number;
  /** The checkpoint directory that holds the evaluated model. */
  checkpoint: string;
  /** The model's name under the checkpoint's models/ (agents/netNames.ts: Q_MODEL, POLICY_MODEL). */
  model: string;
}

/**
 * The one line that reports a greedy evaluation of an RL run's final policy (a run's outcome
 * message, a one-trial sweep's, `nnlab eval`'s re-evaluation): its episodes, mean return and, where
 * known, the returns' standard deviation, written with the terminal's one metric formatter
 * (base/format.ts), so a tabular agent's 0.730 and a DQN's 487.3 are both read to four digits.
 */
export function greedyEvaluationText(episodes: number, meanReturn: number, stdReturn?: number): string {
  return `greedy evaluation over ${episodes} episodes: mean return ${formatMetric(meanReturn)}${stdReturn !== undefined ? ` ± ${formatMetric(stdReturn)}` : ''}`;
}

export interface RunOutcome {
  state: 'finished' | 'stopped';
  message: string;
  envSteps?: number;
  finalScore?: number;
  /** The env step at which a goal-confirming evaluation first met `eval.goal`. */
  goalReachedAt?: number;
  /** What finalScore scored (runs whose score is a saved model's). */
  evaluation?: ReportedEvaluation;
  counts?: SchedulerCounts & { rolloutTasks?: number };
  params?: TensorMap;
  /** Sweep results: one row per trial. */
  trials?: { index: number; overrides: Record<string, unknown>; finalScore: number; seconds: number }[];
}
