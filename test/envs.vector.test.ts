import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { Rng } from '../base/rng.js';
import { AUTORESET_MODES, Box, CartPoleEnv, CartPoleVectorEnv, Discrete, EnvError, InvalidArgument, NameNotFound, RegistrationError, SyncVectorEnv, TimeLimit, logger, make, makeVec, probeEnv, register, writeBatchRow, writeNextObsRow, type VectorEnv } from '../envs/index.js';
import { CARTPOLE_V1_MAX_EPISODE_STEPS } from '../envs/classic/cartpole.js';
import { DICT_WALK_ID, STRUCTURED_OBS_DIM, TUPLE_WALK_ID } from './fixtures/structuredObsEnv.js';

logger.level = 'error';

test('makeVec picks the batched CartPole kernel; sync on request; layout and spaces', () => {
  const v = makeVec('CartPole-v1', { numEnvs: 3 });
  assert.ok(v instanceof CartPoleVectorEnv);
  assert.is(v.spec!.id, 'CartPole-v1');
  assert.equal([v.spec!.maxEpisodeSteps, v.spec!.kwargs], [500, {}], 'the spec it was made with');
  assert.is(new CartPoleVectorEnv({ numEnvs: 2 }).spec, null, 'constructed directly: no spec');
  const s = makeVec('CartPole-v1', { numEnvs: 3, vectorizationMode: 'sync' });
  assert.ok(s instanceof SyncVectorEnv);
  const [obs] = s.reset({ seed: 0 });
  assert.ok(obs instanceof Float32Array && obs.length === 12);
  assert.is(s.obsDim, 4);
  assert.is(s.actDim, 1);
  assert.ok(makeVec('FrozenLake-v1', { numEnvs: 2 }) instanceof SyncVectorEnv);
  assert.throws(() => makeVec('FrozenLake-v1', { vectorizationMode: 'vector-entry-point' }), (e: Error) => e instanceof InvalidArgument && /no vector entry point/.test(e.message));
  assert.throws(() => makeVec('CartPole-v1', { autoresetMode: 'later' as never }), (e: Error) => e instanceof InvalidArgument);
});

test('autoreset modes: every one of AUTORESET_MODES is accepted by the sync env, all but \'disabled\' by the batched kernel; a bad one is refused naming the modes', () => {
  for (const autoresetMode of AUTORESET_MODES) assert.is(makeVec('CartPole-v1', { numEnvs: 2, autoresetMode, vectorizationMode: 'sync' }).autoresetMode, autoresetMode);
  assert.is(makeVec('CartPole-v1', { numEnvs: 2, autoresetMode: 'disabled' }).constructor, SyncVectorEnv, "'disabled' falls back to sync");
  assert.throws(
    () => makeVec('CartPole-v1', { autoresetMode: 'later' as never }),
    (e: Error) => e instanceof InvalidArgument && e.message === "makeVec: autoresetMode must be 'next-step', 'same-step' or 'disabled', got 'later'",
  );
  assert.throws(
    () => makeVec('CartPole-v1', { autoresetMode: 'disabled', vectorizationMode: 'vector-entry-point' }),
    (e: Error) => e instanceof InvalidArgument && /the batched kernel supports autoresetMode 'next-step' or 'same-step' only/.test(e.message),
  );
  assert.throws(
    () => new CartPoleVectorEnv({ numEnvs: 2, autoresetMode: 'disabled' as never }),
    (e: Error) => e instanceof InvalidArgument && e.message === "CartPoleVectorEnv: autoresetMode must be 'next-step' or 'same-step', got 'disabled'",
  );
});

