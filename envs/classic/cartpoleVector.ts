import type { EnvSpec, VectorEntryOptions } from '../core.js';
import { InvalidAction, InvalidArgument, ResetNeeded } from '../errors.js';
import { npRandom, type NpGenerator } from '../utils/npGenerator.js';
import { batchSpace } from '../spaces/utils.js';
import { describeValue } from '../../base/plainData.js';
import { validateKwargs } from '../utils/kwargs.js';
import { CARTPOLE_KWARGS, CARTPOLE_V1_MAX_EPISODE_STEPS, CartPoleEnv } from './cartpole.js';
import { checkMaxEpisodeSteps } from '../wrappers/timeLimit.js';
import { maybeParseResetBounds } from './utils.js';
import { BATCHED_AUTORESET_MODES, isBatchedAutoresetMode, quotedModes, subEnvSeeds, type BatchedAutoresetMode, type VectorEnv, type VectorInfo, type VectorResetArgs, type VectorResetReturn, type VectorStepReturn } from '../vector/vectorEnv.js';

/** Options of the batched CartPole. */
export interface CartPoleVectorOptions {
  numEnvs?: number;
  /** TimeLimit per sub-env (CartPole-v1's 500 when absent; null for none): a positive integer (envs/wrappers/timeLimit.ts checkMaxEpisodeSteps, the sync path's rule). */
  maxEpisodeSteps?: number | null;
  autoresetMode?: BatchedAutoresetMode;
  suttonBartoReward?: boolean;
  /** The registry spec it was made from (makeVec sets it; null when constructed directly). */
  spec?: EnvSpec | null;
}

/**
 * Batched CartPole-v1 kernel (the counterpart of Gymnasium's `CartPoleVectorEnv`): the state of
 * all sub-envs lives in four Float64Arrays (`x`, `xDot`, `theta`, `thetaDot`), one loop per step
 * updates every sub-env with the same float64 equations as `CartPoleEnv`, and nothing is
 * allocated per step (except `finalObs` rows in same-step mode when an episode ends).
 *
 * It is exactly equivalent to `SyncVectorEnv` over `make('CartPole-v1')` sub-envs — same
 * per-sub-env generators (sub-env i seeded with `seed + i`, four uniform draws per reset), same
 * TimeLimit and autoreset semantics — so trajectories match step for step. Gymnasium's own
 * `CartPoleVectorEnv` shares one generator across sub-envs and so does not match its sync
 * counterpart; this one does.
 */
export class CartPoleVectorEnv implements VectorEnv {
  readonly numEnvs: number;
  readonly maxEpisodeSteps: number | null;
  readonly autoresetMode: BatchedAutoresetMode;
  readonly suttonBartoReward: boolean;
  readonly single = new CartPoleEnv();
  readonly singleObservationSpace = this.single.observationSpace;
  readonly singleActionSpace = this.single.actionSpace;
  readonly actionSpace;
  readonly obsDim = 4;
  readonly actDim = 1;
  readonly spec: EnvSpec | null;

  /** Cart position per sub-env. */
  readonly x: Float64Array;
  readonly xDot: Float64Array;
  readonly theta: Float64Array;
  readonly thetaDot: Float64Array;
  /** Steps since each sub-env's last reset. */
  readonly steps: Int32Array;
  /** Per-sub-env generators (sub-env i seeded with seed + i). */
  readonly rngs: NpGenerator[];
  private low = -0.05;
  private high = 0.05;
  private hasReset = false;
  private readonly obs: Float32Array;
  private readonly rewards: Float64Array;
  private readonly terminations: Uint8Array;
  private readonly truncations: Uint8Array;
  private readonly autoresetEnvs: Uint8Array;
  private readonly stepsBeyondTerminated: Int32Array;

