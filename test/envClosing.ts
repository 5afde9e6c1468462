/**
 * Envs that count their close() calls, for tests that check their code closes the env it made.
 * Apart from test/helpers.ts so that only the tests that use them load the env registry.
 */
import { make, register } from '../envs/index.js';

/**
 * Registers `prefix`Cliff-v0 (CliffWalking) and `prefix`CartPole-v0 (CartPole: Box observations,
 * which a tabular agent refuses), each counting how often an env it made is closed: how a test
 * sees that its code closes the env it made, whether training ends or fails.
 */
export function closeCountingEnvs(prefix: string): { cliff: string; cartPole: string; closes: () => number } {
  let closes = 0;
  const counted = (id: string) => () => {
    const env = make(id);
    const close = env.close.bind(env);
    env.close = () => {
      closes++;
      close();
    };
    return env;
  };
  const ids = { cliff: `${prefix}Cliff-v0`, cartPole: `${prefix}CartPole-v0` };
  register({ id: ids.cliff, entryPoint: counted('CliffWalking-v1') });
  register({ id: ids.cartPole, entryPoint: counted('CartPole-v1') });
  return { ...ids, closes: () => closes };
}
