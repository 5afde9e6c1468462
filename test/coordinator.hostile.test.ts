/**
 * One hostile remote worker never kills a run (real coordinator, real DQN runs on loopback,
 * a misbehaving worker on a real socket): NaN observations or rewards, actions outside the
 * action space, arrays of the wrong length, a task_error for every task, a task taken and never
 * answered. Each run finishes with exact counts; the replay buffer holds only transitions of
 * valid results; the worker gets error frames naming the problem and is quarantined.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runExperiment, type RunResult } from '../coordinator/run.js';
import { CLOSE } from '../protocol/constants.js';
import type { RunStateMessage } from '../protocol/messages.js';
import type { RunEvent } from '../drivers/context.js';
import { loadDqnRunState } from '../drivers/runState.js';
import type { DqnRunState } from '../drivers/offPolicy.js';
import { execute } from '../workers/thread.js';
import type { StateTree } from '../envs/index.js';
import type { RolloutResult } from '../protocol/tasks.js';
import { connectPeer, type TestPeer } from './peer.js';

const runsDir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-hostile-'));
test.after(() => rmSync(runsDir, { recursive: true, force: true }));

const BUDGET = 2048;
const STEPS_PER_TASK = 64; // numEnvs 2 × rolloutSteps 32

/** How the hostile worker answers a task: a result (from a real rollout, then spoiled), a task_error, or nothing. */
type Behaviour = { spoil: (r: RolloutResult) => RolloutResult } | { taskError: string } | { silent: true };

interface Outcome {
  result: RunResult;
  events: RunEvent[];
  bad: TestPeer;
  dashboard: TestPeer;
  replay: DqnRunState['learner']['replay'];
}

/** A DQN CartPole run (one local thread) that waits for the hostile worker before it starts. */
async function hostileRun(name: string, behaviour: Behaviour, opts: { threads?: number; taskTimeout?: number } = {}): Promise<Outcome> {
  const events: RunEvent[] = [];
  let bad: TestPeer | undefined;
  let dashboard: TestPeer | undefined;
  const run = runExperiment({
    runsDir,
    log: () => {},
    progressOut: null,
    handleSignals: false,
    onEvent: (e) => events.push(e),
    token: 'hostile-test-token',
    spec: {
      name,
      env: { id: 'CartPole-v1' },
      agent: { algo: 'dqn', config: { hidden: [16], learningStarts: 256, trainFrequency: 128, gradientSteps: 4, batchSize: 32, bufferSize: 10_000 } },
      budget: { envSteps: BUDGET },
      // four env streams, so the hostile worker (up to 3 threads) gets tasks beside the local thread
      workers: { rollout: 1, numEnvs: 2, rolloutSteps: 32, streams: 4, remote: 1, learner: { process: false }, ...(opts.taskTimeout !== undefined ? { taskTimeout: opts.taskTimeout } : {}) },
      eval: { interval: 0, finalEpisodes: 2 },
      checkpoint: { interval: 0 },
    },
    onListening: ({ port, token }) => {
      const url = `ws://127.0.0.1:${port}/ws`;
      dashboard = connectPeer(url, token, { role: 'dashboard', name: 'watcher' });
      bad = connectPeer(url, token, { name: 'hostile', threads: opts.threads ?? 1, kinds: ['rollout'] });
      bad.onMessage = (m) => {
        if (m.type !== 'task' || m.task.kind !== 'rollout') return;
        if ('silent' in behaviour) return;
        if ('taskError' in behaviour) return bad!.send({ type: 'task_error', taskId: m.taskId, message: behaviour.taskError });
        void execute(m.task).then((r) => bad!.send({ type: 'result', taskId: m.taskId, result: behaviour.spoil(r as RolloutResult) }));
      };
    },
  });
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`run '${name}' did not finish within 90 s`)), 90_000).unref());
  const result = await Promise.race([run, deadline]);
  const ckpt = await loadDqnRunState(path.join(result.runDir, 'checkpoints'));
  return { result, events, bad: bad!, dashboard: dashboard!, replay: ckpt.state.learner.replay };
}

