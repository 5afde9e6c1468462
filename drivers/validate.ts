/**
 * Content validation of task results, at the one boundary every result crosses (the scheduler,
 * whichever executor sent it: a remote worker, a local thread, the coordinator's own thread).
 * protocol.ts's schemas check types; this checks a result against the task it answers: sizes
 * from the task (count = steps × numEnvs, obs rows of the env's observation size), finite floats,
 * actions inside the env's action space, episode arrays that agree with each other and lie
 * within the task, trial scores and curves that are finite and as long as asked (a generative
 * trial's: one score per epoch, its final score the last, a classifier score within [1, 10]), gradient shards
 * of exactly the parameters their phase trains, shaped like them. A bad result is reported as one line naming
 * the field and what was expected; the scheduler requeues its task (it never reaches the replay
 * buffer or the learner).
 *
 * Observations are checked for shape and finiteness only: Gymnasium's Box bounds are not
 * guarantees (CartPole's velocities are declared unbounded, its positions leave the declared box
 * just before termination), so bounds would reject honest data.
 */
import { Box, Discrete, makeVec, probeEnv, restoreState, type StateTree, type VectorEnv } from '../envs/index.js';
import type { TensorMap } from '../core/tensors.js';
import { rngStateSchema } from '../base/schemas.js';
import { sizeOf } from '../base/shape.js';
import { defaultEnvSteps, type EnvRef, type EnvStreamState, type EvaluateResult, type EvaluateTask, type GradientResult, type GradientTask, type RolloutResult, type RolloutTask, type Task, type TaskResult, type TrialResult, type TrialTask, type GenerativeTrialTask } from '../protocol/tasks.js';
import { isTabular } from '../agents/algos.js';
import { CLASSIFIER_SCORE_RANGE, scoreMetric } from '../generative/score.js';
import { errorMessage } from '../base/plainData.js';
import { CLASSIFIER_SCORE } from '../agents/metricNames.js';

/** What a rollout result is checked against: the env's observation size and action space. */
export interface EnvSpaces {
  /** Numbers per observation, as a vector env's rows hold them (envs' `batchDim`: 1 for Discrete, the flat size for Tuple and Dict). */
  obsDim: number;
  /** A Discrete observation space's n: observations are integers in [0, n). */
  obsN?: number;
  action: { kind: 'discrete'; n: number } | { kind: 'box'; low: ArrayLike<number>; high: ArrayLike<number> } | { kind: 'other'; name: string };
}

const probed = new Map<string, EnvSpaces>();

/** The spaces of an env, probed once per env ref (id, kwargs, module) by envs' `probeEnv`. */
export function envSpaces(ref: EnvRef): EnvSpaces {
  const key = JSON.stringify([ref.id, ref.kwargs, ref.module?.hash ?? null]);
  let s = probed.get(key);
  if (s === undefined) {
    const { obsDim, observationSpace: o, actionSpace: a } = probeEnv(ref.id, ref.kwargs);
    s = {
      obsDim,
      ...(o instanceof Discrete ? { obsN: o.n } : {}),
      action: a instanceof Discrete ? { kind: 'discrete', n: a.n } : a instanceof Box ? { kind: 'box', low: a.low, high: a.high } : { kind: 'other', name: String(a) },
    };
    probed.set(key, s);
  }
  return s;
}

/** Checks a result against the task it answers; returns the first problem as one line, or undefined if it is sound. */
export function validateResult(task: Task, result: TaskResult): string | undefined {
  if (task.kind === 'rollout' && result.kind === 'rollout') return validateRollout(task, result, envSpaces(task.env));
  if (task.kind === 'trial' && result.kind === 'trial') return validateTrial(task, result);
  if (task.kind === 'gradient' && result.kind === 'gradient') return validateGradient(task, result);
  if (task.kind === 'evaluate' && result.kind === 'evaluate') return validateEvaluate(task, result);
  return wrongKind(task, result);
}

/** The problem of a result of another kind than its task's. */
export function wrongKind(task: Task, result: TaskResult): string {
  return `result.kind: '${result.kind}' answers a '${task.kind}' task`;
}

