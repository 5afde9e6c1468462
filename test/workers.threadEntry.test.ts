/**
 * The CommonJS entries piscina starts its threads from (workers/threadEntry.cts and
 * workers/queueThreadEntry.cts, over workers/esmHandler.cts). piscina 5 require()s a thread's
 * filename first, and Node 20's require() of an ES module once killed a test's process with a V8
 * fatal error; so each compiled entry is CommonJS that reaches its ES module by a real import(), a
 * pool on each runs the ES module's handler, the module is loaded once, and a module that fails to
 * load fails each task with its own error.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Piscina } from 'piscina';
import { esmHandler } from '../workers/esmHandler.cjs';
import { runTrial } from '../workers/trial.js';
import { TrialProgress } from '../workers/trialProgress.js';
import { parseTaskResult } from '../protocol/messages.js';
import type { QueueThreadPayload } from '../workers/queueThread.js';
import type { RlTrialTask, TrialResult } from '../protocol/tasks.js';

/** The pools' entries, compiled into dist/workers/ (written as the pools write them, for test/architecture.test.ts to read). */
const THREAD_ENTRY = new URL('../workers/threadEntry.cjs', import.meta.url);
const QUEUE_THREAD_ENTRY = new URL('../workers/queueThreadEntry.cjs', import.meta.url);

/** Each entry and the ES module it runs. */
const ENTRIES = [
  [THREAD_ENTRY, './thread.js'],
  [QUEUE_THREAD_ENTRY, './queueThread.js'],
] as const;

const trial: RlTrialTask = { kind: 'trial', family: 'rl', runId: 'entry', trial: 0, env: { id: 'CliffWalking-v1', kwargs: {} }, algo: 'qlearning', config: { seed: 3 }, episodes: 30, evalEpisodes: 1 };

/** A thread's answer (piscina's run returns any) as a trial result, or an error naming what came back. */
function trialResult(out: unknown): TrialResult {
  const r = parseTaskResult(out);
  if (!r.ok) throw new Error(`a thread answered a trial with a malformed result: ${r.reason}`);
  if (r.result.kind !== 'trial') throw new Error(`a thread answered a trial with a ${r.result.kind} result`);
  return r.result;
}

test('each compiled entry is CommonJS that loads its ES module by a real import(), never require()', () => {
  for (const [url, esm] of ENTRIES) {
    const entry = path.basename(url.pathname);
    const js = readFileSync(url, 'utf8');
    assert.ok(js.startsWith('"use strict";'), `${entry} is compiled as CommonJS`);
    assert.ok(js.includes(`import('${esm}')`) || js.includes(`import("${esm}")`), `${entry} keeps import('${esm}') a dynamic import:\n${js}`);
    assert.not.ok(js.includes(`require('${esm}')`) || js.includes(`require("${esm}")`), `${entry} require()s ${esm}:\n${js}`);
    assert.ok(/require\(["']\.\/esmHandler\.cjs["']\)/.test(js), `${entry} takes its handler from esmHandler.cjs:\n${js}`);
  }
});

test("a pool on each entry runs its ES module's default export: the rollout threads' task and the queue threads' trial", async () => {
  const expected = await runTrial(trial);
  const rollout = new Piscina({ filename: THREAD_ENTRY.href, minThreads: 1, maxThreads: 1 });
  const queue = new Piscina({ filename: QUEUE_THREAD_ENTRY.href, minThreads: 1, maxThreads: 1 });
  try {
    const slot = new TrialProgress();
    const payload: QueueThreadPayload = { task: trial, progress: slot.buffer };
    // two tasks on each single thread: the second finds its module already loaded
    const outs: unknown[] = await Promise.all([rollout.run(trial), rollout.run(trial), queue.run(payload), queue.run(payload)]);
    for (const out of outs) {
      const r = trialResult(out);
      assert.is(r.trial, trial.trial);
      assert.is(r.finalScore, expected.finalScore);
      assert.equal(Array.from(r.curve), Array.from(expected.curve));
    }
    assert.is(slot.points(), 2 * trial.episodes, "the queue threads' trials recorded their curves in the shared slot");
  } finally {
    await Promise.all([rollout.destroy(), queue.destroy()]);
  }
});

test('a handler imports its module once, when it is made (as the thread starts), and every task awaits that import', async () => {
  let loads = 0;
  const handler = esmHandler(async () => {
    loads++;
    return { default: async (x: number) => 2 * x };
  });
  assert.is(loads, 1);
  assert.equal(await Promise.all([handler(1), handler(2), handler(3)]), [2, 4, 6]);
  assert.is(loads, 1);
});

test('a module that fails to load fails each task with its own error, and is no unhandled rejection (the thread lives on)', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => {
    unhandled.push(e);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const handler = esmHandler<number, number>(() => Promise.reject(new Error('Cannot find module thread.js')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(unhandled, []);
    for (const x of [1, 2]) {
      const e: unknown = await handler(x).then(
        () => undefined,
        (err: unknown) => err,
      );
      assert.ok(e instanceof Error && e.message === 'Cannot find module thread.js', `task ${x} failed with ${String(e)}`);
    }
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test.run();
