import { type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidAction } from '../errors.js';
import { cos, sin } from '../../base/libm/sincos.js';
import { pow } from '../../base/libm/pow.js';
import { powf } from '../../base/libm/powf.js';
import { ClassicControlEnv } from './classicEnv.js';
import { isNumberList } from '../../base/typedArray.js';
import { Box } from '../spaces/fundamental.js';
import { describeValue } from '../../base/plainData.js';
import { is, validateKwargs } from '../utils/kwargs.js';
import { verifyNumber } from './utils.js';

export interface PendulumKwargs {
  /** Acceleration of gravity (m s⁻²). Default 10.0. */
  g?: number;
  renderMode?: string | null;
}

export const PENDULUM_KWARGS = { g: is.finiteNumber, renderMode: is.renderMode() } as const;

const DEFAULT_X = Math.PI;
const DEFAULT_Y = 1.0;
const F32_0_001 = Math.fround(0.001);

/** Gymnasium `angle_normalize`: ((x + π) mod 2π) − π with numpy's floored modulo. */
export function angleNormalize(x: number): number {
  const b = 2 * Math.PI;
  let r = (x + Math.PI) % b;
  if (r !== 0) {
    if (r < 0 !== b < 0) r += b;
  } else r = 0;
  return r - Math.PI;
}

/**
 * The inverted pendulum swing-up problem, ported from Gymnasium 1.x
 * `gymnasium/envs/classic_control/pendulum.py` (Pendulum-v1).
 *
 * ## Description
 * A pendulum attached at one end to a fixed point, the other end free. It starts in a random
 * position and the goal is to apply torque on the free end to swing it into an upright position,
 * with its center of gravity right above the fixed point.
 *
 * ## Action Space
 * `Box(-2, 2, (1,), float32)`: the torque (positive counter-clockwise). Actions are read as
 * float32 (as sampled from the action space) and clipped to [−2, 2], as Gymnasium does.
 *
 * ## Observation Space
 * A Float32Array of shape (3,):
 *
 * | Num | Observation      | Min  | Max |
 * |-----|------------------|------|-----|
 * | 0   | x = cos(theta)   | -1.0 | 1.0 |
 * | 1   | y = sin(theta)   | -1.0 | 1.0 |
 * | 2   | Angular Velocity | -8.0 | 8.0 |
 *
 * ## Rewards
 * `r = −(theta² + 0.1·theta_dt² + 0.001·torque²)` with theta normalized to [−π, π]; minimum
 * −16.2736044, maximum 0. (As with numpy ≥ 2, `0.001·torque²` is computed in float32.)
 *
 * ## Starting State
 * Angle uniform in [−π, π], angular velocity uniform in [−1, 1];
 * `reset({ options: { xInit, yInit } })` changes the (symmetric) bounds.
 *
 * ## Episode End
 * Truncation at 200 time steps (no termination).
 *
 * ## Arguments
 * `make('Pendulum-v1', { g: 10.0 })`. `env.unwrapped.state` is `[theta, thetaDot]` (Float64Array,
 * readable and writable).
 *
 * ## Version History
 * - v1: Simplify the math equations, no difference in behavior.
 * - v0: Initial versions release.
 */
export class PendulumEnv extends ClassicControlEnv<Float32Array> {
  override metadata = { renderModes: [] as string[], renderFps: 30 };
  readonly maxSpeed = 8;
  readonly maxTorque = 2.0;
  readonly dt = 0.05;
  readonly g: number;
  readonly m = 1.0;
  readonly l = 1.0;
  readonly actionSpace = new Box<Float32Array>(-this.maxTorque, this.maxTorque, [1], 'float32');
  readonly observationSpace = new Box<Float32Array>([-1, -1, -this.maxSpeed], [1, 1, this.maxSpeed], [3], 'float32');
  /** Last clipped torque (for rendering), or null. */
  lastU: number | null = null;

  constructor(kwargs: PendulumKwargs = {}) {
    super(2, 'Pendulum'); // state = [theta, thetaDot]
    validateKwargs('Pendulum', kwargs, PENDULUM_KWARGS);
    this.g = kwargs.g ?? 10.0;
    this.renderMode = kwargs.renderMode ?? null;
  }

  step(action: Float32Array | readonly number[]): StepReturn<Float32Array> {
    const raw = isNumberList(action) && action.length === 1 ? action[0] : undefined;
    if (typeof raw !== 'number' || Number.isNaN(raw)) {
      throw new InvalidAction(`Pendulum: action ${describeValue(action)} is not in the action space ${this.actionSpace.toString()} (expected one torque value)`);
    }
    this.requireState();
    const th = this._state[0]!;
    const thdot = this._state[1]!;
    const g = this.g;
    const m = this.m;
    const l = this.l;
    const dt = this.dt;

    const u = Math.fround(Math.min(Math.max(Math.fround(raw), -this.maxTorque), this.maxTorque));
    this.lastU = u;
    const an = angleNormalize(th);
    // As numpy 2 computes them: the float64 squares with glibc's pow, the float32 ones (u**2, then
    // 0.001 * u**2 and 3.0 / (m * l**2) * u with the Python float cast to float32) with its powf.
    const costs = pow(an, 2) + 0.1 * pow(thdot, 2) + Math.fround(F32_0_001 * powf(u, 2));

    let newthdot = thdot + (((3 * g) / (2 * l)) * sin(th) + Math.fround(Math.fround(3.0 / (m * pow(l, 2))) * u)) * dt;
    newthdot = Math.min(Math.max(newthdot, -this.maxSpeed), this.maxSpeed);
    const newth = th + newthdot * dt;
    this._state[0] = newth;
    this._state[1] = newthdot;
    return [this.getObs(), -costs, false, false, {}];
  }

  reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
    this.resetRng(args.seed);
    let x = DEFAULT_X;
    let y = DEFAULT_Y;
    const options = args.options;
    if (options !== null && options !== undefined) {
      // Note that custom reset bounds may lead to out-of-bound state/observations.
      if ('xInit' in options) x = verifyNumber('xInit', options['xInit']);
      if ('yInit' in options) y = verifyNumber('yInit', options['yInit']);
    }
    const rng = this.npRandom;
    this._state[0] = rng.uniform(-x, x);
    this._state[1] = rng.uniform(-y, y);
    this.hasState = true;
    this.lastU = null;
    return [this.getObs(), {}];
  }

  private getObs(): Float32Array {
    const theta = this._state[0]!;
    return Float32Array.of(cos(theta), sin(theta), this._state[1]!);
  }
}
