import { ObservationWrapper, type Env } from '../core.js';
import type { Space } from '../spaces/space.js';
import { flatten, flattenSpace } from '../spaces/utils.js';

/**
 * Applies `fn` to every observation (Gymnasium `TransformObservation(env, func,
 * observation_space)`). The observation space of the results is always given (Gymnasium's
 * `None` keeps the old one: pass `env.observationSpace` for that), so its type is checked.
 */
export class TransformObservation<O = unknown, A = unknown, WO = O> extends ObservationWrapper<O, A, WO> {
  constructor(
    env: Env<O, A>,
    readonly fn: (obs: O) => WO,
    observationSpace: Space<WO>,
  ) {
    super(env, observationSpace);
  }

  observation(obs: O): WO {
    return this.fn(obs);
  }
}

/**
 * Flattens observations to a Float32Array (Gymnasium `FlattenObservation`): Discrete becomes
 * one-hot, composite spaces are concatenated; the observation space becomes `flattenSpace(...)`.
 */
export class FlattenObservation<O = unknown, A = unknown> extends TransformObservation<O, A, Float32Array> {
  constructor(env: Env<O, A>) {
    const space = env.observationSpace;
    super(env, (obs) => flatten(space, obs), flattenSpace(space));
  }
}
