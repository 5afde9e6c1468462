/**
 * What `--resume` reads back from disk is checked, not cast (drivers/runState.ts, generative/epochCheckpoint.ts):
 * a DQN run's state.msgpack or a generative run's LATEST-epoch.json with a field of the wrong type,
 * a missing field, or another run's state is refused before the run starts, with an error naming
 * the file and the field, and the run directory is left as it was; the untampered checkpoint
 * parses to exactly what was saved (no field dropped) and resumes to the end.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { runExperiment, type RunOptions, type RunResult } from '../coordinator/run.js';
import { latestCheckpoint, loadCheckpoint } from '../core/checkpoint.js';
import { encode } from '../core/tensors.js';
import { checkData } from '../core/stateFile.js';
import { loadDqnRunState } from '../drivers/runState.js';
import { latestGenerativeCheckpoint } from '../drivers/generative.js';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-resume-'));
test.after(() => rmSync(runsDir, { recursive: true, force: true }));

function run(opts: Partial<RunOptions>): Promise<RunResult> {
  return runExperiment({ runsDir, log: () => {}, progressOut: null, handleSignals: false, ...opts });
}

/** Every file of a directory (recursively) with its bytes, to show a refused resume changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const file = path.join(e.parentPath, e.name);
      out.set(path.relative(dir, file), readFileSync(file).toString('base64'));
    }
  }
  return out;
}

const record = z.record(z.string(), z.unknown());

test('a DQN checkpoint whose run state is tampered with is refused naming the file and the field; the untampered one resumes', async () => {
  const spec = {
    name: 'resume-check',
    env: { id: 'CartPole-v1' },
    agent: { algo: 'dqn', config: { hidden: [16, 16], learningStarts: 256, trainFrequency: 64, gradientSteps: 4, batchSize: 32 } },
    budget: { envSteps: 1536 },
    workers: { rollout: 0, numEnvs: 2, rolloutSteps: 32, learner: { process: false } },
    eval: { interval: 0, finalEpisodes: 2 },
    checkpoint: { interval: 512 },
  };
  const stop = new AbortController();
  const first = await run({ spec, signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && e.step >= 512 && stop.abort() });
  assert.is(first.state, 'stopped');
  const root = path.join(first.runDir, 'checkpoints');
  const file = path.join((await latestCheckpoint(root))!, 'state.msgpack');
  const raw = checkData(record, (await loadCheckpoint(root)).state, file);

  // parsed, the state is exactly what was saved: no field is dropped, the optional ones included
  const { state } = await loadDqnRunState(root);
  assert.equal(state, raw);
  assert.ok(state.streams !== undefined && state.streams.length === 1, 'a one-thread run checkpoints its env stream');
  const params = state.params;
  const full = {
    ...raw,
    pendingPhases: [{ gradientSteps: 4, updateTarget: true }],
    pendingChecks: [{ envStep: 512, params, version: 3, updates: 12 }],
    lastEvaluation: { envStep: 512, policyVersion: 3, updates: 12, meanReturn: 21.5, episodes: 2, firstSeed: 7 },
  };
  const fullCopy = path.join(runsDir, 'full-fields');
  cpSync(first.runDir, fullCopy, { recursive: true });
  const fullRoot = path.join(fullCopy, 'checkpoints');
  writeFileSync(path.join((await latestCheckpoint(fullRoot))!, 'state.msgpack'), encode(full));
  assert.equal((await loadDqnRunState(fullRoot)).state, full);

  const learner = checkData(record, raw['learner'], file);
  const { replay: _replay, ...learnerWithoutReplay } = learner;
  const tampered: [string, Record<string, unknown>, RegExp][] = [
    ['a counter of the wrong type', { ...raw, envSteps: '1024' }, /: envSteps: expected number, got "1024"/],
    ['a missing field', (({ metrics: _m, ...rest }) => rest)(raw), /: metrics: expected object, got undefined/],
    ['a typed array of the wrong kind', { ...raw, learner: { ...learner, online: Float64Array.from(checkData(z.instanceof(Float32Array), learner['online'], file)) } }, /: learner\.online: expected Float32Array, got Float64Array\[.*, \.\.\. \d+ in all\]/],
    ['no replay buffer in either layout', { ...raw, learner: learnerWithoutReplay }, /: learner\.replay: missing: the learner's replay buffer/],
    ["another run's state (a policy-gradient learner's)", { version: 3, updates: 12, rng: [1, 2, 3, 4], logStd: null }, /: envSteps: expected number, got undefined \(and \d+ more problem\(s\)\)/],
  ];
  for (const [what, value, pattern] of tampered) {
    const copy = path.join(runsDir, `tampered-${what.replace(/\W+/g, '-')}`);
    cpSync(first.runDir, copy, { recursive: true });
    const copyFile = path.join((await latestCheckpoint(path.join(copy, 'checkpoints')))!, 'state.msgpack');
    writeFileSync(copyFile, encode(value));
    const before = snapshot(copy);
    await run({ resume: copy }).then(
      () => assert.unreachable(`${what}: resumed`),
      (e: Error) => {
        assert.ok(e.message.startsWith(`${copyFile}: `), `${what}: ${e.message}`);
        assert.match(e.message, pattern, `${what}: ${e.message}`);
      },
    );
    assert.equal(snapshot(copy), before, `${what}: the refused resume changed the run directory`);
  }

  const resumed = await run({ resume: first.runDir });
  assert.is(resumed.state, 'finished');
  assert.ok(resumed.envSteps! >= 1536);
});

test("a generative run's tampered LATEST-epoch.json is refused before the run starts, naming the file and the field", async () => {
  const runDir = path.join(runsDir, 'gen-tampered');
  const ckpt = path.join(runDir, 'checkpoints');
  mkdirSync(path.join(ckpt, 'epoch-0001'), { recursive: true });
  writeFileSync(path.join(runDir, 'spec.json'), JSON.stringify({ name: 'gen-tampered', model: { kind: 'vae', config: {}, batchSize: 64 }, budget: { epochs: 2, stepsPerEpoch: 4 }, workers: { rollout: 0, gradient: 0, learner: { process: false } }, eval: { interval: 0 } }));
  writeFileSync(path.join(runDir, 'metrics.jsonl'), '{"step":4,"time":1,"losses/neg_elbo":300}\n');
  const file = path.join(ckpt, 'LATEST-epoch.json');
  const good = { metrics: { jsonl: 43, csv: 0, time: 1 }, epoch: 1, step: 4, dataRng: [1, 2, 3, 4], dir: 'epoch-0001' };
  writeFileSync(file, JSON.stringify(good));
  assert.equal(latestGenerativeCheckpoint(runDir), { ...good, dir: path.join(ckpt, 'epoch-0001') });
  const { metrics: _m, ...noMetrics } = good;
  for (const [value, pattern] of [
    [noMetrics, /: metrics: expected object, got undefined/],
    [{ ...good, metrics: { ...good.metrics, jsonl: -1 } }, /: metrics\.jsonl: Too small: expected number to be >=0, got -1/],
    [{ ...good, step: 'four' }, /: step: expected number, got "four"/],
  ] as const) {
    writeFileSync(file, JSON.stringify(value));
    const before = snapshot(runDir);
    await run({ resume: runDir }).then(
      () => assert.unreachable(`${JSON.stringify(value)}: resumed`),
      (e: Error) => {
        assert.ok(e.message.startsWith(`${file}: `), e.message);
        assert.match(e.message, pattern);
      },
    );
    assert.equal(snapshot(runDir), before, 'the refused resume changed the run directory');
  }
});

test("each family's driver answers --resume: a policy-gradient run is refused naming its algorithm, a DQN or generative run without a checkpoint names the folder; nothing changes", async () => {
  const cases: [string, object, RegExp][] = [
    ['pg-run', { name: 'pg-run', env: { id: 'CartPole-v1' }, agent: { algo: 'reinforce' }, budget: { envSteps: 1000 } }, /: a reinforce run is not resumed \(it is not checkpointed mid-run; DQN and generative runs are\)/],
    ['tabular-run', { name: 'tabular-run', env: { id: 'FrozenLake-v1' }, agent: { algo: 'qlearning' }, budget: { episodes: 10 } }, /: a qlearning run is not resumed/],
    ['dqn-bare', { name: 'dqn-bare', env: { id: 'CartPole-v1' }, agent: { algo: 'dqn' }, budget: { envSteps: 1000 } }, /: no complete checkpoint under .*dqn-bare.checkpoints$/],
    ['gen-bare', { name: 'gen-bare', model: { kind: 'vae' }, budget: { epochs: 1 } }, /: no complete epoch checkpoint under .*gen-bare.checkpoints$/],
  ];
  for (const [name, spec, pattern] of cases) {
    const runDir = path.join(runsDir, name);
    mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
    writeFileSync(path.join(runDir, 'spec.json'), JSON.stringify(spec));
    const before = snapshot(runDir);
    await run({ resume: runDir }).then(
      () => assert.unreachable(`${name}: resumed`),
      (e: Error) => {
        assert.ok(e.message.startsWith(`--resume ${runDir}: `), e.message);
        assert.match(e.message, pattern);
      },
    );
    assert.equal(snapshot(runDir), before, `${name}: the refused resume changed the run directory`);
  }
});

test("a run directory whose spec.json is not JSON is refused naming the file, and nothing in it changes", async () => {
  const runDir = path.join(runsDir, 'bad-spec');
  mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
  const specFile = path.join(runDir, 'spec.json');
  writeFileSync(specFile, '{"name": "bad-spec", ');
  const before = snapshot(runDir);
  await run({ resume: runDir }).then(
    () => assert.unreachable('resumed'),
    (e: Error) => assert.match(e.message, `${specFile} is not valid JSON`),
  );
  assert.equal(snapshot(runDir), before, 'the refused resume changed the run directory');
});

test.run();
