/**
 * Seeded runs are Gymnasium 1.4's runs, bit for bit: reference values from
 * test/fixtures/gymnasium_seeding.json, written by bench/python/gymnasium_seeding.py with
 * Gymnasium 1.4.0 and numpy (see that script for how to rerun it).
 */
import { readFileSync } from 'node:fs';
import { float64Digest as digest, test } from './helpers.js';
import * as assert from 'uvu/assert';
import {
  BOX_FLOAT32,
  Box,
  Dict,
  Discrete,
  InvalidArgument,
  MultiBinary,
  MultiDiscrete,
  PCG64,
  SeedSequence,
  Tuple,
  DISCRETE,
  generateRandomMap,
  make,
  makeVec,
  npRandom,
  restoreState,
  snapshotState,
  withSpaces,
  type BoxDtype,
  type StateTree,
  type Space,
} from '../envs/index.js';

interface EnvCase {
  id: string;
  kwargs: Record<string, unknown>;
  resets: number[][];
  samples: number[][][];
  episodeSteps: number[];
  episodeDigests: string[];
  episodes: Record<string, number[]>;
}
type SpaceDesc =
  | { type: 'Discrete'; n: number; start?: number }
  | { type: 'Box'; low: number | string | (number | string)[]; high: number | string | (number | string)[]; shape?: number[]; dtype: BoxDtype }
  | { type: 'MultiDiscrete'; nvec: number[]; start?: number[] }
  | { type: 'MultiBinary'; n: number }
  | { type: 'Tuple'; spaces: SpaceDesc[] }
  | { type: 'Dict'; spaces: Record<string, SpaceDesc> };
interface SpaceCase {
  space: SpaceDesc;
  mask?: unknown;
  seedReturns?: (number | number[])[];
  seedWith?: number[] | Record<string, number>;
  samples: number[][][];
}
interface GeneratorCase {
  seed: number;
  state: string;
  inc: string;
  random: number[];
  integers: [number, number][];
  uniform: number[];
  normal: number[];
  exponential: number[];
  int8: number[];
  uint16: number[];
  normalDigest: string;
  exponentialDigest: string;
  after: { state: string; hasUint32: number; uinteger: number };
}
interface Fixture {
  gymnasium: string;
  maxSteps: number;
  generators: GeneratorCase[];
  envs: EnvCase[];
  spaces: SpaceCase[];
  vector: { id: string; numEnvs: number; seed: number; steps: number; head: number[]; digest: string }[];
  randomMaps: { size: number; p: number; seed: number; map: string[] }[];
}

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/gymnasium_seeding.json', import.meta.url), 'utf8')) as Fixture;

/** A value (number, boolean, typed array, array, object with sorted keys) as a flat list of numbers (the script's `flat`). */
function flat(x: unknown): number[] {
  if (typeof x === 'number') return [x];
  if (typeof x === 'boolean') return [x ? 1 : 0];
  if (x instanceof Float32Array || x instanceof Float64Array || x instanceof Int32Array || x instanceof Uint32Array || x instanceof Int16Array || x instanceof Uint16Array || x instanceof Int8Array || x instanceof Uint8Array) return Array.from(x, Number);
  if (ArrayBuffer.isView(x)) throw new Error(`flat: no numbers from a ${x.constructor.name}`);
  if (Array.isArray(x)) return x.flatMap(flat);
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return Object.keys(o).sort().flatMap((k) => flat(o[k]));
  }
  throw new TypeError(`flat: cannot flatten ${String(x)}`);
}

const num = (v: number | string): number => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v));

function buildSpace(d: SpaceDesc): Space<unknown> {
  switch (d.type) {
    case 'Discrete':
      return new Discrete(d.n, d.start ?? 0);
    case 'Box': {
      const bound = (b: number | string | (number | string)[]) => (Array.isArray(b) ? b.map(num) : num(b));
      return new Box(bound(d.low), bound(d.high), d.shape, d.dtype);
    }
    case 'MultiDiscrete':
      return new MultiDiscrete(d.nvec, d.start);
    case 'MultiBinary':
      return new MultiBinary(d.n);
    case 'Tuple':
      return new Tuple(d.spaces.map(buildSpace));
    case 'Dict':
      return new Dict(Object.fromEntries(Object.entries(d.spaces).map(([k, s]) => [k, buildSpace(s)])));
  }
}