  constructor(options: CartPoleVectorOptions = {}) {
    const n = options.numEnvs ?? 1;
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgument(`CartPoleVectorEnv: numEnvs must be a positive integer, got ${n}`);
    this.numEnvs = n;
    this.spec = options.spec ?? null;
    this.maxEpisodeSteps = checkMaxEpisodeSteps('CartPoleVectorEnv', options.maxEpisodeSteps === undefined ? CARTPOLE_V1_MAX_EPISODE_STEPS : options.maxEpisodeSteps, { nullable: true });
    this.autoresetMode = options.autoresetMode ?? 'next-step';
    if (!isBatchedAutoresetMode(this.autoresetMode)) {
      throw new InvalidArgument(`CartPoleVectorEnv: autoresetMode must be ${quotedModes(BATCHED_AUTORESET_MODES)}, got '${String(this.autoresetMode)}'`);
    }
    this.suttonBartoReward = options.suttonBartoReward ?? false;
    this.actionSpace = batchSpace(this.singleActionSpace, n);
    this.x = new Float64Array(n);
    this.xDot = new Float64Array(n);
    this.theta = new Float64Array(n);
    this.thetaDot = new Float64Array(n);
    this.steps = new Int32Array(n);
    this.rngs = Array.from({ length: n }, () => npRandom()[0]);
    this.obs = new Float32Array(4 * n);
    this.rewards = new Float64Array(n);
    this.terminations = new Uint8Array(n);
    this.truncations = new Uint8Array(n);
    this.autoresetEnvs = new Uint8Array(n);
    this.stepsBeyondTerminated = new Int32Array(n).fill(-1);
  }

  /** Vector entry point for the registry (`vectorEntryPoint` of CartPole-v1). */
  static fromEntry(options: VectorEntryOptions): CartPoleVectorEnv {
    validateKwargs('CartPole', options.kwargs, CARTPOLE_KWARGS);
    const suttonBartoReward = options.kwargs['suttonBartoReward']; // a boolean or absent: validateKwargs checked it
    return new CartPoleVectorEnv({
      numEnvs: options.numEnvs,
      maxEpisodeSteps: options.maxEpisodeSteps,
      autoresetMode: options.autoresetMode,
      suttonBartoReward: typeof suttonBartoReward === 'boolean' ? suttonBartoReward : false,
      spec: options.spec,
    });
  }

  private resetOne(i: number): void {
    const rng = this.rngs[i]!;
    const lo = this.low;
    const hi = this.high;
    this.x[i] = rng.uniform(lo, hi);
    this.xDot[i] = rng.uniform(lo, hi);
    this.theta[i] = rng.uniform(lo, hi);
    this.thetaDot[i] = rng.uniform(lo, hi);
    this.steps[i] = 0;
    this.stepsBeyondTerminated[i] = -1;
  }

  private writeObs(i: number): void {
    const o = 4 * i;
    this.obs[o] = this.x[i]!;
    this.obs[o + 1] = this.xDot[i]!;
    this.obs[o + 2] = this.theta[i]!;
    this.obs[o + 3] = this.thetaDot[i]!;
  }

  reset(args: VectorResetArgs = {}): VectorResetReturn {
    const seeds = subEnvSeeds(args.seed, this.numEnvs);
    [this.low, this.high] = maybeParseResetBounds(args.options, -0.05, 0.05);
    for (let i = 0; i < this.numEnvs; i++) {
      const s = seeds[i];
      if (s !== undefined) this.rngs[i] = npRandom(s, 'CartPoleVectorEnv.reset')[0];
      this.resetOne(i);
      this.writeObs(i);
      this.autoresetEnvs[i] = 0;
      this.terminations[i] = 0;
      this.truncations[i] = 0;
    }
    this.hasReset = true;
    return [this.obs, {}];
  }

