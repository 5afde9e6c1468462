/**
 * The page's own code, outside the browser: its live envs are the run's (envs/ bundled, made with
 * the run's kwargs, which run_state carries: FrozenLake slippery by default, a custom map, the
 * env's own time limit), and its tfjs policy gives the Q-values of the typed-array forward pass
 * the rollout workers run; it drops frames that are not messages it shows, naming the problem;
 * its samples caption and its Stop and Checkpoint buttons say what the run's kind does.
 * dashboard/src is bundled with esbuild for Node (tfjs kept external: the installed one).
 */
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dqnForward } from '../agents/dqn.js';
import { finalMetricOf, parseTrialMetric, trialMetric } from '../agents/metricNames.js';
import { Rng } from '../base/rng.js';
import { formatMetric } from '../base/format.js';
import type { TensorMap } from '../core/tensors.js';
import type { HiddenActivation } from '../core/activation.js';
import { packr } from '../core/tensors.js';
import type { CoordinatorMessage, RunSummary } from '../protocol/messages.js';
import { RL_ALGOS, RL_FAMILY, isRlAlgo } from '../agents/algos.js';
import { CONDITIONAL_KINDS, GENERATIVE_KINDS, SAMPLE_GRID_LAYOUT } from '../generative/kinds.js';
import { GENERATIVE_MODELS } from '../generative/models.js';
import { SAMPLE_GRID_SIDE, sampleGridLabels } from '../generative/png.js';
import { close, useCpu, test } from './helpers.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'dist', 'test', 'dashboard-page');

interface SimLike {
  id: string;
  discrete: boolean;
  obsDim: number;
  fps: number;
  maxEpisodeSteps: number | null;
  reset(): number[];
  step(a: number | number[]): { obs: number[]; reward: number; terminated: boolean; truncated: boolean };
  close(): void;
}
type PageEnvs = { makeSim(id: string, kwargs?: Record<string, unknown>): SimLike };
type PageFrames = { frameProblem(value: unknown): string | undefined; isPageMessage(value: unknown): boolean; trialRows(value: unknown): { index: number; overrides: object }[] | undefined };
type PagePolicy = { Policy: new (p: TensorMap, activation?: HiddenActivation) => { forward(obs: ArrayLike<number>): Float32Array; act(obs: ArrayLike<number>, discrete: boolean): { discrete: number }; dispose(): void; net: string; hidden: string } };

async function bundle<T>(name: string): Promise<T> {
  const { build } = await import('esbuild');
  mkdirSync(OUT, { recursive: true });
  const outfile = path.join(OUT, `${name}.mjs`);
  await build({ entryPoints: [path.join(ROOT, 'dashboard', 'src', `${name}.ts`)], bundle: true, format: 'esm', platform: 'node', outfile, external: ['@tensorflow/*'], logLevel: 'warning' });
  return (await import(pathToFileURL(outfile).href)) as T;
}

/** Where FrozenLake's agent lands after one RIGHT from the start, over `n` fresh episodes. */
function firstMoves(sim: SimLike, n: number): Set<number> {
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    assert.equal(sim.reset(), [0]);
    seen.add(sim.step(2).obs[0]!);
  }
  return seen;
}

test("the page's FrozenLake-v1 is slippery by default, as the env (Gymnasium's is_slippery=True)", async () => {
  const { makeSim } = await bundle<PageEnvs>('envs');
  // from (0, 0), RIGHT slips UP (stays at 0) or DOWN (to 4) with probability 1/3 each
  assert.equal([...firstMoves(makeSim('FrozenLake-v1'), 200)].sort((a, b) => a - b), [0, 1, 4]);
  assert.equal([...firstMoves(makeSim('FrozenLake-v1', { isSlippery: true }), 200)].sort((a, b) => a - b), [0, 1, 4]);
  assert.equal([...firstMoves(makeSim('FrozenLake-v1', { isSlippery: false }), 50)], [1]);
});

