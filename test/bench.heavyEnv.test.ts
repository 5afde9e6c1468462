/**
 * bench/HeavyCartPole-v1 (bench/heavyEnv.ts, bench:distributed's compute-heavy env) is CartPole-v1
 * step for step, only slower, and refuses a bad `work`.
 */
import * as assert from 'uvu/assert';
import { make } from '../envs/index.js';
import { HEAVY_ENV_ID } from '../bench/heavyEnv.js';
import { test } from './helpers.js';

test('it steps exactly as CartPole-v1, with its time limit', () => {
  const heavy = make(HEAVY_ENV_ID, { work: 100 });
  const plain = make('CartPole-v1');
  const [a] = heavy.reset({ seed: 3 });
  const [b] = plain.reset({ seed: 3 });
  assert.equal(Array.from(a as Float32Array), Array.from(b as Float32Array));
  for (let t = 0; t < 40; t++) {
    const action = t % 3 === 0 ? 1 : 0;
    const x = heavy.step(action);
    const y = plain.step(action);
    assert.equal([Array.from(x[0] as Float32Array), x[1], x[2], x[3]], [Array.from(y[0] as Float32Array), y[1], y[2], y[3]], `step ${t}`);
    if (x[2] || x[3]) break;
  }
  assert.is(heavy.spec?.maxEpisodeSteps, 500);
});

test('a work that is not a non-negative integer is refused, naming it', () => {
  for (const work of [-1, 1.5, Number.NaN]) assert.throws(() => make(HEAVY_ENV_ID, { work }), /work must be a non-negative integer/);
});

test.run();
