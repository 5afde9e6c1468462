/**
 * Registrations of the built-in envs, as in Gymnasium 1.x `gymnasium/envs/__init__.py`
 * (same ids, `maxEpisodeSteps` and `rewardThreshold`). Imported by `envs/index.ts`.
 */
import { AcrobotEnv } from './classic/acrobot.js';
import { CARTPOLE_V1_MAX_EPISODE_STEPS, CartPoleEnv } from './classic/cartpole.js';
import { CartPoleVectorEnv } from './classic/cartpoleVector.js';
import { MountainCarEnv } from './classic/mountainCar.js';
import { PendulumEnv } from './classic/pendulum.js';
import { register } from './registration.js';
import { CliffWalkingEnv } from './toyText/cliffWalking.js';
import { FrozenLakeEnv } from './toyText/frozenLake.js';
import { TaxiEnv } from './toyText/taxi.js';

/** Ids registered by nnlab/envs itself. */
export const BUILTIN_ENV_IDS = [
  'CartPole-v1',
  'MountainCar-v0',
  'Acrobot-v1',
  'Pendulum-v1',
  'FrozenLake-v1',
  'FrozenLake8x8-v1',
  'CliffWalking-v1',
  'CliffWalkingSlippery-v1',
  'Taxi-v4',
] as const;

register({
  id: 'CartPole-v1',
  entryPoint: CartPoleEnv,
  vectorEntryPoint: CartPoleVectorEnv.fromEntry,
  maxEpisodeSteps: CARTPOLE_V1_MAX_EPISODE_STEPS,
  rewardThreshold: 475.0,
});
register({ id: 'MountainCar-v0', entryPoint: MountainCarEnv, maxEpisodeSteps: 200, rewardThreshold: -110.0 });
register({ id: 'Acrobot-v1', entryPoint: AcrobotEnv, rewardThreshold: -100.0, maxEpisodeSteps: 500 });
register({ id: 'Pendulum-v1', entryPoint: PendulumEnv, maxEpisodeSteps: 200 });
register({ id: 'FrozenLake-v1', entryPoint: FrozenLakeEnv, kwargs: { mapName: '4x4' }, maxEpisodeSteps: 100, rewardThreshold: 0.7 });
register({ id: 'FrozenLake8x8-v1', entryPoint: FrozenLakeEnv, kwargs: { mapName: '8x8' }, maxEpisodeSteps: 200, rewardThreshold: 0.85 });
register({ id: 'CliffWalking-v1', entryPoint: CliffWalkingEnv });
register({ id: 'CliffWalkingSlippery-v1', entryPoint: CliffWalkingEnv, kwargs: { isSlippery: true } });
register({ id: 'Taxi-v4', entryPoint: TaxiEnv, rewardThreshold: 8, maxEpisodeSteps: 200 });
