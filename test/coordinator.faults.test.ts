/**
 * Reliability of real runs on loopback (small budgets): a rollout thread, the learner process or
 * a remote worker killed mid-run, a remote worker stopped (heartbeat); each checked against an
 * independent ledger read from the transitions themselves; the coordinator killed and resumed; a single-process run
 * interrupted and resumed ends with exactly the weights of an uninterrupted one; a NaN loss stops
 * the run naming the step while the last good checkpoint stays loadable.
 */
import { CLI, test } from './helpers.js';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runExperiment, type RunOptions, type RunResult } from '../coordinator/run.js';
import { latestCheckpoint } from '../core/checkpoint.js';
import { encode } from '../core/tensors.js';
import { evalRun } from '../drivers/eval.js';
import type { RunEvent } from '../drivers/context.js';
import { loadDqnRunState } from '../drivers/runState.js';
import { STEP_SCALE, TAG_DIMS } from './fixtures/taggedCartPole.js';
import type { ParamsMessage } from '../protocol/messages.js';
import { connectPeer, type TestPeer } from './peer.js';
import { errorMessage } from '../base/plainData.js';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-faults-'));
test.after(() => rmSync(runsDir, { recursive: true, force: true }));

/** A small DQN CartPole spec: fast updates, training after 500 steps. */
function dqnSpec(over: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  return {
    name: 'faults',
    env: { id: 'CartPole-v1' },
    agent: { algo: 'dqn', config: { hidden: [32, 32], learningStarts: 500, trainFrequency: 128, gradientSteps: 16, batchSize: 32, ...config } },
    budget: { envSteps: 4096 },
    workers: { rollout: 2, numEnvs: 2, rolloutSteps: 32, streams: STREAMS, learner: { process: true } },
    eval: { interval: 0, finalEpisodes: 2 },
    checkpoint: { interval: 1024 },
    ...over,
  };
}

function run(opts: Partial<RunOptions>, events: RunEvent[] = []): Promise<RunResult> {
  return runExperiment({ runsDir, log: () => {}, progressOut: null, handleSignals: false, onEvent: (e) => events.push(e), ...opts });
}

/** The tagged env of the ledger runs (test/fixtures/taggedCartPole.ts): observations name their env instance and step. */
const TAGGED = { id: 'TaggedCartPole-v0', module: path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'taggedCartPole.js') };
/** Env streams of the ledger runs: two, so two rollout tasks are in flight when an executor dies. */
const STREAMS = 2;
const NUM_ENVS = 2;

/**
 * An independent ledger of what the run accepted, read from the data itself rather than from any
 * counter: every transition in the final checkpoint's replay buffer names the env instance and
 * step that made it (the tagged env; an instance's id travels with its stream's state), so
 * - each transition is one step of one env (its nextObs is the same env's next step);
 * - there are exactly streams × numEnvs env instances: a task redone elsewhere continued its
 *   stream rather than starting new envs;
 * - each instance's steps are 0, 1, …, n − 1, each once: nothing was accepted twice (a redone
 *   task replays the same steps of its stream, so an attempt that was not accepted and also
 *   counted would repeat them) and nothing was lost;
 * - the transitions add up to the accepted env steps.
 */
async function assertLedger(r: RunResult): Promise<void> {
  assert.is(r.state, 'finished');
  const { state } = await loadDqnRunState(path.join(r.runDir, 'checkpoints'));
  const rb = state.learner.replay;
  const d = 4 + TAG_DIMS;
  const stepsOf = new Map<string, Set<number>>();
  for (let i = 0; i < rb.size; i++) {
    const env = `${rb.obs[i * d + 4]}:${rb.obs[i * d + 5]}`;
    const t = rb.obs[i * d + 6]! / STEP_SCALE;
    assert.is(`${rb.nextObs[i * d + 4]}:${rb.nextObs[i * d + 5]}`, env, `transition ${i}: obs and nextObs come from different envs`);
    assert.is(rb.nextObs[i * d + 6]! / STEP_SCALE, t + 1, `transition ${i}: nextObs is not the step after obs`);
    const steps = stepsOf.get(env) ?? new Set<number>();
    if (steps.has(t)) assert.unreachable(`step ${t} of env ${env} is in the replay buffer twice`);
    steps.add(t);
    stepsOf.set(env, steps);
  }
  assert.is(stepsOf.size, STREAMS * NUM_ENVS, 'one env instance per env of each stream');
  for (const [env, steps] of stepsOf) {
    for (let t = 0; t < steps.size; t++) if (!steps.has(t)) assert.unreachable(`env ${env}: step ${t} is missing (it has ${steps.size} steps, expected 0–${steps.size - 1})`);
  }
  assert.is(rb.size, r.envSteps, 'the replay buffer holds every accepted transition');
  assert.ok(r.envSteps! >= 4096);
  assert.is(r.counts!.duplicates, 0);
}