test('a step limit has one rule on every path (checkMaxEpisodeSteps): the batched kernel, makeVec, TimeLimit and register refuse 0 and 2.5', () => {
  const refused = (f: () => unknown, type: new (...a: never[]) => Error, message: string) => assert.throws(f, (e: Error) => e instanceof type && e.message === message);
  for (const bad of [0, 2.5, -1, NaN]) {
    // the batched kernel constructed directly: 0 truncated every step, 2.5 was accepted
    refused(() => new CartPoleVectorEnv({ numEnvs: 2, maxEpisodeSteps: bad }), InvalidArgument, `CartPoleVectorEnv: maxEpisodeSteps must be a positive integer or null, got ${bad}`);
    for (const vectorizationMode of ['vector-entry-point', 'sync'] as const) {
      refused(() => makeVec('CartPole-v1', { numEnvs: 2, maxEpisodeSteps: bad, vectorizationMode }), InvalidArgument, `makeVec('CartPole-v1'): maxEpisodeSteps must be a positive integer or null, got ${bad}`);
    }
    refused(() => new TimeLimit(new CartPoleEnv(), bad), InvalidArgument, `TimeLimit: maxEpisodeSteps must be a positive integer, got ${bad}`);
    refused(() => register({ id: 'BadLimit-v0', entryPoint: CartPoleEnv, maxEpisodeSteps: bad }), RegistrationError, `register('BadLimit-v0'): maxEpisodeSteps must be a positive integer or null, got ${bad}`);
  }
  // null is no limit for a spec and a batched env, never for TimeLimit itself
  refused(() => new TimeLimit(new CartPoleEnv(), null as never), InvalidArgument, 'TimeLimit: maxEpisodeSteps must be a positive integer, got null');
  assert.is(new CartPoleVectorEnv({ numEnvs: 2, maxEpisodeSteps: null }).maxEpisodeSteps, null);
  assert.is(makeVec('CartPole-v1', { numEnvs: 2, maxEpisodeSteps: null }).spec!.maxEpisodeSteps, null);
  // the batched kernel's default is CartPole-v1's registered limit, defined once
  assert.is(new CartPoleVectorEnv({ numEnvs: 2 }).maxEpisodeSteps, CARTPOLE_V1_MAX_EPISODE_STEPS);
  assert.is(make('CartPole-v1').spec!.maxEpisodeSteps, CARTPOLE_V1_MAX_EPISODE_STEPS);
});

test('vector seeding: sub-env i is seeded with seed + i, as Gymnasium', () => {
  const v = makeVec('CartPole-v1', { numEnvs: 3, vectorizationMode: 'sync' });
  const [obs] = v.reset({ seed: 10 });
  for (let i = 0; i < 3; i++) {
    const [o] = new CartPoleEnv().reset({ seed: 10 + i });
    assert.equal(Array.from(obs.subarray(4 * i, 4 * i + 4)), Array.from(o));
  }
  const [again] = makeVec('CartPole-v1', { numEnvs: 3 }).reset({ seed: 10 });
  assert.equal(Array.from(again), Array.from(obs));
});

test('next-step autoreset: the step after an episode end resets with reward 0 and ignores the action', () => {
  const v = makeVec('CartPole-v1', { numEnvs: 2, vectorizationMode: 'sync' }) as SyncVectorEnv;
  v.reset({ seed: 0 });
  (v.envs[0]!.unwrapped as CartPoleEnv).state = [0, 0, 0.3, 0];
  const [, rew, term, trunc] = v.step([0, 1]);
  assert.equal(Array.from(term), [1, 0]);
  assert.equal(Array.from(rew), [1, 1]);
  assert.equal(Array.from(trunc), [0, 0]);
  const [obs2, rew2, term2] = v.step([0, 1]);
  assert.equal(Array.from(rew2), [0, 1]);
  assert.equal(Array.from(term2), [0, 0]);
  assert.equal(Array.from(obs2.subarray(0, 4)), Array.from((v.envs[0]!.unwrapped as CartPoleEnv).state!).map(Math.fround));
});

test('same-step autoreset: final observation and info in info.finalObs / info.finalInfo', () => {
  for (const mode of ['sync', 'vector-entry-point'] as const) {
    const v = makeVec('CartPole-v1', { numEnvs: 2, autoresetMode: 'same-step', vectorizationMode: mode });
    v.reset({ seed: 0 });
    const setTheta = (i: number) => {
      if (v instanceof SyncVectorEnv) (v.envs[i]!.unwrapped as CartPoleEnv).state = [0, 0, 0.3, 0];
      else {
        const b = v as CartPoleVectorEnv;
        [b.x[i], b.xDot[i], b.theta[i], b.thetaDot[i]] = [0, 0, 0.3, 0];
      }
    };
    setTheta(1);
    const [obs, , term, , info] = v.step([0, 0]);
    assert.equal(Array.from(term), [0, 1], mode);
    assert.equal(Array.from(info._finalObs!), [0, 1], mode);
    const fin = info.finalObs![1] as Float32Array;
    assert.ok(Math.abs(fin[2]! - 0.3) < 1e-6, mode);
    assert.is(info.finalObs![0], null);
    assert.ok(Math.abs(obs[6]!) < 0.05, `${mode}: row 1 already holds the reset observation`);
    assert.ok(info.finalInfo !== undefined && info._finalInfo![1] === 1);
  }
});

