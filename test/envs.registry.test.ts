import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import {
  ANY_SPACE,
  BOX_FLOAT32,
  Box,
  CartPoleEnv,
  DISCRETE,
  DeprecatedEnv,
  EnvError,
  EnvModuleError,
  FrozenLakeEnv,
  InvalidAction,
  InvalidArgument,
  NameNotFound,
  OrderEnforcing,
  PassiveEnvChecker,
  RegistrationError,
  ResetNeeded,
  TimeLimit,
  VersionNotFound,
  logger,
  make,
  makeAsync,
  parseEnvId,
  register,
  registeredIds,
  spec,
  splitModuleRef,
  unregister,
  withSpaces,
  Wrapper,
  BUILTIN_ENV_IDS,
} from '../envs/index.js';

logger.level = 'error';

const is = (cls: Function, re?: RegExp) => (e: Error) => e instanceof cls && (re === undefined || re.test(e.message));

test('make wraps like Gymnasium: TimeLimit<OrderEnforcing<PassiveEnvChecker<CartPoleEnv>>>', () => {
  const env = make('CartPole-v1');
  assert.ok(env instanceof TimeLimit);
  const inner = (env as TimeLimit).env;
  assert.ok(inner instanceof OrderEnforcing);
  assert.ok((inner as OrderEnforcing).env instanceof PassiveEnvChecker);
  assert.ok(env.unwrapped instanceof CartPoleEnv);
  assert.is(env.unwrapped.spec!.id, 'CartPole-v1');
  assert.is(String(env), 'TimeLimit<OrderEnforcing<PassiveEnvChecker<CartPoleEnv<CartPole-v1>>>>');
  const bare = make('CartPole-v1', {}, { maxEpisodeSteps: null, disableEnvChecker: true, orderEnforce: false });
  assert.ok(bare instanceof CartPoleEnv);
  assert.is((make('CartPole-v1', {}, { maxEpisodeSteps: 10 }) as TimeLimit).maxEpisodeSteps, 10);
});

test('every built-in id is registered with Gymnasium\'s spec values', () => {
  for (const id of BUILTIN_ENV_IDS) assert.ok(registeredIds().includes(id), id);
  assert.equal(spec('FrozenLake8x8-v1').kwargs, { mapName: '8x8' });
  assert.equal(parseEnvId('ns/My.Env-v12'), { namespace: 'ns', name: 'My.Env', version: 12 });
});