/** A single-process run's own rollout, checked like any executor's (nothing else could redo it: a problem stops the run). */
export function checkedRollout(task: RolloutTask, r: RolloutResult): RolloutResult {
  const problem = validateRollout(task, r, envSpaces(task.env));
  if (problem !== undefined) throw new Error(`the rollout of env steps ${task.envStep}–${task.envStep + r.count - 1} is bad: ${problem}`);
  return r;
}

/** Index of the first NaN or ±Infinity, or -1. */
function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

function finite(field: string, a: ArrayLike<number>): string | undefined {
  const i = firstNonFinite(a);
  return i < 0 ? undefined : `${field}[${i}]: ${a[i]} is not a finite number`;
}

function length(field: string, a: ArrayLike<number>, expected: number, why: string): string | undefined {
  return a.length === expected ? undefined : `${field}: length ${a.length}, expected ${expected} (${why})`;
}

export function validateRollout(task: RolloutTask, r: RolloutResult, spaces: EnvSpaces): string | undefined {
  const n = task.steps * task.numEnvs;
  if (r.count !== n) return `result.count: ${r.count}, expected ${n} (steps ${task.steps} × numEnvs ${task.numEnvs})`;
  const rows = `${n} transitions × ${spaces.obsDim} numbers`;
  const problem =
    length('result.obs', r.obs, n * spaces.obsDim, rows) ??
    length('result.nextObs', r.nextObs, n * spaces.obsDim, rows) ??
    length('result.actions', r.actions, n, `${n} transitions`) ??
    length('result.rewards', r.rewards, n, `${n} transitions`) ??
    length('result.terminated', r.terminated, n, `${n} transitions`) ??
    finite('result.obs', r.obs) ??
    finite('result.nextObs', r.nextObs) ??
    finite('result.rewards', r.rewards);
  if (problem !== undefined) return problem;
  if (spaces.obsN !== undefined) {
    for (const [field, a] of [['result.obs', r.obs], ['result.nextObs', r.nextObs]] as const) {
      for (let i = 0; i < a.length; i++) {
        const v = a[i]!;
        if (!Number.isInteger(v) || v < 0 || v >= spaces.obsN) return `${field}[${i}]: ${v} is outside the observation space Discrete(${spaces.obsN})`;
      }
    }
  }
  const act = spaces.action;
  if (act.kind !== 'discrete') return `result.actions: the env's action space is ${act.kind === 'box' ? 'a Box' : act.name}; rollout results carry Discrete actions only`;
  for (let i = 0; i < n; i++) {
    const a = r.actions[i]!;
    if (!Number.isInteger(a) || a < 0 || a >= act.n) return `result.actions[${i}]: ${a} is outside the action space Discrete(${act.n})`;
  }
  for (let i = 0; i < n; i++) if (r.terminated[i] !== 0 && r.terminated[i] !== 1) return `result.terminated[${i}]: ${r.terminated[i]}, expected 0 or 1`;
  const episodes = r.episodeReturns.length;
  if (r.episodeLengths.length !== episodes || r.episodeEnds.length !== episodes) {
    return `result.episodeReturns/episodeLengths/episodeEnds: lengths ${episodes}/${r.episodeLengths.length}/${r.episodeEnds.length} differ (one entry per ended episode)`;
  }
  if (episodes > n) return `result.episodeReturns: ${episodes} episodes ended in a task of ${n} transitions`;
  const ret = finite('result.episodeReturns', r.episodeReturns);
  if (ret !== undefined) return ret;
  for (let k = 0; k < episodes; k++) {
    const end = r.episodeEnds[k]!;
    if (end < 0 || end >= n) return `result.episodeEnds[${k}]: ${end} is outside the task's transitions [0, ${n})`;
    if (r.episodeLengths[k]! < 1) return `result.episodeLengths[${k}]: ${r.episodeLengths[k]}, expected a positive length`;
  }
  if (r.policyVersion > task.policy.version) return `result.policyVersion: ${r.policyVersion} is newer than the task's policy (version ${task.policy.version})`;
  if (task.stream !== undefined) {
    if (r.stream === undefined) return 'result.stream: missing (the task continues an env stream; its result carries the stream on)';
    return validateStream(task, task.stream, r.stream, spaces);
  }
  return undefined;
}

