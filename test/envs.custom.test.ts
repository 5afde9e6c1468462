import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import * as nodePath from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DISCRETE, EnvModuleError, InvalidAction, InvalidArgument, ResetNeeded, checkEnv, logger, make, makeAsync, makeVecAsync, register, unregister, withSpaces, type Env } from '../envs/index.js';
import { GridMazeEnv } from '../experiments/gridmaze.js';
import { errorMessage } from '../base/plainData.js';

logger.level = 'error';

const modulePath = fileURLToPath(new URL('../experiments/gridmaze.js', import.meta.url));
const relative = './' + nodePath.relative(process.cwd(), modulePath).split(nodePath.sep).join('/');

test('GridMaze-v0 loads through make("module:Id") by relative path, absolute path and file URL', async () => {
  for (const ref of [relative, modulePath, pathToFileURL(modulePath).href]) {
    const env = await makeAsync(`${ref}:GridMaze-v0`);
    assert.ok(env.unwrapped instanceof GridMazeEnv, ref);
    assert.is(env.spec!.maxEpisodeSteps, 100);
  }
  assert.ok(make(`${relative}:GridMaze-v0`).unwrapped instanceof GridMazeEnv, 'sync make once imported');
  const vec = await makeVecAsync(`${relative}:GridMaze-v0`, { numEnvs: 3 });
  assert.equal(Array.from(vec.reset({ seed: 0 })[0]), [0, 0, 0]);
});

test('GridMaze dynamics: walls block, the shortest path reaches the goal with the documented rewards', () => {
  const env = withSpaces(make('GridMaze-v0'), DISCRETE, DISCRETE);
  assert.equal(env.reset({ seed: 0 }), [0, {}]);
  assert.equal(env.step(1), [1, -0.01, false, false, { prob: 1 }]); // right
  assert.equal(env.step(1), [1, -0.01, false, false, { prob: 1 }]); // wall '#' at (0,2): stays
  // S.#..   from (0,1): left, down, down, right, down, down, right, right, right → G at (4,4) = 24
  // .#..#
  // ...#.
  // #.#..
  // ....G
  const path = [3, 2, 2, 1, 2, 2, 1, 1, 1];
  const states: number[] = [];
  let last: [number, number, boolean, boolean, Record<string, unknown>] | undefined;
  for (const a of path) {
    last = env.step(a);
    states.push(last[0]);
  }
  assert.equal(states, [0, 5, 10, 11, 16, 21, 22, 23, 24]);
  assert.equal(last!.slice(1, 4), [1, true, false]);
  assert.is(last![0], 24);
  assert.throws(() => env.step(1), (e: Error) => e instanceof ResetNeeded);
  env.reset();
  assert.throws(() => env.step(4), (e: Error) => e instanceof InvalidAction && /Discrete\(4\)/.test(e.message));
  const table = (env.unwrapped as GridMazeEnv).P;
  assert.equal(table[0]![0], [[1.0, 0, -0.01, false]]);
  const slippery = new GridMazeEnv({ slipProbability: 0.2 });
  assert.equal(slippery.P[7]![3], [[0.8, 7, -0.01, false], [0.1, 12, -0.01, false], [0.1, 7, -0.01, false]]);
});

test('checkEnv passes on the custom env; register works under another id with kwargs', () => {
  checkEnv(make('GridMaze-v0'));
  register({ id: 'TinyMaze-v0', entryPoint: GridMazeEnv, kwargs: { maze: ['S.G'] }, maxEpisodeSteps: 5 });
  const env = make('TinyMaze-v0');
  env.reset({ seed: 0 });
  assert.equal(env.step(1).slice(0, 3), [1, -0.01, false]);
  assert.equal(env.step(1).slice(0, 3), [2, 1, true]);
  checkEnv(env);
  unregister('TinyMaze-v0');
  assert.throws(() => make('GridMaze-v0', { maze: ['S.#'] }), (e: Error) => e instanceof InvalidArgument && /goal/.test(e.message));
  assert.throws(() => make('GridMaze-v0', { slip: 0.1 }), (e: Error) => e instanceof InvalidArgument && /unknown keyword argument `slip`/.test(e.message));
});

test('a module that does not register the named env is a clear error', async () => {
  try {
    await makeAsync(`${relative}:GridMaz-v0`);
    assert.unreachable();
  } catch (e) {
    assert.ok(e instanceof EnvModuleError, String(e));
    assert.match(errorMessage(e), /did not register an environment with id 'GridMaz-v0'. Did you mean `GridMaze-v0`/);
  }
});

test('the custom env renders ansi', () => {
  const env: Env<number, number> = new GridMazeEnv({ renderMode: 'ansi' });
  env.reset({ seed: 0 });
  assert.is(env.render!(), 'A.#..\n.#..#\n...#.\n#.#..\n....G\n');
});

test.run();
