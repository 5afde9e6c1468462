/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
 * DQN CartPole run on loopback: the page attaches mid-run and shows the history, live points make
 * the return chart grow, the worker table lists the workers and marks a SIGKILLed remote worker
 * dead, the policy runs in the page with tfjs from the streamed parameters, a wrong token gets the
 * "not authorised" page, and the page's checkpoint and stop buttons act on the run; sweeps of an
 * agent and of a generative model show their trials' curves and scores. Screenshots go to
 * test-artifacts/dashboard/.
 *
 * Needs /usr/bin/chromium (or NNLAB_CHROMIUM); skipped with a message when it is absent, except
 * under CI, where it fails instead.
 */
// test-timeout: 600s (a real DQN run driven through chromium; scripts/test.mjs reads this line)
import { CLI, test, until as pollUntil } from './helpers.js';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { runExperiment, type RunResult } from '../coordinator/run.js';
import type { RunEvent } from '../drivers/context.js';
import { formatMetric } from '../base/format.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.NNLAB_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'dashboard');
const TOKEN = 'dashboard-test-token';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const available = existsSync(CHROMIUM);
if (!available && process.env.CI === undefined) {
  console.log(`dashboard.browser: SKIPPED — ${CHROMIUM} not found (apt-get install -y chromium); these tests run in CI`);
  test.skip('the dashboard in chromium (skipped: no chromium)');
} else if (!available) {
  test('chromium is installed (CI runs the browser tests)', () => {
    assert.unreachable(`CI is set but ${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`);
  });
} else {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'nnlab-dashboard-'));
  const events: RunEvent[] = [];
  const abort = new AbortController();
  /** What every run of this file shares: its runs directory and token, any port, no output, stopped by `abort`. */
  const quietRun = { runsDir: tmp, token: TOKEN, port: 0, log: () => {}, progressOut: null, handleSignals: false, signal: abort.signal };
  let context: BrowserContext;
  let page: Page;
  let run: Promise<RunResult>;
  let info: { port: number; url: string; runDir: string };
  let worker: ChildProcess | undefined;
  /** Uncaught errors and console errors of the main page (none expected). */
  const pageErrors: string[] = [];
  const base = () => `http://127.0.0.1:${info.port}`;

  const shot = async (p: Page, name: string) => {
    await p.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  };
  const attr = async (p: Page, selector: string, name: string) => (await p.getAttribute(selector, `data-${name}`)) ?? '';
  /** Polls from here (the page's CSP forbids evaluating strings in it) until `ok` holds. */
  const poll = async (what: string, ok: () => Promise<boolean>, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  /** Waits until `data-NAME` of SELECTOR, as a number, passes `ok`. */
  const waitData = (p: Page, selector: string, name: string, ok: (v: number) => boolean, ms = 30_000) =>
    poll(`${selector} data-${name}`, async () => ok(Number((await attr(p, selector, name)) || 0)), ms);
  const episodesLogged = () => readFileSync(path.join(info.runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.includes('episodic_return')).length;
  const until = (what: string, ok: () => boolean, ms = 30_000) => pollUntil(what, ok, ms, 100);

  // set-up is a test, not a before hook: uvu 0.5 passes a suite whose before hook throws. It fails
  // loudly: a run that rejects (or ends) before it listens fails it with the run's own error
  // instead of hanging, and a later rejection reaches the test that awaits the run
  test('set-up: a DQN run starts on loopback and chromium opens', async () => {
    const { buildDashboard } = (await import(pathToFileURL(path.join(ROOT, 'scripts', 'build-dashboard.mjs')).href)) as { buildDashboard: () => Promise<number> };
    await buildDashboard();
    mkdirSync(ARTIFACTS, { recursive: true });
    let onListening: (i: typeof info) => void = () => {};
    const listening = new Promise<typeof info>((resolve) => (onListening = resolve));
    run = runExperiment({
      spec: {
        name: 'dashboard-test',
        env: { id: 'CartPole-v1' },
        agent: { algo: 'dqn', config: { hidden: [64, 64], learningStarts: 500 } }, // rl-zoo settings otherwise: it learns within the test
        budget: { envSteps: 500_000 },
        workers: { rollout: 1, numEnvs: 1, rolloutSteps: 64, learner: { process: false } },
        eval: { interval: 2000, episodes: 2, finalEpisodes: 2 },
        checkpoint: { interval: 0, keep: 2 },
      },
      ...quietRun,
      onEvent: (e) => events.push(e),
      onListening,
    });
    const ended = run.then((r) => Promise.reject(new Error(`the run ended (${r.state}: ${r.message}) before it listened`)));
    info = await Promise.race([listening, ended]);
    assert.ok(existsSync(info.runDir), `the run directory ${info.runDir} exists`);
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.on('dialog', (d) => void d.accept()); // the stop button asks for confirmation
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && pageErrors.push(`console: ${m.text()}`)));
  });

  test.after(async () => {
    abort.abort();
    worker?.kill('SIGKILL');
    await run?.catch(() => undefined);
    await context?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  test('the coordinator serves the built page only with the token', async () => {
    const none = await fetch(`${base()}/`);
    assert.is(none.status, 401);
    assert.match(await none.text(), 'Not authorised');
    const wrong = await fetch(`${base()}/?token=nope`);
    assert.is(wrong.status, 401);
    assert.match(await wrong.text(), 'not this run’s token');
    const ok = await fetch(`${base()}/?token=${TOKEN}`);
    assert.is(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', 'text/html');
    assert.match(await ok.text(), '/app.js');
    const js = await fetch(`${base()}/app.js`);
    assert.is(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', 'text/javascript');
    assert.match((await fetch(`${base()}/uPlot.min.css`)).headers.get('content-type') ?? '', 'text/css');
    // traversal, methods and the unbuilt page: test/dashboard.http.test.ts
  });

  test('a wrong token shows "not authorised" in the browser', async () => {
    const p = await context.newPage();
    const r = await p.goto(`${base()}/?token=wrong-token`);
    assert.is(r?.status(), 401);
    assert.match(await p.textContent('h1') ?? '', 'Not authorised');
    await shot(p, 'refused');
    await p.close();
  });

  test('attached mid-run, the page shows the history, then live points make the return chart grow', async () => {
    await until('20 episodes in metrics.jsonl', () => episodesLogged() >= 20);
    const logged = episodesLogged();
    await page.goto(info.url);
    await waitData(page, '#chart-return', 'points', (n) => n >= logged, 15_000);
    const first = Number(await attr(page, '#chart-return', 'points'));
    assert.ok(first >= logged, `the history's ${logged} episodes are drawn (${first})`);
    await waitData(page, '#chart-return', 'points', (n) => n > first + 5);
    const later = Number(await attr(page, '#chart-return', 'points'));
    assert.ok(later > first, `points grow: ${first} → ${later}`);
    assert.is(await page.textContent('#run-state'), 'running');
    assert.is(await page.textContent('#run-env'), 'CartPole-v1');
    assert.is(await page.textContent('#run-kind'), 'dqn');
    await page.waitForSelector('#chart-loss[data-points]', { timeout: 30_000 });
    await page.waitForSelector('#chart-sps[data-points]');
  });

  test('the policy runs in the page with tfjs from the streamed parameters', async () => {
    await waitData(page, '#policy-canvas', 'steps', (n) => n > 30);
    assert.is(await attr(page, '#policy-canvas', 'backend'), 'cpu');
    assert.ok(Number(await attr(page, '#policy-canvas', 'version')) >= 1, 'parameters from the learner');
    assert.match((await page.textContent('#policy-caption')) ?? '', /CartPole-v1 · parameters v\d+ · greedy q network \(4→2, relu\)|CartPole-v1 · parameters v\d+ · greedy q network/);
    await shot(page, 'live');
  });

  test('the worker table lists the workers and marks a killed remote worker dead', async () => {
    await page.waitForSelector('#workers-body tr[data-worker="threads"][data-alive="true"]');
    await page.waitForSelector('#workers-body tr[data-worker^="learner"]');
    worker = spawn(process.execPath, [CLI, 'worker', '--connect', `ws://127.0.0.1:${info.port}`, '--token', TOKEN, '--threads', '1', '--name', 'victim'], { stdio: 'ignore' });
    const row = '#workers-body tr[data-worker$="-victim"]';
    await page.waitForSelector(`${row}[data-alive="true"]`, { timeout: 30_000 });
    // let it hold a task, then kill -9 it
    await poll('a task done by the remote worker', async () => Number(await page.textContent(`${row} td:nth-child(4)`)) > 0);
    worker.kill('SIGKILL');
    await page.waitForSelector(`${row}[data-alive="false"]`, { timeout: 20_000 });
    assert.is(await page.textContent(`${row} .badge`), 'dead');
    assert.ok(events.some((e) => e.type === 'worker-lost' && e.executor.endsWith('-victim')));
    await shot(page, 'worker-dead');
  });

  test('the checkpoint and stop buttons act on the run', async () => {
    await page.click('#btn-checkpoint');
    await until('a checkpoint', () => events.some((e) => e.type === 'checkpoint'), 20_000);
    await page.click('#btn-stop');
    const result = await run;
    assert.is(result.state, 'stopped');
    assert.match(result.message, 'stopped from the dashboard');
    await page.waitForSelector('body[data-connection="ended"]', { timeout: 10_000 });
    assert.is(await page.textContent('#run-state'), 'stopped');
    assert.match((await page.textContent('#run-message')) ?? '', 'stopped from the dashboard');
    assert.ok(await page.isDisabled('#btn-stop'), 'controls disabled once the run ended');
    await shot(page, 'ended');
    assert.equal(pageErrors, [], 'no errors in the page');
  });

  /**
   * Starts a sweep that waits for one remote worker, attaches a page while it is starting (so the
   * page sees every trial), then starts that worker (`name`); returns the run, the page and the worker.
   */
  async function sweepWithPage(spec: Record<string, unknown>, name: string) {
    let sweepInfo: typeof info | undefined;
    const sweep = runExperiment({
      spec: { ...spec, workers: { rollout: 1, remote: 1 } },
      ...quietRun,
      onListening: (i) => (sweepInfo = i),
    });
    sweep.catch(() => undefined);
    await until('the sweep to listen', () => sweepInfo !== undefined);
    const p = await context.newPage();
    await p.goto(sweepInfo!.url);
    await p.waitForSelector('#run-state:text("starting")');
    const remote = spawn(process.execPath, [CLI, 'worker', '--connect', `ws://127.0.0.1:${sweepInfo!.port}`, '--token', TOKEN, '--threads', '1', '--name', name], { stdio: 'ignore' });
    return { sweep, p, remote };
  }

  test('a sweep shows one curve per trial and a sortable table of final scores', async () => {
    // the run waits for one remote worker, so the page is attached before any trial ends
    const { sweep, p, remote } = await sweepWithPage(
      {
        name: 'dashboard-sweep',
        env: { id: 'CliffWalking-v1' },
        agent: { algo: 'sarsa', config: { epsilon: 0.1 } },
        budget: { episodes: 300 },
        eval: { finalEpisodes: 1 },
        sweep: { method: 'grid', parameters: { 'agent.algo': ['sarsa', 'qlearning'], 'agent.config.alpha': [0.1, 0.5] }, seeds: 1 },
      },
      'sweeper',
    );
    worker = remote;
    const result = await sweep;
    assert.is(result.trials?.length, 4);
    await p.waitForSelector('body[data-connection="ended"]', { timeout: 10_000 });
    await p.waitForSelector('#sec-sweep:not([hidden])');
    await poll('4 rows with scores', async () => (await p.$$('#trials tbody tr')).length === 4 && !((await p.textContent('#trials tbody')) ?? '–').includes('–'));
    await poll('trial labels', async () => ((await p.textContent('#trials tbody')) ?? '').includes('alpha=0.5'));
    assert.is(Number(await attr(p, '#chart-sweep', 'points')), 300, 'episodes 1..300 on one x axis');
    assert.is((await p.$$('#chart-sweep .u-legend .u-series')).length, 5, 'x + one series per trial');
    // a trial's score as the terminal writes it (base/format.ts)
    const scores = () => p.$$eval('#trials tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent ?? ''));
    const byScore = [...result.trials!].sort((a, b) => b.finalScore - a.finalScore).map((t) => formatMetric(t.finalScore));
    assert.equal(await scores(), byScore, 'best first');
    await p.click('#trials th[data-key="finalScore"]');
    assert.equal(await scores(), [...byScore].reverse(), 'ascending after a click');
    assert.is(await attr(p, '#trials th[data-key="finalScore"]', 'sort'), 'asc');
    await shot(p, 'sweep');
    await p.close();
  });

  test("a generative sweep's chart and table show its score per epoch, named by the run", async () => {
    const { sweep, p, remote } = await sweepWithPage(
      {
        name: 'dashboard-vae-sweep',
        model: { kind: 'vae', config: { hidden: [16], latentDim: 2 }, batchSize: 16 },
        budget: { epochs: 2, stepsPerEpoch: 3 },
        eval: { interval: 0 },
        sweep: { parameters: { 'model.config.learningRate': [1e-3, 1e-2] } },
      },
      'gen',
    );
    try {
      const result = await sweep;
      assert.is(result.trials?.length, 2);
      await p.waitForSelector('body[data-connection="ended"]', { timeout: 10_000 });
      await p.waitForSelector('#sec-sweep:not([hidden])');
      await poll('2 rows with scores', async () => (await p.$$('#trials tbody tr')).length === 2 && !((await p.textContent('#trials tbody')) ?? '–').includes('–'));
      assert.is(Number(await attr(p, '#chart-sweep', 'points')), 2, 'epochs 1..2 on the x axis');
      assert.is((await p.$$('#chart-sweep .u-legend .u-series')).length, 3, 'x + one series per trial');
      assert.match((await p.textContent('#chart-sweep .u-legend .u-series:first-child')) ?? '', 'epoch', 'the x axis counts epochs');
      assert.match((await p.textContent('#sweep-title')) ?? '', 'eval/test_elbo per trial');
      assert.is(await p.textContent('#trials-unit'), 'epochs');
      assert.equal(await p.$$eval('#trials tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent)), ['2', '2'], 'two epochs each');
      const scores = await p.$$eval('#trials tbody tr td:nth-child(3)', (tds) => tds.map((td) => td.textContent ?? ''));
      assert.equal(scores, [...result.trials!].sort((a, b) => b.finalScore - a.finalScore).map((t) => formatMetric(t.finalScore)), 'final test ELBOs, best first, as the terminal writes them');
      await shot(p, 'generative-sweep');
    } finally {
      remote.kill('SIGKILL');
      await p.close();
    }
  });
}

test.run();