test("the page follows the run's kwargs: a custom FrozenLake map, and CliffWalking's isSlippery", async () => {
  const { makeSim } = await bundle<PageEnvs>('envs');
  const lake = makeSim('FrozenLake-v1', { desc: ['SF', 'HG'], isSlippery: false });
  assert.equal(lake.reset(), [0]);
  let r = lake.step(1); // DOWN into the hole of this map (the 4x4 map has ice there)
  assert.equal([r.obs, r.reward, r.terminated], [[2], 0, true]);
  lake.reset();
  lake.step(2); // RIGHT
  r = lake.step(1); // DOWN onto the goal
  assert.equal([r.obs, r.reward, r.terminated], [[3], 1, true]);
  const cliff = makeSim('CliffWalking-v1', { isSlippery: true });
  const ups = new Set<number>();
  for (let i = 0; i < 100; i++) {
    cliff.reset();
    ups.add(cliff.step(0).obs[0]!); // UP from the start (36): slips RIGHT into the cliff (back to 36) or LEFT (stays)
  }
  assert.ok(ups.size > 1 && ups.has(24), `slippery CliffWalking: UP from the start reached ${[...ups]}`);
});

test("the page applies the env's own time limit: FrozenLake-v1 truncates at 100 steps, CliffWalking-v1 never", async () => {
  const { makeSim } = await bundle<PageEnvs>('envs');
  const lake = makeSim('FrozenLake-v1', { isSlippery: false });
  assert.is(lake.maxEpisodeSteps, 100);
  lake.reset();
  for (let t = 1; t <= 100; t++) {
    const r = lake.step(0); // LEFT at the left edge: stays on the start tile
    assert.is(r.terminated, false);
    assert.is(r.truncated, t === 100, `truncated at step ${t}`);
  }
  const cliff = makeSim('CliffWalking-v1');
  assert.is(cliff.maxEpisodeSteps, null);
  cliff.reset();
  for (let t = 1; t <= 1000; t++) {
    const r = cliff.step(0); // UP at the top edge after three steps: walks on forever
    assert.ok(!r.terminated && !r.truncated, `CliffWalking-v1 ended at step ${t}`);
  }
});

test("the page makes every built-in env with the env's spaces and frame rate; an unknown id says why", async () => {
  const { makeSim } = await bundle<PageEnvs>('envs');
  const cases: [string, boolean, number, number][] = [
    ['CartPole-v1', true, 4, 50],
    ['MountainCar-v0', true, 2, 30],
    ['Acrobot-v1', true, 6, 15],
    ['Pendulum-v1', false, 3, 30],
    ['FrozenLake8x8-v1', true, 1, 4],
    ['Taxi-v4', true, 1, 4],
  ];
  for (const [id, discrete, obsDim, fps] of cases) {
    const sim = makeSim(id);
    assert.equal([sim.discrete, sim.obsDim, sim.fps], [discrete, obsDim, fps], id);
    assert.is(sim.reset().length, obsDim, `${id} reset`);
    const r = sim.step(discrete ? 0 : [0.5]);
    assert.is(r.obs.length, obsDim, `${id} step`);
    assert.ok(Number.isFinite(r.reward), `${id} reward`);
    sim.close();
  }
  assert.throws(() => makeSim('CartPol-v1'), /CartPole-v1/);
});