test('unknown ids: did you mean, version not found, deprecated versions', () => {
  assert.throws(() => make('CartPol-v1'), is(NameNotFound, /Did you mean: `CartPole-v1`/));
  assert.throws(() => make('cartpole-v1'), is(NameNotFound, /CartPole-v1/));
  assert.throws(() => make('CartPole-v7'), is(VersionNotFound, /`v7`.*\[ `v1` \].*Did you mean `CartPole-v1`/));
  assert.throws(() => make('Taxi-v3'), is(DeprecatedEnv, /Taxi-v3|v3 for `Taxi` is deprecated. Please use `Taxi-v4`/));
  assert.throws(() => make('CliffWalking-v0'), is(DeprecatedEnv, /Please use `CliffWalking-v1`/));
  assert.throws(() => make('Nothing-v0'), is(NameNotFound, /doesn't exist/));
  assert.is(make('CartPole').spec!.id, 'CartPole-v1');
});

test('wrong kwargs: unknown name (with suggestion) and bad values', () => {
  assert.throws(() => make('CartPole-v1', { sutton_barto_reward: true }), is(InvalidArgument, /unknown keyword argument `sutton_barto_reward`.*Did you mean `suttonBartoReward`/));
  assert.throws(() => make('Pendulum-v1', { g: 'ten' }), is(InvalidArgument, /`g`.*finite number/));
  assert.throws(() => make('Taxi-v4', { rainyProbability: 2 }), is(InvalidArgument, /probability/));
  assert.throws(() => make('CartPole-v1', { renderMode: 'human' }), is(InvalidArgument, /render mode not supported/));
  assert.is(Reflect.get(make('Pendulum-v1', { g: 9.81 }).unwrapped, 'g'), 9.81);
});

test('step before reset, step after termination, action outside the space', () => {
  const env = make('CartPole-v1');
  assert.throws(() => env.step(0), is(ResetNeeded, /Cannot call env.step\(\) before calling env.reset\(\)/));
  env.reset({ seed: 0 });
  assert.throws(() => env.step(3), is(InvalidAction, /action 3 is not in the action space Discrete\(2\)/));
  assert.throws(() => env.step('left'), is(InvalidAction)); // make's env takes unknown actions: the checker refuses them
  // a Box action must be numbers: a list of strings or a bigint array is refused, not stepped
  const pendulum = withSpaces(make('Pendulum-v1'), BOX_FLOAT32, ANY_SPACE);
  pendulum.reset({ seed: 0 });
  assert.throws(() => pendulum.step(['0.5']), is(InvalidAction, /is not in the action space Box/));
  assert.throws(() => pendulum.step(BigInt64Array.of(1n)), is(InvalidAction, /is not in the action space Box/));
  assert.not.ok(pendulum.actionSpace.contains(['0.5']) || pendulum.actionSpace.contains(BigInt64Array.of(1n)));
  assert.is(pendulum.step(Float32Array.of(0.5))[0].length, 3);
  (env.unwrapped as CartPoleEnv).state = [0, 0, 0.3, 0];
  assert.is(env.step(0)[2], true);
  assert.throws(() => env.step(0), is(ResetNeeded, /after the episode terminated/));
  env.reset();
  assert.is(env.step(0)[2], false);
  const pend = make('Pendulum-v1');
  pend.reset({ seed: 0 });
  assert.throws(() => pend.step(Float32Array.of(1, 2)), is(InvalidAction, /Box/));
});

test('register with a factory, kwargs defaults and re-registration', () => {
  register({ id: 'test/ShortPole-v0', entryPoint: (kw: Record<string, unknown>) => new CartPoleEnv(kw), maxEpisodeSteps: 3, kwargs: { suttonBartoReward: true } });
  const env = make('test/ShortPole-v0');
  env.reset({ seed: 1 });
  const r = [env.step(0), env.step(1), env.step(0)];
  assert.equal(r.map((x) => x[3]), [false, false, true]);
  assert.is(r[0]![1], 0); // sutton reward: 0 per step
  assert.throws(() => make('test/ShortPol-v0'), is(NameNotFound, /test\/ShortPole-v0/));
  assert.throws(() => make('nope/X-v0'), is(Error, /Namespace nope not found/));
  assert.throws(() => register({ id: 'bad id!', entryPoint: CartPoleEnv }), /Malformed environment ID/);
  assert.ok(unregister('test/ShortPole-v0'));
});

test('withSpaces: an env of make narrowed to typed observations and actions by its spaces; the wrong spaces are an EnvError naming the env and each space', () => {
  const pole = make('CartPole-v1');
  const typed = withSpaces(pole, BOX_FLOAT32, DISCRETE);
  assert.is(typed, pole, 'the same env, checked');
  assert.ok(typed.reset({ seed: 0 })[0] instanceof Float32Array);
  assert.throws(
    () => withSpaces(pole, DISCRETE, DISCRETE),
    (e: Error) => e instanceof EnvError && e.message === `CartPole-v1 has the wrong spaces: observation space: expected Discrete, got ${String(pole.observationSpace)}`,
  );
  assert.throws(() => withSpaces(make('Pendulum-v1'), BOX_FLOAT32, DISCRETE), is(EnvError, /^Pendulum-v1 has the wrong spaces: action space: expected Discrete, got Box\(-2, 2, \(1,\), float32\)$/));
  // a float64 Box is not Float32Arrays; a directly constructed env (no spec) is named by its class
  const wide = new Wrapper(make('CartPole-v1'));
  wide.observationSpace = new Box(-1, 1, [4], 'float64');
  assert.throws(() => withSpaces(wide, BOX_FLOAT32, ANY_SPACE), is(EnvError, /^CartPole-v1 has the wrong spaces: observation space: expected Box of float32, got Box\(-1, 1, \(4,\), float64\)$/));
  assert.throws(() => withSpaces(new FrozenLakeEnv(), BOX_FLOAT32, BOX_FLOAT32), is(EnvError, /^FrozenLakeEnv has the wrong spaces: observation space: expected Box of float32, got Discrete\(16\); action space: expected Box of float32, got Discrete\(4\)$/));
});

test('module ids: parsing, sync make before import, nonexistent module, string entry points', async () => {
  assert.equal(splitModuleRef('./a/b.js:GridMaze-v0'), { module: './a/b.js', name: 'GridMaze-v0' });
  assert.equal(splitModuleRef('file:///x/y.js:My-v1'), { module: 'file:///x/y.js', name: 'My-v1' });
  assert.is(splitModuleRef('CartPole-v1'), null);
  assert.is(splitModuleRef('file:///x/y.js'), null);
  assert.throws(() => make('./not/imported.js:Foo-v0'), is(EnvModuleError, /makeAsync/));
  try {
    await makeAsync('./no/such/module.js:Foo-v0');
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof EnvModuleError && /Cannot import env module '.\/no\/such\/module.js'/.test(e.message));
  }
  register({ id: 'StringEntry-v0', entryPoint: new URL('../envs/classic/cartpole.js', import.meta.url).href + ':CartPoleEnv' });
  assert.throws(() => make('StringEntry-v0'), is(EnvModuleError, /makeAsync/));
  const env = await makeAsync('StringEntry-v0');
  assert.ok(env.unwrapped instanceof CartPoleEnv);
  register({ id: 'StringEntry-v1', entryPoint: new URL('../envs/classic/cartpole.js', import.meta.url).href + ':NoSuchExport' });
  try {
    await makeAsync('StringEntry-v1');
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof EnvModuleError && /has no export 'NoSuchExport'/.test(e.message));
  }
  unregister('StringEntry-v0');
  unregister('StringEntry-v1');
  // a malformed string entry point: register refuses it, and so does resolving an EnvSpec built by hand (never registered), naming it, not a TypeError
  assert.throws(() => register({ id: 'BadEntry-v0', entryPoint: 'no-colon-here' }), is(RegistrationError, /^register\('BadEntry-v0'\): string entryPoint must look like "path\/to\/module\.js:ExportName", got 'no-colon-here'$/));
  const handMade = { ...spec('CartPole-v1'), id: 'HandMade-v0', entryPoint: 'no-colon-here' };
  try {
    await makeAsync(handMade);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof RegistrationError, String(e));
    assert.is(e.message, `the EnvSpec of 'HandMade-v0': string entryPoint must look like "path/to/module.js:ExportName", got 'no-colon-here'`);
  }
});

test('the registry shared on globalThis: a foreign value under its key is an error, not silently used', () => {
  const registration = new URL('../envs/registration.js', import.meta.url).href;
  const load = (setup: string) =>
    spawnSync(process.execPath, ['--input-type=module', '-e', `${setup}; const m = await import(${JSON.stringify(registration)}); console.log(m.registry.size);`], { encoding: 'utf8' });
  const ok = load('');
  assert.is(ok.status, 0, ok.stderr);
  assert.is(ok.stdout.trim(), '0', 'a fresh process starts with an empty registry (built-ins register in envs/builtins.ts)');
  const bad = load("globalThis[Symbol.for('nnlab.envs.registry')] = 42");
  assert.is(bad.status, 1);
  assert.match(bad.stderr, /globalThis\[Symbol\.for\('nnlab\.envs\.registry'\)\] holds a number, not the env registry's Map/);
});

test.run();