/**
 * The script's `episode`: reset(seed), actionSpace.seed(seed), random actions to the end or
 * maxSteps, then reset().
 */
function episode(id: string, kwargs: Record<string, unknown>, seed: number): { steps: number; record: number[] } {
  const env = make(id, kwargs);
  const [obs] = env.reset({ seed });
  env.actionSpace.seed(seed);
  const record = flat(obs);
  let steps = 0;
  while (steps < fixture.maxSteps) {
    const a = env.actionSpace.sample();
    const [o, r, term, trunc] = env.step(a);
    steps++;
    record.push(...flat(a), ...flat(o));
    record.push(r, term ? 1 : 0, trunc ? 1 : 0);
    if (term || trunc) break;
  }
  record.push(...flat(env.reset()[0]));
  env.close();
  return { steps, record };
}

/** Index of the first difference, for messages. */
function firstDiff(a: readonly number[], b: readonly number[]): string {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i]) && a[i] !== b[i]) return `index ${i}: got ${a[i]}, Gymnasium ${b[i]}`;
  return 'none';
}

test('the fixture is Gymnasium 1.4 and covers every built-in env', () => {
  assert.match(fixture.gymnasium, /^1\.4\./);
  const ids = new Set(fixture.envs.map((e) => e.id));
  for (const id of ['CartPole-v1', 'MountainCar-v0', 'Acrobot-v1', 'Pendulum-v1', 'FrozenLake-v1', 'FrozenLake8x8-v1', 'CliffWalking-v1', 'CliffWalkingSlippery-v1', 'Taxi-v4']) assert.ok(ids.has(id), id);
});

test('SeedSequence → PCG64 → Generator draws are numpy\'s (state, random, integers, uniform, normal, exponential)', () => {
  for (const g of fixture.generators) {
    const [rng, seed] = npRandom(g.seed);
    assert.is(seed, g.seed);
    const st = rng.getState();
    assert.equal([st.state, st.inc], [g.state, g.inc], `seed ${g.seed}: PCG64 state after seeding`);
    assert.equal(Array.from({ length: g.random.length }, () => rng.random()), g.random, `seed ${g.seed}: random`);
    assert.equal(g.integers.map(([n]) => rng.integers(n)), g.integers.map(([, v]) => v), `seed ${g.seed}: integers`);
    assert.equal(Array.from({ length: g.uniform.length }, () => rng.uniform(-0.05, 0.05)), g.uniform, `seed ${g.seed}: uniform`);
    assert.equal(Array.from({ length: g.normal.length }, () => rng.normal()), g.normal, `seed ${g.seed}: normal`);
    assert.equal(Array.from({ length: g.exponential.length }, () => rng.exponential()), g.exponential, `seed ${g.seed}: exponential`);
    assert.equal(Array.from(rng.integersFill(new Int8Array(g.int8.length), 0, 2, 'int8')), g.int8, `seed ${g.seed}: int8 bytes`);
    assert.equal(Array.from(rng.integersFill(new Uint16Array(g.uint16.length), 3, 1000, 'uint16')), g.uint16, `seed ${g.seed}: uint16 halves`);
    assert.is(digest(Array.from({ length: 20000 }, () => rng.normal())), g.normalDigest, `seed ${g.seed}: 20000 normals`);
    assert.is(digest(Array.from({ length: 20000 }, () => rng.exponential())), g.exponentialDigest, `seed ${g.seed}: 20000 exponentials`);
    const after = rng.getState();
    assert.equal({ state: after.state, hasUint32: after.hasUint32, uinteger: after.uinteger }, g.after, `seed ${g.seed}: final state`);
  }
});

test('seeded resets and action_space samples are Gymnasium\'s for 20 seeds of every built-in env', () => {
  for (const c of fixture.envs) {
    c.resets.forEach((expected, seed) => {
      const env = make(c.id, c.kwargs);
      assert.equal(flat(env.reset({ seed })[0]), expected, `${c.id} ${JSON.stringify(c.kwargs)} reset({ seed: ${seed} })`);
      env.actionSpace.seed(seed);
      assert.equal(Array.from({ length: c.samples[seed]!.length }, () => flat(env.actionSpace.sample())), c.samples[seed], `${c.id} actionSpace.seed(${seed}) samples`);
    });
  }
});

