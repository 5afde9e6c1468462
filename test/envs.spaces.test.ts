import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { Box, Dict, Discrete, MultiBinary, MultiDiscrete, Tuple, batchSpace, flatdim, flatten, flattenSpace, unflatten, InvalidArgument, isSpace } from '../envs/index.js';

test('Discrete: contains, seeded sample, mask, start', () => {
  const d = new Discrete(3, -1);
  assert.ok(d.contains(-1) && d.contains(1));
  assert.not.ok(d.contains(2) || d.contains(0.5) || d.contains('1'));
  d.seed(7);
  const a = Array.from({ length: 20 }, () => d.sample());
  d.seed(7);
  assert.equal(Array.from({ length: 20 }, () => d.sample()), a);
  assert.ok(a.every((v) => d.contains(v)));
  for (let i = 0; i < 20; i++) assert.is(d.sample([0, 1, 0]), 0);
  assert.is(d.sample([0, 0, 0]), -1);
  assert.is(d.toString(), 'Discrete(3, start=-1)');
  assert.throws(() => new Discrete(0), (e: Error) => e instanceof InvalidArgument);
});

test('Box: float32 bounds, contains with shape and bounds, sampling by boundedness', () => {
  const b = new Box([-1, -Infinity, 0, -Infinity], [1, Infinity, Infinity, 2], [4]);
  assert.is(b.low[0], -1);
  assert.ok(b.contains(Float32Array.of(0.5, 1e30, 3, -5)));
  assert.not.ok(b.contains(Float32Array.of(1.5, 0, 0, 0)));
  assert.not.ok(b.contains(Float32Array.of(0, 0, 0)));
  assert.not.ok(b.contains(Float32Array.of(0, NaN, 0, 0)));
  b.seed(1);
  for (let i = 0; i < 200; i++) {
    const s = b.sample();
    assert.ok(s instanceof Float32Array && b.contains(s));
    assert.ok(s[2]! >= 0 && s[3]! <= 2);
  }
  const f = new Box(0, 0.1, [2, 3]);
  assert.equal(f.shape, [2, 3]);
  assert.is(f.size, 6);
  assert.is(f.high[0], Math.fround(0.1)); // cast to float32 like numpy
  const ints = new Box(0, 3, [5], 'int32');
  ints.seed(3);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) for (const v of ints.sample()) seen.add(v);
  assert.equal([...seen].sort(), [0, 1, 2, 3]);
  assert.throws(() => new Box([0, 1], [1], undefined), (e: Error) => e instanceof InvalidArgument);
  assert.throws(() => new Box(1, 0, [1]), (e: Error) => e instanceof InvalidArgument && /low\[0\]/.test(e.message));
});

test('Box: an integer dtype stores fractional bounds truncated toward zero, as numpy casts them, so every sample is in the Box', () => {
  const b = new Box(0.5, 3.5, [1], 'int32');
  assert.equal([b.low[0], b.high[0]], [0, 3]);
  assert.is(b.toString(), 'Box(0, 3, (1,), int32)');
  const neg = new Box([-2.5, -0.5, 1.9], [-0.5, 0.7, 2.2], [3], 'int16');
  assert.equal(Array.from(neg.low), [-2, 0, 1]);
  assert.equal(Array.from(neg.high), [0, 0, 2]);
  assert.ok(Object.is(neg.low[1], 0), 'no −0 bound');
  for (const dtype of ['int32', 'int16', 'int8'] as const) {
    // bounded on both sides, below only and above only: each sampling rule
    const box = new Box([0.5, 1.5, -Infinity], [3.5, Infinity, 4.9], [3], dtype);
    box.seed(4);
    for (let i = 0; i < 300; i++) {
      const s = box.sample();
      assert.ok(box.contains(s), `${dtype}: sample [${Array.from(s)}] in ${box.toString()}`);
    }
  }
  for (const dtype of ['uint8', 'uint16', 'uint32'] as const) {
    const box = new Box(0.5, 7.9, [4], dtype);
    assert.equal([box.low[0], box.high[0]], [0, 7]);
    box.seed(5);
    for (let i = 0; i < 300; i++) assert.ok(box.contains(box.sample()), dtype);
  }
  // float bounds are unchanged: float32 rounds, float64 keeps the value
  assert.is(new Box(0.5, 3.3, [1]).high[0], Math.fround(3.3));
  assert.is(new Box(0.5, 3.3, [1], 'float64').high[0], 3.3);
});

test('Box: its array type is tied to its dtype, so a Box cannot be typed with arrays it does not make', () => {
  const f = new Box<Float32Array>(-1, 1, [2]);
  const u = new Box<Uint8Array>(0, 255, [2], 'uint8');
  assert.ok(f.sample() instanceof Float32Array && u.sample() instanceof Uint8Array && u.zeros() instanceof Uint8Array);
  const refusedByTsc = [
    // @ts-expect-error a uint8 Box makes Uint8Arrays, not the Float32Arrays its type would promise
    () => new Box<Float32Array>(0, 1, [1], 'uint8'),
    // @ts-expect-error a Uint8Array Box must name its dtype (left out, it is float32)
    () => new Box<Uint8Array>(0, 255, [2]),
  ];
  // at run time they make what their dtype says: the type argument was the lie
  assert.equal(refusedByTsc.map((make) => make().zeros().constructor.name), ['Uint8Array', 'Float32Array']);
  // without a type argument every dtype is accepted and the values are a BoxArray
  const any = new Box(0, 3, [2], 'int16');
  assert.ok(any.sample() instanceof Int16Array);
});