test("a dashboard receives the policy with the agent's hidden activation (a tanh DQN)", async () => {
  const got: ParamsMessage[] = [];
  let dashboard: TestPeer | undefined;
  await run({
    spec: dqnSpec({ name: 'activation', budget: { envSteps: 2048 }, workers: { rollout: 0, numEnvs: 2, rolloutSteps: 32, learner: { process: false } } }, { activation: 'tanh' }),
    onListening: ({ port, token }) => {
      dashboard = connectPeer(`ws://127.0.0.1:${port}/ws`, token, { role: 'dashboard' });
      dashboard.onMessage = (m) => m.type === 'params' && got.push(m);
    },
  });
  dashboard?.ws.close();
  assert.ok(got.length > 0, 'no params message reached the dashboard');
  for (const m of got) assert.is(m.activation, 'tanh');
});

test('a rollout thread killed mid-run: its task is redone by a new thread, nothing lost or counted twice', async () => {
  const events: RunEvent[] = [];
  const r = await run({ spec: dqnSpec({ env: TAGGED }), faults: { crashRolloutAt: 1500 } }, events);
  assert.is(r.state, 'finished');
  const lost = events.flatMap((e) => (e.type === 'worker-lost' ? [e.reason] : []));
  assert.ok(lost.length > 0, 'the thread death was seen');
  // the pool runs every kind of task: the message names the thread and the task's kind
  assert.match(lost[0]!, /^a thread of threads died running a rollout task \(/);
  assert.ok(r.counts!.requeued >= 1);
  await assertLedger(r);
});

test('the learner process killed mid-run: a new one continues from the last state', async () => {
  const events: RunEvent[] = [];
  let killed = false;
  const r = await run(
    {
      spec: dqnSpec({ env: TAGGED, budget: { envSteps: 16_384 } }), // long enough for the process to take over before the end
      onEvent: (e) => {
        events.push(e);
        // kill -9 the learner at the first checkpoint after its process took over training
        // (until it is ready, the coordinator trains the first rounds itself: WarmStartLearner)
        const started = events.find((x) => x.type === 'learner-started') as { pid: number } | undefined;
        if (!killed && e.type === 'checkpoint' && started !== undefined) {
          killed = true;
          process.kill(started.pid, 'SIGKILL');
        }
      },
    },
    events,
  );
  assert.ok(killed);
  assert.ok(events.some((e) => e.type === 'learner-restart'), 'the learner was restarted');
  assert.is(events.filter((e) => e.type === 'learner-started').length, 2);
  assert.is(r.state, 'finished');
  await assertLedger(r);
});

/**
 * Runs a DQN run with one rollout thread and one real `nnlab worker` process, which is stopped
 * (SIGSTOP) after the first checkpoint: from then on the coordinator's next task for it sits there
 * unanswered. `then` decides what happens to the stopped worker.
 */
async function runWithStoppedWorker(then: (child: ReturnType<typeof spawn>) => void, heartbeatMs?: number): Promise<{ r: RunResult; events: RunEvent[]; child: ReturnType<typeof spawn> }> {
  const events: RunEvent[] = [];
  let child: ReturnType<typeof spawn> | undefined;
  const r = await run(
    {
      spec: dqnSpec({ env: TAGGED, workers: { rollout: 1, numEnvs: 2, rolloutSteps: 32, streams: STREAMS, remote: 1, learner: { process: false } } }),
      token: 'remote-test-token',
      ...(heartbeatMs !== undefined ? { heartbeatMs } : {}),
      onListening: ({ port }) => {
        child = spawn(process.execPath, [CLI, 'worker', '--connect', `ws://127.0.0.1:${port}`, '--threads', '1', '--allow-code'], { stdio: 'ignore', env: { ...process.env, NNLAB_TOKEN: 'remote-test-token' } });
      },
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'checkpoint' && child?.exitCode === null && child.signalCode === null && !events.some((x) => x.type === 'checkpoint' && x !== e)) {
          child.kill('SIGSTOP');
          then(child);
        }
      },
    },
    events,
  );
  child!.kill('SIGKILL');
  return { r, events, child: child! };
}