test("the page's tfjs policy gives dqnForward's Q-values and argmax", async () => {
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
  // a network's params message names its activation: the page guesses none
  assert.throws(() => new Policy(params), /the 'q' network's parameters came without their activation/);
  const policy = new Policy(params, 'relu');
  assert.is(policy.net, 'q');
  assert.is(policy.hidden, 'relu');
  const oracle = dqnForward(params, 'relu');
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

test('the page takes the messages it shows and drops any other frame, naming the problem', async () => {
  const { frameProblem, isPageMessage } = await bundle<PageFrames>('frames');
  const shown: CoordinatorMessage[] = [
    { type: 'welcome', protocol: 4, peerId: 1, runId: 'r' },
    { type: 'error', code: 'not_allowed', message: 'no' },
    { type: 'run_state', run: { runId: 'r', name: 'n', state: 'running', kind: 'dqn', backend: 'cpu', startedAt: '2026-12-07T00:00:00Z' }, workers: [] },
    { type: 'metrics', runId: 'r', points: [{ step: 1, time: 0, metrics: { 'charts/episodic_return': 9 } }] },
    { type: 'params', runId: 'r', version: 2, params: {} },
    { type: 'samples', runId: 'r', epoch: 1, png: Uint8Array.of(137, 80) },
  ];
  for (const m of shown) {
    // through msgpack, as on the socket
    const value = packr.unpack(packr.pack(m));
    assert.is(frameProblem(value), undefined, m.type);
    assert.ok(isPageMessage(value), m.type);
  }
  const dropped: [unknown, RegExp][] = [
    [42, /^not a message: 42$/],
    [[1, 2], /^not a message: \[1, 2\]$/],
    [{ runId: 'r' }, /^no type: not a message the page shows \(welcome, error, run_state, metrics, params, samples\)$/],
    [{ type: 'task', taskId: 1, task: {} }, /^type "task": not a message the page shows/],
    [{ type: 'toString' }, /^type "toString": not a message the page shows/],
    [{ type: 'run_state', run: null, workers: [] }, /^run_state\.run: expected an object, got null$/],
    [{ type: 'run_state', run: {}, workers: {} }, /^run_state\.workers: expected a list, got \{\}$/],
    [{ type: 'metrics', runId: 'r' }, /^metrics\.points: expected a list, got undefined$/],
    [{ type: 'params', runId: 'r', version: '2', params: {} }, /^params\.version: expected number, got "2"$/],
    [{ type: 'samples', runId: 'r', epoch: 1, png: 'data:image/png' }, /^samples\.png: expected bytes, got "data:image\/png"$/],
    [{ type: 'error', code: 'internal' }, /^error\.message: expected string, got undefined$/],
  ];
  for (const [value, problem] of dropped) {
    assert.match(frameProblem(value) ?? 'accepted', problem, JSON.stringify(value));
    assert.not.ok(isPageMessage(value));
  }
});

test("the page reads a sweep's trial list only when it is one", async () => {
  const { trialRows } = await bundle<PageFrames>('frames');
  const good = [{ index: 1, overrides: { 'agent.config.alpha': 0.1 } }, { index: 0, overrides: {} }];
  assert.equal(trialRows(JSON.parse(JSON.stringify(good))), good);
  for (const bad of [{ rows: good }, [{ index: '1', overrides: {} }], [{ index: 1 }], [{ index: 1, overrides: null }], [null], 'x']) {
    assert.is(trialRows(bad), undefined, JSON.stringify(bad));
  }
});

test("the page's panels: both throughputs (an RL run's env steps/s, a generative run's iterations/s) in the speed panel", async () => {
  const { panelOf } = await bundle<{ panelOf(name: string): string }>('panels');
  const expected: [string, string][] = [
    ['charts/episodic_return', 'return'],
    ['charts/sps', 'speed'],
    ['charts/steps_per_s', 'speed'],
    ['eval/mean_return', 'eval'],
    ['eval/final_mean_return', 'eval'],
    ['eval/test_elbo', 'eval'],
    ['eval/episodes', 'none'],
    ['losses/td_loss', 'loss'],
    ['trial/3/charts/episodic_return', 'trial'],
    ['charts/epsilon', 'more'],
    ['charts/data_parallel_steps_per_s', 'more'],
  ];
  for (const [name, panel] of expected) assert.is(panelOf(name), panel, name);
});

test("a sweep's per-trial names: the page reads back what the drivers write; a final score's name from its curve's", () => {
  assert.is(trialMetric(12, 'charts/episodic_return'), 'trial/12/charts/episodic_return');
  assert.equal(parseTrialMetric(trialMetric(12, 'eval/final_test_elbo')), { index: 12, metric: 'eval/final_test_elbo' });
  for (const other of ['charts/episodic_return', 'trial/x/eval/a', 'trial/3/', 'trials/3/eval/a']) assert.is(parseTrialMetric(other), undefined, other);
  assert.is(finalMetricOf('eval/test_elbo'), 'eval/final_test_elbo');
  assert.throws(() => finalMetricOf('charts/sps'), /'charts\/sps' is not an evaluation metric/);
});

test("the page writes a metric's value as the terminal does (base/format.ts): a sweep's 0.00123 is not 0.001", async () => {
  const { metricText, fmt } = await bundle<{ metricText(v: number | undefined): string; fmt(v: number | undefined, digits?: number): string }>('views');
  for (const v of [0.00123, 99.94, -17, 1234.5, 12.345, 0.5]) assert.is(metricText(v), formatMetric(v), String(v));
  assert.is(metricText(undefined), '–');
  assert.is(metricText(Number.NaN), '–');
  // counts and rates (env steps, tasks/s) stay compact
  assert.is(fmt(123_456), '123.5k');
});

test("the page's $ checks an element's class, naming the id, instead of trusting a type argument", async () => {
  // the few DOM classes and the document $ reads, outside the browser (the bundle reads them as globals)
  class HTMLElement {
    constructor(readonly tagName = 'DIV') {}
  }
  class HTMLCanvasElement extends HTMLElement {}
  const page: Record<string, HTMLElement> = { chart: new HTMLElement(), canvas: new HTMLCanvasElement('CANVAS') };
  const g = globalThis as Record<string, unknown>;
  Object.assign(g, { HTMLElement, HTMLCanvasElement, document: { getElementById: (id: string) => page[id] ?? null } });
  try {
    const { $ } = await bundle<{ $(id: string, type?: new () => HTMLElement): HTMLElement }>('views');
    assert.is($('chart'), page.chart);
    assert.is($('canvas', HTMLCanvasElement), page.canvas);
    assert.throws(() => $('chart', HTMLCanvasElement), /#chart in index.html is a <div>, not the HTMLCanvasElement the page needs/);
    assert.throws(() => $('nothing'), /#nothing missing from index.html/);
  } finally {
    for (const k of ['HTMLElement', 'HTMLCanvasElement', 'document']) delete g[k];
  }
});

type PageRunKind = {
  samplesCaption(epoch: number, kind: string | undefined): string;
  runControls(run: Pick<RunSummary, 'kind' | 'trialMetrics' | 'trials'>): Record<'stop' | 'checkpoint', { heard: boolean; says: string }>;
};

test("the samples caption says the grid's layout as generative/png.ts lays it out, for the kinds generative/kinds.ts calls conditional", async () => {
  const { samplesCaption } = await bundle<PageRunKind>('runKind');
  // png.ts: column k of every row is digit k
  const labels = sampleGridLabels();
  for (let cell = 0; cell < labels.length; cell++) assert.is(labels[cell], cell % SAMPLE_GRID_SIDE, `cell ${cell}`);
  assert.is(SAMPLE_GRID_LAYOUT, 'column k: digit k');
  for (const kind of GENERATIVE_KINDS) {
    assert.is(samplesCaption(3, kind), `epoch 3 · fixed latents${CONDITIONAL_KINDS.includes(kind) ? ' · column k: digit k' : ''}`, kind);
    // the registry builds these kinds' models conditional (what the grids are drawn with)
    assert.is(new Map<string, unknown>(Object.entries(GENERATIVE_MODELS[kind].resolve({}))).get('conditional') === true, CONDITIONAL_KINDS.includes(kind), kind);
  }
  assert.equal(CONDITIONAL_KINDS, ['cdcgan']);
});

test('the Stop and Checkpoint buttons say what they do for each kind of run, and only the kinds that hear them enable them', async () => {
  const { runControls } = await bundle<PageRunKind>('runKind');
  const trialMetrics = { curve: 'charts/episodic_return', final: 'eval/final_mean_return', unit: 'episode' } as const;
  for (const kind of [...RL_ALGOS, ...GENERATIVE_KINDS]) {
    const c = runControls({ kind });
    const family = isRlAlgo(kind) ? RL_FAMILY[kind] : undefined;
    // drivers/offPolicy.ts alone takes a checkpoint on request
    assert.is(c.checkpoint.heard, kind === 'dqn', `${kind}: checkpoint`);
    // drivers/onPolicy.ts trains in the coordinator's thread to the end and is not resumed
    assert.is(c.stop.heard, family !== 'policy-gradient', `${kind}: stop`);
    // DQN and generative runs continue with --resume (drivers/offPolicy.ts, drivers/generative.ts)
    if (kind === 'dqn' || (GENERATIVE_KINDS as readonly string[]).includes(kind)) assert.match(c.stop.says, /--resume RUN_DIR/, kind);
    else assert.not.match(c.stop.says, /--resume/, kind);
    const sweep = runControls({ kind, trialMetrics });
    assert.equal([sweep.stop.heard, sweep.checkpoint.heard], [true, false], `${kind} sweep`);
    assert.match(sweep.stop.says, /not resumed/);
    const queued = runControls({ kind, trialMetrics, trials: [] });
    assert.equal([queued.stop.heard, queued.checkpoint.heard], [true, false], `${kind} queue sweep`);
    assert.match(queued.stop.says, /--attach SWEEP_ID/);
  }
});

test.run();
