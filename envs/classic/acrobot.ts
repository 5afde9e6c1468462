import { type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidAction } from '../errors.js';
import { cos, sin } from '../../base/libm/sincos.js';
import { pow } from '../../base/libm/pow.js';
import { ClassicControlEnv } from './classicEnv.js';
import { Box, Discrete } from '../spaces/fundamental.js';
import { describeValue } from '../../base/plainData.js';
import { is, validateKwargs } from '../utils/kwargs.js';
import { isDiscreteAction, maybeParseResetBounds } from './utils.js';

export interface AcrobotKwargs {
  renderMode?: string | null;
}

export const ACROBOT_KWARGS = { renderMode: is.renderMode() } as const;

const PI = Math.PI;

/** Gymnasium `wrap`: wraps x into [m, M] (not truncating). */
export function wrap(x: number, m: number, M: number): number {
  const diff = M - m;
  while (x > M) x = x - diff;
  while (x < m) x = x + diff;
  return x;
}

/** Gymnasium `bound`: min(max(x, m), M). */
export function bound(x: number, m: number, M: number): number {
  return Math.min(Math.max(x, m), M);
}

/**
 * Acrobot, ported from Gymnasium 1.x `gymnasium/envs/classic_control/acrobot.py` (Acrobot-v1),
 * with the "book" dynamics and Gymnasium's `rk4` integrator (one RK4 step of dt = 0.2 on the
 * state augmented with the torque).
 *
 * ## Description
 * Two links connected linearly to form a chain, with one end of the chain fixed. The joint
 * between the two links is actuated. The goal is to apply torques on the actuated joint to swing
 * the free end above a given height, starting from hanging downwards (Sutton, 1996; Sutton &
 * Barto, 2018).
 *
 * ## Action Space
 * `Discrete(3)`: torque −1, 0, +1 (N m) on the actuated joint.
 *
 * ## Observation Space
 * A Float32Array of shape (6,):
 *
 * | Num | Observation                  | Min                 | Max               |
 * |-----|------------------------------|---------------------|-------------------|
 * | 0   | Cosine of `theta1`           | -1                  | 1                 |
 * | 1   | Sine of `theta1`             | -1                  | 1                 |
 * | 2   | Cosine of `theta2`           | -1                  | 1                 |
 * | 3   | Sine of `theta2`             | -1                  | 1                 |
 * | 4   | Angular velocity of `theta1` | ~ -12.567 (-4 * pi) | ~ 12.567 (4 * pi) |
 * | 5   | Angular velocity of `theta2` | ~ -28.274 (-9 * pi) | ~ 28.274 (9 * pi) |
 *
 * `theta1` is 0 when the first link points down; `theta2` is relative to the first link.
 *
 * ## Rewards
 * −1 for every step that does not reach the goal, 0 on reaching it (threshold −100).
 *
 * ## Starting State
 * `theta1, theta2, dtheta1, dtheta2` uniform in [−0.1, 0.1] (rounded to float32, as Gymnasium's
 * `.astype(np.float32)`); `reset({ options: { low, high } })` changes the bounds.
 *
 * ## Episode End
 * 1. Termination: `−cos(theta1) − cos(theta2 + theta1) > 1.0`.
 * 2. Truncation: episode length 500.
 *
 * ## Arguments
 * `make('Acrobot-v1')`. On the unwrapped env: `state` (Float64Array
 * `[theta1, theta2, dtheta1, dtheta2]`, readable and writable), `bookOrNips` (`'book'` default, or
 * `'nips'`), `torqueNoiseMax` (default 0).
 *
 * ## Version History
 * - v1: Maximum number of steps increased from 200 to 500. Observations are cos/sin of the angles.
 * - v0: Initial versions release.
 */
export class AcrobotEnv extends ClassicControlEnv<number> {
  override metadata = { renderModes: [] as string[], renderFps: 15 };
  readonly dt = 0.2;
  readonly LINK_LENGTH_1 = 1.0;
  readonly LINK_LENGTH_2 = 1.0;
  readonly LINK_MASS_1 = 1.0;
  readonly LINK_MASS_2 = 1.0;
  readonly LINK_COM_POS_1 = 0.5;
  readonly LINK_COM_POS_2 = 0.5;
  readonly LINK_MOI = 1.0;
  readonly MAX_VEL_1 = 4 * PI;
  readonly MAX_VEL_2 = 9 * PI;
  readonly AVAIL_TORQUE = [-1.0, 0.0, +1] as const;
  torqueNoiseMax = 0.0;
  bookOrNips: 'book' | 'nips' = 'book';
  readonly actionSpace = new Discrete(3);
  readonly observationSpace = new Box<Float32Array>(
    [-1, -1, -1, -1, -this.MAX_VEL_1, -this.MAX_VEL_2],
    [1, 1, 1, 1, this.MAX_VEL_1, this.MAX_VEL_2],
    [6],
    'float32',
  );

