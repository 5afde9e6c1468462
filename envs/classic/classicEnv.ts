import { BaseEnv } from '../core.js';
import { ResetNeeded } from '../errors.js';

/**
 * What the classic-control envs share: the physical state as a float64 vector, exposed as
 * `unwrapped.state` (readable and writable, Gymnasium's order and units; null before the first
 * reset), and the "call reset before step" check.
 */
export abstract class ClassicControlEnv<A> extends BaseEnv<Float32Array, A> {
  protected readonly _state: Float64Array;
  protected hasState = false;

  constructor(
    stateSize: number,
    private readonly envName: string,
  ) {
    super();
    this._state = new Float64Array(stateSize);
  }

  /** The state (float64, live view), or null before the first reset. */
  get state(): Float64Array | null {
    return this.hasState ? this._state : null;
  }

  set state(s: ArrayLike<number> | null) {
    if (s === null) {
      this.hasState = false;
      return;
    }
    if (s.length !== this._state.length) throw new RangeError(`${this.envName} state must have ${this._state.length} elements, got ${s.length}`);
    this._state.set(s);
    this.hasState = true;
  }

  /** Gymnasium's `assert self.state is not None, "Call reset before using step method."`. */
  protected requireState(): Float64Array {
    if (!this.hasState) throw new ResetNeeded(`${this.envName}: call reset before using step method.`);
    return this._state;
  }
}
