import { Wrapper, type Env, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import type { Space } from '../spaces/space.js';
import { flatten, flattenSpace } from '../spaces/utils.js';

/**
 * Applies `fn` to every observation (Gymnasium `TransformObservation(env, func,
 * observation_space)`); give the new observation space when `fn` changes it.
 */
export class TransformObservation<O = unknown, A = unknown, WO = O> extends Wrapper<O, A, WO, A> {
  constructor(
    env: Env<O, A>,
    readonly fn: (obs: O) => WO,
    observationSpace?: Space<WO>,
  ) {
    super(env);
    if (observationSpace !== undefined) this.observationSpace = observationSpace;
  }

  override step(action: A): StepReturn<WO> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    return [this.fn(obs), reward, terminated, truncated, info];
  }

  override reset(args?: ResetArgs): ResetReturn<WO> {
    const [obs, info] = this.env.reset(args);
    return [this.fn(obs), info];
  }
}

/**
 * Flattens observations to a Float32Array (Gymnasium `FlattenObservation`): Discrete becomes
 * one-hot, composite spaces are concatenated; the observation space becomes `flattenSpace(...)`.
 */
export class FlattenObservation<O = unknown, A = unknown> extends TransformObservation<O, A, Float32Array> {
  constructor(env: Env<O, A>) {
    const space = env.observationSpace;
    super(env, (obs) => flatten(space, obs), flattenSpace(space) as Space<Float32Array>);
  }
}
