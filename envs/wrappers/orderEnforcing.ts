import { Wrapper, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { ResetNeeded } from '../errors.js';

/**
 * Fails loudly on misuse (Gymnasium `OrderEnforcing`): `step` before the first `reset` throws
 * `ResetNeeded`. nnlab also throws when `step` is called after the env returned
 * `terminated = true` without a `reset` in between (Gymnasium only warns; the MDP has ended, so
 * further steps are undefined behaviour). Truncated episodes may be continued, as in Gymnasium.
 */
export class OrderEnforcing<O = unknown, A = unknown> extends Wrapper<O, A> {
  hasReset = false;
  private terminated = false;

  override step(action: A): StepReturn<O> {
    if (!this.hasReset) throw new ResetNeeded('Cannot call env.step() before calling env.reset()');
    if (this.terminated) {
      throw new ResetNeeded('Cannot call env.step() after the episode terminated (terminated = true); call env.reset() first');
    }
    const result = this.env.step(action);
    this.terminated = result[2];
    return result;
  }

  override reset(args?: ResetArgs): ResetReturn<O> {
    this.hasReset = true;
    this.terminated = false;
    return this.env.reset(args);
  }

  override render(): unknown {
    if (!this.hasReset) throw new ResetNeeded('Cannot call env.render() before calling env.reset()');
    return this.env.render?.();
  }
}