test('whole episodes of random actions (slippery, rainy, fickle included) are Gymnasium\'s, then reset() continues the stream', () => {
  for (const c of fixture.envs) {
    c.episodeDigests.forEach((expected, seed) => {
      const { steps, record } = episode(c.id, c.kwargs, seed);
      const where = `${c.id} ${JSON.stringify(c.kwargs)} seed ${seed}`;
      const full = c.episodes[String(seed)];
      if (full !== undefined) assert.ok(digest(full) === expected && full.length === record.length && record.every((v, i) => v === full[i]), `${where}: first difference at ${firstDiff(record, full)}`);
      assert.is(steps, c.episodeSteps[seed], `${where}: episode length`);
      assert.is(digest(record), expected, `${where}: episode`);
    });
  }
});

test('space samples after seed(s) are Gymnasium\'s (Discrete, Box of every boundedness and dtype, MultiDiscrete, MultiBinary, masks, Tuple, Dict)', () => {
  for (const c of fixture.spaces) {
    const what = `${JSON.stringify(c.space)}${c.mask !== undefined ? ` mask ${JSON.stringify(c.mask)}` : ''}`;
    const draw = (space: Space<unknown>) => flat(c.mask !== undefined ? space.sample(c.mask) : space.sample());
    if (c.seedWith !== undefined) {
      const space = buildSpace(c.space);
      if (space instanceof Tuple && Array.isArray(c.seedWith)) space.seed(c.seedWith);
      else if (space instanceof Dict && !Array.isArray(c.seedWith)) space.seed(c.seedWith);
      else assert.unreachable(`seedWith for ${what}`);
      assert.equal(Array.from({ length: c.samples[0]!.length }, () => draw(space)), c.samples[0], `${what} seeded with ${JSON.stringify(c.seedWith)}`);
      continue;
    }
    c.samples.forEach((expected, seed) => {
      const space = buildSpace(c.space);
      assert.equal(space.seed(seed), flat(c.seedReturns![seed]), `${what}.seed(${seed}) returns`);
      assert.equal(Array.from({ length: expected.length }, () => draw(space)), expected, `${what} seeded ${seed}`);
    });
  }
});

test('sync vector envs seed sub-env i with seed + i and autoreset as Gymnasium (CartPole batched kernel too)', () => {
  for (const c of fixture.vector) {
    const modes = c.id === 'CartPole-v1' ? (['sync', 'vector-entry-point'] as const) : (['sync'] as const);
    for (const mode of modes) {
      const envs = makeVec(c.id, { numEnvs: c.numEnvs, vectorizationMode: mode });
      const record = flat(envs.reset({ seed: c.seed })[0]);
      envs.actionSpace.seed(c.seed);
      for (let t = 0; t < c.steps; t++) {
        const a = envs.actionSpace.sample() as Int32Array;
        const [o, r, term, trunc] = envs.step(a);
        record.push(...flat(a), ...flat(o), ...flat(r), ...flat(term), ...flat(trunc));
      }
      envs.close();
      assert.equal(record.slice(0, c.head.length), c.head, `${c.id} ${mode}: first values`);
      assert.is(digest(record), c.digest, `${c.id} ${mode}: ${c.steps} steps`);
    }
  }
});

test('generateRandomMap(size, p, seed) draws Gymnasium\'s maps', () => {
  for (const m of fixture.randomMaps) assert.equal(generateRandomMap(m.size, m.p, m.seed), m.map, `size ${m.size}, p ${m.p}, seed ${m.seed}`);
});

