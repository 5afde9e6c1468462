/**
 * The shared on-policy loops (Stable-Baselines3's OnPolicyAlgorithm.collect_rollouts → train):
 * the actor (published parameters as data, no tfjs) acts, the loop stores what happened as typed
 * arrays, then hands the batch to the agent's update and republishes parameters.
 *
 * - `runOnPolicy`: numSteps steps of a vector env in same-step autoreset mode per update
 *   (A2C with numSteps = n; one-step Actor-Critic with numSteps = 1). Each stored transition has
 *   its true next observation (`info.finalObs` at an episode end), `terminated` and `truncated`
 *   apart (only terminated stops bootstrapping), and its step index t within the episode.
 * - `runEpisodes`: whole episodes of one env per update (REINFORCE, which needs G_t to the end),
 *   each observation stored as a vector env's row holds it (envs' `writeBatchRow`: a Discrete state
 *   as its index, Tuple and Dict flattened).
 *
 * Gaussian actions are clipped to the Box before the env sees them; the unclipped action is stored
 * (it is the one whose log-probability the update differentiates).
 */
import { batchDim, make, makeVec, probeEnv, writeBatchRow, writeNextObsRow, type VectorEnv } from '../envs/index.js';
import { actionDimOf, clipToBox, envActionsFor, headFor, type ActorOutput, type PolicyActor, type PolicyHead } from './policies.js';
import { DEFAULT_EVAL_INTERVAL, trainerGoalEvaluator, type EvalResult, type TrainEvalOptions } from './evaluate.js';
import type { MetricsCallback } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { EpisodeStats } from './episodeStats.js';
import { EPISODIC_LENGTH, EPISODIC_RETURN, SPS } from './metricNames.js';

/** numSteps × numEnvs transitions, step-major (index t·numEnvs + e). Arrays are reused between updates. */
export interface StepRollout {
  numSteps: number;
  numEnvs: number;
  obsDim: number;
  actionDim: number;
  obs: Float32Array;
  actions: Int32Array | Float32Array;
  rewards: Float32Array;
  /** s′: the observation after the step (the episode's last observation when it ended). */
  nextObs: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** Actor outputs at collection time. */
  values: Float32Array;
  logProbs: Float32Array;
  /** t: the index of the step within its episode (0 at the first step after a reset). */
  episodeStep: Int32Array;
}

/** Whole episodes, concatenated. */
export interface EpisodeBatch {
  /** Total steps. */
  size: number;
  obsDim: number;
  obs: Float32Array;
  /** size actions (categorical) or size × actionDim (Gaussian). */
  actions: Int32Array | Float32Array;
  rewards: Float32Array;
  /** Length of each episode, in order. */
  episodeLengths: number[];
  /** Whether each episode ended by termination (false: time-limit truncation). */
  terminated: boolean[];
}

export interface LoopResult {
  envSteps: number;
  updates: number;
  wallSeconds: number;
  stoppedEarly: boolean;
}

interface LoopCommon {
  envId: string;
  kwargs?: Record<string, unknown>;
  head: PolicyHead;
  totalTimesteps: number;
  seed: number;
  /** Samples actions for a batch of observations from the latest published parameters. */
  act: (obs: Float32Array, numEnvs: number) => ActorOutput;
  /** Called after each update so the actor can pull the new parameters. */
  onParamsUpdated: () => void;
  onMetrics?: MetricsCallback;
  /** Called every `evalInterval` env steps (default DEFAULT_EVAL_INTERVAL; after an update); return true to stop (goal reached). */
  evaluate?: (envStep: number) => boolean;
  evalInterval?: number;
}

export interface OnPolicyOptions extends LoopCommon {
  numEnvs: number;
  numSteps: number;
  update: (rollout: StepRollout, envStep: number) => Metrics;
}

export interface EpisodeLoopOptions extends LoopCommon {
  episodesPerUpdate: number;
  update: (batch: EpisodeBatch, envStep: number) => Metrics;
}

