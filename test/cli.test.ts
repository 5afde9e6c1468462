import { CLI, test } from './helpers.js';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatMetric } from '../base/format.js';
import { BACKENDS } from '../core/backendNames.js';

// a time limit: a flag the CLI failed to refuse would start a run or a worker that never ends
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });

test('nnlab info prints the backend actually in use', () => {
  const r = run('info');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^backend\s+cpu$/m);
  assert.match(r.stdout, /^cpu cores\s+\d+$/m);
});

test('nnlab help lists the commands', () => {
  const r = run('help');
  assert.is(r.status, 0);
  for (const c of ['train AGENT', 'demo', 'info']) assert.ok(r.stdout.includes(c), c);
  // the backends as core/backendNames.ts lists them, not a copy that a new backend leaves behind
  assert.match(r.stdout, new RegExp(`--backend NAME\\s+every command: ${BACKENDS.join(' \\| ')} \\(default`));
});

test('usage errors exit 2 with a one-line message naming the problem', () => {
  const cases: [string[], RegExp][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['info', '--colour'], /Unknown option '--colour'/],
    [['train', 'ppo'], /unknown agent or model 'ppo' \(expected one of dqn, qlearning, sarsa, expected-sarsa, vae, /],
    [['train', 'sarsa', '--seed=-3'], /--seed must be a non-negative integer, got '-3'/],
    [['train', 'wgan-gp', '--config', '{"architecture":"conv"}'], /--config: WGAN-GP config: 'architecture' must be one of 'mlp', 'dcgan', got "conv"/],
    [['train', 'wgan', '--config', '[1]'], /--config must be a JSON object/],
    [['train', 'wgan', '--config', '{'], /--config must be a JSON object: /],
    [['train', 'sarsa', '--config', '{}'], /--config does not apply to nnlab train sarsa: it is for nnlab train vae\|.*, nnlab train dqn$/m],
    // train dqn's --config is the spec's agent.config, checked by DQN's config rule before the run
    [['train', 'dqn', '--config', '{"gamma":2}'], /--config: DQN config: 'gamma' must be /],
    [['train', 'dqn', '--config', '{"seed":3}'], /--config: give the seed with --seed/],
    [['info', '--backend', 'tpu'], /unknown backend 'tpu'/],
    // counts of what must happen at least once (0 episodes printed a mean return of NaN; 0 epochs silently became 1)
    [['eval', 'runs/none', '--episodes', '0'], /--episodes must be at least 1, got '0'/],
    [['train', 'vae', '--epochs', '0'], /--epochs must be at least 1, got '0'/],
    // a hello the coordinator would refuse (protocol/messages.ts HELLO_LIMITS), said before anything connects
    [['worker', '--connect', 'ws://127.0.0.1:9', '--threads', '2000'], /--threads must be a whole number from 1 to 1024, got 2000/],
    [['worker', '--connect', 'ws://127.0.0.1:9', '--threads', '0'], /--threads must be a whole number from 1 to 1024, got 0/],
    [['worker', '--connect', 'ws://127.0.0.1:9', '--name', 'w'.repeat(129)], /--name is 129 characters; at most 128/],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.ok(r.status === 2 || r.status === 1, `${args.join(' ')}: status ${r.status}`);
    assert.match(r.stderr, message);
  }
  assert.is(run('frobnicate').status, 2);
});

