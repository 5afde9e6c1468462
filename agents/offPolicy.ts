/**
 * The shared off-policy loop (Stable-Baselines3's collect_rollouts → train, CleanRL's dqn.py main
 * loop), over a vector env in same-step autoreset mode so the true final observation of each
 * episode is stored as nextObs:
 *
 *   for each vector step:
 *     actions ← actor(latest published params, obs, ε(step))
 *     obs′, r, terminated, truncated ← envs.step(actions)
 *     replay.add(obs, a, r, finalObs-or-obs′, terminated)      (truncation still bootstraps)
 *     every trainFrequency steps after learningStarts: gradientSteps × learner.update(replay.sample)
 *     every targetUpdateInterval steps: learner.updateTarget()
 *
 * The last two lines are `OffPolicySchedule`, the one definition of when off-policy learners train
 * and copy their target: this loop and the distributed DQN driver (drivers/offPolicy.ts) both ask
 * it, env step by env step. The actor only ever sees parameters as data (getPolicyParams), as it
 * would in a rollout worker.
 */
import { makeVec, writeNextObsRow, type VectorEnv } from '../envs/index.js';
import { ReplayBuffer, type TransitionBatch } from '../core/replay.js';
import type { Rng } from '../base/rng.js';
import type { MetricsCallback, TrainPhase } from './types.js';
import type { Metrics } from '../base/metrics.js';
import { EpisodeStats } from './episodeStats.js';
import { DEFAULT_EVAL_INTERVAL } from './evaluate.js';
import { SPS, TD_LOSS } from './metricNames.js';

/** The schedule's part of an off-policy config (SB3's learning_starts, train_freq, gradient_steps, target_update_interval). */
export interface ScheduleConfig {
  learningStarts: number;
  trainFrequency: number;
  gradientSteps: number;
  targetUpdateInterval: number;
}

/**
 * When an off-policy learner trains and copies its target, counted in env steps, as SB3 and
 * CleanRL count them: after the vector step that brings the count to `envStep`,
 *
 *   train   if envStep ≥ learningStarts and envStep − lastTrain ≥ trainFrequency   (lastTrain ← envStep)
 *   target  if envStep − lastTarget ≥ targetUpdateInterval                        (lastTarget ← envStep)
 *
 * (training first). Its state is the two counters, so a checkpoint holds it as numbers.
 */
export class OffPolicySchedule {
  constructor(
    private readonly c: ScheduleConfig,
    public lastTrain = 0,
    public lastTarget = 0,
  ) {}

  /** Whether training is due after the vector step that ends at `envStep`, without advancing. */
  trainDue(envStep: number): boolean {
    return envStep >= this.c.learningStarts && envStep - this.lastTrain >= this.c.trainFrequency;
  }

  /** Advances past the vector step that ends at `envStep` and says what is due there. */
  step(envStep: number): { train: boolean; target: boolean } {
    const train = this.trainDue(envStep);
    if (train) this.lastTrain = envStep;
    const target = envStep - this.lastTarget >= this.c.targetUpdateInterval;
    if (target) this.lastTarget = envStep;
    return { train, target };
  }

  /**
   * Advances over `steps` vector steps of `numEnvs` envs after `envStep` and appends what is due to
   * `phases` in order: a training event opens a phase, a target copy closes the last open one (or
   * stands alone). The learner replaying the phases does what the per-step loop does.
   */
  advance(envStep: number, steps: number, numEnvs: number, phases: TrainPhase[]): void {
    for (let t = 1; t <= steps; t++) {
      const due = this.step(envStep + t * numEnvs);
      if (due.train) phases.push({ gradientSteps: this.c.gradientSteps, updateTarget: false });
      if (due.target) {
        const last = phases.at(-1);
        if (last !== undefined && !last.updateTarget) last.updateTarget = true;
        else phases.push({ gradientSteps: 0, updateTarget: true });
      }
    }
  }
}

