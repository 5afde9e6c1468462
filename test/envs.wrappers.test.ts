import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import {
  Box,
  CartPoleEnv,
  ClipAction,
  Discrete,
  FlattenObservation,
  NormalizeObservation,
  NormalizeReward,
  PendulumEnv,
  RecordEpisodeStatistics,
  RunningMeanStd,
  TimeLimit,
  TransformObservation,
  logger,
  make,
  type EpisodeStatistics,
} from '../envs/index.js';

logger.level = 'error';

test('TimeLimit sets truncated on the limit step and leaves terminated alone', () => {
  const env = new TimeLimit(new CartPoleEnv(), 3);
  env.reset({ seed: 0 });
  assert.equal([env.step(0)[3], env.step(1)[3], env.step(0)[3]], [false, false, true]);
  assert.is(env.elapsedSteps, 3);
  env.reset();
  assert.is(env.elapsedSteps, 0);
});

test('RecordEpisodeStatistics adds info.episode = { r, l, t } at episode end', () => {
  const env = new RecordEpisodeStatistics(make('CartPole-v1', {}, { maxEpisodeSteps: 7 }));
  env.reset({ seed: 0 });
  let info: Record<string, unknown> = {};
  for (let i = 0; i < 7; i++) {
    (env.unwrapped as CartPoleEnv).state = [0, 0, 0, 0];
    info = env.step(i % 2)[4];
    if (i < 6) assert.not.ok('episode' in info);
  }
  const ep = info['episode'] as EpisodeStatistics;
  assert.is(ep.r, 7);
  assert.is(ep.l, 7);
  assert.ok(ep.t >= 0 && ep.t < 5);
  assert.equal(env.returnQueue, [7]);
  assert.equal(env.lengthQueue, [7]);
});

test('ClipAction clips to the Box and widens the action space', () => {
  const env = new ClipAction(new PendulumEnv());
  assert.ok((env.actionSpace as Box).contains([100]));
  env.reset({ seed: 0 });
  (env.unwrapped as PendulumEnv).state = [0.5, 1.0];
  const [, r] = env.step([5]);
  assert.is(r, -(0.25 + 0.1 + Math.fround(Math.fround(0.001) * 4))); // torque clipped to 2
});

test('RunningMeanStd matches the parallel-variance formulas', () => {
  const rms = new RunningMeanStd(1, 1e-4);
  rms.update([2]);
  // count 1e-4 → 1.0001; mean = 0 + 2·1/1.0001; var = (1·1e-4 + 0 + 4·1e-4·1/1.0001)/1.0001
  assert.ok(Math.abs(rms.mean[0]! - 2 / 1.0001) < 1e-15);
  assert.ok(Math.abs(rms.var[0]! - (1e-4 + (4 * 1e-4) / 1.0001) / 1.0001) < 1e-15);
  const batch = new RunningMeanStd(2, 0);
  batch.update([1, 10, 3, 30], 2);
  assert.equal(Array.from(batch.mean), [2, 20]);
  assert.equal(Array.from(batch.var), [1, 100]);
});

test('NormalizeObservation standardizes with running statistics; NormalizeReward scales by return std', () => {
  const env = new NormalizeObservation(new CartPoleEnv());
  const [o] = env.reset({ seed: 0 });
  assert.ok(o instanceof Float32Array);
  // After one update from (mean 0, var 1, count 1e-4): (x − mean)/sqrt(var + 1e-8) is ~0.
  for (const v of o) assert.ok(Math.abs(v) < 0.02);
  for (let i = 0; i < 200; i++) {
    const [, , te, tr] = env.step(i % 2);
    if (te || tr) env.reset();
  }
  assert.ok(env.obsRms.count > 200);
  const rew = new NormalizeReward(new CartPoleEnv(), 0.99);
  rew.reset({ seed: 0 });
  const [, r1] = rew.step(0);
  // G = 1; RMS after one update: var = (1e-4 + (1·1e-4)/1.0001)/1.0001
  const v = (1e-4 + 1e-4 / 1.0001) / 1.0001;
  assert.ok(Math.abs(r1 - 1 / Math.sqrt(v + 1e-8)) < 1e-9);
});

test('TransformObservation and FlattenObservation', () => {
  const t = new TransformObservation(new CartPoleEnv(), (o: Float32Array) => o.map((v) => v * 2), new Box(-Infinity, Infinity, [4]));
  const base = new CartPoleEnv();
  const [a] = t.reset({ seed: 4 });
  const [b] = base.reset({ seed: 4 });
  assert.equal(Array.from(a), Array.from(b).map((v) => Math.fround(v * 2)));
  const flat = new FlattenObservation(make('FrozenLake-v1'));
  const [o] = flat.reset({ seed: 0 });
  assert.is(o.length, 16);
  assert.is(o[0], 1);
  assert.ok(flat.observationSpace.contains(o));
  assert.ok(!(flat.observationSpace instanceof Discrete));
});

test.run();
