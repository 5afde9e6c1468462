import { EnvError } from '../errors.js';
import { make } from '../registration.js';
import type { Space } from '../spaces/space.js';
import { batchDim } from './syncVectorEnv.js';
import { errorMessage } from '../../base/plainData.js';

/** What a learner sizes itself by, read from one instance of an env (`probeEnv`). */
export interface EnvProbe {
  /** Floats per observation in a batch row (`batchDim`: 1 for Discrete, the flat size for Tuple and Dict). */
  obsDim: number;
  observationSpace: Space<unknown>;
  actionSpace: Space<unknown>;
}

/**
 * Makes `id` once, reads its observation size and its spaces, and closes it: the one probe every
 * trainer, driver and validator sizes itself by, so that they agree with the rows vector envs
 * write. An env that cannot be made is an `EnvError` naming the id (the original error as its
 * `cause`).
 */
export function probeEnv(id: string, kwargs: Record<string, unknown> = {}): EnvProbe {
  let env;
  try {
    env = make(id, kwargs);
  } catch (e) {
    throw new EnvError(`cannot make the env '${id}' to read its observation size and action space: ${errorMessage(e)}`, { cause: e });
  }
  try {
    const { observationSpace, actionSpace } = env;
    return { obsDim: batchDim(observationSpace), observationSpace, actionSpace };
  } finally {
    env.close();
  }
}
