import { Wrapper, type Env, type StepReturn } from '../core.js';
import { InvalidArgument } from '../errors.js';
import { Box, type BoxArray } from '../spaces/fundamental.js';

/**
 * Clips continuous actions to the env's Box bounds (Gymnasium `ClipAction`); the wrapper's
 * action space is the unbounded Box of the same shape and dtype.
 */
export class ClipAction<O = unknown> extends Wrapper<O, ArrayLike<number>> {
  private readonly box: Box;

  constructor(env: Env<O, ArrayLike<number>>) {
    super(env);
    if (!(env.actionSpace instanceof Box)) throw new InvalidArgument(`ClipAction needs a Box action space, got ${String(env.actionSpace)}`);
    this.box = env.actionSpace;
    this.actionSpace = new Box(-Infinity, Infinity, this.box.shape, this.box.dtype);
  }

  override step(action: ArrayLike<number>): StepReturn<O> {
    const clipped: BoxArray = this.box.zeros();
    for (let i = 0; i < this.box.size; i++) clipped[i] = Math.min(Math.max(action[i]!, this.box.low[i]!), this.box.high[i]!);
    return this.env.step(clipped);
  }
}
