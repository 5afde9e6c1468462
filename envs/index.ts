/**
 * nnlab/envs — Gymnasium-exact environments, spaces, registry, wrappers, vector envs and the env
 * checker. Importing this module registers the built-in envs:
 * CartPole-v1, MountainCar-v0, Acrobot-v1, Pendulum-v1, FrozenLake-v1, FrozenLake8x8-v1,
 * CliffWalking-v1, CliffWalkingSlippery-v1, Taxi-v4.
 *
 * ```ts
 * import { make, makeVec, makeAsync } from 'nnlab/envs';
 * const env = make('CartPole-v1');                       // TimeLimit<OrderEnforcing<PassiveEnvChecker<CartPoleEnv>>>
 * let [obs, info] = env.reset({ seed: 42 });
 * const [obs2, reward, terminated, truncated] = env.step(1);
 * const vec = makeVec('CartPole-v1', { numEnvs: 1024 }); // batched kernel, next-step autoreset
 * const custom = await makeAsync('./my_env.js:MyEnv-v0'); // imports the module, which registers MyEnv-v0
 * ```
 */
export * from './errors.js';
export { BaseEnv, Wrapper, WrapperBase, ObservationWrapper, hasSpaces, withSpaces, type Env, type EnvSpec, type EnvCreator, type EnvMetadata, type Info, type ResetArgs, type ResetReturn, type StepReturn, type VectorEntryOptions, type VectorEnvCreator } from './core.js';
export * from './spaces/index.js';
export {
  register,
  unregister,
  make,
  makeAsync,
  spec,
  registry,
  registeredIds,
  parseEnvId,
  getEnvId,
  splitModuleRef,
  resolveModuleSpecifier,
  importEnvModule,
  resolveSpecAsync,
  resolveSpecSync,
  type RegisterArgs,
  type MakeOptions,
} from './registration.js';
export * from './wrappers/index.js';
export * from './vector/index.js';
export { checkEnv, deepEqual, type CheckEnvOptions, type CheckEnvReport } from './checker.js';
export { validateKwargs, is as kwargCheck, type KwargsSchema, type KwargCheck } from './utils/kwargs.js';
export { logger } from './utils/logger.js';
export { CartPoleEnv, type CartPoleKwargs } from './classic/cartpole.js';
export { CartPoleVectorEnv, type CartPoleVectorOptions } from './classic/cartpoleVector.js';
export { MountainCarEnv, type MountainCarKwargs } from './classic/mountainCar.js';
export { AcrobotEnv, type AcrobotKwargs } from './classic/acrobot.js';
export { PendulumEnv, angleNormalize, type PendulumKwargs } from './classic/pendulum.js';
export { FrozenLakeEnv, FROZEN_LAKE_MAPS, generateRandomMap, isValidMap, type FrozenLakeKwargs } from './toyText/frozenLake.js';
export { CliffWalkingEnv, type CliffWalkingKwargs } from './toyText/cliffWalking.js';
export { TaxiEnv, TAXI_MAP, type TaxiKwargs } from './toyText/taxi.js';
export { categoricalSample, colorize, type Transition, type TransitionTable } from './toyText/utils.js';
export { BUILTIN_ENV_IDS } from './builtins.js';
export { snapshotState, restoreState, type StateTree } from './snapshot.js';
export { NpGenerator, npRandom, type IntDtype } from './utils/npGenerator.js';
export { PCG64, SeedSequence, type PCG64State } from './utils/pcg64.js';