/** The remote worker was lost holding at least one task, and every task it held was requeued. */
function assertRequeued(r: RunResult, events: RunEvent[], reason: RegExp): void {
  const lost = events.filter((e): e is Extract<RunEvent, { type: 'worker-lost' }> => e.type === 'worker-lost' && e.executor.startsWith('remote-'));
  assert.is(lost.length, 1, 'the remote worker was marked lost once');
  assert.match(lost[0]!.reason, reason);
  assert.ok(lost[0]!.tasks.length >= 1, 'it was holding a task');
  assert.ok(r.counts!.requeued >= lost[0]!.tasks.length, `${lost[0]!.tasks.length} task(s) lost, ${r.counts!.requeued} requeued`);
}

test('a remote worker killed with SIGKILL mid-run: the task it held is requeued and the run completes exactly', async () => {
  const { r, events } = await runWithStoppedWorker((child) => setTimeout(() => child.kill('SIGKILL'), 500));
  assert.is(r.state, 'finished');
  assertRequeued(r, events, /closed|disconnect|1006/i);
  await assertLedger(r);
});

test('a remote worker that stops answering (SIGSTOP) is found by the heartbeat, its task requeued, and the run completes exactly', async () => {
  const t0 = Date.now();
  const { r, events } = await runWithStoppedWorker(() => {}, 300);
  assert.is(r.state, 'finished');
  assertRequeued(r, events, /heartbeat|pong|no answer/i);
  await assertLedger(r);
  assert.ok(Date.now() - t0 < 60_000);
});

