/**
 * The task kinds every executor (a piscina thread, the coordinator's own thread in a
 * single-process run, a remote `nnlab worker`) takes, with one typed argument and one typed
 * result each. Tasks and results are plain data — typed arrays and numbers, never tensors — so
 * they cross threads (structured clone, buffers moved) and sockets (msgpack with moreTypes).
 */
import type { TensorMap } from '../core/tensors.js';
import type { HiddenActivation } from '../core/activation.js';
import type { ImageBatch, Phase } from '../generative/types.js';
import type { GenerativeKind } from '../generative/kinds.js';
import type { StateTree } from '../envs/index.js';
import type { RngState } from '../base/rng.js';
import type { Metrics } from '../base/metrics.js';
import type { EpsilonSchedule } from '../agents/types.js';
import { RL_FAMILY, type RlAlgo } from '../agents/algos.js';
import { isSafeName, SAFE_NAME } from '../base/safeName.js';

/**
 * A sha256 in hex (64 characters 0-9a-f, what core/sha256.ts sha256Hex gives): a ModuleRef's hash,
 * a worker's `--allow-module`. Its pattern (for a schema), its test and its rule (for messages),
 * as MODULE_FILENAME's.
 */
const SHA256_PATTERN = /^[0-9a-f]{64}$/;
export const SHA256_HEX = Object.freeze({
  pattern: SHA256_PATTERN,
  test: (text: string): boolean => SHA256_PATTERN.test(text),
  rule: 'a sha256 in hex (64 characters 0-9a-f)',
});
/**
 * A ModuleRef's file name: a safe name (base/safeName.ts: no folder, no leading dot) ending in .js
 * or .mjs, so the cached copy (its hash's folder / this name) stays in a worker's module cache and
 * Node imports it as ESM.
 */
export const MODULE_FILENAME = Object.freeze({
  test: (name: string): boolean => isSafeName(name) && /\.m?js$/.test(name),
  rule: `a plain .js or .mjs file name (${SAFE_NAME.rule})`,
});

/** A custom env module, shipped so any executor can import it: by path on this machine, by source elsewhere. */
export interface ModuleRef {
  /** sha256 of the source, hex (SHA256_HEX). */
  hash: string;
  /** Base file name (e.g. `gridmaze.js`; MODULE_FILENAME). */
  filename: string;
  /** Absolute path on the coordinator's machine. */
  path: string;
  /** The module source; sent to remote executors that have not cached this hash yet. */
  source?: string;
}

/** Which env to build. */
export interface EnvRef {
  id: string;
  kwargs: Record<string, unknown>;
  /** Import this module first (it registers `id`). */
  module?: ModuleRef;
}

/**
 * An env stream as data: the vector env's state, its current observations, the running episode
 * returns and lengths, and the actor's generator. A task that carries it continues that stream
 * exactly, on whichever executor runs it (workers/rollout.ts), and its result carries it on.
 */
export interface EnvStreamState {
  env: StateTree;
  obs: Float32Array;
  returns: Float64Array;
  lengths: Int32Array;
  rng: RngState;
}

/** The greedy policy of published DQN parameters. */
export interface DqnPolicyRef {
  algo: 'dqn';
  activation: HiddenActivation;
  params: TensorMap;
  version: number;
}

/** Collect `steps` vector steps of `numEnvs` envs with the given policy version. */
export interface RolloutTask {
  kind: 'rollout';
  runId: string;
  env: EnvRef;
  numEnvs: number;
  steps: number;
  /** Global env step of this task's first transition (for the ε schedule). */
  envStep: number;
  /** The acting policy and its ε schedule (agents/dqnActor.ts epsilonAt, evaluated at each global env step). */
  policy: DqnPolicyRef & { epsilon: EpsilonSchedule };
  /** Seeds this executor's envs and actor generator the first time it works for this run (without `stream`). */
  seed: number;
  /** Continue this stream (the result carries its new state); absent: the executor's own envs for this run. */
  stream?: EnvStreamState;
  /** Fault injection for the reliability tests: the executing thread dies mid-task. */
  crash?: boolean;
}