/** Scratch vector envs (one per env ref and size) that returned streams are restored into before any thread gets them. */
const scratch = new Map<string, VectorEnv>();

/**
 * An env stream a result carries on must be one the next executor can continue: the same layout
 * as the stream the task sent (it restores into a fresh env of the run's construction), no number
 * that was finite turned non-finite, and observations, episode counters and generator of the
 * right sizes. A stream that passes continues on any thread; one that fails is refused with its
 * result, and the task (with the stream it carried) goes to another executor.
 */
function validateStream(task: RolloutTask, sent: EnvStreamState, got: EnvStreamState, spaces: EnvSpaces): string | undefined {
  const n = task.numEnvs;
  const problem =
    length('result.stream.obs', got.obs, n * spaces.obsDim, `${n} envs × ${spaces.obsDim} numbers`) ??
    length('result.stream.returns', got.returns, n, `${n} envs`) ??
    length('result.stream.lengths', got.lengths, n, `${n} envs`) ??
    finite('result.stream.obs', got.obs) ??
    finite('result.stream.returns', got.returns);
  if (problem !== undefined) return problem;
  for (let e = 0; e < n; e++) if (got.lengths[e]! < 0) return `result.stream.lengths[${e}]: ${got.lengths[e]}, expected a non-negative count`;
  // the wire's rule (base/schemas.ts): an inline executor's result passes no result schema
  if (!rngStateSchema.safeParse(got.rng).success) return 'result.stream.rng: expected four 32-bit unsigned words, not all zero';
  const turned = newlyNonFinite(sent.env, got.env, 'result.stream.env');
  if (turned !== undefined) return turned;
  const key = JSON.stringify([task.env.id, task.env.kwargs, task.env.module?.hash ?? null, n]);
  let env = scratch.get(key);
  if (env === undefined) {
    env = makeVec(task.env.id, { numEnvs: n, autoresetMode: 'same-step', kwargs: task.env.kwargs });
    scratch.set(key, env);
  }
  try {
    restoreState(env, got.env);
  } catch (e) {
    return `result.stream.env: ${errorMessage(e)}`;
  }
  return undefined;
}