  step(actions: ArrayLike<number>): VectorStepReturn {
    if (!this.hasReset) throw new ResetNeeded('Cannot call step() before calling reset()');
    const n = this.numEnvs;
    if (actions === null || typeof actions !== 'object' || actions.length !== n) {
      throw new InvalidAction(`CartPoleVectorEnv.step: expected ${n} actions, got ${describeValue(actions)}`);
    }
    const { x, xDot, theta, thetaDot, steps, obs, rewards, terminations, truncations, autoresetEnvs } = this;
    const single = this.single;
    const gravity = single.gravity;
    const masspole = single.masspole;
    const totalMass = single.totalMass;
    const length = single.length;
    const polemassLength = single.polemassLength;
    const forceMag = single.forceMag;
    const tau = single.tau;
    const xThreshold = single.xThreshold;
    const thetaThreshold = single.thetaThresholdRadians;
    const maxSteps = this.maxEpisodeSteps ?? Infinity;
    const sameStep = this.autoresetMode === 'same-step';
    const sutton = this.suttonBartoReward;
    let info: VectorInfo = {};
    let finalObs: (Float32Array | null)[] | undefined;
    let finalMask: Uint8Array | undefined;

    for (let i = 0; i < n; i++) {
      if (autoresetEnvs[i] === 1) {
        // next-step autoreset: this step resets the sub-env; its action is ignored.
        this.resetOne(i);
        this.writeObs(i);
        rewards[i] = 0;
        terminations[i] = 0;
        truncations[i] = 0;
        autoresetEnvs[i] = 0;
        continue;
      }
      const a = actions[i];
      if (a !== 0 && a !== 1) throw new InvalidAction(`CartPoleVectorEnv.step: action ${describeValue(a)} of sub-env ${i} is not in Discrete(2)`);
      const force = a === 1 ? forceMag : -forceMag;
      const th = theta[i]!;
      const thDot = thetaDot[i]!;
      const costheta = Math.cos(th);
      const sintheta = Math.sin(th);
      const temp = (force + polemassLength * (thDot * thDot) * sintheta) / totalMass;
      const thetaacc = (gravity * sintheta - costheta * temp) / (length * (4.0 / 3.0 - (masspole * (costheta * costheta)) / totalMass));
      const xacc = temp - (polemassLength * thetaacc * costheta) / totalMass;
      const xi = x[i]! + tau * xDot[i]!;
      const xDoti = xDot[i]! + tau * xacc;
      const thi = th + tau * thDot;
      const thDoti = thDot + tau * thetaacc;
      x[i] = xi;
      xDot[i] = xDoti;
      theta[i] = thi;
      thetaDot[i] = thDoti;
      const o = 4 * i;
      obs[o] = xi;
      obs[o + 1] = xDoti;
      obs[o + 2] = thi;
      obs[o + 3] = thDoti;

      const terminated = xi < -xThreshold || xi > xThreshold || thi < -thetaThreshold || thi > thetaThreshold;
      if (!terminated) rewards[i] = sutton ? 0.0 : 1.0;
      else if (this.stepsBeyondTerminated[i] === -1) {
        this.stepsBeyondTerminated[i] = 0;
        rewards[i] = sutton ? -1.0 : 1.0;
      } else rewards[i] = sutton ? -1.0 : 0.0;
      const s = (steps[i] = steps[i]! + 1);
      const truncated = s >= maxSteps;
      terminations[i] = terminated ? 1 : 0;
      truncations[i] = truncated ? 1 : 0;
      if (terminated || truncated) {
        if (sameStep) {
          if (finalObs === undefined) {
            finalObs = new Array<Float32Array | null>(n).fill(null);
            finalMask = new Uint8Array(n);
          }
          finalObs[i] = obs.slice(o, o + 4);
          finalMask![i] = 1;
          this.resetOne(i);
          this.writeObs(i);
        } else autoresetEnvs[i] = 1;
      }
    }
    if (finalObs !== undefined) {
      const finalInfo: VectorInfo = {};
      info = { finalObs, _finalObs: finalMask, finalInfo, _finalInfo: finalMask!.slice() };
    }
    return [obs, rewards, terminations, truncations, info];
  }

  close(): void {}
}
