import { type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidAction } from '../errors.js';
import { cos } from '../../base/libm/sincos.js';
import { ClassicControlEnv } from './classicEnv.js';
import { Box, Discrete } from '../spaces/fundamental.js';
import { describeValue } from '../../base/plainData.js';
import { is, validateKwargs } from '../utils/kwargs.js';
import { isDiscreteAction, maybeParseResetBounds } from './utils.js';

export interface MountainCarKwargs {
  /** Minimum velocity at the goal for termination (Gymnasium `goal_velocity`). Default 0. */
  goalVelocity?: number;
  renderMode?: string | null;
}

export const MOUNTAIN_CAR_KWARGS = { goalVelocity: is.finiteNumber, renderMode: is.renderMode() } as const;

/**
 * Mountain Car with discrete actions, ported from Gymnasium 1.x
 * `gymnasium/envs/classic_control/mountain_car.py` (MountainCar-v0).
 *
 * ## Description
 * A car placed stochastically at the bottom of a sinusoidal valley, with the only possible
 * actions being accelerations in either direction. The goal is to strategically accelerate the
 * car to reach the goal state on top of the right hill (Moore, 1990).
 *
 * ## Action Space
 * `Discrete(3)`: 0 accelerate to the left, 1 don't accelerate, 2 accelerate to the right.
 *
 * ## Observation Space
 * A Float32Array of shape (2,):
 *
 * | Num | Observation                          | Min   | Max  | Unit         |
 * |-----|--------------------------------------|-------|------|--------------|
 * | 0   | position of the car along the x-axis | -1.2  | 0.6  | position (m) |
 * | 1   | velocity of the car                  | -0.07 | 0.07 | velocity (v) |
 *
 * Transition: `velocity += (action − 1)·force − cos(3·position)·gravity` (force 0.001,
 * gravity 0.0025), clipped to ±0.07; `position += velocity`, clipped to [−1.2, 0.6]; at the left
 * wall the collision is inelastic (velocity set to 0).
 *
 * ## Rewards
 * −1 for each timestep (threshold −110).
 *
 * ## Starting State
 * Position uniform in [−0.6, −0.4] (`reset({ options: { low, high } })` changes it); velocity 0.
 *
 * ## Episode End
 * 1. Termination: position ≥ 0.5 (and velocity ≥ `goalVelocity`).
 * 2. Truncation: episode length 200.
 *
 * ## Arguments
 * `make('MountainCar-v0', { goalVelocity: 0 })`. `env.unwrapped.state` is `[position, velocity]`
 * (Float64Array, readable and writable).
 *
 * ## Version History
 * - v0: Initial versions release.
 */
export class MountainCarEnv extends ClassicControlEnv<number> {
  override metadata = { renderModes: [] as string[], renderFps: 30 };
  readonly minPosition = -1.2;
  readonly maxPosition = 0.6;
  readonly maxSpeed = 0.07;
  readonly goalPosition = 0.5;
  readonly goalVelocity: number;
  readonly force = 0.001;
  readonly gravity = 0.0025;
  readonly actionSpace = new Discrete(3);
  readonly observationSpace = new Box<Float32Array>([this.minPosition, -this.maxSpeed], [this.maxPosition, this.maxSpeed], [2], 'float32');

  constructor(kwargs: MountainCarKwargs = {}) {
    super(2, 'MountainCar'); // state = [position, velocity]
    validateKwargs('MountainCar', kwargs, MOUNTAIN_CAR_KWARGS);
    this.goalVelocity = kwargs.goalVelocity ?? 0;
    this.renderMode = kwargs.renderMode ?? null;
  }

  step(action: number): StepReturn<Float32Array> {
    if (!isDiscreteAction(action, 3)) {
      throw new InvalidAction(`MountainCar: action ${describeValue(action)} is not in the action space Discrete(3)`);
    }
    this.requireState();
    let position = this._state[0]!;
    let velocity = this._state[1]!;
    velocity += (action - 1) * this.force + cos(3 * position) * -this.gravity;
    velocity = Math.min(Math.max(velocity, -this.maxSpeed), this.maxSpeed);
    position += velocity;
    position = Math.min(Math.max(position, this.minPosition), this.maxPosition);
    if (position === this.minPosition && velocity < 0) velocity = 0;

    const terminated = position >= this.goalPosition && velocity >= this.goalVelocity;
    const reward = -1.0;
    this._state[0] = position;
    this._state[1] = velocity;
    return [Float32Array.of(position, velocity), reward, terminated, false, {}];
  }

  reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
    this.resetRng(args.seed);
    const [low, high] = maybeParseResetBounds(args.options, -0.6, -0.4);
    this._state[0] = this.npRandom.uniform(low, high);
    this._state[1] = 0;
    this.hasState = true;
    return [Float32Array.of(this._state[0]!, 0), {}];
  }
}