test('the coordinator killed mid-run: --resume continues from the last checkpoint', async () => {
  const specFile = path.join(runsDir, 'resume.json');
  writeFileSync(specFile, JSON.stringify(dqnSpec({ name: 'killed', budget: { envSteps: 12_000 }, workers: { rollout: 1, numEnvs: 2, rolloutSteps: 32, learner: { process: true } } })));
  const child = spawn(process.execPath, [CLI, 'run', specFile, '--port', '0'], { cwd: runsDir, stdio: ['ignore', 'pipe', 'pipe'] });
  // killed on every path (a failed wait too): a CLI left running, maybe SIGSTOPped, outlives the test
  const exited = new Promise((r) => child.once('exit', r));
  const stepsIn = (): number[] =>
    readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.endsWith('}'))
      .map((l) => (JSON.parse(l) as { step: number }).step);
  let runDir: string;
  try {
    let dir: string | undefined;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const t0 = Date.now();
    while (dir === undefined || (await latestCheckpoint(path.join(dir, 'checkpoints'))) === undefined) {
      if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error(`no checkpoint appeared: ${out}`);
      const m = /checkpoint \(periodic\) at env step \d+: (\S+)\/checkpoints/.exec(out);
      if (m) dir = path.join(runsDir, m[1]!);
      await new Promise((r) => setTimeout(r, 50));
    }
    runDir = dir;
    // kill it once metrics beyond its newest checkpoint exist (stopped first, so nothing moves while we look)
    for (;;) {
      child.kill('SIGSTOP');
      const newest = await loadDqnRunState(path.join(runDir, 'checkpoints'));
      if (stepsIn().some((step) => step > newest.state.envSteps)) break;
      child.kill('SIGCONT');
      if (Date.now() - t0 > 60_000 || child.exitCode !== null) throw new Error(`no metrics beyond a checkpoint: ${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
  const ckpt = await loadDqnRunState(path.join(runDir, 'checkpoints'));
  const before = stepsIn().filter((step) => step <= ckpt.state.envSteps).length;
  const events: RunEvent[] = [];
  const r = await run({ resume: runDir }, events);
  assert.is(r.runDir, runDir);
  assert.is(r.state, 'finished');
  assert.ok(r.envSteps! >= 12_000);
  const firstNew = events.find((e) => e.type === 'checkpoint') as { step: number };
  assert.ok(firstNew.step > ckpt.state.envSteps, 'the resumed run started from the checkpoint');
  // the killed run's metrics after the checkpoint were cut: the log's steps never go back, and
  // what it holds up to the checkpoint's step is what was there before the kill
  const steps = stepsIn();
  for (let i = 1; i < steps.length; i++) assert.ok(steps[i]! >= steps[i - 1]!, `metrics.jsonl goes back from step ${steps[i - 1]} to ${steps[i]} (line ${i + 1})`);
  assert.is(steps.filter((step) => step <= ckpt.state.envSteps).length, before);
  assert.ok(steps.at(-1)! >= 12_000);
});

test('a single-process run interrupted and resumed ends with the same weights as an uninterrupted one', async () => {
  const spec = dqnSpec({ name: 'exact', workers: { rollout: 0, numEnvs: 2, rolloutSteps: 32, learner: { process: false } } });
  const whole = await run({ spec });
  const stop = new AbortController();
  const first = await run({ spec, signal: stop.signal, onEvent: (e) => e.type === 'checkpoint' && e.step >= 2048 && stop.abort() });
  assert.is(first.state, 'stopped');
  assert.ok(first.envSteps! < 4096);
  // a copy of the stopped run rewritten in the older layout (the replay buffer beside the learner's state, not in it)
  const older = path.join(runsDir, 'exact-older-layout');
  cpSync(first.runDir, older, { recursive: true });
  const ckptDir = (await latestCheckpoint(path.join(older, 'checkpoints')))!;
  const { state } = await loadDqnRunState(path.join(older, 'checkpoints'));
  assert.ok(state.learner.replay.size >= 2048, 'the checkpoint holds the accepted transitions in the learner state');
  const { replay, replayRng, ...learner } = state.learner;
  writeFileSync(path.join(ckptDir, 'state.msgpack'), encode({ ...state, learner, replay, replayRng }));
  const resumed = await run({ resume: first.runDir });
  const resumedOlder = await run({ resume: older });
  assert.is(resumed.envSteps, whole.envSteps);
  assert.is(resumedOlder.envSteps, whole.envSteps);
  for (const [name, t] of Object.entries(whole.params!)) {
    assert.equal(Array.from(resumed.params![name]!.data), Array.from(t.data), `weights of ${name}`);
    assert.equal(Array.from(resumedOlder.params![name]!.data), Array.from(t.data), `weights of ${name} (resumed from the older layout)`);
  }
});

test('checkpoints are written while the run goes on, yet a write that fails fails the run, naming the path, and the run records it', async () => {
  let root: string | undefined;
  let writtenAt: number | undefined;
  const events: RunEvent[] = [];
  const spec = dqnSpec({ name: 'unwritable', workers: { rollout: 0, numEnvs: 2, rolloutSteps: 32, learner: { process: false } } });
  const failed = await run(
    {
      spec,
      onEvent: (e) => {
        events.push(e);
        if (e.type !== 'checkpoint' || root !== undefined) return;
        // the first checkpoint is on disk: its folder becomes a file, so the next write cannot make it
        writtenAt = e.step;
        root = path.dirname(e.dir);
        rmSync(root, { recursive: true, force: true });
        writeFileSync(root, 'not a folder');
      },
    },
    events,
  ).then(
    (): Error => {
      throw new Error('the run finished without its checkpoints');
    },
    (e: Error) => e,
  );
  assert.match(failed.message, /EEXIST|ENOTDIR/);
  assert.ok(failed.message.includes(root!), `the error names ${root}: ${failed.message}`);
  assert.ok(writtenAt! >= 1024 && writtenAt! < 2048, `the first checkpoint is after 1024 steps, not ${writtenAt}`);
  const result = JSON.parse(readFileSync(path.join(path.dirname(root!), 'result.json'), 'utf8')) as { state: string; message: string };
  assert.is(result.state, 'failed');
  assert.is(events.filter((e) => e.type === 'checkpoint').length, 1, 'no checkpoint was reported after the failed one');
});

test('a non-finite loss stops the run naming the step; the last good checkpoint stays loadable', async () => {
  let runDir = '';
  try {
    await run({ spec: dqnSpec({ checkpoint: { interval: 256 }, workers: { rollout: 0, numEnvs: 2, rolloutSteps: 32, learner: { process: false } } }, { learningRate: 1e38, maxGradNorm: 1e38 }), onListening: (i) => (runDir = i.runDir) });
    assert.unreachable('the run did not stop');
  } catch (e) {
    assert.match(errorMessage(e), /non-finite TD loss .* at env step \d+/);
  }
  const ckpt = await latestCheckpoint(path.join(runDir, 'checkpoints'));
  assert.ok(ckpt !== undefined && existsSync(ckpt));
  const score = await evalRun(runDir, 2, () => {});
  assert.ok(Number.isFinite(score));
  assert.match(readFileSync(path.join(runDir, 'result.json'), 'utf8'), /"failed"/);
});

test.run();
