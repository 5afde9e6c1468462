import { Wrapper, type Env, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidArgument } from '../errors.js';

/**
 * Truncates episodes after `maxEpisodeSteps` steps (Gymnasium `TimeLimit`): the step that reaches
 * the limit returns `truncated = true` (`terminated` is left as the env returned it).
 */
export class TimeLimit<O = unknown, A = unknown> extends Wrapper<O, A> {
  /** Steps taken since the last reset. */
  elapsedSteps: number | null = null;

  constructor(
    env: Env<O, A>,
    readonly maxEpisodeSteps: number,
  ) {
    super(env);
    if (!Number.isSafeInteger(maxEpisodeSteps) || maxEpisodeSteps <= 0) {
      throw new InvalidArgument(`TimeLimit: maxEpisodeSteps must be a positive integer, got ${maxEpisodeSteps}`);
    }
  }

  override step(action: A): StepReturn<O> {
    const result = this.env.step(action);
    this.elapsedSteps = (this.elapsedSteps ?? 0) + 1;
    if (this.elapsedSteps >= this.maxEpisodeSteps) result[3] = true;
    return result;
  }

  override reset(args?: ResetArgs): ResetReturn<O> {
    this.elapsedSteps = 0;
    return this.env.reset(args);
  }
}