function rollout(v: VectorEnv, steps: number, seed: number): string[] {
  const rng = new Rng(seed);
  const n = v.numEnvs;
  const actions = new Int32Array(n);
  const [o0] = v.reset({ seed: 100 });
  const trace = [Array.from(o0).join(',')];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) actions[i] = rng.int(2);
    const [obs, rew, term, trunc, info] = v.step(actions);
    trace.push([Array.from(obs).join(','), Array.from(rew).join(','), Array.from(term).join(''), Array.from(trunc).join(''), info.finalObs ? info.finalObs.map((f) => (f ? Array.from(f as Float32Array).join(',') : '-')).join('/') : ''].join(';'));
  }
  return trace;
}

test('the batched CartPole kernel equals SyncVectorEnv(make("CartPole-v1")) step for step, with autoresets', () => {
  for (const autoresetMode of ['next-step', 'same-step'] as const) {
    const opts = { numEnvs: 5, autoresetMode, maxEpisodeSteps: 40 };
    const batched = rollout(makeVec('CartPole-v1', { ...opts, vectorizationMode: 'vector-entry-point' }), 300, 1);
    const sync = rollout(makeVec('CartPole-v1', { ...opts, vectorizationMode: 'sync' }), 300, 1);
    assert.equal(batched, sync, autoresetMode);
    assert.ok(batched.some((l) => l.includes(';1')), 'episodes ended during the rollout');
  }
});