  constructor(kwargs: AcrobotKwargs = {}) {
    super(4, 'Acrobot'); // state = [theta1, theta2, dtheta1, dtheta2]
    validateKwargs('Acrobot', kwargs, ACROBOT_KWARGS);
    this.renderMode = kwargs.renderMode ?? null;
  }

  reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
    this.resetRng(args.seed);
    const [low, high] = maybeParseResetBounds(args.options, -0.1, 0.1);
    for (let i = 0; i < 4; i++) this._state[i] = Math.fround(this.npRandom.uniform(low, high));
    this.hasState = true;
    return [this.getOb(), {}];
  }

  step(a: number): StepReturn<Float32Array> {
    if (!isDiscreteAction(a, 3)) throw new InvalidAction(`Acrobot: action ${describeValue(a)} is not in the action space Discrete(3)`);
    this.requireState();
    let torque: number = this.AVAIL_TORQUE[a];
    // Add noise to the force action
    if (this.torqueNoiseMax > 0) torque += this.npRandom.uniform(-this.torqueNoiseMax, this.torqueNoiseMax);

    // Augment the state with the torque and integrate one RK4 step over [0, dt].
    const s = this._state;
    const ns = this.rk4([s[0]!, s[1]!, s[2]!, s[3]!, torque]);
    s[0] = wrap(ns[0]!, -PI, PI);
    s[1] = wrap(ns[1]!, -PI, PI);
    s[2] = bound(ns[2]!, -this.MAX_VEL_1, this.MAX_VEL_1);
    s[3] = bound(ns[3]!, -this.MAX_VEL_2, this.MAX_VEL_2);
    const terminated = this.terminal();
    const reward = !terminated ? -1.0 : 0.0;
    return [this.getOb(), reward, terminated, false, {}];
  }

  private getOb(): Float32Array {
    const s = this._state;
    return Float32Array.of(cos(s[0]!), sin(s[0]!), cos(s[1]!), sin(s[1]!), s[2]!, s[3]!);
  }

  private terminal(): boolean {
    const s = this._state;
    return -cos(s[0]!) - cos(s[1]! + s[0]!) > 1.0;
  }

  /** Time derivative of the augmented state `[theta1, theta2, dtheta1, dtheta2, torque]`. */
  dsdt(sAugmented: readonly number[]): number[] {
    const m1 = this.LINK_MASS_1;
    const m2 = this.LINK_MASS_2;
    const l1 = this.LINK_LENGTH_1;
    const lc1 = this.LINK_COM_POS_1;
    const lc2 = this.LINK_COM_POS_2;
    const I1 = this.LINK_MOI;
    const I2 = this.LINK_MOI;
    const g = 9.8;
    const a = sAugmented[4]!;
    const theta1 = sAugmented[0]!;
    const theta2 = sAugmented[1]!;
    const dtheta1 = sAugmented[2]!;
    const dtheta2 = sAugmented[3]!;
    const d1 = m1 * pow(lc1, 2) + m2 * (pow(l1, 2) + pow(lc2, 2) + 2 * l1 * lc2 * cos(theta2)) + I1 + I2;
    const d2 = m2 * (pow(lc2, 2) + l1 * lc2 * cos(theta2)) + I2;
    const phi2 = m2 * lc2 * g * cos(theta1 + theta2 - PI / 2.0);
    const phi1 =
      -m2 * l1 * lc2 * pow(dtheta2, 2) * sin(theta2) -
      2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin(theta2) +
      (m1 * lc1 + m2 * l1) * g * cos(theta1 - PI / 2) +
      phi2;
    let ddtheta2: number;
    if (this.bookOrNips === 'nips') {
      // consistent with the description in the paper
      ddtheta2 = (a + (d2 / d1) * phi1 - phi2) / (m2 * pow(lc2, 2) + I2 - pow(d2, 2) / d1);
    } else {
      // consistent with the java implementation and the book
      ddtheta2 =
        (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * pow(dtheta1, 2) * sin(theta2) - phi2) /
        (m2 * pow(lc2, 2) + I2 - pow(d2, 2) / d1);
    }
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0];
  }

  /** Gymnasium `rk4(derivs, y0, [0, dt])`: one classical Runge–Kutta step; returns the 4 state entries. */
  private rk4(y0: number[]): number[] {
    const dt = this.dt - 0; // t[1] - t[0]
    const dt2 = dt / 2.0;
    const k1 = this.dsdt(y0);
    const k2 = this.dsdt(y0.map((y, j) => y + dt2 * k1[j]!));
    const k3 = this.dsdt(y0.map((y, j) => y + dt2 * k2[j]!));
    const k4 = this.dsdt(y0.map((y, j) => y + dt * k3[j]!));
    const c = dt / 6.0;
    return y0.slice(0, 4).map((y, j) => y + c * (k1[j]! + 2 * k2[j]! + 2 * k3[j]! + k4[j]!));
  }
}