test('MultiDiscrete and MultiBinary', () => {
  const md = new MultiDiscrete([2, 3], [0, 1]);
  assert.ok(md.contains([1, 3]));
  assert.not.ok(md.contains([1, 0]) || md.contains([2, 1]) || md.contains([1]));
  md.seed(0);
  for (let i = 0; i < 50; i++) assert.ok(md.contains(md.sample()));
  const mb = new MultiBinary(4);
  mb.seed(0);
  assert.ok(mb.contains(mb.sample()));
  assert.not.ok(mb.contains([0, 2, 0, 0]));
  assert.equal(Array.from(mb.sample([1, 0, 1, 0])), [1, 0, 1, 0]);
});

test('Tuple and Dict: contains, sample, seeding, sorted keys', () => {
  const t = new Tuple([new Discrete(2), new Box(0, 1, [2])]);
  t.seed(5);
  const s1 = t.sample();
  t.seed(5);
  assert.equal(t.sample(), s1);
  assert.ok(t.contains(s1));
  const d = new Dict({ pos: new Box(-1, 1, [2]), flag: new Discrete(2) });
  assert.equal(d.keys, ['flag', 'pos']);
  assert.ok(d.contains({ flag: 1, pos: Float32Array.of(0, 0) }));
  assert.not.ok(d.contains({ flag: 1 }));
});

test('flatten / unflatten / flattenSpace (one-hot for discrete)', () => {
  const space = new Dict({ a: new Discrete(3, 1), b: new Box(-2, 2, [2]), c: new MultiDiscrete([2, 2]) });
  assert.is(flatdim(space), 3 + 2 + 4);
  const x = { a: 2, b: Float32Array.of(0.5, -1.5), c: Int32Array.of(1, 0) };
  const flat = flatten(space, x);
  assert.equal(Array.from(flat), [0, 1, 0, 0.5, -1.5, 0, 1, 1, 0]);
  assert.equal(unflatten(space, flat), x);
  const fs = flattenSpace(space);
  assert.equal(Array.from(fs.low), [0, 0, 0, -2, -2, 0, 0, 0, 0]);
  assert.ok(fs.contains(flat));
});

test('batchSpace: Discrete → MultiDiscrete, Box → leading batch dimension', () => {
  const b = batchSpace(new Discrete(2), 3) as MultiDiscrete;
  assert.equal(Array.from(b.nvec), [2, 2, 2]);
  const bb = batchSpace(new Box(0, 1, [4]), 2) as Box;
  assert.equal(bb.shape, [2, 4]);
});

test('isSpace: a Space, or any object with sample and contains methods (a user module\'s own space); nothing else', () => {
  assert.ok(isSpace(new Discrete(2)) && isSpace(new Box(0, 1, [2])));
  assert.ok(isSpace({ sample: () => 0, contains: () => true }));
  for (const bad of [null, undefined, 3, 'Discrete(2)', {}, { sample: () => 0 }, { sample: 0, contains: () => true }, { sample: () => 0, contains: true }, [() => 0]]) {
    assert.not.ok(isSpace(bad), String(bad));
  }
});

test('flatten refuses a value outside its space, naming both, instead of writing into the next slot', () => {
  const pair = new Tuple([new Discrete(2), new Discrete(2)]);
  // 2 is out of Discrete(2): unchecked, it set slot 2, the second part's, and gave [0, 0, 1, 0]
  assert.throws(() => flatten(pair, [2, 0]), (e: unknown) => e instanceof InvalidArgument && e.message === 'flatten: 2 is not an element of Discrete(2) (expected an integer in [0, 2))');
  assert.throws(() => flatten(new Discrete(3, 1), 0), /0 is not an element of Discrete\(3, start=1\) \(expected an integer in \[1, 4\)\)/);
  assert.throws(() => flatten(new Discrete(3), 1.5), /1\.5 is not an element of Discrete\(3\)/);
  assert.throws(() => flatten(new MultiDiscrete([2, 3]), [1, 3]), /\[1, 3\] is not an element of MultiDiscrete.*expected an integer in \[0, 3\)/);
  assert.throws(() => flatten(new Box(-1, 1, [3]), new Float32Array(2)), /Float32Array\[0, 0\] is not an element of Box\(-1, 1, \(3,\), float32\) \(expected 3 values\)/);
  assert.throws(() => flatten(new Box(-1, 1, [2]), [0, 'x']), /\[0, "x"\] is not an element of Box.*\("x" is not a number\)/);
  assert.throws(() => flatten(new Dict({ a: new Discrete(2) }), 5), /5 is not an element of Dict/);
  // a Box value outside its bounds still flattens (Gymnasium's flatten does not check them)
  assert.equal(Array.from(flatten(new Box(-1, 1, [2]), [0.5, 3])), [0.5, 3]);
});

test.run();
