/**
 * Toy-text envs against Gymnasium 1.x. Transition tables are compared in full through an FNV-1a
 * digest of their canonical text (`p,s',r,done` per transition, `;` between transitions, `|`
 * between (s, a) pairs, numbers printed shortest-round-trip); the digests were computed from
 * Gymnasium's table-building code (frozen_lake.py, cliffwalking.py, taxi.py) run under Python.
 * Specific entries are checked against values worked by hand.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { CliffWalkingEnv, DISCRETE, Discrete, FrozenLakeEnv, InvalidAction, InvalidArgument, ResetNeeded, TaxiEnv, logger, make, withSpaces, type TransitionTable } from '../envs/index.js';

logger.level = 'error';

const canon = (P: TransitionTable) => P.map((row) => row.map((ts) => ts.map((t) => t.map(String).join(',')).join(';'))).flat().join('|');
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

test('transition tables match Gymnasium exactly (digests of the full P)', () => {
  assert.is(fnv1a(canon(new FrozenLakeEnv().P)), 2642558851, 'FrozenLake 4x4 slippery');
  assert.is(fnv1a(canon(new FrozenLakeEnv({ isSlippery: false }).P)), 1750773943, 'FrozenLake 4x4 deterministic');
  assert.is(fnv1a(canon(new FrozenLakeEnv({ mapName: '8x8' }).P)), 1916653558, 'FrozenLake 8x8');
  assert.is(fnv1a(canon(new FrozenLakeEnv({ desc: ['SFH', 'FFG'], successRate: 0.5, rewardSchedule: [5, -1, 0.25] }).P)), 2187763730, 'FrozenLake custom desc');
  assert.is(fnv1a(canon(new CliffWalkingEnv().P)), 3216578435, 'CliffWalking');
  assert.is(fnv1a(canon(new CliffWalkingEnv({ isSlippery: true }).P)), 243686877, 'CliffWalking slippery');
  assert.is(fnv1a(canon(new TaxiEnv().P)), 272591693, 'Taxi');
});

test('FrozenLake slippery: intended direction 1/3, each perpendicular (1 − 1/3)/2', () => {
  const env = new FrozenLakeEnv();
  const fail = (1 - 1 / 3) / 2; // 0.33333333333333337 in float64, as Gymnasium computes it
  assert.is(fail, 0.33333333333333337);
  // From state 0 (top-left), action LEFT (0): [UP, LEFT, DOWN] → [stay, stay, down to 4].
  assert.equal(env.P[0]![0], [
    [fail, 0, 0, false],
    [1 / 3, 0, 0, false],
    [fail, 4, 0, false],
  ]);
  // State 14, action RIGHT reaches the goal 15: reward 1, terminated.
  assert.equal(env.P[14]![2], [
    [fail, 14, 0, false],
    [1 / 3, 15, 1, true],
    [fail, 10, 0, false],
  ]);
  // Holes and the goal are absorbing.
  assert.equal(env.P[5]![1], [[1.0, 5, 0, true]]);
  assert.equal(env.P[15]![3], [[1.0, 15, 0, true]]);
  // Moving down from state 1 into the hole at 5 terminates with reward 0.
  assert.equal(new FrozenLakeEnv({ isSlippery: false }).P[1]![1], [[1.0, 5, 0, true]]);
});

test('FrozenLake maps, registration and kwargs', () => {
  const env = make('FrozenLake-v1');
  const fl = env.unwrapped as FrozenLakeEnv;
  assert.equal(fl.desc, ['SFFF', 'FHFH', 'FFFH', 'HFFG']);
  assert.is(env.spec!.maxEpisodeSteps, 100);
  assert.is(env.spec!.rewardThreshold, 0.7);
  const env8 = make('FrozenLake8x8-v1');
  assert.is((env8.unwrapped as FrozenLakeEnv).nrow, 8);
  assert.is(env8.spec!.maxEpisodeSteps, 200);
  assert.is(env8.spec!.rewardThreshold, 0.85);
  const custom = make('FrozenLake-v1', { desc: ['SH', 'FG'], isSlippery: false });
  assert.ok(custom.observationSpace instanceof Discrete && custom.observationSpace.n === 4, String(custom.observationSpace));
  const random = new FrozenLakeEnv({ desc: null, mapName: null });
  assert.is(random.nrow, 8);
  assert.throws(() => make('FrozenLake-v1', { is_slippery: false }), (e: Error) => e instanceof InvalidArgument && /unknown keyword argument `is_slippery`.*Did you mean `isSlippery`/.test(e.message));
  assert.throws(() => make('FrozenLake-v1', { mapName: '5x5' }), (e: Error) => e instanceof InvalidArgument && /mapName/.test(e.message) && /"4x4"/.test(e.message));
  assert.throws(() => make('FrozenLake-v1', { desc: ['SFX'] }), (e: Error) => e instanceof InvalidArgument && /desc/.test(e.message));
  assert.throws(() => make('FrozenLake-v1', { isSlippery: 'yes' }), (e: Error) => e instanceof InvalidArgument && /expected a boolean/.test(e.message));
});

test('FrozenLake dynamics: deterministic walk to the goal, info.prob, seeded slips', () => {
  const env = withSpaces(make('FrozenLake-v1', { isSlippery: false }), DISCRETE, DISCRETE);
  const [s0, info0] = env.reset({ seed: 1 });
  assert.is(s0, 0);
  assert.equal(info0, { prob: 1 });
  const path = [2, 2, 1, 1, 1, 2]; // right, right, down, down, down, right
  const states: number[] = [];
  let last: [number, number, boolean, boolean, Record<string, unknown>] | undefined;
  for (const a of path) {
    last = env.step(a);
    states.push(last[0]);
  }
  assert.equal(states, [1, 2, 6, 10, 14, 15]);
  assert.is(last![1], 1);
  assert.is(last![2], true);
  assert.equal(last![4], { prob: 1.0 });
  // Slippery: empirical frequencies near 1/3 each.
  const slip = new FrozenLakeEnv();
  slip.reset({ seed: 9 });
  const counts = new Map<number, number>();
  for (let i = 0; i < 3000; i++) {
    slip.s = 5 + 1; // state 6 (row 1, col 2)
    const [s] = slip.step(1); // down → 10 (intended), left-turn RIGHT → 7, right-turn LEFT → 5
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  for (const s of [5, 7, 10]) assert.ok(Math.abs(counts.get(s)! / 3000 - 1 / 3) < 0.04, `state ${s}`);
});

test('FrozenLake ansi render is Gymnasium\'s (red highlight, last action)', () => {
  const env = new FrozenLakeEnv({ renderMode: 'ansi', isSlippery: false });
  env.reset({ seed: 0 });
  assert.is(env.render(), '\n\x1b[41mS\x1b[0mFFF\nFHFH\nFFFH\nHFFG\n');
  env.step(2);
  assert.is(env.render(), '  (Right)\nS\x1b[41mF\x1b[0mFF\nFHFH\nFFFH\nHFFG\n');
});

test('CliffWalking: cliff gives −100 and returns to start 36 without terminating; goal 47 terminates', () => {
  const env = new CliffWalkingEnv();
  assert.equal(env.P[36]![1], [[1.0, 36, -100, false]]); // right from start into the cliff
  assert.equal(env.P[36]![0], [[1.0, 24, -1, false]]); // up
  assert.equal(env.P[35]![2], [[1.0, 47, -1, true]]); // down into the goal
  assert.equal(env.P[25]![2], [[1.0, 36, -100, false]]); // down from (2,1) into the cliff
  // the goal the env names (the page marks it) is the one state whose entry terminates
  assert.is(env.goalStateIndex, 47);
  assert.equal([...new Set(env.P.flatMap((row) => row.flatMap((ts) => ts.filter((t) => t[3]).map((t) => t[1]))))], [env.goalStateIndex]);
  const slip = new CliffWalkingEnv({ isSlippery: true });
  assert.equal(slip.P[36]![1], [
    [1 / 3, 24, -1, false], // UP (left turn of RIGHT)
    [1 / 3, 36, -100, false], // RIGHT into the cliff
    [1 / 3, 36, -1, false], // DOWN: stays at the border
  ]);
  const made = make('CliffWalking-v1');
  assert.is(made.spec!.maxEpisodeSteps, null);
  assert.equal(made.reset({ seed: 0 }), [36, { prob: 1 }]);
  assert.equal(made.step(1), [36, -100, false, false, { prob: 1.0 }]);
  made.step(0);
  for (let i = 0; i < 11; i++) made.step(1);
  assert.equal(made.step(2), [47, -1, true, false, { prob: 1.0 }]);
});

test('CliffWalking ansi render', () => {
  const env = new CliffWalkingEnv({ renderMode: 'ansi' });
  env.reset({ seed: 0 });
  const row = 'o  o  o  o  o  o  o  o  o  o  o  o\n';
  assert.is(env.render(), row + row + row + 'x  C  C  C  C  C  C  C  C  C  C  T\n\n');
});

test('Taxi: illegal pickup/dropoff −10, legal pickup −1, delivery +20 terminates', () => {
  const env = new TaxiEnv();
  const s = env.encode(2, 2, 0, 1); // passenger at R (0,0), taxi elsewhere
  assert.equal(env.P[s]![4], [[1.0, s, -10, false]]); // illegal pickup
  assert.equal(env.P[s]![5], [[1.0, s, -10, false]]); // illegal dropoff
  const atR = env.encode(0, 0, 0, 1);
  assert.equal(env.P[atR]![4], [[1.0, env.encode(0, 0, 4, 1), -1, false]]); // pickup
  const atG = env.encode(0, 4, 4, 1);
  assert.equal(env.P[atG]![5], [[1.0, env.encode(0, 4, 1, 1), 20, true]]); // delivery
  const atY = env.encode(4, 0, 4, 1);
  assert.equal(env.P[atY]![5], [[1.0, env.encode(4, 0, 2, 1), -1, false]]); // drop at another location
  // Walls: east from (0,1) is blocked by '|'; moving into it costs −1 and stays.
  const w = env.encode(0, 1, 2, 3);
  assert.equal(env.P[w]![2], [[1.0, w, -1, false]]);
  assert.equal(env.decode(env.encode(3, 1, 4, 2)), [3, 1, 4, 2]);
  assert.equal(Array.from(env.actionMask(w)), [1, 0, 0, 1, 0, 0]);
  assert.equal(Array.from(env.actionMask(atG)), [1, 0, 0, 1, 0, 1]);
});

test('Taxi starting distribution: uniform over the 300 states, passenger not at destination nor in taxi', () => {
  const env = new TaxiEnv();
  let count = 0;
  env.initialStateDistrib.forEach((p, s) => {
    if (p > 0) {
      count++;
      assert.is(p, 1 / 300);
      const [, , pass, dest] = env.decode(s);
      assert.ok(pass < 4 && pass !== dest);
    }
  });
  assert.is(count, 300);
  const made = withSpaces(make('Taxi-v4'), DISCRETE, DISCRETE);
  assert.is(made.spec!.maxEpisodeSteps, 200);
  assert.is(made.spec!.rewardThreshold, 8);
  const [s, info] = made.reset({ seed: 11 });
  assert.ok(env.initialStateDistrib[s]! > 0);
  assert.ok(info['actionMask'] instanceof Int8Array && info['prob'] === 1.0);
});

test('Taxi rainy: moves 0.8 intended, 0.1 each side; fickle passenger may change destination once', () => {
  const env = new TaxiEnv({ isRainy: true });
  const s = env.encode(2, 2, 0, 1);
  assert.equal(env.P[s]![0], [
    [0.8, env.encode(3, 2, 0, 1), -1, false],
    [(1 - 0.8) / 2, env.encode(2, 3, 0, 1), -1, false],
    [(1 - 0.8) / 2, env.encode(2, 1, 0, 1), -1, false],
  ]);
  assert.equal(env.P[s]![4], [[1.0, s, -10, false]]);
  for (const row of env.P) for (const ts of row) assert.ok(Math.abs(ts.reduce((a, t) => a + t[0], 0) - 1) < 1e-12);
  const fickle = new TaxiEnv({ ficklePassenger: true, fickleProbability: 1 });
  fickle.reset({ seed: 3 });
  fickle.s = fickle.encode(0, 0, 4, 1);
  const [next] = fickle.step(0);
  const [row, col, pass, dest] = fickle.decode(next);
  assert.equal([row, col, pass], [1, 0, 4]);
  assert.ok(dest !== 1);
  assert.is(fickle.fickleStep, false);
});

test('Taxi ansi render: taxi yellow, passenger blue bold, destination magenta', () => {
  const env = new TaxiEnv({ renderMode: 'ansi' });
  env.reset({ seed: 0 });
  env.s = env.encode(2, 2, 0, 1);
  const text = env.render()!;
  const lines = text.split('\n');
  assert.is(lines[0], '+---------+');
  assert.is(lines[1], '|\x1b[34;1mR\x1b[0m: | : :\x1b[35mG\x1b[0m|');
  assert.is(lines[3], '| : :\x1b[43m \x1b[0m: : |');
});

test('toy-text envs: bad actions and step before reset are clear errors', () => {
  for (const env of [new FrozenLakeEnv(), new CliffWalkingEnv(), new TaxiEnv()]) {
    assert.throws(() => env.step(0), (e: Error) => e instanceof ResetNeeded);
    env.reset({ seed: 0 });
    assert.throws(() => env.step(7), (e: Error) => e instanceof InvalidAction && /not in the action space/.test(e.message));
    assert.throws(() => env.step(-1), (e: Error) => e instanceof InvalidAction);
  }
});

test.run();