/** Collects n-step rollouts over a vector env and updates after each (see module doc). */
export function runOnPolicy(opts: OnPolicyOptions): LoopResult {
  const { numEnvs, numSteps, head } = opts;
  const envs: VectorEnv = makeVec(opts.envId, { numEnvs, autoresetMode: 'same-step', kwargs: opts.kwargs ?? {} });
  const obsDim = envs.obsDim;
  const actionDim = actionDimOf(head);
  const n = numSteps * numEnvs;
  const r: StepRollout = {
    numSteps,
    numEnvs,
    obsDim,
    actionDim,
    obs: new Float32Array(n * obsDim),
    actions: head.kind === 'categorical' ? new Int32Array(n) : new Float32Array(n * actionDim),
    rewards: new Float32Array(n),
    nextObs: new Float32Array(n * obsDim),
    terminated: new Uint8Array(n),
    truncated: new Uint8Array(n),
    values: new Float32Array(n),
    logProbs: new Float32Array(n),
    episodeStep: new Int32Array(n),
  };
  const toEnvActions = envActionsFor(head, numEnvs);
  const episodes = new EpisodeStats(numEnvs);
  let [obs] = envs.reset({ seed: opts.seed });
  obs = obs.slice();
  const t0 = performance.now();
  let envStep = 0;
  let updates = 0;
  let lastEval = 0;
  let stoppedEarly = false;
  try {
    while (envStep < opts.totalTimesteps) {
      for (let t = 0; t < numSteps; t++) {
        const base = t * numEnvs;
        const out = opts.act(obs, numEnvs);
        r.obs.set(obs, base * obsDim);
        r.actions.set(out.actions, base * actionDim);
        r.values.set(out.values, base);
        r.logProbs.set(out.logProbs, base);
        r.episodeStep.set(episodes.lengths, base);
        const stepActions = toEnvActions(out.actions);
        const [next, rewards, terminated, truncated, info] = envs.step(stepActions);
        for (let e = 0; e < numEnvs; e++) {
          const i = base + e;
          r.rewards[i] = rewards[e]!;
          r.terminated[i] = terminated[e]!;
          r.truncated[i] = truncated[e]!;
          writeNextObsRow(envs, next, info, e, r.nextObs, i * obsDim);
          const done = terminated[e] === 1 || truncated[e] === 1;
          episodes.step(e, rewards[e]!, done, envStep + (t + 1) * numEnvs, opts.onMetrics);
        }
        obs.set(next);
      }
      envStep += n;
      const metrics = opts.update(r, envStep);
      updates++;
      opts.onParamsUpdated();
      opts.onMetrics?.({ ...metrics, [SPS]: envStep / ((performance.now() - t0) / 1000) }, envStep);
      if (opts.evaluate !== undefined && envStep - lastEval >= (opts.evalInterval ?? DEFAULT_EVAL_INTERVAL)) {
        lastEval = envStep;
        if (opts.evaluate(envStep)) {
          stoppedEarly = true;
          break;
        }
      }
    }
  } finally {
    envs.close();
  }
  return { envSteps: envStep, updates, wallSeconds: (performance.now() - t0) / 1000, stoppedEarly };
}

