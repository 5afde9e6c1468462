import * as assert from 'uvu/assert';
import { ReplayBuffer } from '../core/replay.js';
import { Rng } from '../base/rng.js';
import { decode, encode } from '../core/tensors.js';
import { checkData, replayStateSchema } from '../core/stateFile.js';
import { test } from './helpers.js';

test('replay buffer wraps around: capacity 3 after 5 adds holds transitions 2, 3, 4', () => {
  const buf = new ReplayBuffer({ capacity: 3, obsDim: 2 });
  for (let i = 0; i < 5; i++) buf.add([i, -i], i % 2, i * 10, [i + 1, -i - 1], i === 4);
  assert.is(buf.size, 3);
  const seen = new Set<number>();
  const batch = buf.sample(200, new Rng(1));
  for (let k = 0; k < batch.size; k++) {
    const i = batch.obs[k * 2]!;
    seen.add(i);
    // every field of a row belongs to the same transition
    assert.is(batch.obs[k * 2 + 1], -i);
    assert.is(batch.rewards[k], i * 10);
    assert.is(batch.nextObs[k * 2], i + 1);
    assert.is(batch.actions[k], i % 2);
    assert.is(batch.terminated[k], i === 4 ? 1 : 0);
  }
  assert.equal([...seen].sort(), [2, 3, 4]);
});

test('sampling is reproducible from the Rng seed and reuses the out batch', () => {
  const buf = new ReplayBuffer({ capacity: 100, obsDim: 1 });
  for (let i = 0; i < 100; i++) buf.add([i], 0, 0, [i], false);
  const a = buf.sample(16, new Rng(7));
  const out = buf.allocBatch(16);
  const b = buf.sample(16, new Rng(7), out);
  assert.is(b, out);
  assert.equal([...b.obs], [...a.obs]);
  assert.not.equal([...buf.sample(16, new Rng(8)).obs], [...a.obs]);
});

test('replay state survives a msgpack round trip and continues identically', () => {
  const buf = new ReplayBuffer({ capacity: 4, obsDim: 1, actionDim: 2, actionType: 'continuous' });
  for (let i = 0; i < 6; i++) buf.add([i], [i / 2, -i / 2], i, [i + 1], false);
  const copy = ReplayBuffer.fromState(checkData(replayStateSchema, decode(encode(buf.getState())), 'the round trip'));
  buf.add([9], [1, 1], 9, [10], true);
  copy.add([9], [1, 1], 9, [10], true);
  assert.equal([...copy.sample(8, new Rng(3)).actions], [...buf.sample(8, new Rng(3)).actions]);
});

test('replay rejects bad configs and wrong-sized transitions', () => {
  assert.throws(() => new ReplayBuffer({ capacity: 0, obsDim: 1 }), /'capacity' must be a positive integer, got 0/);
  const buf = new ReplayBuffer({ capacity: 2, obsDim: 3 });
  assert.throws(() => buf.add([1, 2], 0, 0, [1, 2, 3], false), /must have 3 numbers, got 2/);
  assert.throws(() => buf.sample(1, new Rng(1)), /empty/);
  // a batch of transitions: each env's actionDim actions, and arrays that must agree with the rewards
  const cont = new ReplayBuffer({ capacity: 4, obsDim: 1, actionDim: 2, actionType: 'continuous' });
  cont.addBatch(Float32Array.of(1, 2), [0.5, -0.5, 0.25, 0.75], [1, 2], Float32Array.of(3, 4), [0, 1]);
  const b = cont.sample(2, new Rng(1));
  for (let k = 0; k < 2; k++) {
    const env = b.obs[k]! - 1; // obs 1 was env 0's, obs 2 env 1's
    assert.equal(Array.from(b.actions.subarray(2 * k, 2 * k + 2)), env === 0 ? [0.5, -0.5] : [0.25, 0.75]);
  }
  assert.throws(() => cont.addBatch(Float32Array.of(1, 2), [0.5, -0.5, 0.25], [1, 2], Float32Array.of(3, 4), [0, 1]), /addBatch: 2 rewards need 4 actions \(2 each\) and 2 terminated flags, got 3 and 2/);
  assert.throws(() => buf.addBatch(Float32Array.of(1, 2, 3), [], [1], Float32Array.of(1, 2, 3), [0]), /addBatch: 1 rewards need 1 actions \(1 each\) and 1 terminated flags, got 0 and 1/);
});

test.run();
