import { ObservationWrapper, Wrapper, type Env, type StepReturn } from '../core.js';
import { InvalidArgument } from '../errors.js';
import { Box } from '../spaces/fundamental.js';
import { isNumberList } from '../../base/typedArray.js';

/**
 * Running mean and variance (Gymnasium `RunningMeanStd`, the parallel algorithm of Chan et al.):
 * starts at mean 0, var 1, count `epsilon`; `update` takes a batch of rows.
 */
export class RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  count: number;

  constructor(
    readonly size = 1,
    epsilon = 1e-4,
  ) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = epsilon;
  }

  /** Update from `batchCount` rows of `size` values laid out row-major in `x`. */
  update(x: ArrayLike<number>, batchCount = 1): void {
    const n = this.size;
    const totCount = this.count + batchCount;
    for (let j = 0; j < n; j++) {
      let bm = 0;
      for (let b = 0; b < batchCount; b++) bm += x[b * n + j]!;
      bm /= batchCount;
      let bv = 0;
      for (let b = 0; b < batchCount; b++) {
        const d = x[b * n + j]! - bm;
        bv += d * d;
      }
      bv /= batchCount;
      // update_mean_var_count_from_moments
      const delta = bm - this.mean[j]!;
      const newMean = this.mean[j]! + (delta * batchCount) / totCount;
      const mA = this.var[j]! * this.count;
      const mB = bv * batchCount;
      const M2 = mA + mB + (((delta * delta) * this.count) * batchCount) / totCount;
      this.mean[j] = newMean;
      this.var[j] = M2 / totCount;
    }
    this.count = totCount;
  }
}

/**
 * Normalizes Box observations to mean 0, variance 1 with running statistics (Gymnasium
 * `NormalizeObservation`): `obs' = float32((obs − mean) / sqrt(var + epsilon))`, statistics
 * updated on every reset and step unless `updateRunningMean` is false.
 */
export class NormalizeObservation<A = unknown> extends ObservationWrapper<ArrayLike<number>, A, Float32Array> {
  readonly obsRms: RunningMeanStd;
  updateRunningMean = true;

  constructor(
    env: Env<ArrayLike<number>, A>,
    readonly epsilon = 1e-8,
  ) {
    const space = env.observationSpace;
    if (!(space instanceof Box)) throw new InvalidArgument(`NormalizeObservation needs a Box observation space, got ${String(space)}`);
    super(env, new Box<Float32Array>(-Infinity, Infinity, space.shape, 'float32'));
    this.obsRms = new RunningMeanStd(space.size);
  }

  observation(obs: ArrayLike<number>): Float32Array {
    if (!isNumberList(obs)) throw new InvalidArgument('NormalizeObservation: observation is not numeric');
    if (this.updateRunningMean) this.obsRms.update(obs, 1);
    const out = new Float32Array(this.obsRms.size);
    for (let j = 0; j < out.length; j++) out[j] = (obs[j]! - this.obsRms.mean[j]!) / Math.sqrt(this.obsRms.var[j]! + this.epsilon);
    return out;
  }

}

/**
 * Scales rewards so the discounted return has roughly unit variance (Gymnasium
 * `NormalizeReward`): `G ← G·gamma·(1 − terminated) + r`, running variance of G, and
 * `r' = r / sqrt(var + epsilon)`.
 */
export class NormalizeReward<O = unknown, A = unknown> extends Wrapper<O, A> {
  readonly returnRms = new RunningMeanStd(1);
  discountedReward = 0;
  updateRunningMean = true;

  constructor(
    env: Env<O, A>,
    readonly gamma = 0.99,
    readonly epsilon = 1e-8,
  ) {
    super(env);
  }

  override step(action: A): StepReturn<O> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    this.discountedReward = this.discountedReward * this.gamma * (1 - (terminated ? 1 : 0)) + reward;
    if (this.updateRunningMean) this.returnRms.update([this.discountedReward], 1);
    const normalized = reward / Math.sqrt(this.returnRms.var[0]! + this.epsilon);
    return [obs, normalized, terminated, truncated, info];
  }
}