test('snapshotState / restoreState carry the PCG64 state, including the kept half of a 64-bit draw', () => {
  const env = make('Taxi-v4', { ficklePassenger: true, fickleProbability: 1.0, isRainy: true });
  env.reset({ seed: 3 });
  env.actionSpace.seed(3);
  for (let t = 0; t < 7; t++) env.step(env.actionSpace.sample());
  // Leave the upper half of a 64-bit draw waiting in the buffer (an odd number of 32-bit draws).
  if (env.actionSpace.npRandom.getState().hasUint32 === 0) env.actionSpace.sample();
  assert.is(env.actionSpace.npRandom.getState().hasUint32, 1);
  const snap = structuredClone(snapshotState(env));
  const spaceState = env.actionSpace.npRandom.getState();
  const envState = env.npRandom.getState();
  const run = (e: typeof env) => Array.from({ length: 30 }, () => flat(e.step(e.actionSpace.sample()).slice(0, 4)));
  const expected = run(env);
  const fresh = make('Taxi-v4', { ficklePassenger: true, fickleProbability: 1.0, isRainy: true });
  fresh.reset({ seed: 99 });
  restoreState(fresh, snap);
  assert.equal(fresh.actionSpace.npRandom.getState(), spaceState);
  assert.equal(fresh.npRandom.getState(), envState);
  assert.equal(run(fresh), expected);
});

