/**
 * A DQN checkpoint holds the replay buffer: only its filled rows are saved, so 5k transitions in
 * a 100k buffer make a checkpoint of 5k rows; old checkpoints holding every row still load.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ReplayBuffer, type ReplayState } from '../core/replay.js';
import { z } from 'zod';
import { replayStateSchema } from '../core/stateFile.js';
import { Rng } from '../base/rng.js';
import { saveCheckpoint, loadCheckpoint } from '../core/checkpoint.js';

/** A CartPole-sized buffer (obsDim 4) after `steps` transitions from a fixed seed. */
function filled(steps: number, capacity = 100_000): ReplayBuffer {
  const buf = new ReplayBuffer({ capacity, obsDim: 4 });
  const rng = new Rng(5);
  for (let i = 0; i < steps; i++) {
    const obs = [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()];
    buf.add(obs, rng.int(2), 1, obs.map((x) => x + 0.01), rng.uniform() < 0.05);
  }
  return buf;
}

// bytes of one transition: obs and nextObs (4 float32 each), an int32 action, a float32 reward, a flag
const ROW_BYTES = 4 * 4 * 2 + 4 + 4 + 1;

test('a checkpoint of a 100k replay buffer after 5k steps holds 5k rows, and restores them exactly', async () => {
  const buf = filled(5000);
  const state = buf.getState();
  assert.is(state.obs.length, 5000 * 4);
  assert.is(state.rewards.length, 5000);
  const root = mkdtempSync(path.join(os.tmpdir(), 'nnlab-replay-'));
  try {
    const dir = await saveCheckpoint(root, { state: { replay: state } }, { step: 5000 });
    const bytes = statSync(path.join(dir, 'state.msgpack')).size;
    assert.ok(bytes >= 5000 * ROW_BYTES && bytes < 5000 * ROW_BYTES + 4096, `state.msgpack is ${bytes} bytes; 5000 rows are ${5000 * ROW_BYTES}`);
    const loaded = await loadCheckpoint(root, { state: z.object({ replay: replayStateSchema }) });
    const copy = ReplayBuffer.fromState(loaded.state.replay);
    assert.is(copy.size, 5000);
    assert.equal([...copy.sample(64, new Rng(1)).obs], [...buf.sample(64, new Rng(1)).obs]);
    copy.add([1, 2, 3, 4], 1, 2, [1, 2, 3, 4], true);
    buf.add([1, 2, 3, 4], 1, 2, [1, 2, 3, 4], true);
    assert.equal([...copy.sample(64, new Rng(2)).rewards], [...buf.sample(64, new Rng(2)).rewards]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a full buffer saves every row (the ring has wrapped), and an old full-capacity state of a partial buffer loads', () => {
  const full = filled(130, 100);
  const s = full.getState();
  assert.is(s.size, 100);
  assert.is(s.pos, 30);
  assert.is(s.rewards.length, 100);
  const copy = ReplayBuffer.fromState(s);
  assert.equal([...copy.sample(32, new Rng(3)).obs], [...full.sample(32, new Rng(3)).obs]);

  // what getState wrote before: all `capacity` rows, the unfilled ones zero
  const partial = filled(40, 100);
  const trimmed = partial.getState();
  const pad = <T extends Float32Array | Int32Array | Uint8Array>(a: T, n: number): T => {
    const out = new (a.constructor as new (n: number) => T)(n);
    out.set(a);
    return out;
  };
  const legacy: ReplayState = { ...trimmed, obs: pad(trimmed.obs, 400), nextObs: pad(trimmed.nextObs, 400), actions: pad(trimmed.actions, 100), rewards: pad(trimmed.rewards, 100), terminated: pad(trimmed.terminated, 100) };
  const fromLegacy = ReplayBuffer.fromState(legacy);
  assert.is(fromLegacy.size, 40);
  assert.equal([...fromLegacy.sample(32, new Rng(4)).obs], [...partial.sample(32, new Rng(4)).obs]);

  assert.throws(() => ReplayBuffer.fromState({ ...trimmed, rewards: trimmed.rewards.slice(0, 10) }), /array sizes do not match/);
  assert.throws(() => ReplayBuffer.fromState({ ...trimmed, size: 101 }), /do not fit capacity 100/);
});

test.run();
