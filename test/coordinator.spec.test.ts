import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSpec, loadSpecFile, expandSweep, SpecError } from '../drivers/spec.js';
import { runExperiment } from '../coordinator/run.js';
import { makeGenerativeLearner } from '../generative/models.js';
import { checkExperiment } from '../drivers/specCheck.js';
import { BACKENDS } from '../core/backendNames.js';
import { errorMessage } from '../base/plainData.js';

const base = { env: { id: 'CliffWalking-v1' }, agent: { algo: 'qlearning' } };

function problems(input: unknown): string[] {
  try {
    parseSpec(input);
  } catch (e) {
    assert.instance(e, SpecError);
    return (e as SpecError).problems;
  }
  assert.unreachable('spec was accepted');
  return [];
}

test('a minimal spec gets the documented defaults', () => {
  const s = parseSpec(base);
  assert.is(s.seed, 0);
  assert.is(s.workers.rollout, 2);
  assert.is(s.workers.learner.process, true);
  assert.is(s.eval.interval, 5000);
  assert.is(s.eval.finalEpisodes, 100);
  assert.is(s.checkpoint.interval, 10_000);
  assert.is(s.workers.gradient, 0);
  assert.is(s.workers.gradientMode, 'auto');
  assert.is(parseSpec({ ...base, workers: { rollout: 1 } }).workers.gradientMode, 'auto');
});

test('workers.gradientMode: only auto or threads, and threads needs gradient threads to shard over', () => {
  const vae = { model: { kind: 'vae' } };
  for (const bad of ['fast', 'Threads', '', 2, null, true]) {
    const p = problems({ ...vae, workers: { gradient: 2, gradientMode: bad } });
    assert.equal(p.length, 1, p.join('\n'));
    assert.match(p[0]!, /^spec\.workers\.gradientMode: .*"auto".*"threads"/);
    assert.ok(p[0]!.includes(`got ${JSON.stringify(bad)}`), p[0]);
  }
  assert.equal(problems({ ...vae, workers: { gradientMode: 'threads' } }), ["spec.workers.gradientMode: 'threads' shards each minibatch over the gradient threads, but workers.gradient is 0: give workers.gradient ≥ 1, or leave gradientMode out"]);
  assert.match(problems({ ...vae, workers: { gradient: 0, gradientMode: 'threads' } }).join(), /^spec\.workers\.gradientMode: 'threads' .* workers\.gradient is 0/);
  assert.is(parseSpec({ ...vae, workers: { gradient: 2, gradientMode: 'threads' } }).workers.gradientMode, 'threads');
  assert.is(parseSpec({ ...vae, workers: { gradient: 0, gradientMode: 'auto' } }).workers.gradientMode, 'auto');
});

test('workers.learner.backend: every backend core/ knows (BACKENDS), and nothing else', () => {
  for (const backend of BACKENDS) assert.is(parseSpec({ ...base, workers: { learner: { backend } } }).workers.learner.backend, backend);
  for (const bad of ['gpu', 'WASM', '', 1]) {
    const p = problems({ ...base, workers: { learner: { backend: bad } } });
    assert.ok(p.some((line) => line.startsWith('spec.workers.learner.backend:')), p.join('\n'));
  }
});

test('every bad field is reported with its path and the value given', () => {
  const p = problems({ ...base, seed: -1, workers: { rollout: 'two', numEnvs: 0 }, eval: { goal: 'high' } });
  assert.ok(p.some((l) => l.startsWith('spec.seed:') && l.includes('-1')), p.join('\n'));
  assert.ok(p.some((l) => l.startsWith('spec.workers.rollout:') && l.includes('"two"')), p.join('\n'));
  assert.ok(p.some((l) => l.startsWith('spec.workers.numEnvs:')), p.join('\n'));
  assert.ok(p.some((l) => l.startsWith('spec.eval.goal:')), p.join('\n'));
  // what was found replaces zod's "received <type>" (the same text as a state file's error: base/schemas.ts issueText)
  assert.ok(p.includes('spec.workers.rollout: expected number, got "two"'), p.join('\n'));
  assert.equal(problems({ ...base, env: { id: 'CartPole-v1', kwargs: [1, 2] } }), ['spec.env.kwargs: expected record, got [1, 2]']);
});

test('unknown fields (typos) are errors, not silently ignored', () => {
  const p = problems({ ...base, workers: { rolout: 2 } });
  assert.equal(p, ["spec.workers: unknown field 'rolout'"]);
});

test('an unknown algorithm lists the known ones; agent and model are exclusive', () => {
  assert.match(problems({ ...base, agent: { algo: 'ppo' } })[0]!, /spec\.agent\.algo: .*"dqn".*got "ppo"/);
  assert.match(problems({ ...base, model: { kind: 'vae' } }).join(), /exactly one of agent/);
  assert.match(problems({ agent: { algo: 'dqn' } }).join(), /spec\.env: an agent needs an env/);
});