test('restoreState: a typed array that does not fit, or is not of numbers, is an error naming its path', () => {
  const target = { state: new Float64Array(4), nested: { counts: new Int32Array(2) } };
  restoreState(target, { state: new Float64Array([1, 2, 3, 4]), nested: { counts: new Int32Array([5, 6]) } });
  assert.equal(Array.from(target.state), [1, 2, 3, 4]);
  assert.equal(Array.from(target.nested.counts), [5, 6]);
  assert.throws(() => restoreState(target, { state: new Float64Array(3) }), /restoreState: env\.state is not a typed array of length 3/);
  assert.throws(() => restoreState({ state: [1, 2] }, { state: new Float64Array(2) }), /restoreState: env\.state is not a typed array of length 2/);
  assert.throws(() => restoreState(target, { nested: { counts: new BigInt64Array(2) } }), /restoreState: the snapshot's env\.nested\.counts is a BigInt64Array, not a typed array of numbers/);
  assert.equal(Array.from(target.nested.counts), [5, 6], 'a refused snapshot leaves the values');
});

test('restoreState: a snapshot that would replace a method or name a prototype is refused, before anything is written', () => {
  const env = make('CartPole-v1');
  env.reset({ seed: 1 });
  const before = snapshotState(env);
  assert.throws(() => restoreState(env, { step: 1 }), /restoreState: the snapshot's env\.step would replace a method of the live env/);
  assert.throws(() => restoreState(env, JSON.parse('{"__proto__": {"polluted": 1}}')), /restoreState: the snapshot's env\.__proto__ names an object's prototype/);
  assert.throws(() => restoreState({ a: {} }, { a: { constructor: 1 } }), /restoreState: the snapshot's env\.a\.constructor names an object's prototype/);
  assert.equal(snapshotState(env), before, 'a refused snapshot leaves the env as it was');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  env.step(0); // its methods still work
  env.close();
});

test('restoreState: a sealed layout (the PCG64 generator) refuses other keys, before anything is written', () => {
  const loose = { a: 1 };
  restoreState(loose, { a: 2, addedInStep: 3 });
  assert.equal(loose, { a: 2, addedInStep: 3 }, 'an ordinary object gains a field a custom env sets as it runs');
  const target = Object.seal({ a: 1, state: new Float64Array(2) });
  assert.throws(() => restoreState(target, { a: 5, state: new Float64Array([7, 8]), extra: 1 }), /restoreState: the snapshot's env\.extra has no counterpart in the live env/);
  assert.is(target.a, 1, 'a refused snapshot writes no number');
  assert.equal(Array.from(target.state), [0, 0], 'a refused snapshot writes no array');
  assert.throws(() => restoreState(target, { a: 5 }), /restoreState: the snapshot has no env\.state/);
  // a generator's state in another layout (as an older nnlab wrote it) is refused, not mixed in
  const env = make('CartPole-v1');
  env.reset({ seed: 1 });
  env.step(0);
  const snap = snapshotState(env);
  const gen = findObjectWith(snap, 'hasUint32');
  assert.ok(gen !== undefined, 'the snapshot holds a PCG64 state');
  gen.limbs16 = new Uint16Array(8);
  delete gen.s0;
  const [fresh, twin] = [withSpaces(make('CartPole-v1'), BOX_FLOAT32, DISCRETE), withSpaces(make('CartPole-v1'), BOX_FLOAT32, DISCRETE)];
  fresh.reset({ seed: 2 });
  twin.reset({ seed: 2 });
  assert.throws(() => restoreState(fresh, snap), /bitGenerator\.limbs16 has no counterpart in the live env/);
  for (let t = 0; t < 5; t++) assert.equal(Array.from(fresh.step(1)[0]), Array.from(twin.step(1)[0]), `step ${t}: the refused restore changed the env`);
});

/** The first object in a snapshot tree with the key `key`. */
function findObjectWith(tree: StateTree, key: string): { [k: string]: StateTree } | undefined {
  if (tree === null || typeof tree !== 'object' || ArrayBuffer.isView(tree)) return undefined;
  if (Array.isArray(tree)) {
    for (const t of tree) {
      const f = findObjectWith(t, key);
      if (f !== undefined) return f;
    }
    return undefined;
  }
  if (key in tree) return tree;
  for (const t of Object.values(tree)) {
    const f = findObjectWith(t, key);
    if (f !== undefined) return f;
  }
  return undefined;
}

test('numpy state round trip and bad input to the generator are clear errors', () => {
  const [rng] = npRandom(5);
  rng.integers(10); // leaves a kept half
  const state = rng.getState();
  const copy = new PCG64(new SeedSequence(0)).setState(state);
  assert.equal(copy.getState(), state);
  assert.throws(() => copy.setState({ ...state, inc: '2'.padStart(32, '0') }), /inc must be odd/);
  assert.throws(() => copy.setState({ ...state, state: 'xyz' }), /state must be 32 hex digits/);
  assert.throws(() => npRandom(-1), /seed must be a non-negative safe integer/);
  assert.throws(() => npRandom(1.5), /seed must be a non-negative safe integer/);
  assert.throws(() => rng.uniform(1, 0), /high − low ≥ 0/);
  assert.throws(() => rng.uniform(-Infinity, 0), /finite/);
  assert.throws(() => rng.integers(3, 3), /low >= high/);
  assert.throws(() => rng.integers(0, 300, 'int8'), /high is out of bounds for int8/);
  assert.throws(() => rng.choice([]), /non-empty/);
  assert.throws(() => rng.choiceP([0.5, 0.2]), /sum to 1/);
  assert.throws(() => rng.choiceP([1.5, -0.5]), /non-negative/);
});

test('space masks and composite seeds: bad input is a clear error', () => {
  assert.throws(() => new Discrete(3).sample([0, 2, 1]), (e: Error) => e instanceof InvalidArgument && /mask values must be 0 or 1/.test(e.message));
  assert.throws(() => new MultiDiscrete([2, 3]).sample([[1, 1]]), (e: Error) => e instanceof InvalidArgument && /expected 2 masks/.test(e.message));
  assert.throws(() => new MultiDiscrete([2, 3]).sample([[1, 1], [1, 1]]), (e: Error) => e instanceof InvalidArgument && /mask\[1\] must have length 3/.test(e.message));
  assert.throws(() => new MultiDiscrete([2]).sample([[1, 3]]), (e: Error) => e instanceof InvalidArgument && /mask\[0\]\[1\] = 3/.test(e.message));
  assert.throws(() => new MultiBinary(3).sample([2, 2]), (e: Error) => e instanceof InvalidArgument && /length 3/.test(e.message));
  assert.throws(() => new MultiBinary(3).sample([2, 5, 0]), (e: Error) => e instanceof InvalidArgument && /0, 1 or 2/.test(e.message));
  assert.throws(() => new Tuple([new Discrete(2), new Discrete(3)]).seed([1]), (e: Error) => e instanceof InvalidArgument && /2 seeds/.test(e.message));
  assert.throws(() => new Dict({ a: new Discrete(2), b: new Discrete(3) }).seed({ a: 1, c: 2 }), (e: Error) => e instanceof InvalidArgument && /not the space keys \[a, b\]/.test(e.message));
});

test.run();
