import { Wrapper, type Env, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { EnvCheckError, InvalidAction } from '../errors.js';
import { Box } from '../spaces/fundamental.js';
import { isSpace } from '../spaces/space.js';
import { isNumberList } from '../../base/typedArray.js';
import { describeValue } from '../../base/plainData.js';
import { logger } from '../utils/logger.js';

/** Throws EnvCheckError unless `result` has the `[obs, info]` shape. */
export function checkResetReturn(result: unknown, who: string): void {
  if (!Array.isArray(result) || result.length !== 2) {
    throw new EnvCheckError(`${who}: reset() must return [obs, info], got ${describeValue(result)}`);
  }
  const info = result[1];
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new EnvCheckError(`${who}: reset() info must be a plain object, got ${describeValue(info)}`);
  }
}

/** Throws EnvCheckError unless `result` has the `[obs, reward, terminated, truncated, info]` shape and types. */
export function checkStepReturn(result: unknown, who: string): void {
  if (!Array.isArray(result) || result.length !== 5) {
    throw new EnvCheckError(`${who}: step() must return [obs, reward, terminated, truncated, info], got ${describeValue(result)}`);
  }
  const [, reward, terminated, truncated, info] = result;
  if (typeof reward !== 'number') throw new EnvCheckError(`${who}: step() reward must be a number, got ${describeValue(reward)}`);
  if (typeof terminated !== 'boolean') throw new EnvCheckError(`${who}: step() terminated must be a boolean, got ${describeValue(terminated)}`);
  if (typeof truncated !== 'boolean') throw new EnvCheckError(`${who}: step() truncated must be a boolean, got ${describeValue(truncated)}`);
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new EnvCheckError(`${who}: step() info must be a plain object, got ${describeValue(info)}`);
  }
}

/**
 * Gymnasium's `PassiveEnvChecker`: checks the spaces at construction and the first `reset` /
 * `step` results (types throw; an observation outside the space or a non-finite reward warns).
 * nnlab additionally validates every action of a non-Box action space (an action outside the
 * space throws `InvalidAction`), and the length / finiteness of Box actions.
 */
export class PassiveEnvChecker<O = unknown, A = unknown> extends Wrapper<O, A> {
  private checkedReset = false;
  private checkedStep = false;
  private readonly name: string;

  constructor(env: Env<O, A>) {
    super(env);
    this.name = env.spec?.id ?? String(env.unwrapped?.constructor?.name ?? 'env');
    if (!isSpace(env.actionSpace)) throw new EnvCheckError(`${this.name}: actionSpace must be a Space, got ${describeValue(env.actionSpace)}`);
    if (!isSpace(env.observationSpace)) {
      throw new EnvCheckError(`${this.name}: observationSpace must be a Space, got ${describeValue(env.observationSpace)}`);
    }
  }

  override step(action: A): StepReturn<O> {
    const space = this.env.actionSpace;
    if (space instanceof Box) {
      if (!isNumberList(action) || action.length !== space.size || Array.prototype.some.call(action, (v: number) => Number.isNaN(v))) {
        throw new InvalidAction(`${this.name}: action ${describeValue(action)} is not in the action space ${space.toString()}`);
      }
    } else if (!space.contains(action)) {
      throw new InvalidAction(`${this.name}: action ${describeValue(action)} is not in the action space ${space.toString()}`);
    }
    const result = this.env.step(action);
    if (!this.checkedStep) {
      this.checkedStep = true;
      checkStepReturn(result, this.name);
      if (!this.env.observationSpace.contains(result[0])) logger.warn(`${this.name}: the observation returned by step() is not within the observation space.`);
      if (!Number.isFinite(result[1])) logger.warn(`${this.name}: step() returned a non-finite reward ${result[1]}.`);
    }
    return result;
  }

  override reset(args?: ResetArgs): ResetReturn<O> {
    const result = this.env.reset(args);
    if (!this.checkedReset) {
      this.checkedReset = true;
      checkResetReturn(result, this.name);
      if (!this.env.observationSpace.contains(result[0])) logger.warn(`${this.name}: the observation returned by reset() is not within the observation space.`);
    }
    return result;
  }
}
