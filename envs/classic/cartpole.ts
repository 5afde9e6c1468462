import { type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidAction } from '../errors.js';
import { ClassicControlEnv } from './classicEnv.js';
import { Box, Discrete } from '../spaces/fundamental.js';
import { logger } from '../utils/logger.js';
import { describeValue } from '../../base/plainData.js';
import { is, validateKwargs } from '../utils/kwargs.js';
import { maybeParseResetBounds } from './utils.js';

/** Keyword arguments of CartPole (Gymnasium's names in camelCase). */
export interface CartPoleKwargs {
  /** Reward 0 per non-terminal step and −1 on termination (Sutton & Barto's original). Default false. */
  suttonBartoReward?: boolean;
  /** Only `null` (no rendering) is supported. */
  renderMode?: string | null;
}

export const CARTPOLE_KWARGS = {
  suttonBartoReward: is.boolean,
  renderMode: is.renderMode(),
} as const;

/** CartPole-v1's step limit (Gymnasium's): its registered spec's (envs/builtins.ts) and the batched kernel's default when constructed directly. */
export const CARTPOLE_V1_MAX_EPISODE_STEPS = 500;

/**
 * Classic cart-pole system implemented by Rich Sutton et al., ported line by line from
 * Gymnasium 1.x `gymnasium/envs/classic_control/cartpole.py` (CartPole-v1).
 *
 * ## Description
 * This environment corresponds to the version of the cart-pole problem described by Barto,
 * Sutton, and Anderson in "Neuronlike Adaptive Elements That Can Solve Difficult Learning Control
 * Problem". A pole is attached by an un-actuated joint to a cart, which moves along a frictionless
 * track. The pendulum is placed upright on the cart and the goal is to balance the pole by
 * applying forces in the left and right direction on the cart.
 *
 * ## Action Space
 * `Discrete(2)`: 0 pushes the cart to the left, 1 to the right (force `forceMag` = 10 N).
 *
 * ## Observation Space
 * A Float32Array of shape (4,):
 *
 * | Num | Observation           | Min                 | Max               |
 * |-----|-----------------------|---------------------|-------------------|
 * | 0   | Cart Position         | -4.8                | 4.8               |
 * | 1   | Cart Velocity         | -Inf                | Inf               |
 * | 2   | Pole Angle            | ~ -0.418 rad (-24°) | ~ 0.418 rad (24°) |
 * | 3   | Pole Angular Velocity | -Inf                | Inf               |
 *
 * The episode terminates well inside these bounds: |x| > 2.4 or |theta| > 12°.
 *
 * ## Rewards
 * +1 for every step taken, including the termination step (threshold 475 for v1). With
 * `suttonBartoReward: true`, 0 for every non-terminating step and −1 on termination.
 *
 * ## Starting State
 * All four state variables uniform in (−0.05, 0.05); `reset({ options: { low, high } })`
 * changes the bounds.
 *
 * ## Episode End
 * 1. Termination: pole angle greater than ±12° (`thetaThresholdRadians`).
 * 2. Termination: cart position greater than ±2.4 (`xThreshold`).
 * 3. Truncation: episode length greater than 500 (TimeLimit added by `make`).
 *
 * ## Arguments
 * `make('CartPole-v1', { suttonBartoReward: false })`. The state is `env.unwrapped.state`
 * (Float64Array `[x, xDot, theta, thetaDot]`, readable and writable); dynamics run in float64 and
 * the observation is `Float32Array.of(...state)`, as Gymnasium's `np.array(state, dtype=float32)`.
 * `kinematicsIntegrator` may be set to `'semi-implicit euler'` on the unwrapped env.
 *
 * ## Version History
 * - v1: `maxEpisodeSteps` raised to 500. In Gymnasium 1.0.0a2 the `sutton_barto_reward` argument
 *   was added.
 * - v0: Initial versions release.
 */
export class CartPoleEnv extends ClassicControlEnv<number> {
  override metadata = { renderModes: [] as string[], renderFps: 50 };
  readonly gravity = 9.8;
  readonly masscart = 1.0;
  readonly masspole = 0.1;
  readonly totalMass = this.masspole + this.masscart;
  /** Actually half the pole's length. */
  readonly length = 0.5;
  readonly polemassLength = this.masspole * this.length;
  readonly forceMag = 10.0;
  /** Seconds between state updates. */
  readonly tau = 0.02;
  kinematicsIntegrator: 'euler' | 'semi-implicit euler' = 'euler';
  /** Angle at which to fail the episode. */
  readonly thetaThresholdRadians = (12 * 2 * Math.PI) / 360;
  readonly xThreshold = 2.4;
  readonly suttonBartoReward: boolean;