test('makeVec of a module id not yet imported says to use makeVecAsync, as make says makeAsync', () => {
  assert.throws(() => makeVec('./not-imported.js:Walk-v0'), /'\.\/not-imported\.js:Walk-v0' names the module '\.\/not-imported\.js', which has not been imported yet: use `await makeVecAsync\('\.\/not-imported\.js:Walk-v0'\)`/);
  assert.throws(() => make('./not-imported.js:Walk-v0'), /use `await makeAsync\(/);
  assert.throws(() => makeVec('CartPole-v1', JSON.parse('{ "vectorizationMode": "threads" }')), /vectorizationMode must be 'auto', 'sync' or 'vector-entry-point', got 'threads'/);
});

test('disabled autoreset (sync): resetMask resets chosen sub-envs', () => {
  const v = makeVec('CartPole-v1', { numEnvs: 2, autoresetMode: 'disabled' }) as SyncVectorEnv;
  v.reset({ seed: 0 });
  v.step([1, 1]);
  const before = Array.from(v.reset({ options: { resetMask: [0, 0] } })[0]);
  v.step([1, 1]);
  const [after] = v.reset({ options: { resetMask: [1, 0] } });
  assert.not.equal(Array.from(after.subarray(0, 4)), before.slice(0, 4));
});

test('a bad resetMask is refused naming it, not read as "reset nothing"', () => {
  const v = makeVec('CartPole-v1', { numEnvs: 2, autoresetMode: 'disabled' }) as SyncVectorEnv;
  v.reset({ seed: 0 });
  // as data (a reset's options may come from JSON), past the option's type
  const resetWith = (resetMask: unknown) => () => v.reset({ options: JSON.parse(JSON.stringify({ resetMask })) });
  assert.throws(resetWith(true), /options\.resetMask must be an array of 2 flags \(one per sub-env\), got true/);
  assert.throws(resetWith([1]), /options\.resetMask has 1 flags for 2 sub-envs/);
  assert.throws(resetWith([1, 'yes']), /options\.resetMask\[1\] must be a number or a boolean, got "yes"/);
  v.reset({ options: { resetMask: new Uint8Array([1, 0]) } });
  v.reset({ options: { resetMask: [true, false] } });
});

test('vector envs over Discrete observations store the index; infos are batched with masks', () => {
  const v = makeVec('Taxi-v4', { numEnvs: 2 });
  const [obs, info] = v.reset({ seed: 1 });
  const single = make('Taxi-v4');
  assert.is(obs[0], single.reset({ seed: 1 })[0]);
  assert.equal(Array.from(info['_prob'] as Uint8Array), [1, 1]);
  assert.is((info['actionMask'] as Int8Array[]).length, 2);
  assert.throws(() => v.step([0]), (e: Error) => e instanceof InvalidArgument && /expected 2 actions/.test(e.message));
});

test('probeEnv: the observation size of a vector env row (Box size, 1 for Discrete, Tuple and Dict flattened) and the spaces; an env it cannot make is named', () => {
  const pole = probeEnv('CartPole-v1');
  assert.is(pole.obsDim, 4);
  assert.ok(pole.actionSpace instanceof Discrete && pole.actionSpace.n === 2);
  assert.is(probeEnv('FrozenLake-v1', { mapName: '8x8' }).obsDim, 1);
  for (const id of [TUPLE_WALK_ID, DICT_WALK_ID]) {
    const p = probeEnv(id);
    assert.equal(p.observationSpace.shape, [], `${id}: a composite space has shape []`);
    assert.is(p.obsDim, STRUCTURED_OBS_DIM, id);
    const v = makeVec(id, { numEnvs: 2 });
    assert.is(p.obsDim, v.obsDim, `${id}: the probe agrees with the vector env`);
    assert.is(v.reset({ seed: 0 })[0].length, 2 * STRUCTURED_OBS_DIM);
    v.close();
  }
  assert.throws(
    () => probeEnv('CartPol-v1'),
    (e: Error) => e instanceof EnvError && e.cause instanceof NameNotFound && /^cannot make the env 'CartPol-v1' to read its observation size and action space: .*Did you mean: `CartPole-v1`/.test(e.message),
  );
  assert.throws(() => probeEnv('CartPole-v1', { bogus: 1 }), (e: Error) => e instanceof EnvError && /'CartPole-v1'.*unknown keyword argument `bogus`/.test(e.message));
});

test('writeNextObsRow: an ended episode\'s final observation as its row (a Discrete state as its index, a Tuple flattened); elsewhere the next row', () => {
  // FrozenLake 4x4, not slippery: right (2) then down (1) falls into the hole at state 5; the reset state is 0
  const lake = makeVec('FrozenLake-v1', { numEnvs: 2, autoresetMode: 'same-step', kwargs: { isSlippery: false } });
  lake.reset({ seed: 0 });
  lake.step([2, 2]);
  const [next, , terminated, , info] = lake.step([1, 2]);
  assert.equal(Array.from(terminated), [1, 0]);
  const rows = new Float32Array(2);
  for (const e of [0, 1]) writeNextObsRow(lake, next, info, e, rows, e);
  assert.equal(Array.from(next), [0, 2], 'the vector env\'s rows: env 0 already reset');
  assert.equal(Array.from(rows), [5, 2], 'env 0 ended in the hole (state 5), env 1 is at state 2');
  lake.close();
  // the walker reaches cell 2 after two steps right: its final row is cell one-hot (0, 0, 1) and signal (1, 0.2)
  const walk = makeVec(TUPLE_WALK_ID, { numEnvs: 1, autoresetMode: 'same-step' });
  walk.reset({ seed: 0 });
  walk.step([1]);
  const [wNext, , wTerminated, , wInfo] = walk.step([1]);
  assert.is(wTerminated[0], 1);
  const row = new Float32Array(STRUCTURED_OBS_DIM);
  writeNextObsRow(walk, wNext, wInfo, 0, row, 0);
  assert.equal(Array.from(wNext), [1, 0, 0, 0, 0], 'the reset observation');
  assert.equal(Array.from(row), [0, 0, 1, 1, Math.fround(0.2)]);
  walk.close();
});

test('writeBatchRow refuses an observation outside its space, naming both, instead of writing a wrong or NaN row', () => {
  const out = new Float32Array(4);
  assert.throws(() => writeBatchRow(new Discrete(3), 3, out, 0, 1), (e: unknown) => e instanceof InvalidArgument && e.message === 'writeBatchRow: 3 is not an element of Discrete(3) (expected an integer in [0, 3))');
  assert.throws(() => writeBatchRow(new Box(-1, 1, [4]), [0, 0], out, 0, 4), /writeBatchRow: \[0, 0\] is not an element of Box\(-1, 1, \(4,\), float32\) \(expected 4 values\)/);
  writeBatchRow(new Discrete(3, 1), 3, out, 1, 1);
  writeBatchRow(new Box(-1, 1, [2]), [0.5, -0.5], out, 2, 2);
  assert.equal(Array.from(out), [0, 3, 0.5, -0.5]);
});

test.run();