test("a flag a command does not take is refused, naming what it is for (it was dropped in silence: --goal on train vae trained on)", () => {
  const tabular = 'nnlab train qlearning\\|sarsa\\|expected-sarsa';
  const cases: [string[], RegExp][] = [
    [['train', 'vae', '--goal', '5'], /^nnlab: --goal does not apply to nnlab train vae: it is for nnlab train dqn$/m],
    [['train', 'vae', '--steps', '5'], new RegExp(`--steps does not apply to nnlab train vae: it is for nnlab train dqn, ${tabular}$`, 'm')],
    [['train', 'sarsa', '--epochs', '3'], /--epochs does not apply to nnlab train sarsa: it is for nnlab train vae\|.*, nnlab demo$/m],
    [['train', 'sarsa', '--goal', '3'], /--goal does not apply to nnlab train sarsa: it is for nnlab train dqn$/m],
    [['train', 'sarsa', '--port', '0'], /--port does not apply to nnlab train sarsa: it is for nnlab run, nnlab sweep, /],
    [['train', 'dqn', '--epochs', '3'], /--epochs does not apply to nnlab train dqn/],
    [['train', 'dqn', '--workers', '2'], /--workers does not apply to nnlab train dqn: it is for nnlab run, nnlab sweep, nnlab train vae/],
    [['eval', 'runs/none', '--seed', '1'], /--seed does not apply to nnlab eval: it is for /],
    [['info', '--workers', '2'], /--workers does not apply to nnlab info/],
    [['demo', '--env', 'CartPole-v1'], /--env does not apply to nnlab demo: it is for nnlab train dqn, /],
    [['run', 'spec.json', '--attach', 'x'], /--attach does not apply to nnlab run: it is for nnlab sweep --attach$/m],
    [['sweep', '--attach', 'x', '--queue', 'redis://127.0.0.1:9', '--workers', '2'], /--workers does not apply to nnlab sweep --attach: it is for nnlab run, nnlab sweep, /],
    [['worker', '--connect', 'ws://127.0.0.1:9', '--token', 't', '--concurrency', '2'], /--concurrency does not apply to nnlab worker --connect: it is for nnlab worker --queue$/m],
    [['worker', '--queue', 'redis://127.0.0.1:9', '--threads', '2'], /--threads does not apply to nnlab worker --queue: it is for nnlab worker --connect$/m],
    [['worker', '--queue', 'redis://127.0.0.1:9', '--token', 't'], /--token does not apply to nnlab worker --queue: it is for nnlab run, nnlab sweep, nnlab worker --connect$/m],
  ];
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.is(r.status, 2, `${args.join(' ')}: status ${r.status}, ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
});

test("nnlab train dqn --config is the run's agent.config (it was dropped in silence)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-cli-'));
  try {
    // learningStarts past the steps: no update, only the run's set-up and its final evaluation
    const config = { hidden: [8], learningStarts: 1000 };
    const r = spawnSync(process.execPath, [CLI, 'train', 'dqn', '--steps', '200', '--config', JSON.stringify(config)], { encoding: 'utf8', cwd: dir, timeout: 120_000, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });
    assert.is(r.status, 0, r.stderr);
    const [runDir] = readdirSync(path.join(dir, 'runs'));
    const spec = JSON.parse(readFileSync(path.join(dir, 'runs', runDir!, 'spec.json'), 'utf8'));
    assert.equal([spec.agent.algo, spec.agent.config, spec.budget.envSteps], ['dqn', config, 200]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nnlab worker reads --backend, as run does: its task threads take it from NNLAB_BACKEND, its name checked before anything connects', () => {
  // a worker that ignored the flag would try to connect (and fail with "cannot reach", or retry Redis)
  for (const serve of [['--connect', 'ws://127.0.0.1:9', '--token', 't'], ['--queue', 'redis://127.0.0.1:9']]) {
    const r = run('worker', ...serve, '--backend', 'tpu');
    assert.is(r.status, 2, `${serve[0]}: ${r.stderr}`);
    assert.ok(r.stderr.includes(`unknown backend 'tpu' (--backend): expected one of ${BACKENDS.join(', ')}`), r.stderr);
  }
});

test('nnlab train sarsa learns CliffWalking in the run directory of a spec with no threads: metrics, checkpoint, result', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-cli-'));
  try {
    const r = spawnSync(process.execPath, [CLI, 'train', 'sarsa', '--seed', '1'], { encoding: 'utf8', cwd: dir, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /greedy evaluation over 100 episodes: mean return -1[57] ± 0; Q table in/);
    const runDir = /metrics in (\S+)\/metrics\.jsonl/.exec(r.stdout)![1]!;
    const lines = readFileSync(path.join(dir, runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    assert.is(lines.length, 500);
    assert.ok('charts/episodic_return' in JSON.parse(lines[0]!));
    // the run directory every run has (coordinator/runDir.ts): its spec, meta, CSV metrics and result
    const spec = JSON.parse(readFileSync(path.join(dir, runDir, 'spec.json'), 'utf8'));
    assert.equal([spec.agent.algo, spec.env.id, spec.seed, spec.workers.rollout, spec.workers.learner.process], ['sarsa', 'CliffWalking-v1', 1, 0, false]);
    assert.is(JSON.parse(readFileSync(path.join(dir, runDir, 'meta.json'), 'utf8')).runId, path.basename(runDir));
    assert.is(readFileSync(path.join(dir, runDir, 'metrics.csv'), 'utf8').trim().split('\n').length, 1 + 2 * 500);
    const result = JSON.parse(readFileSync(path.join(dir, runDir, 'result.json'), 'utf8'));
    assert.is(result.state, 'finished');
    assert.match(r.stdout, `mean return ${formatMetric(result.finalScore)} ± `);
    // its Q table is the run's end, not a checkpoint to continue from
    const resumed = spawnSync(process.execPath, [CLI, 'run', '--resume', runDir], { encoding: 'utf8', cwd: dir, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });
    assert.is(resumed.status, 1);
    assert.match(resumed.stderr, /a sarsa run is not resumed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("nnlab run --seed is the run's seed instead of the spec's; with --resume (a run keeps its seed) it is refused", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-cli-'));
  try {
    const specFile = path.join(dir, 'spec.json');
    writeFileSync(specFile, JSON.stringify({ name: 'seeded', env: { id: 'CliffWalking-v1' }, agent: { algo: 'qlearning' }, seed: 0, budget: { episodes: 20 }, eval: { finalEpisodes: 2 }, workers: { rollout: 0, learner: { process: false } } }));
    const r = spawnSync(process.execPath, [CLI, 'run', specFile, '--seed', '7', '--port', '0'], { encoding: 'utf8', cwd: dir, timeout: 60_000, env: { ...process.env, NNLAB_BACKEND: 'cpu' } });
    assert.is(r.status, 0, r.stderr);
    const [runDir] = readdirSync(path.join(dir, 'runs'));
    assert.is(JSON.parse(readFileSync(path.join(dir, 'runs', runDir!, 'spec.json'), 'utf8')).seed, 7);
    const resumed = run('run', '--resume', path.join(dir, 'runs', runDir!), '--seed', '3');
    assert.is(resumed.status, 2, resumed.stderr);
    assert.match(resumed.stderr, /--seed starts a new run from a spec/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
