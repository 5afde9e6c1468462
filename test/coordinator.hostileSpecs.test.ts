/**
 * Hostile and mistaken specs (issue #17): sweeps that would expand without end, sweep paths that
 * reach Object.prototype, sizes that exhaust memory, and bad agent/model configs must all fail at
 * validation, before the coordinator listens or writes anything. The CLI cases spawn the real
 * `nnlab run` in a temporary directory.
 */
import { CLI, test } from './helpers.js';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRlSpec, parseSpec, expandSweep, SpecError, SPEC_LIMITS, sweepTrialCount } from '../drivers/spec.js';
import { checkExperiment, CONFIG_LIMITS } from '../drivers/specCheck.js';
import { runExperiment } from '../coordinator/run.js';
import { fsErrorMessage } from '../coordinator/runDir.js';

const tabular = { env: { id: 'CliffWalking-v1' }, agent: { algo: 'qlearning' } };
const cartpoleDqn = { env: { id: 'CartPole-v1' }, agent: { algo: 'dqn', config: {} }, budget: { envSteps: 2000 }, workers: { rollout: 0, learner: { process: false } } };

function problemsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    assert.instance(e, SpecError, String(e));
    return (e as SpecError).problems;
  }
  assert.unreachable('the spec was accepted');
  return [];
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test('a sweep over the trial cap is refused with the count, computed without expanding it', () => {
  // 1000 × 1000 grid points × 1000 seeds = 10⁹ trials: expanding would take hours and gigabytes
  const spec = { ...tabular, sweep: { parameters: { 'agent.config.alpha': range(1000).map((i) => (i + 1) / 1001), 'agent.config.epsilon': range(1000).map((i) => i / 1000) }, seeds: 1000 } };
  const t0 = performance.now();
  const p = problemsOf(() => parseSpec(spec));
  assert.ok(performance.now() - t0 < 2000, `validation took ${performance.now() - t0} ms`);
  assert.ok(p.some((l) => l.startsWith('spec.sweep:') && l.includes('1,000,000,000 trials') && l.includes(`at most ${SPEC_LIMITS.trials.toLocaleString('en-US')}`)), p.join('\n'));
  // just over the cap: 101 × 100 = 10,100
  const over = problemsOf(() => parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': range(101).map((i) => (i + 1) / 102) }, seeds: 100 } }));
  assert.match(over.join('\n'), /spec\.sweep: expands to 10,100 trials \(101 grid points × 100 seeds\)/);
  const random = problemsOf(() => parseSpec({ ...tabular, sweep: { method: 'random', samples: 10_000, parameters: { 'agent.config.alpha': { min: 0.1, max: 1 } }, seeds: 2 } }));
  assert.match(random.join('\n'), /expands to 20,000 trials \(10000 samples × 2 seeds\)/);
  // exactly at the cap is allowed, and the count is the product
  const at = parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': range(100).map((i) => (i + 1) / 101) }, seeds: 100 } });
  assert.is(sweepTrialCount(at.sweep!), 10_000);
});

test('seeds, samples and list lengths have maxima that the error names', () => {
  const p = problemsOf(() => parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': [0.1] }, seeds: 1e8 } }));
  assert.ok(p.some((l) => l.startsWith('spec.sweep.seeds:') && l.includes(`at most ${SPEC_LIMITS.seeds.toLocaleString('en-US')}`) && l.includes('100000000')), p.join('\n'));
  assert.match(problemsOf(() => parseSpec({ ...tabular, sweep: { method: 'random', samples: 1e9, parameters: { 'agent.config.alpha': [0.1] } } })).join('\n'), /spec\.sweep\.samples: at most 10,000/);
  assert.match(problemsOf(() => parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': range(1001) } } })).join('\n'), /spec\.sweep\.parameters\.agent\.config\.alpha: at most 1,000 values, got 1001/);
  // expandSweep counts before expanding even for a spec object that skipped parseSpec's refinements
  const s = parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': [0.1, 0.2] } } });
  s.sweep!.seeds = 1e8;
  assert.match(problemsOf(() => expandSweep(s)).join('\n'), /expands to 200,000,000 trials/);
});

test("a run's name is a folder name a queue worker accepts too: no leading dot, no path", () => {
  for (const name of ['.hidden', '..', '../up', 'a/b']) {
    const p = problemsOf(() => parseSpec({ ...tabular, name }));
    assert.ok(p.some((l) => l.startsWith('spec.name: letters, digits, _ . - only, not starting with a dot')), `${name}: ${p.join('\n')}`);
  }
  assert.is(parseSpec({ ...tabular, name: 'v1.2_sweep-a' }).name, 'v1.2_sweep-a');
});

test('sweep paths cannot reach Object.prototype or name fields the spec does not have', () => {
  const bad = ['__proto__.polluted', 'agent.__proto__.polluted', 'constructor.prototype.polluted', 'agent.config.constructor', 'env.kwargs.prototype', 'agent.colour', 'seed.value', 'sweep.seeds'];
  for (const name of bad) {
    const p = problemsOf(() => parseSpec({ ...tabular, sweep: { parameters: { [name]: [1, 2] } } }));
    assert.ok(p.some((l) => l.startsWith(`spec.sweep.parameters.${name}:`)), `${name}: ${p.join('\n')}`);
  }
  // a spec object assembled in code, past parseSpec: expandSweep still refuses, and nothing leaks
  const s = parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': [0.5] } } });
  const parameters: Record<string, unknown> = JSON.parse('{"__proto__.polluted": [1, 2], "agent.config.alpha": [0.5]}');
  s.sweep!.parameters = parameters as NonNullable<typeof s.sweep>['parameters'];
  try {
    assert.throws(() => expandSweep(s), /__proto__/);
    assert.is(({} as Record<string, unknown>).polluted, undefined);
    assert.not.ok(Object.hasOwn(Object.prototype, 'polluted'));
  } finally {
    delete (Object.prototype as Record<string, unknown>).polluted;
  }
  // a config key that would be one is refused too, or dropped (zod skips an own __proto__ key)
  assert.match(problemsOf(() => parseSpec({ ...tabular, agent: { algo: 'qlearning', config: { constructor: 1 } } })).join('\n'), /spec\.agent\.config\.constructor: a reserved key/);
  const cfg = parseRlSpec(JSON.parse('{"env":{"id":"CliffWalking-v1"},"agent":{"algo":"qlearning","config":{"__proto__":{"alpha":1}}}}')).agent.config;
  assert.is(Object.getPrototypeOf(cfg), Object.prototype);
  assert.is(cfg.alpha, undefined);
  // the allowed paths still work
  assert.is(expandSweep(parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': [0.25], 'env.kwargs.is_slippery': [false] } } }))[0]!.spec.agent?.config.alpha, 0.25);
});

test('every size that allocates up front has a cap that the error names, agent and model configs included', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { bufferSize: 1e12 } } }, /spec\.agent\.config\.bufferSize: at most 1,000,000 transitions, got 1000000000000/],
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { hidden: 'big' } } }, /spec\.agent\.config: DQN config: 'hidden' must be a non-empty list of positive integers, got "big"/],
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { hidden: [1e5, 1e5] } } }, /spec\.agent\.config\.hidden: each layer has at most 4,096 units, got 100000/],
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { hidden: range(17).map(() => 8) } } }, /spec\.agent\.config\.hidden: at most 16 layers, got 17/],
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { batchSize: 1e7 } } }, /spec\.agent\.config\.batchSize: at most 65,536, got 10000000/],
    [{ ...cartpoleDqn, agent: { algo: 'a2c', config: { numEnvs: 4096, numSteps: 1000 } } }, /spec\.agent\.config\.numSteps: numEnvs × numSteps = 4,096,000/],
    [{ ...cartpoleDqn, agent: { algo: 'actor-critic', config: { numEnvs: 1e6 } } }, /spec\.agent\.config\.numEnvs: at most 4,096 envs/],
    [{ ...cartpoleDqn, agent: { algo: 'reinforce', config: { episodesPerUpdate: 1e9 } } }, /spec\.agent\.config\.episodesPerUpdate: at most 10,000/],
    [{ ...cartpoleDqn, workers: { rolloutSteps: 2 ** 31 } }, /spec\.workers\.rolloutSteps: at most 100,000, got 2147483648/],
    [{ ...cartpoleDqn, workers: { numEnvs: 4096, rolloutSteps: 1000 } }, /spec\.workers\.rolloutSteps: numEnvs × rolloutSteps = 4096000/],
    [{ ...cartpoleDqn, workers: { numEnvs: 4097 } }, /spec\.workers\.numEnvs: at most 4,096, got 4097/],
    // the thread and stream counts and the task timeout, capped from protocol/limits.ts like every other field
    [{ ...cartpoleDqn, workers: { rollout: 65 } }, /spec\.workers\.rollout: at most 64 threads, got 65/],
    [{ model: { kind: 'vae' }, workers: { gradient: 65 } }, /spec\.workers\.gradient: at most 64 threads, got 65/],
    [{ ...cartpoleDqn, workers: { streams: 65 } }, /spec\.workers\.streams: at most 64, got 65/],
    [{ ...cartpoleDqn, workers: { taskTimeout: 86_401 } }, /spec\.workers\.taskTimeout: at most 86,400 \(one day\), got 86401/],
    [{ ...cartpoleDqn, budget: { envSteps: 1e15 } }, /spec\.budget\.envSteps: at most 1,000,000,000/],
    [{ ...tabular, budget: { episodes: 1e12 } }, /spec\.budget\.episodes: at most 1,000,000/],
    [{ ...tabular, eval: { finalEpisodes: 1e9 } }, /spec\.eval\.finalEpisodes: at most 100,000/],
    [{ ...tabular, seed: 2 ** 53 }, /spec\.seed: at most 2,147,483,647/],
    [{ model: { kind: 'dcgan', config: { gFilters: 1e4 } } }, /spec\.model\.config\.gFilters: at most 256 filters, got 10000/],
    [{ model: { kind: 'dcgan', config: { denseUnits: 1e6 } } }, /spec\.model\.config\.denseUnits: at most 2,048 units/],
    [{ model: { kind: 'vae', config: { hidden: [4096, 4096, 4096] } } }, /spec\.model\.config\.hidden: 33,554,432 weights between hidden layers; at most 16,777,216/],
    [{ model: { kind: 'gan', config: { latentDim: 1e6 } } }, /spec\.model\.config\.latentDim: at most 1,024/],
    [{ model: { kind: 'wgan', config: { criticHidden: [1e5] } } }, /spec\.model\.config\.criticHidden: each layer has at most 4,096 units/],
    [{ model: { kind: 'vae', config: { batchSize: 1e9 } } }, /spec\.model\.config\.batchSize: at most 65,536/],
    [{ model: { kind: 'vae', batchSize: 1e9 } }, /spec\.model\.batchSize: at most 65,536/],
    [{ model: { kind: 'vae', config: { hiden: 10 } } }, /spec\.model\.config: VAE config: unknown field 'hiden'/],
    // a name every object inherits is no config field either (it passed as one before)
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: JSON.parse('{"toString": 1}') } }, /spec\.agent\.config: DQN config: unknown field 'toString'/],
    [{ ...cartpoleDqn, agent: { algo: 'a2c', config: JSON.parse('{"valueOf": 1}') } }, /spec\.agent\.config: A2C config: unknown field 'valueOf'/],
    [{ ...tabular, agent: { algo: 'qlearning', config: JSON.parse('{"hasOwnProperty": 1}') } }, /spec\.agent\.config: QLearning config: unknown field 'hasOwnProperty'/],
  ];
  for (const [input, message] of cases) {
    const p = problemsOf(() => checkExperiment(parseSpec(input)));
    assert.match(p.join('\n'), message);
  }
  assert.is(CONFIG_LIMITS.bufferSize, 1_000_000);
  assert.equal([SPEC_LIMITS.threads, SPEC_LIMITS.streams, SPEC_LIMITS.taskTimeoutSeconds], [64, 64, 86_400]);
});