/** The first path where `got` holds a non-finite number that `sent` held finite (or did not hold). */
function newlyNonFinite(sent: StateTree | undefined, got: StateTree, where: string): string | undefined {
  if (typeof got === 'number') return Number.isFinite(got) || (typeof sent === 'number' && !Number.isFinite(sent)) ? undefined : `${where}: ${got} is not a finite number`;
  if (got === null || typeof got !== 'object') return undefined;
  if (ArrayBuffer.isView(got)) {
    if (!(got instanceof Float32Array || got instanceof Float64Array)) return undefined;
    const was = sent instanceof Float32Array || sent instanceof Float64Array ? sent : undefined;
    for (let i = 0; i < got.length; i++) if (!Number.isFinite(got[i]!) && (was === undefined || Number.isFinite(was[i]!))) return `${where}[${i}]: ${got[i]} is not a finite number`;
    return undefined;
  }
  const child = (k: string | number): StateTree | undefined => (sent !== null && typeof sent === 'object' && !ArrayBuffer.isView(sent) ? (sent as Record<string | number, StateTree>)[k] : undefined);
  if (Array.isArray(got)) {
    for (let i = 0; i < got.length; i++) {
      const p = newlyNonFinite(child(i), got[i]!, `${where}[${i}]`);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(got)) {
    const p = newlyNonFinite(child(k), v, `${where}.${k}`);
    if (p !== undefined) return p;
  }
  return undefined;
}

/** An evaluation's returns: one finite return and a positive length per episode asked for. */
export function validateEvaluate(task: EvaluateTask, r: EvaluateResult): string | undefined {
  const problem =
    length('result.returns', r.returns, task.episodes, 'one return per episode') ??
    length('result.lengths', r.lengths, task.episodes, 'one length per episode') ??
    finite('result.returns', r.returns);
  if (problem !== undefined) return problem;
  for (let k = 0; k < task.episodes; k++) if (r.lengths[k]! < 1) return `result.lengths[${k}]: ${r.lengths[k]}, expected a positive length`;
  if (r.policyVersion !== task.policy.version) return `result.policyVersion: ${r.policyVersion}, expected the task's ${task.policy.version}`;
  return undefined;
}

export function validateTrial(task: TrialTask, r: TrialResult): string | undefined {
  if (r.trial !== task.trial) return `result.trial: ${r.trial} answers trial ${task.trial}`;
  if (!Number.isFinite(r.finalScore)) return `result.finalScore: ${r.finalScore} is not a finite number`;
  if (!Number.isFinite(r.seconds) || r.seconds < 0) return `result.seconds: ${r.seconds}, expected a finite non-negative number`;
  if (task.family === 'generative') return validateGenerativeTrial(task, r);
  if (isTabular(task.algo)) return length('result.curve', r.curve, task.episodes, `one return per training episode`) ?? finite('result.curve', r.curve);
  // a deep trial trains for env steps: at most one episode per step
  const steps = task.envSteps ?? defaultEnvSteps(task.algo);
  if (r.curve.length > steps) return `result.curve: ${r.curve.length} episodes in ${steps} env steps`;
  return finite('result.curve', r.curve);
}

/** A generative trial's curve holds one score per epoch it was asked for; its final score is the last (generative/score.ts). */
function validateGenerativeTrial(task: GenerativeTrialTask, r: TrialResult): string | undefined {
  const problem = length('result.curve', r.curve, task.epochs, 'one score per training epoch') ?? finite('result.curve', r.curve);
  if (problem !== undefined) return problem;
  if (scoreMetric(task.model.kind, task.evaluate) === CLASSIFIER_SCORE) {
    const [lo, hi] = CLASSIFIER_SCORE_RANGE;
    const i = r.curve.findIndex((v) => v < lo || v > hi);
    if (i >= 0) return `result.curve[${i}]: ${r.curve[i]} is outside the classifier score's range [${lo}, ${hi}]`;
  }
  const last = r.curve[r.curve.length - 1];
  if (r.finalScore !== last) return `result.finalScore: ${r.finalScore}, expected the last epoch's score ${last}`;
  return undefined;
}

function tensors(field: string, map: TensorMap, like: TensorMap | undefined): string | undefined {
  for (const [name, t] of Object.entries(map)) {
    const size = sizeOf(t.shape);
    if (t.data.length !== size) return `${field}.${name}: ${t.data.length} numbers for shape [${t.shape.join(', ')}]`;
    if (like !== undefined) {
      const p = like[name];
      if (p === undefined) return `${field}.${name}: the model has no parameter of that name`;
      if (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i])) return `${field}.${name}: shape [${t.shape.join(', ')}], expected [${p.shape.join(', ')}]`;
    }
    const bad = finite(`${field}.${name}.data`, t.data);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

export function validateGradient(task: GradientTask, r: GradientResult): string | undefined {
  if (r.n !== task.batch.n) return `result.n: ${r.n}, expected the shard's ${task.batch.n} rows`;
  if (Object.keys(r.grads).length === 0) return 'result.grads: no gradients';
  // the learner averages the shards name by name and applies the mean to the phase's parameters:
  // a shard that left one out, or answered for the other phase, would end the run there
  const trains = new Set(task.phaseParams);
  for (const name of Object.keys(r.grads)) {
    if (!trains.has(name)) return Object.hasOwn(task.params, name) ? `result.grads.${name}: not a parameter the '${task.phase}' phase trains` : `result.grads.${name}: the model has no parameter of that name`;
  }
  const missing = task.phaseParams.find((name) => !Object.hasOwn(r.grads, name));
  if (missing !== undefined) return `result.grads.${missing}: missing, a parameter the '${task.phase}' phase trains`;
  const g = tensors('result.grads', r.grads, task.params);
  if (g !== undefined) return g;
  for (const [k, v] of Object.entries(r.metrics)) if (!Number.isFinite(v)) return `result.metrics.${k}: ${v} is not a finite number`;
  return r.stats !== undefined ? tensors('result.stats', r.stats, undefined) : undefined;
}