export interface OffPolicyLearner {
  readonly config: ScheduleConfig & {
    batchSize: number;
    bufferSize: number;
  };
  update(batch: TransitionBatch): Metrics;
  updateTarget(): void;
}

export interface OffPolicyOptions {
  envId: string;
  kwargs?: Record<string, unknown>;
  numEnvs?: number;
  totalTimesteps: number;
  seed: number;
  learner: OffPolicyLearner;
  /** Chooses actions for all envs from the latest parameters; called once per vector step. */
  act: (obs: Float32Array, numEnvs: number, envStep: number, out: Int32Array) => Int32Array;
  /** Called after each training phase so the actor can pull the new parameters. */
  onParamsUpdated: () => void;
  /** Rng of replay sampling. */
  rng: Rng;
  onMetrics?: MetricsCallback;
  /** Called every `evalInterval` env steps (default DEFAULT_EVAL_INTERVAL); return true to stop early (e.g. goal reached). */
  evaluate?: (envStep: number) => boolean;
  evalInterval?: number;
}

export interface OffPolicyResult {
  envSteps: number;
  wallSeconds: number;
  stoppedEarly: boolean;
  replay: ReplayBuffer;
}

export function runOffPolicy(opts: OffPolicyOptions): OffPolicyResult {
  const numEnvs = opts.numEnvs ?? 1;
  const envs: VectorEnv = makeVec(opts.envId, { numEnvs, autoresetMode: 'same-step', kwargs: opts.kwargs ?? {} });
  const obsDim = envs.obsDim;
  const c = opts.learner.config;
  const replay = new ReplayBuffer({ capacity: c.bufferSize, obsDim });
  const batch = replay.allocBatch(c.batchSize);
  const actions = new Int32Array(numEnvs);
  /** One sub-env's true next observation (its final one where its episode ended). */
  const real = new Float32Array(obsDim);
  const episodes = new EpisodeStats(numEnvs);
  let [obs] = envs.reset({ seed: opts.seed });
  obs = obs.slice();
  const t0 = performance.now();
  let envStep = 0;
  const schedule = new OffPolicySchedule(c);
  let lastEval = 0;
  let stoppedEarly = false;
  while (envStep < opts.totalTimesteps) {
    opts.act(obs, numEnvs, envStep, actions);
    const [nextObs, rewards, terminated, truncated, info] = envs.step(actions);
    for (let e = 0; e < numEnvs; e++) {
      const done = terminated[e] === 1 || truncated[e] === 1;
      writeNextObsRow(envs, nextObs, info, e, real, 0);
      replay.add(obs.subarray(e * obsDim, (e + 1) * obsDim), actions[e]!, rewards[e]!, real, terminated[e] === 1);
      episodes.step(e, rewards[e]!, done, envStep + e + 1, opts.onMetrics);
    }
    obs.set(nextObs);
    envStep += numEnvs;
    const due = schedule.step(envStep);
    if (due.train) {
      let sum = 0;
      for (let g = 0; g < c.gradientSteps; g++) sum += opts.learner.update(replay.sample(c.batchSize, opts.rng, batch))[TD_LOSS] ?? 0;
      opts.onParamsUpdated();
      const seconds = (performance.now() - t0) / 1000;
      opts.onMetrics?.({ [TD_LOSS]: sum / c.gradientSteps, [SPS]: envStep / seconds }, envStep);
    }
    if (due.target) opts.learner.updateTarget();
    if (opts.evaluate !== undefined && envStep - lastEval >= (opts.evalInterval ?? DEFAULT_EVAL_INTERVAL)) {
      lastEval = envStep;
      if (opts.evaluate(envStep)) {
        stoppedEarly = true;
        break;
      }
    }
  }
  envs.close();
  return { envSteps: envStep, wallSeconds: (performance.now() - t0) / 1000, stoppedEarly, replay };
}
