/**
 * What the page needs from a real run's run_state to make the run's env: the env id and the spec's
 * kwargs (dashboard/src/policyView.ts → makeSim(id, kwargs)). A real run on loopback and a real
 * WebSocket dashboard client.
 */
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { runExperiment } from '../coordinator/run.js';
import { PROTOCOL_VERSION } from '../protocol/constants.js';
import type { CoordinatorMessage, RunStateMessage } from '../protocol/messages.js';
import { packr } from '../core/tensors.js';
import { test } from './helpers.js';

test("run_state carries the spec's env id and kwargs to dashboards", async () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-page-kwargs-'));
  const abort = new AbortController();
  const kwargs = { isSlippery: true, successRate: 0.5 };
  let ws: WebSocket | undefined;
  let run: Promise<unknown> | undefined;
  try {
    const listening = new Promise<{ port: number; token: string }>((resolve) => {
      run = runExperiment({
        spec: { name: 'page-kwargs', env: { id: 'FrozenLake-v1', kwargs }, agent: { algo: 'qlearning' }, budget: { episodes: 50_000 }, workers: { rollout: 1 } },
        runsDir: tmp,
        port: 0,
        progressOut: null,
        log: () => {},
        handleSignals: false,
        signal: abort.signal,
        onListening: resolve,
      });
    });
    const { port, token } = await listening;
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
    ws = socket;
    const state = await new Promise<RunStateMessage>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('open', () => socket.send(packr.pack({ type: 'hello', protocol: PROTOCOL_VERSION, token, role: 'dashboard', name: 'page test' })));
      socket.on('message', (data: Buffer) => {
        const m = packr.unpack(data) as CoordinatorMessage;
        if (m.type === 'run_state') resolve(m);
      });
    });
    assert.is(state.run.env, 'FrozenLake-v1');
    assert.equal(state.run.envKwargs, kwargs);
  } finally {
    ws?.terminate();
    abort.abort();
    await run;
    rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