/** Exact counts, and a replay buffer of exactly the budget's transitions, all finite, all actions in Discrete(2). */
function assertSound(o: Outcome): void {
  const r = o.result;
  assert.is(r.state, 'finished');
  assert.is(r.envSteps, BUDGET, 'env steps accepted = the budget');
  assert.is(r.counts!.rolloutTasks! * STEPS_PER_TASK, BUDGET, 'accepted tasks × task size = the budget');
  assert.is(r.counts!.duplicates, 0);
  const rb = o.replay;
  assert.is(rb.size, BUDGET, 'the replay buffer holds every accepted transition, once');
  const obsDim = 4;
  for (const [field, a] of [['obs', rb.obs], ['nextObs', rb.nextObs], ['rewards', rb.rewards]] as const) {
    const n = field === 'rewards' ? rb.size : rb.size * obsDim;
    for (let i = 0; i < n; i++) if (!Number.isFinite(a[i]!)) assert.unreachable(`replay ${field}[${i}] = ${a[i]}`);
  }
  for (let i = 0; i < rb.size; i++) if (rb.actions[i] !== 0 && rb.actions[i] !== 1) assert.unreachable(`replay actions[${i}] = ${rb.actions[i]}`);
}

/** The hostile worker got an error frame of this code naming the problem, was closed as quarantined, and the dashboard saw it so. */
async function assertQuarantined(o: Outcome, code: string, problem: RegExp): Promise<void> {
  const errs = o.bad.errors();
  assert.ok(
    errs.some((e) => e.code === code && problem.test(e.message)),
    `no '${code}' error frame matching ${problem}: ${JSON.stringify(errs.map((e) => `${e.code}: ${e.message}`))}`,
  );
  const closed = await o.bad.closed;
  assert.is(closed.code, CLOSE.quarantined, `closed with ${closed.code} (${closed.reason})`);
  assert.match(closed.reason, /quarantined/);
  const q = o.events.find((e) => e.type === 'worker-quarantined');
  assert.ok(q !== undefined && q.type === 'worker-quarantined' && q.executor.includes('hostile'), 'a worker-quarantined event for the hostile worker');
  const rows = o.dashboard.received.filter((m): m is RunStateMessage => m.type === 'run_state').flatMap((m) => m.workers);
  const row = rows.find((w) => w.id.includes('hostile') && w.state === 'quarantined');
  assert.ok(row !== undefined, "the dashboard's worker table showed the hostile worker quarantined");
  assert.ok(!row.alive && row.reason !== undefined && row.reason.length > 0);
}

const copy = (r: RolloutResult): RolloutResult => ({ ...r, obs: r.obs.slice(), rewards: r.rewards.slice(), actions: r.actions.slice(), nextObs: r.nextObs.slice() });

test('NaN observations are refused and redone elsewhere; the worker is quarantined', async () => {
  const o = await hostileRun('nan-obs', {
    spoil: (r) => {
      const x = copy(r);
      x.obs[5] = NaN;
      x.nextObs[9] = Infinity;
      return x;
    },
  });
  assertSound(o);
  assert.ok(o.result.counts!.invalid >= 3);
  await assertQuarantined(o, 'bad_result', /result\.obs\[5\]: NaN is not a finite number/);
});

test('a NaN reward is refused', async () => {
  const o = await hostileRun('nan-reward', {
    spoil: (r) => {
      const x = copy(r);
      x.rewards[3] = NaN;
      return x;
    },
  });
  assertSound(o);
  await assertQuarantined(o, 'bad_result', /result\.rewards\[3\]: NaN is not a finite number/);
});