/** Transitions of a rollout (row i of each array is one transition) and the episodes that ended. */
export interface RolloutResult {
  kind: 'rollout';
  count: number;
  obs: Float32Array;
  actions: Int32Array;
  rewards: Float32Array;
  nextObs: Float32Array;
  terminated: Uint8Array;
  /** Returns, lengths and (task-relative) end index of the episodes that ended during the task. */
  episodeReturns: Float64Array;
  episodeLengths: Int32Array;
  episodeEnds: Int32Array;
  policyVersion: number;
  /** The stream's state after the task (when the task carried one). */
  stream?: EnvStreamState;
}

/**
 * Greedy evaluation of a frozen policy: `episodes` episodes, episode k reset with seed
 * `firstSeed + k` (agents/evaluate.ts `GoalRule` says which blocks a goal check plays). Only
 * executors that run this repository's code take it (not in `REMOTE_TASK_KINDS`): its returns
 * decide which model a run saves.
 */
export interface EvaluateTask {
  kind: 'evaluate';
  runId: string;
  env: EnvRef;
  policy: DqnPolicyRef;
  firstSeed: number;
  episodes: number;
}

export interface EvaluateResult {
  kind: 'evaluate';
  returns: Float64Array;
  lengths: Int32Array;
  policyVersion: number;
}

/** A DQN run's env-step budget when its spec names none (`budget.envSteps`; `nnlab train dqn` without --steps). */
export const DQN_ENV_STEPS = 100_000;
/** A policy-gradient run's (REINFORCE, Actor-Critic, A2C) env-step budget when its spec names none. */
export const PG_ENV_STEPS = 200_000;
/** A deep agent's env-step budget when its spec names none, by its family: a single run's and a sweep trial's alike. */
export function defaultEnvSteps(algo: RlAlgo): number {
  return RL_FAMILY[algo] === 'dqn' ? DQN_ENV_STEPS : PG_ENV_STEPS;
}
/** A tabular agent's episodes when its spec names none (`budget.episodes`; `nnlab train` without --steps). */
export const TABULAR_EPISODES = 500;
/** A generative run's epochs when its spec names none (spec.budget.epochs), a sweep trial's as a single run's. */
export const GENERATIVE_EPOCHS = 5;

/** What every trial task carries, whatever it trains. */
interface TrialTaskBase {
  kind: 'trial';
  runId: string;
  trial: number;
}

/**
 * One whole RL training trial (a sweep point), trained and then evaluated greedily in the
 * executing thread: tabular agents for `episodes` episodes, deep agents (DQN, REINFORCE,
 * Actor-Critic, A2C) for `envSteps` env steps.
 */
export interface RlTrialTask extends TrialTaskBase {
  family: 'rl';
  env: EnvRef;
  /** Any RL algorithm (agents/algos.ts): the tabular ones train for `episodes`, the others for `envSteps`. */
  algo: RlAlgo;
  config: Record<string, unknown>;
  /** Training episodes (tabular agents). */
  episodes: number;
  /** Training env steps (deep agents; default defaultEnvSteps(algo)). */
  envSteps?: number;
  evalEpisodes: number;
}

/**
 * One whole generative training run (a sweep point): generative/train.ts trainGenerative on MNIST
 * for `epochs` epochs, scored after each (generative/score.ts: the classifier score when
 * `evaluate`, else a VAE's test ELBO).
 */
export interface GenerativeTrialTask extends TrialTaskBase {
  family: 'generative';
  model: { kind: GenerativeKind; config: Record<string, unknown> };
  /** Seed of weights, noise, batch order and sample latents. */
  seed: number;
  epochs: number;
  /** Cap on iterations per epoch (spec.budget.stepsPerEpoch). */
  stepsPerEpoch?: number;
  /** Minibatch size (spec.model.batchSize; default the model config's). */
  batchSize?: number;
  /** Evaluate with the classifier after each epoch (spec.eval.interval > 0). */
  evaluate: boolean;
  /** Samples per evaluation (spec.eval.samples; default trainGenerative's 10 000). */
  evalSamples?: number;
  /**
   * Where the trial writes its samples, generator and summary.json on the executing machine. Set
   * by the executor's owner only: the coordinator for its own threads, a queue worker for its
   * jobs; a remote WebSocket worker drops it (it writes nothing it keeps). Absent: a temporary
   * folder, deleted when the trial ends.
   */
  outDir?: string;
}