/** Collects `episodesPerUpdate` whole episodes of one env per update (see module doc). */
export function runEpisodes(opts: EpisodeLoopOptions): LoopResult {
  const { head } = opts;
  const env = make(opts.envId, opts.kwargs ?? {});
  const obsDim = batchDim(env.observationSpace);
  const actionDim = actionDimOf(head);
  let cap = 1024;
  let obsBuf = new Float32Array(cap * obsDim);
  let actBuf: Int32Array | Float32Array = head.kind === 'categorical' ? new Int32Array(cap) : new Float32Array(cap * actionDim);
  let rewBuf = new Float32Array(cap);
  const grow = (need: number) => {
    if (need <= cap) return;
    while (cap < need) cap *= 2;
    const o = new Float32Array(cap * obsDim);
    o.set(obsBuf);
    obsBuf = o;
    const a = head.kind === 'categorical' ? new Int32Array(cap) : new Float32Array(cap * actionDim);
    a.set(actBuf);
    actBuf = a;
    const rw = new Float32Array(cap);
    rw.set(rewBuf);
    rewBuf = rw;
  };
  const clip = head.kind === 'gaussian' ? { head, out: new Float32Array(actionDim) } : undefined;
  const t0 = performance.now();
  let envStep = 0;
  let episode = 0;
  let updates = 0;
  let lastEval = 0;
  let stoppedEarly = false;
  try {
    while (envStep < opts.totalTimesteps && !stoppedEarly) {
      const lengths: number[] = [];
      const terminatedFlags: boolean[] = [];
      let size = 0;
      for (let k = 0; k < opts.episodesPerUpdate; k++) {
        let [obs] = env.reset({ seed: opts.seed + episode });
        episode++;
        let ret = 0;
        let length = 0;
        for (;;) {
          grow(size + 1);
          writeBatchRow(env.observationSpace, obs, obsBuf, size * obsDim, obsDim);
          const out = opts.act(obsBuf.subarray(size * obsDim, (size + 1) * obsDim), 1);
          actBuf.set(out.actions.subarray(0, actionDim), size * actionDim);
          const action = clip === undefined ? out.actions[0]! : clipToBox(out.actions, clip.head, 1, clip.out).slice();
          const [next, reward, terminated, truncated] = env.step(action);
          rewBuf[size] = reward;
          size++;
          ret += reward;
          length++;
          if (terminated || truncated) {
            terminatedFlags.push(terminated);
            break;
          }
          obs = next;
        }
        envStep += length;
        lengths.push(length);
        opts.onMetrics?.({ [EPISODIC_RETURN]: ret, [EPISODIC_LENGTH]: length }, envStep);
      }
      const batch: EpisodeBatch = {
        size,
        obsDim,
        obs: obsBuf.subarray(0, size * obsDim),
        actions: actBuf.subarray(0, size * actionDim),
        rewards: rewBuf.subarray(0, size),
        episodeLengths: lengths,
        terminated: terminatedFlags,
      };
      const metrics = opts.update(batch, envStep);
      updates++;
      opts.onParamsUpdated();
      opts.onMetrics?.({ ...metrics, [SPS]: envStep / ((performance.now() - t0) / 1000) }, envStep);
      if (opts.evaluate !== undefined && envStep - lastEval >= (opts.evalInterval ?? DEFAULT_EVAL_INTERVAL)) {
        lastEval = envStep;
        stoppedEarly = opts.evaluate(envStep);
      }
    }
  } finally {
    env.close();
  }
  return { envSteps: envStep, updates, wallSeconds: (performance.now() - t0) / 1000, stoppedEarly };
}

// ---------------------------------------------------------------------------------------------
// What the policy-gradient trainers (trainReinforce, trainActorCritic, trainA2c) share

export interface TrainPgOptions<C> extends TrainEvalOptions {
  config?: Partial<C>;
  totalTimesteps: number;
}

export interface TrainPgResult<L> {
  learner: L;
  envSteps: number;
  updates: number;
  wallSeconds: number;
  /** Env steps at which the evaluation first reached the goal (undefined if never). */
  goalReachedAt?: number;
  lastEval?: EvalResult;
  /** The evaluation on fresh episodes that confirmed the goal (or the last one that failed to). */
  final?: EvalResult;
}

/** An env's observation size and the policy head for its action space (a clear error for an action space `agent` cannot take). */
export function policyEnvSizes(envId: string, kwargs: Record<string, unknown> | undefined, agent: string): { obsDim: number; head: PolicyHead } {
  const { obsDim, actionSpace } = probeEnv(envId, kwargs);
  return { obsDim, head: headFor(actionSpace, agent) };
}

/** The policy-gradient trainers' goal check (evaluate.ts `trainerGoalEvaluator`): the greedy policy of the current actor. */
export function pgEvaluator(opts: TrainPgOptions<unknown>, seed: number, actor: () => PolicyActor) {
  return trainerGoalEvaluator(opts, seed, () => {
    const a = actor();
    return (obs) => a.greedy(obs);
  });
}