test("env.module's file name is a module ref's (protocol/tasks.ts MODULE_FILENAME): a plain .js or .mjs name", () => {
  const rule = 'its file name must be a plain .js or .mjs file name (letters, digits, _ . - only, not starting with a dot)';
  for (const module of ['./maze.ts', 'maze', 'envs/.maze.js', './maze.cjs']) {
    assert.equal(problems({ ...base, env: { id: 'CartPole-v1', module } }), [`spec.env.module: ${rule}`], module);
  }
  for (const module of ['./maze.js', '../envs/grid-maze.v2.mjs']) assert.is(parseSpec({ ...base, env: { id: 'CartPole-v1', module } }).env?.module, module);
});

test('YAML specs load, and a relative env module path resolves against the spec file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-spec-'));
  try {
    const file = path.join(dir, 'x.yaml');
    writeFileSync(file, 'env:\n  id: GridMaze-v0\n  module: ./maze.js\nagent:\n  algo: sarsa\nbudget: { episodes: 10 }\n');
    const s = loadSpecFile(file);
    assert.is(s.env?.module, path.join(dir, 'maze.js'));
    assert.is(s.budget.episodes, 10);
    writeFileSync(file, 'env: [unclosed');
    assert.throws(() => loadSpecFile(file), /is not valid YAML/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a grid sweep is the cartesian product times seeds, each trial validated', () => {
  const s = parseSpec({ ...base, seed: 3, sweep: { parameters: { 'agent.config.alpha': [0.1, 0.5], 'agent.algo': ['sarsa', 'qlearning'] }, seeds: 2 } });
  const trials = expandSweep(s);
  assert.is(trials.length, 8);
  assert.equal(trials[0]!.overrides, { 'agent.config.alpha': 0.1, 'agent.algo': 'sarsa', seed: 3 });
  assert.equal(trials[7]!.overrides, { 'agent.config.alpha': 0.5, 'agent.algo': 'qlearning', seed: 4 });
  assert.is(trials[7]!.spec.agent?.config.alpha, 0.5);
  assert.is(trials[7]!.spec.sweep, undefined);
  const bad = parseSpec({ ...base, sweep: { parameters: { 'workers.rollout': [1, -1] } } });
  assert.throws(() => expandSweep(bad), /sweep trial 1.*spec\.workers\.rollout/s);
});

test('a random sweep draws reproducibly inside its ranges', () => {
  const s = parseSpec({ ...base, sweep: { method: 'random', samples: 20, parameters: { 'agent.config.alpha': { min: 0.01, max: 1, log: true }, 'agent.config.epsilon': [0.05, 0.1] } } });
  const a = expandSweep(s).map((t) => t.overrides);
  assert.equal(a, expandSweep(s).map((t) => t.overrides));
  for (const o of a) {
    const alpha = o['agent.config.alpha'] as number;
    assert.ok(alpha >= 0.01 && alpha <= 1, String(alpha));
    assert.ok([0.05, 0.1].includes(o['agent.config.epsilon'] as number));
  }
  assert.match(problems({ ...base, sweep: { method: 'random', parameters: { x: { min: 1, max: 0 } } } }).join(), /min \(1\) must be < max \(0\)/);
  // an unknown method is named, with the two there are
  assert.match(problems({ ...base, sweep: { method: 'bayes', parameters: { 'agent.config.alpha': [0.1] } } }).join(), /spec\.sweep\.method: a sweep's method is 'grid' \(the default\) or 'random', not "bayes"/);
});

test('an unknown env id fails before anything starts, with a did-you-mean', async () => {
  try {
    await runExperiment({ spec: { env: { id: 'CartPol-v1' }, agent: { algo: 'dqn' } }, runsDir: os.tmpdir(), log: () => {}, progressOut: null, handleSignals: false });
    assert.unreachable('accepted');
  } catch (e) {
    assert.match(errorMessage(e), /CartPole-v1/);
  }
});

test('every example spec in experiments/ loads and passes the whole-spec check (every sweep trial), and its generative model config builds a learner', () => {
  const dir = fileURLToPath(new URL('../../experiments', import.meta.url));
  const files = readdirSync(dir).filter((f) => /\.(json|ya?ml)$/.test(f));
  assert.ok(files.length >= 7, files.join(', '));
  for (const f of files) {
    const spec = loadSpecFile(path.join(dir, f));
    assert.ok(spec.agent !== undefined || spec.model !== undefined, f);
    checkExperiment(spec, f);
    if (spec.model !== undefined) makeGenerativeLearner(spec.model.kind, spec.model.config, spec.seed).dispose(); // a bad config field throws here
  }
});

test.run();
