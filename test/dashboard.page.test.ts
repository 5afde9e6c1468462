/**
 * The page's own code, outside the browser: its small copies of the envs' dynamics step exactly
 * like envs/ (the oracle: same state, same actions → same observations, rewards, terminations),
 * and its tfjs policy gives the Q-values of the typed-array forward pass the rollout workers run.
 * dashboard/src is bundled with esbuild for Node (tfjs kept external: the installed one).
 */
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { make } from '../envs/index.js';
import { dqnForward } from '../agents/dqn.js';
import { Rng } from '../core/rng.js';
import type { TensorMap } from '../core/tensors.js';
import { close, useCpu, test } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'dist', 'test', 'dashboard-page');

interface SimLike {
  discrete: boolean;
  reset(): number[];
  step(a: number | number[]): { obs: number[]; reward: number; terminated: boolean };
  [field: string]: unknown;
}
type PageEnvs = { makeSim(id: string): SimLike | undefined };
type PagePolicy = { Policy: new (p: TensorMap, activation?: 'relu' | 'tanh') => { forward(obs: ArrayLike<number>): Float32Array; act(obs: ArrayLike<number>, discrete: boolean): { discrete: number }; dispose(): void; net: string; hidden: string } };

async function bundle<T>(name: string): Promise<T> {
  const { build } = await import('esbuild');
  mkdirSync(OUT, { recursive: true });
  const outfile = path.join(OUT, `${name}.mjs`);
  await build({ entryPoints: [path.join(ROOT, 'dashboard', 'src', `${name}.ts`)], bundle: true, format: 'esm', platform: 'node', outfile, external: ['@tensorflow/*'], logLevel: 'warning' });
  return (await import(pathToFileURL(outfile).href)) as T;
}

/** Copies the env's state into the page's sim. */
function syncState(id: string, sim: SimLike, env: ReturnType<typeof make>, obs: unknown): void {
  const state = (env.unwrapped as unknown as { state?: Float64Array | null }).state;
  switch (id) {
    case 'CartPole-v1':
      [sim.x, sim.xDot, sim.theta, sim.thetaDot] = state!;
      return;
    case 'MountainCar-v0':
      [sim.position, sim.velocity] = state!;
      return;
    case 'Acrobot-v1':
      sim.s = Array.from(state!);
      return;
    case 'Pendulum-v1':
      [sim.th, sim.thDot] = state!;
      return;
    case 'Taxi-v4': {
      let s = obs as number;
      sim.destination = s % 4;
      s = Math.floor(s / 4);
      sim.passenger = s % 5;
      s = Math.floor(s / 5);
      sim.col = s % 5;
      sim.row = Math.floor(s / 5);
      return;
    }
    default:
      sim.state = obs as number;
  }
}

const CASES: [string, Record<string, unknown>, number][] = [
  ['CartPole-v1', {}, 2],
  ['MountainCar-v0', {}, 3],
  ['Acrobot-v1', {}, 3],
  ['Pendulum-v1', {}, 0],
  ['FrozenLake-v1', { isSlippery: false }, 4],
  ['FrozenLake8x8-v1', { isSlippery: false }, 4],
  ['CliffWalking-v1', {}, 4],
  ['Taxi-v4', {}, 6],
];

for (const [id, kwargs, numActions] of CASES) {
  test(`the page's ${id} steps like envs/ (same state and actions → same obs, rewards, ends)`, async () => {
    const { makeSim } = await bundle<PageEnvs>('envs');
    const sim = makeSim(id)!;
    assert.ok(sim, `a sim for ${id}`);
    const rng = new Rng(7);
    for (let episode = 0; episode < 3; episode++) {
      const env = make(id, kwargs);
      let [obs] = env.reset({ seed: 100 + episode });
      sim.reset();
      syncState(id, sim, env, obs);
      for (let t = 0; t < 60; t++) {
        const action = numActions > 0 ? rng.int(numActions) : [rng.uniform() * 4 - 2];
        const [eObs, eReward, terminated, truncated] = env.step(action as never);
        const r = sim.step(action);
        const expected = typeof eObs === 'number' ? [eObs] : Array.from(eObs as Float32Array);
        close(r.obs, expected, 1e-5, `${id} obs at step ${t}`);
        close([r.reward], [eReward], 1e-5, `${id} reward at step ${t}`);
        assert.is(r.terminated, terminated, `${id} terminated at step ${t}`);
        if (terminated || truncated) break;
        syncState(id, sim, env, eObs); // continue from the env's float32-rounded state
        obs = eObs;
      }
      env.close();
    }
  });
}

test("the page's tfjs policy gives MlpForward's Q-values and argmax", async () => {
  await useCpu();
  const { Policy } = await bundle<PagePolicy>('policy');
  const rng = new Rng(3);
  const dims = [4, 32, 32, 2];
  const params: TensorMap = {};
  for (let i = 0; i < dims.length - 1; i++) {
    const w = new Float32Array(dims[i]! * dims[i + 1]!).map(() => rng.normal() * 0.5);
    params[`q_${i}_dense/kernel`] = { shape: [dims[i]!, dims[i + 1]!], data: w };
    params[`q_${i}_dense/bias`] = { shape: [dims[i + 1]!], data: new Float32Array(dims[i + 1]!).map(() => rng.normal() * 0.1) };
  }
  const policy = new Policy(params);
  assert.is(policy.net, 'q');
  assert.is(policy.hidden, 'relu');
  const oracle = dqnForward(params);
  for (let k = 0; k < 20; k++) {
    const obs = new Float32Array(4).map(() => rng.normal());
    const q = Array.from(oracle.forward(obs, 1).slice(0, 2));
    close(policy.forward(obs), q, 1e-5, 'Q-values');
    assert.is(policy.act(obs, true).discrete, q[1]! > q[0]! ? 1 : 0);
  }
  policy.dispose();
  // a DQN configured with tanh: the params message names it and the page follows
  const tanhPolicy = new Policy(params, 'tanh');
  assert.is(tanhPolicy.hidden, 'tanh');
  const tanhOracle = dqnForward(params, 'tanh');
  const obs = Float32Array.from([0.5, -1, 2, 0.3]);
  const qTanh = Array.from(tanhOracle.forward(obs, 1).slice(0, 2));
  close(tanhPolicy.forward(obs), qTanh, 1e-5, 'tanh Q-values');
  assert.ok(Math.abs(qTanh[0]! - oracle.forward(obs, 1)[0]!) > 1e-3, 'the activation changes the Q-values');
  tanhPolicy.dispose();
});

test.run();