test('actions 7 and −3 (outside Discrete(2)) are refused', async () => {
  let k = 0;
  const o = await hostileRun('bad-actions', {
    spoil: (r) => {
      const x = copy(r);
      x.actions[k++ % 2 === 0 ? 0 : 1] = k % 2 === 1 ? 7 : -3;
      return x;
    },
  });
  assertSound(o);
  await assertQuarantined(o, 'bad_result', /result\.actions\[0\]: 7 is outside the action space Discrete\(2\)/);
  assert.ok(o.bad.errors().some((e) => /result\.actions\[1\]: -3 is outside the action space Discrete\(2\)/.test(e.message)), 'the −3 was named too');
});

test('arrays of the wrong length are refused', async () => {
  const o = await hostileRun('wrong-lengths', { spoil: (r) => ({ ...r, obs: r.obs.subarray(0, r.obs.length - 4), episodeLengths: new Int32Array(r.episodeReturns.length + 1) }) });
  assertSound(o);
  await assertQuarantined(o, 'bad_result', /result\.obs: length 252, expected 256 \(64 transitions × 4 numbers\)/);
});

/** The result with its env stream's state replaced by what `spoil` makes of a copy of it. */
const spoilStream = (r: RolloutResult, spoil: (env: { [key: string]: StateTree }) => void): RolloutResult => {
  const env = structuredClone(r.stream!.env);
  if (env === null || typeof env !== 'object' || Array.isArray(env) || ArrayBuffer.isView(env)) throw new Error('a vector env snapshot is a record');
  spoil(env);
  return { ...r, stream: { ...r.stream!, env } };
};

/** The first Float64Array in a state tree (a sub-env's physics state), with its path. */
function firstFloats(tree: unknown, where = 'result.stream.env'): { a: Float64Array; where: string } | undefined {
  if (tree instanceof Float64Array) return tree.length > 0 ? { a: tree, where } : undefined;
  if (tree === null || typeof tree !== 'object' || ArrayBuffer.isView(tree)) return undefined;
  for (const [k, v] of Array.isArray(tree) ? tree.entries() : Object.entries(tree)) {
    const found = firstFloats(v, Array.isArray(tree) ? `${where}[${k}]` : `${where}.${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

test('an env stream whose state turned NaN is refused (the next thread would continue it); the worker is quarantined', async () => {
  let path = '';
  const o = await hostileRun('nan-stream', {
    spoil: (r) =>
      spoilStream(r, (env) => {
        const f = firstFloats(env)!;
        f.a[0] = NaN;
        path = f.where;
      }),
  });
  assertSound(o);
  assert.ok(path.length > 0, 'the stream holds a float state to spoil');
  await assertQuarantined(o, 'bad_result', new RegExp(`${path.replace(/[.[\]]/g, (c) => `\\${c}`)}\\[0\\]: NaN is not a finite number`));
});

test('an env stream that would replace a method of the env is refused; the worker is quarantined', async () => {
  const o = await hostileRun('method-stream', { spoil: (r) => spoilStream(r, (env) => (env.step = 0)) });
  assertSound(o);
  await assertQuarantined(o, 'bad_result', /result\.stream\.env: restoreState: the snapshot's env\.step would replace a method of the live env/);
});

test('a task_error for every task is retried elsewhere; the worker is quarantined', async () => {
  const o = await hostileRun('task-errors', { taskError: 'the GPU caught fire' });
  assertSound(o);
  assert.ok(o.result.counts!.taskErrors >= 3);
  await assertQuarantined(o, 'task_error', /the GPU caught fire/);
});

test('a worker that takes tasks and never answers: deadlines requeue them, the worker is quarantined', async () => {
  const t0 = Date.now();
  const o = await hostileRun('silent', { silent: true }, { threads: 3, taskTimeout: 2 });
  assertSound(o);
  assert.ok(o.result.counts!.timeouts >= 3, `timeouts ${o.result.counts!.timeouts}`);
  assert.ok(Date.now() - t0 >= 2000, 'the tasks waited for their deadline');
  await assertQuarantined(o, 'task_timeout', /no result within 2\.0 s/);
});

test.run();