  readonly actionSpace = new Discrete(2);
  readonly observationSpace: Box<Float32Array>;

  stepsBeyondTerminated: number | null = null;

  constructor(kwargs: CartPoleKwargs = {}) {
    super(4, 'CartPole'); // state = [x, xDot, theta, thetaDot]
    validateKwargs('CartPole', kwargs, CARTPOLE_KWARGS);
    this.suttonBartoReward = kwargs.suttonBartoReward ?? false;
    this.renderMode = kwargs.renderMode ?? null;
    // Angle limit set to 2 * thetaThresholdRadians so a failing observation is still within bounds.
    const high = [this.xThreshold * 2, Infinity, this.thetaThresholdRadians * 2, Infinity];
    this.observationSpace = new Box<Float32Array>(
      high.map((h) => -h),
      high,
      [4],
      'float32',
    );
  }

  step(action: number): StepReturn<Float32Array> {
    if (action !== 0 && action !== 1) {
      throw new InvalidAction(`CartPole: action ${describeValue(action)} is not in the action space Discrete(2) (0 = push left, 1 = push right)`);
    }
    this.requireState();
    const s = this._state;
    let x = s[0]!;
    let xDot = s[1]!;
    let theta = s[2]!;
    let thetaDot = s[3]!;
    const force = action === 1 ? this.forceMag : -this.forceMag;
    const costheta = Math.cos(theta);
    const sintheta = Math.sin(theta);

    // https://coneural.org/florian/papers/05_cart_pole.pdf
    const temp = (force + this.polemassLength * (thetaDot * thetaDot) * sintheta) / this.totalMass;
    const thetaacc =
      (this.gravity * sintheta - costheta * temp) /
      (this.length * (4.0 / 3.0 - (this.masspole * (costheta * costheta)) / this.totalMass));
    const xacc = temp - (this.polemassLength * thetaacc * costheta) / this.totalMass;

    if (this.kinematicsIntegrator === 'euler') {
      x = x + this.tau * xDot;
      xDot = xDot + this.tau * xacc;
      theta = theta + this.tau * thetaDot;
      thetaDot = thetaDot + this.tau * thetaacc;
    } else {
      // semi-implicit euler
      xDot = xDot + this.tau * xacc;
      x = x + this.tau * xDot;
      thetaDot = thetaDot + this.tau * thetaacc;
      theta = theta + this.tau * thetaDot;
    }
    s[0] = x;
    s[1] = xDot;
    s[2] = theta;
    s[3] = thetaDot;

    const terminated =
      x < -this.xThreshold || x > this.xThreshold || theta < -this.thetaThresholdRadians || theta > this.thetaThresholdRadians;

    let reward: number;
    if (!terminated) {
      reward = this.suttonBartoReward ? 0.0 : 1.0;
    } else if (this.stepsBeyondTerminated === null) {
      // Pole just fell!
      this.stepsBeyondTerminated = 0;
      reward = this.suttonBartoReward ? -1.0 : 1.0;
    } else {
      if (this.stepsBeyondTerminated === 0) {
        logger.warn(
          "You are calling 'step()' even though this environment has already returned terminated = True. " +
            "You should always call 'reset()' once you receive 'terminated = True' -- any further steps are undefined behavior.",
        );
      }
      this.stepsBeyondTerminated += 1;
      reward = this.suttonBartoReward ? -1.0 : 0.0;
    }
    return [Float32Array.of(x, xDot, theta, thetaDot), reward, terminated, false, {}];
  }

  reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
    this.resetRng(args.seed);
    const [low, high] = maybeParseResetBounds(args.options, -0.05, 0.05);
    const rng = this.npRandom;
    const s = this._state;
    for (let i = 0; i < 4; i++) s[i] = rng.uniform(low, high);
    this.hasState = true;
    this.stepsBeyondTerminated = null;
    return [Float32Array.of(s[0]!, s[1]!, s[2]!, s[3]!), {}];
  }
}
