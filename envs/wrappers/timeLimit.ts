import { Wrapper, type Env, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidArgument, type EnvError } from '../errors.js';
import { describeValue } from '../../base/plainData.js';

/** How checkMaxEpisodeSteps reports a bad limit. */
export interface MaxEpisodeStepsCheck {
  /** Whether null (no limit) is allowed: a spec's and a batched env's limit, not TimeLimit's. */
  nullable: boolean;
  /** The error class thrown (InvalidArgument; `register` throws a RegistrationError). */
  error?: new (message: string) => EnvError;
}

/**
 * The one rule of an episode's step limit (TimeLimit's, a registered spec's, a batched env's such as
 * CartPoleVectorEnv's, which truncates itself): a positive safe integer, or null for none where
 * `nullable`. 0 would truncate every step and 2.5 would truncate after 3, so both are refused,
 * naming `where`. Returns the value.
 */
export function checkMaxEpisodeSteps<V extends number | null>(where: string, value: V, check: MaxEpisodeStepsCheck): V {
  const v: number | null = value;
  if (v === null ? !check.nullable : !Number.isSafeInteger(v) || v <= 0) {
    const ErrorClass = check.error ?? InvalidArgument;
    throw new ErrorClass(`${where}: maxEpisodeSteps must be a positive integer${check.nullable ? ' or null' : ''}, got ${describeValue(value)}`);
  }
  return value;
}

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
    checkMaxEpisodeSteps('TimeLimit', maxEpisodeSteps, { nullable: false });
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