/** One whole training trial (a sweep point); `family` says what it trains. */
export type TrialTask = RlTrialTask | GenerativeTrialTask;

/**
 * A trial's outcome. `curve` is the training curve: the return of every training episode (RL), or
 * the score after every epoch (generative); `finalScore` what the trial is ranked by: the greedy
 * mean return after training (RL), the last epoch's score (generative).
 */
export interface TrialResult {
  kind: 'trial';
  trial: number;
  finalScore: number;
  curve: Float64Array;
  seconds: number;
}

/** The gradient of one phase's loss on one shard of a minibatch (data-parallel training). */
export interface GradientTask {
  kind: 'gradient';
  runId: string;
  /** The model to hold a copy of (generative/models.ts registry). */
  model: { kind: GenerativeKind; config: Record<string, unknown>; seed: number };
  phase: Phase;
  /** Current parameters and their version (a thread re-reads them only when the version changed). */
  params: TensorMap;
  paramsVersion: number;
  /**
   * The names of the parameters `phase` trains (the learner's `phaseParamNames`): a shard's
   * gradients are exactly these, each shaped as in `params` (drivers/validate.ts refuses others,
   * which the learner's average could not take).
   */
  phaseParams: readonly string[];
  batch: ImageBatch;
}

export interface GradientResult {
  kind: 'gradient';
  grads: TensorMap;
  metrics: Metrics;
  /** Shard size (the weight of this gradient in the average). */
  n: number;
  /** The worker's batchnorm running averages after this phase (models with batchnorm). */
  stats?: TensorMap;
}

export type Task = RolloutTask | TrialTask | GradientTask | EvaluateTask;
export type TaskResult = RolloutResult | TrialResult | GradientResult | EvaluateResult;
export type TaskKind = Task['kind'];
/**
 * The result that answers a task: the one of the task's kind (`ResultFor<RolloutTask>` is
 * `RolloutResult`; `ResultFor<Task>` any `TaskResult`). A result is taken as one only after
 * `answers` checked its kind at run time.
 */
export type ResultFor<T extends Task> = Extract<TaskResult, { kind: T['kind'] }>;
export const TASK_KINDS: readonly TaskKind[] = ['rollout', 'trial', 'gradient', 'evaluate'];
/** The kinds a remote worker may take: not 'evaluate', whose returns decide which model a run saves. */
export const REMOTE_TASK_KINDS = ['rollout', 'trial', 'gradient'] as const satisfies readonly TaskKind[];

/** `task` with its env module's source (the coordinator sends it once per remote worker), the same kind of task. */
export function shipSource<T extends Extract<Task, { env: unknown }>>(task: T, module: ModuleRef): T {
  return { ...task, env: { ...task.env, module } };
}

/**
 * `task` as it is sent to a remote worker: a generative trial without its `outDir`, a path on the
 * coordinator's machine (the remote worker writes in a temporary folder of its own, and drops the
 * field if it came: protocol/workerFrames.ts); any other task as it is.
 */
export function withoutOutDir(task: Task): Task {
  if (task.kind !== 'trial' || task.family !== 'generative' || task.outDir === undefined) return task;
  const { outDir: _local, ...rest } = task;
  return rest;
}

/** Whether a result is of its task's kind (so it is the task's `ResultFor`). */
export function answers<T extends Task>(task: T, result: TaskResult): result is ResultFor<T> {
  return result.kind === task.kind;
}

/** The transferable buffers of a result (moved, not copied, across threads). */
export function resultBuffers(r: TaskResult): ArrayBuffer[] {
  const views =
    r.kind === 'rollout'
      ? [r.obs, r.actions, r.rewards, r.nextObs, r.terminated, r.episodeReturns, r.episodeLengths, r.episodeEnds]
      : r.kind === 'trial'
        ? [r.curve]
        : r.kind === 'evaluate'
          ? [r.returns, r.lengths]
          : Object.values(r.grads).map((t) => t.data);
  return [...new Set(views.map((v) => v.buffer as ArrayBuffer))];
}
