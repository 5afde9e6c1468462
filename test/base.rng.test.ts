import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { Rng, checkSeed, foldSeed32 } from '../base/rng.js';
import { describeValue } from '../base/plainData.js';
import { npRandom } from '../envs/utils/npGenerator.js';

test('xoshiro128** matches the reference outputs from state [1, 2, 3, 4]', () => {
  // First outputs of the reference C implementation for s = {1, 2, 3, 4}, worked by hand:
  // rotl(2·5, 7)·9 = 11520; then s1 = 0 → 0; then s1 = 1029 → rotl(5145, 7)·9 = 5927040.
  const rng = Rng.fromState([1, 2, 3, 4]);
  assert.equal([rng.uint32(), rng.uint32(), rng.uint32()], [11520, 0, 5927040]);
});

test('the same seed gives the same stream and different seeds differ', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 8 }, () => a.uint32());
  assert.equal(Array.from({ length: 8 }, () => b.uint32()), xs);
  assert.not.equal(Array.from({ length: 8 }, () => c.uint32()), xs);
});

test('seeds above 2^32 are not truncated', () => {
  assert.not.equal(new Rng(2 ** 32 + 5).uint32(), new Rng(5).uint32());
});

test('random() is in [0, 1) with mean ≈ 0.5; int(n) stays in range and is uniform', () => {
  const rng = new Rng(1);
  let sum = 0;
  const counts = new Array(6).fill(0);
  const n = 60000;
  for (let i = 0; i < n; i++) {
    const u = rng.random();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    counts[rng.int(6)]++;
  }
  assert.ok(Math.abs(sum / n - 0.5) < 0.01, `mean ${sum / n}`);
  for (const c of counts) assert.ok(Math.abs(c / n - 1 / 6) < 0.01, `count ${c}`);
});

test('normal() has mean ≈ 0 and std ≈ 1', () => {
  const rng = new Rng(7);
  const n = 50000;
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    s += z;
    s2 += z * z;
  }
  const mean = s / n;
  assert.ok(Math.abs(mean) < 0.02, `mean ${mean}`);
  assert.ok(Math.abs(Math.sqrt(s2 / n - mean * mean) - 1) < 0.02);
});

test('split() gives reproducible children independent of the parent', () => {
  const p1 = new Rng(9);
  const p2 = new Rng(9);
  const c1 = p1.split();
  const c2 = p2.split();
  const xs = Array.from({ length: 5 }, () => c1.uint32());
  assert.equal(Array.from({ length: 5 }, () => c2.uint32()), xs);
  assert.not.equal(Array.from({ length: 5 }, () => p1.uint32()), xs);
});

test('getState/setState resumes the stream exactly', () => {
  const a = new Rng(3);
  a.uint32();
  const saved = a.getState();
  const next = [a.uint32(), a.uint32()];
  assert.equal([Rng.fromState(saved).uint32(), Rng.fromState(saved).uint32()], [next[0], next[0]]);
  const b = Rng.fromState(saved);
  assert.equal([b.uint32(), b.uint32()], next);
});

test('one seed rule for the Rng and the envs\' numpy generator: a non-negative safe integer, else a RangeError naming who was seeded', () => {
  assert.is(checkSeed(7, 'x'), 7);
  assert.is(checkSeed(Number.MAX_SAFE_INTEGER, 'x'), Number.MAX_SAFE_INTEGER);
  for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, '3', null]) {
    assert.throws(() => checkSeed(bad, 'who'), (e: Error) => e instanceof RangeError && e.message === `who: seed must be a non-negative safe integer, got ${describeValue(bad)}`);
    // null is no seed to npRandom (drawn from entropy, as Gymnasium's None)
    if (bad !== null) assert.throws(() => npRandom(bad as never, 'np'), (e: Error) => e instanceof RangeError && e.message === `np: seed must be a non-negative safe integer, got ${describeValue(bad)}`);
  }
  assert.throws(() => new Rng(-1), (e: Error) => e instanceof RangeError && e.message === 'Rng: seed must be a non-negative safe integer, got -1');
  // a string seed is shown as one (describeValue), where String() made '3' look like the number 3
  assert.throws(() => checkSeed('3', 'who'), (e: Error) => e.message === 'who: seed must be a non-negative safe integer, got "3"');
});

test('bad seeds and arguments are rejected with the value named', () => {
  assert.throws(() => new Rng(-1), /non-negative safe integer, got -1/);
  assert.throws(() => new Rng(1.5), /got 1.5/);
  assert.throws(() => new Rng(1).int(0), /got 0/);
  assert.throws(() => Rng.fromState([0, 0, 0, 0]), /all zero/);
});

test('shuffle/permutation are permutations and reproducible', () => {
  const p = new Rng(5).permutation(10);
  assert.equal([...p].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal([...new Rng(5).permutation(10)], [...p]);
});

test('foldSeed32: every seed below 2³² is its own fold; a larger one folds to 32 bits, its high bits counting', () => {
  for (const s of [0, 1, 1001, 2 ** 31 - 1, 2 ** 32 - 1]) assert.is(foldSeed32(s), s);
  for (const s of [2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
    const f = foldSeed32(s);
    assert.ok(Number.isInteger(f) && f >= 0 && f < 2 ** 32, `${s} → ${f}`);
  }
  assert.is.not(foldSeed32(2 ** 32), foldSeed32(0), 'seeds that differ above bit 32 fold apart');
  assert.is.not(foldSeed32(2 ** 33 + 7), foldSeed32(7));
});

test.run();