test("every sweep trial's config is resolved during validation, and the trial that fails is named", () => {
  const spec = parseSpec({ ...tabular, sweep: { parameters: { 'agent.config.alpha': [0.5, 7] } } });
  const p = problemsOf(() => checkExperiment(spec));
  assert.equal(p.length, 1);
  assert.match(p[0]!, /^spec\.agent\.config: QLearning config: 'alpha' must be .*got 7 \(sweep trial 1: \{"agent\.config\.alpha":7,"seed":0\}\)$/);
  // deep agents sweep too (each trial one whole run), and their configs are resolved the same way
  assert.is(checkExperiment(parseSpec({ ...cartpoleDqn, sweep: { parameters: { 'agent.config.gamma': [0.9, 0.99] } } })).length, 2);
  assert.match(problemsOf(() => checkExperiment(parseSpec({ ...cartpoleDqn, sweep: { parameters: { 'agent.config.gamma': [0.9, 2] } } }))).join(), /spec\.agent\.config: DQN config: 'gamma'.*got 2 \(sweep trial 1: /);
});

test("a generative sweep: each trial's model config goes through that model's resolver, and its trials must be scorable alike", () => {
  const vae = { model: { kind: 'vae' }, budget: { epochs: 1 } };
  assert.equal(checkExperiment(parseSpec({ ...vae, sweep: { parameters: { 'model.config.learningRate': [1e-3, 3e-3], 'model.kind': ['vae', 'vae-conv'] } } })).map((t) => t.spec.model?.kind), ['vae', 'vae-conv', 'vae', 'vae-conv']);
  const cases: [input: unknown, message: RegExp][] = [
    // a swept key the model does not have, and a swept value its resolver refuses, each naming the trial
    [{ ...vae, sweep: { parameters: { 'model.config.lr': [0.1, 0.2] } } }, /^spec\.model\.config: VAE config: unknown field 'lr' \(known: .*\) \(sweep trial 0: \{"model\.config\.lr":0\.1,"seed":0\}\)$/],
    [{ ...vae, sweep: { parameters: { 'model.config.learningRate': [1e-3, -1] } } }, /^spec\.model\.config: VAE config: 'learningRate' must be a number > 0, got -1 \(sweep trial 1: /],
    [{ model: { kind: 'gan' }, sweep: { parameters: { 'model.config.beta1': [0.5, 1] } } }, /^spec\.model\.config: GAN config: 'beta1' must be a number ≥ 0 and < 1, got 1 \(sweep trial 1: /],
    [{ model: { kind: 'dcgan' }, sweep: { parameters: { 'model.config.gFilters': [32, 1e4] } } }, /^spec\.model\.config\.gFilters: at most 256 filters, got 10000 \(sweep trial 1: /],
    // a GAN has nothing to be ranked by without the classifier evaluation
    [{ model: { kind: 'gan' }, eval: { interval: 0 }, sweep: { parameters: { 'model.config.learningRate': [1e-4, 2e-4] } } }, /^spec\.eval\.interval: a gan trial is ranked by eval\/classifier_score, so the classifier evaluation must be on/],
    [{ ...vae, eval: { interval: 0 }, sweep: { parameters: { 'model.kind': ['vae', 'wgan'] } } }, /^spec\.eval\.interval: a wgan trial is ranked by eval\/classifier_score.*\(sweep trial 1: \{"model\.kind":"wgan","seed":0\}\)$/],
    [{ ...vae, sweep: { parameters: { 'eval.interval': [0, 1] } } }, /^spec\.sweep: its trials would be scored by different metrics \(eval\/test_elbo from trial 0, eval\/classifier_score from trial 1\)/],
    [{ ...vae, workers: { gradient: 2 }, sweep: { parameters: { seed: [1, 2] } } }, /^spec\.workers\.gradient: each trial of a generative sweep trains whole on one thread/],
    // a queue runs trials too: the same checks without a sweep
    [{ model: { kind: 'gan' }, eval: { interval: 0 }, queue: 'redis://127.0.0.1:6379' }, /^spec\.eval\.interval: a gan trial is ranked by eval\/classifier_score/],
    [{ ...vae, eval: { samples: 1e6 } }, /^spec\.eval\.samples: at most 50,000 samples, got 1000000$/],
  ];
  for (const [input, message] of cases) {
    const p = problemsOf(() => checkExperiment(parseSpec(input)));
    assert.ok(p.some((line) => message.test(line)), `${JSON.stringify(input)}:\n${p.join('\n')}`);
  }
  // without a sweep or a queue a GAN may run unevaluated (a single run needs no score); with --queue it runs as a trial
  const single = parseSpec({ model: { kind: 'gan' }, eval: { interval: 0 } });
  assert.is(checkExperiment(single).length, 1);
  assert.match(problemsOf(() => checkExperiment(single, '', { asTrials: true })).join(), /spec\.eval\.interval: a gan trial is ranked by eval\/classifier_score/);
});

/** Runs `nnlab run` on a spec in a fresh directory; returns the result and whether runs/ was created. */
function runCli(spec: unknown): { status: number | null; stdout: string; stderr: string; runsCreated: boolean } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-hostile-'));
  try {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(spec));
    const r = spawnSync(process.execPath, [CLI, 'run', 'bad.json', '--port', '0'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, runsCreated: existsSync(path.join(dir, 'runs')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('nnlab run refuses each bad spec before it listens or writes anything', () => {
  const cases: [unknown, RegExp][] = [
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { bufferSize: 1e12 } } }, /spec\.agent\.config\.bufferSize: at most 1,000,000/],
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { hidden: 'big' } } }, /spec\.agent\.config: DQN config: 'hidden'/],
    [{ ...cartpoleDqn, workers: { rollout: 0, rolloutSteps: 2 ** 31, learner: { process: false } } }, /spec\.workers\.rolloutSteps: at most 100,000/],
    [{ ...cartpoleDqn, agent: { algo: 'dqn', config: { hidden: [1e5, 1e5] } } }, /spec\.agent\.config\.hidden: each layer has at most 4,096 units/],
    [{ ...tabular, sweep: { parameters: { '__proto__.polluted': [1] } } }, /spec\.sweep\.parameters\.__proto__\.polluted: '__proto__' is not a spec field/],
    [{ model: { kind: 'vae' }, workers: { rollout: 0, gradient: 2, gradientMode: 'fastest', learner: { process: false } } }, /spec\.workers\.gradientMode: .*"auto".*"threads".*got "fastest"/],
    [{ model: { kind: 'vae' }, workers: { rollout: 0, gradientMode: 'threads', learner: { process: false } } }, /spec\.workers\.gradientMode: 'threads' shards each minibatch over the gradient threads, but workers\.gradient is 0/],
  ];
  for (const [spec, message] of cases) {
    const r = runCli(spec);
    assert.ok(r.status !== 0 && r.status !== null, `status ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, message);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace'); // one clear message, not a raw stack
    assert.not.match(r.stdout, /dashboard:/, 'it never listened');
    assert.not.ok(r.runsCreated, 'no runs/ directory');
  }
});

/** Spawns `nnlab run SPEC` in `dir`; resolves with its exit once stdout matches `ready` (or at once). */
function startRun(dir: string, spec: unknown) {
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec));
  const child = spawn(process.execPath, [CLI, 'run', 'spec.json', '--port', '0'], { cwd: dir, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
  const waitFor = async (re: RegExp, ms: number) => {
    const t0 = performance.now();
    while (!re.test(stdout)) {
      if (performance.now() - t0 > ms) throw new Error(`no ${re} in ${ms} ms; stdout:\n${stdout}\nstderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, exited, waitFor, out: () => stdout + stderr };
}

// 10,000 trials (the cap) of 5,000 FrozenLake episodes each: minutes of work if a stop were ignored
const bigSweep = { env: { id: 'FrozenLake-v1' }, agent: { algo: 'qlearning' }, budget: { episodes: 5000 }, workers: { rollout: 2 }, sweep: { parameters: { 'agent.config.alpha': range(100).map((i) => (i + 1) / 101) }, seeds: 100 } };

test('SIGTERM stops a large sweep within two seconds, and the run records that it stopped', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-sigterm-'));
  try {
    const run = startRun(dir, bigSweep);
    await run.waitFor(/dashboard: /, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // trials under way
    const sent = performance.now();
    run.child.kill('SIGTERM');
    const exit = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
    if (exit === undefined) run.child.kill('SIGKILL');
    assert.ok(exit !== undefined && exit.at - sent < 2000, `exit ${exit === undefined ? 'not within 10 s' : `after ${(exit.at - sent).toFixed(0)} ms`}\n${run.out()}`);
    const runDir = /nnlab run (\S+):/.exec(run.out())![1]!;
    const result = JSON.parse(readFileSync(path.join(dir, 'runs', runDir, 'result.json'), 'utf8')) as { state: string; message: string };
    assert.is(result.state, 'stopped');
    assert.match(result.message, /stopped \(SIGTERM\) after \d+ of 10000 trials/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM during start-up ends the process within two seconds', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-sigterm-'));
  try {
    for (const delay of [300, 1200]) {
      const run = startRun(dir, bigSweep);
      await new Promise((r) => setTimeout(r, delay));
      const sent = performance.now();
      run.child.kill('SIGTERM');
      const exit = await Promise.race([run.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000))]);
      if (exit === undefined) run.child.kill('SIGKILL');
      assert.ok(exit !== undefined && exit.at - sent < 2000, `delay ${delay}: exit ${exit === undefined ? 'not within 10 s' : `after ${(exit.at - sent).toFixed(0)} ms`}\n${run.out()}`);
      // stopped before the run began: a non-zero status (or killed by the signal before the handler was installed)
      if (!/dashboard: /.test(run.out())) assert.ok(exit!.code !== 0, `delay ${delay}: exit code ${exit!.code}\n${run.out()}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file-system errors name the problem: read-only, not writable, full, a file in the way', () => {
  const err = (code: string, p = '/data/runs') => Object.assign(new Error(`${code}: raw`), { code, path: p });
  assert.match(fsErrorMessage(err('EROFS')), /\/data\/runs is not writable: the file system is read-only \(EROFS\)/);
  assert.match(fsErrorMessage(err('EACCES')), /\/data\/runs is not writable: permission denied \(EACCES\)/);
  assert.match(fsErrorMessage(err('EPERM')), /not writable: permission denied \(EPERM\)/);
  assert.match(fsErrorMessage(err('ENOSPC')), /no space left on the device holding \/data\/runs \(ENOSPC\)/);
  assert.match(fsErrorMessage(err('ENOTDIR')), /\/data\/runs: a file stands where a directory is needed/);
});

test('a runs directory under a file fails before listening, naming the file, not ENOENT', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-rundir-'));
  try {
    writeFileSync(path.join(dir, 'afile'), 'x');
    let listened = false;
    const err = await runExperiment({ spec: { ...tabular, budget: { episodes: 5 } }, runsDir: path.join(dir, 'afile', 'runs'), log: () => {}, progressOut: null, onListening: () => (listened = true) }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err !== undefined, 'the run started');
    assert.match(err.message, new RegExp(`cannot create the run directory .*: ${path.join(dir, 'afile').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: a file stands where a directory is needed`));
    assert.not.ok(listened);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a runs directory in a read-only directory: the message says it is not writable', () => {
  // root ignores mode bits, so as root the CLI runs as the unprivileged user 65534 (nobody)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-ro-'));
  try {
    writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ ...tabular, budget: { episodes: 5 } }));
    chmodSync(path.join(dir, 'spec.json'), 0o644);
    chmodSync(dir, 0o555);
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = spawnSync(process.execPath, [CLI, 'run', 'spec.json', '--port', '0'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NNLAB_BACKEND: 'cpu', HOME: dir }, ...asNobody });
    assert.is(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`cannot create the run directory runs/\\S+: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not writable: permission denied \\(EACCES\\)`));
    assert.not.match(r.stderr, /ENOENT/);
    assert.not.match(r.stdout, /dashboard:/);
  } finally {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('result.json that cannot be written fails the run with a message, after everything is closed', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-result-'));
  try {
    let port = 0;
    const lines: string[] = [];
    const err = await runExperiment({
      spec: { ...tabular, budget: { episodes: 5 }, eval: { finalEpisodes: 2 }, workers: { rollout: 0, learner: { process: false } } },
      runsDir: dir,
      log: (l) => lines.push(l),
      progressOut: null,
      onListening: (info) => {
        port = info.port;
        mkdirSync(path.join(info.runDir, 'result.json')); // a directory where the file goes: EISDIR
      },
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    assert.ok(err !== undefined, 'the run reported success without result.json');
    assert.match(err.message, /could not write \S+result\.json \(the run finished: .*\): \S+result\.json is a directory, not a file \(EISDIR\)/);
    assert.ok(lines.some((l) => l.startsWith('could not write')), lines.join('\n'));
    assert.ok(port > 0);
    const reached = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    assert.not.ok(reached, 'the server was left listening');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
