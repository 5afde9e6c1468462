/**
 * nnlab's dashboard page. It reads the run token from its URL (`/?token=T`, printed by
 * `nnlab run`), opens the coordinator's WebSocket, and renders what arrives: run_state (header,
 * worker table), metrics (history first, then live batches), params (the live policy view).
 * The two controls send `control` frames on the same authenticated socket.
 */
import { LineChart, PALETTE, align, type SeriesDef } from './charts.js';
import { PolicyView } from './policyView.js';
import { Connection, type ConnectionStatus } from './socket.js';
import { MetricStore, movingAverage } from './store.js';
import { PATHS, type RunSummary, type TrialStatus } from './types.js';
import { trialRows, type PageMessage } from './frames.js';
import { $, TrialTable, describeTrials, fmt, metricText, refreshAges, renderRun, renderWorkers, type TrialRow } from './views.js';
import { EPISODE_RETURN_WINDOW, EPISODIC_RETURN, FINAL_PREFIX, RL_TRIAL_METRICS, SWEEP_RETURN_WINDOW, parseTrialMetric } from '../../agents/metricNames.js';
import { panelOf } from './panels.js';
import { runControls, samplesCaption } from './runKind.js';

/** Episodes in the smoothed return (trailing mean): the DQN progress line's window. */
const SMOOTHING = EPISODE_RETURN_WINDOW;
/** Charts redraw at most this often (ms). */
const REDRAW_MS = 300;

const token = new URLSearchParams(location.search).get('token') ?? '';
const store = new MetricStore();
let run: RunSummary | undefined;
let status: ConnectionStatus = 'connecting';

const returnChart = new LineChart($('chart-return'), []);
const evalChart = new LineChart($('chart-eval'), []);
const lossChart = new LineChart($('chart-loss'), []);
const spsChart = new LineChart($('chart-sps'), []);
const moreCharts = new Map<string, LineChart>();
const sweepChart = new LineChart($('chart-sweep'), [], 'episode', 300);
const trialTable = new TrialTable($('trials', HTMLTableElement));
const policyView = new PolicyView($('policy-canvas', HTMLCanvasElement), $('policy-caption'));
let trialLabels: string[] | undefined;
let trialLabelsAsked = false;
/** Queue-backed sweeps: each trial's state in the queue, from run_state. */
let queueTrials = new Map<number, TrialStatus>();

/** Metrics drawn by a named panel (panels.ts); the rest get a small chart each under "more metrics". */
const isEval = (n: string) => panelOf(n) === 'eval';
const isLoss = (n: string) => panelOf(n) === 'loss';
const isSpeed = (n: string) => panelOf(n) === 'speed';

function show(id: string, visible: boolean): void {
  $(id).hidden = !visible;
}

function drawCharts(): void {
  const names = store.names();
  const ret = store.get(EPISODIC_RETURN);
  if (ret !== undefined) {
    const [x, y] = ret.sorted();
    returnChart.set(
      [
        { label: 'episodic return', stroke: '#9ab8d8', pointsOnly: true },
        { label: `mean of last ${SMOOTHING}`, stroke: '#1f4e89', width: 2 },
      ],
      [x, y, movingAverage(y, SMOOTHING)],
    );
    $('latest-return').textContent = `latest ${metricText(ret.last)}, mean of last ${SMOOTHING} ${metricText(movingAverage(y, SMOOTHING).at(-1))}, ${ret.steps.length} episodes`;
  }
  show('panel-return', ret !== undefined);
  const group = (pick: (n: string) => boolean, chart: LineChart, panel: string, pointsOnly = false): void => {
    const picked = names.filter(pick).sort();
    show(panel, picked.length > 0);
    if (picked.length === 0) return;
    const defs: SeriesDef[] = picked.map((n, i) => ({ label: n, stroke: PALETTE[i % PALETTE.length]!, pointsOnly: pointsOnly && n.startsWith(FINAL_PREFIX) }));
    chart.set(defs, align(picked.map((n) => store.get(n)!.sorted())));
  };
  group(isEval, evalChart, 'panel-eval', true);
  group(isLoss, lossChart, 'panel-loss');
  group(isSpeed, spsChart, 'panel-sps');
  for (const n of names) {
    if (panelOf(n) !== 'more') continue;
    let chart = moreCharts.get(n);
    if (chart === undefined) {
      const panel = document.createElement('div');
      panel.className = 'panel';
      const h = document.createElement('h3');
      h.textContent = n;
      const host = document.createElement('div');
      host.className = 'chart';
      host.dataset.metric = n;
      panel.append(h, host);
      $('more-charts').append(panel);
      moreCharts.set(n, (chart = new LineChart(host, [], 'step', 160)));
    }
    const [x, y] = store.get(n)!.sorted();
    chart.set([{ label: n, stroke: PALETTE[0]! }], [x, y]);
  }
  show('sec-more', moreCharts.size > 0);
  drawSweep(names);
  $('env-step').textContent = fmt(store.lastStep);
}

/**
 * Fetches a sweep's trial labels (the values each trial sets) once: as soon as the run says it is a
 * sweep, while its server is surely up (a sweep of quick trials can end before its first curve is
 * drawn); asked again later if that failed.
 */
function askTrialLabels(): void {
  if (trialLabelsAsked) return;
  trialLabelsAsked = true;
  void fetch(`${PATHS.trials}?token=${encodeURIComponent(token)}`, { cache: 'no-store' })
    .then((r): Promise<unknown> | undefined => (r.ok ? r.json() : undefined))
    .then((body) => {
      const rows = trialRows(body);
      if (rows === undefined) return;
      trialLabels = describeTrials(rows.sort((a, b) => a.index - b.index).map((r) => r.overrides));
      store.revision++;
    })
    .catch(() => {
      trialLabelsAsked = false;
    });
}

function drawSweep(names: string[]): void {
  // the run says which metrics its trials write (episodic returns, or a generative score per epoch); one that names none (an older coordinator) ran RL trials
  const tm = run?.trialMetrics ?? RL_TRIAL_METRICS;
  const trials = new Map<number, { curve?: string; final?: string }>();
  for (const n of names) {
    const m = parseTrialMetric(n);
    if (m === undefined || (m.metric !== tm.curve && m.metric !== tm.final)) continue;
    const t = trials.get(m.index) ?? {};
    if (m.metric === tm.curve) t.curve = n;
    else t.final = n;
    trials.set(m.index, t);
  }
  // episode returns are noisy (a trailing mean of SWEEP_RETURN_WINDOW); an epoch's score is drawn as it is
  const smoothing = tm.unit === 'episode' ? SWEEP_RETURN_WINDOW : 1;
  $('sweep-title').textContent = tm.unit === 'episode' ? `Episodic return per trial (mean of last ${SWEEP_RETURN_WINDOW})` : `${tm.curve} per trial, after each epoch`;
  $('trials-unit').textContent = `${tm.unit}s`;
  for (const i of queueTrials.keys()) if (!trials.has(i)) trials.set(i, {});
  show('sec-sweep', trials.size > 0);
  if (trials.size === 0) return;
  askTrialLabels();
  const label = (i: number) => `trial ${i}${trialLabels?.[i] !== undefined ? ` (${trialLabels[i]})` : ''}`;
  const ids = [...trials.keys()].sort((a, b) => a - b);
  const withCurve = ids.filter((i) => trials.get(i)!.curve !== undefined);
  sweepChart.set(
    withCurve.map((i, k) => ({ label: label(i), stroke: PALETTE[k % PALETTE.length]! })),
    align(
      withCurve.map((i) => {
        const [x, y] = store.get(trials.get(i)!.curve!)!.sorted();
        return [x, movingAverage(y, smoothing)];
      }),
    ),
    tm.unit,
  );
  trialTable.render(
    ids.map((i) => {
      const q = queueTrials.get(i);
      const t = trials.get(i)!;
      const row: TrialRow = {
        index: i,
        config: trialLabels?.[i] ?? '',
        finalScore: t.final !== undefined ? store.get(t.final)!.last : q?.finalScore,
        points: t.curve !== undefined ? store.get(t.curve)!.steps.length : (q?.points ?? 0),
      };
      if (q !== undefined) Object.assign(row, { state: q.state, attempts: q.attempts }, q.worker !== undefined ? { worker: q.worker } : {}, q.error !== undefined ? { error: q.error } : {});
      return row;
    }),
  );
}

let drawnRevision = -1;
setInterval(() => {
  if (store.revision === drawnRevision) return;
  drawnRevision = store.revision;
  drawCharts();
}, REDRAW_MS);
setInterval(refreshAges, 1000);

/** The buttons act only on a live run, and only where its kind hears them; each tooltip says what it does for this run (runKind.ts). */
function setControls(): void {
  const live = status === 'open' && run !== undefined && (run.state === 'running' || run.state === 'starting');
  const controls = run !== undefined ? runControls(run) : undefined;
  for (const [id, c] of [['btn-stop', controls?.stop], ['btn-checkpoint', controls?.checkpoint]] as const) {
    const button = $(id, HTMLButtonElement);
    button.disabled = !live || c?.heard !== true;
    if (c !== undefined) button.title = c.says;
  }
}

function onMessage(m: PageMessage): void {
  switch (m.type) {
    case 'welcome':
      store.clear(); // the coordinator resends the whole history on every attach
      return;
    case 'run_state':
      run = m.run;
      if (m.run.trialMetrics !== undefined) askTrialLabels();
      if (m.run.trials !== undefined) {
        queueTrials = new Map(m.run.trials.map((t) => [t.index, t]));
        store.revision++;
      }
      renderRun(m.run);
      renderWorkers(m.workers);
      policyView.setEnv(m.run.env, m.run.envKwargs ?? {});
      setControls();
      return;
    case 'metrics':
      store.add(m.points);
      return;
    case 'params':
      policyView.setParams(m);
      $('params-version').textContent = `v${m.version}`;
      return;
    case 'error':
      $('control-status').textContent = `coordinator: ${m.message}`;
      return;
    case 'samples': {
      const img = $('samples-img', HTMLImageElement);
      const old = img.src;
      img.src = URL.createObjectURL(new Blob([new Uint8Array(m.png)], { type: 'image/png' }));
      if (old.startsWith('blob:')) URL.revokeObjectURL(old);
      $('samples-epoch').textContent = samplesCaption(m.epoch, run?.kind);
      show('sec-samples', true);
      return;
    }
  }
}

function onStatus(s: ConnectionStatus, detail: string): void {
  status = s;
  const c = $('connection');
  c.textContent = detail;
  c.className = `conn conn-${s}`;
  document.body.dataset.connection = s;
  if (s === 'unauthorised') showRefusal(detail);
  if (s === 'ended') $('banner').textContent = 'The run ended: this page shows its final state.';
  show('banner', s === 'ended' || s === 'lost');
  if (s === 'lost') $('banner').textContent = detail;
  setControls();
}

function showRefusal(detail: string): void {
  document.body.replaceChildren();
  const box = document.createElement('div');
  box.id = 'refused';
  const h = document.createElement('h1');
  h.textContent = 'Not authorised';
  const p = document.createElement('p');
  p.textContent = `The coordinator refused this dashboard (${detail}). Open the exact URL printed by nnlab run (dashboard: http://HOST:PORT/?token=…).`;
  box.append(h, p);
  document.body.append(box);
}

function control(action: 'stop' | 'checkpoint'): void {
  if (action === 'stop' && !window.confirm(`Stop this run? ${run !== undefined ? runControls(run).stop.says : ''}`)) return;
  const sent = conn.send({ type: 'control', action });
  $('control-status').textContent = sent ? (action === 'stop' ? 'stop requested…' : 'checkpoint requested') : 'not connected';
}

$('btn-stop').addEventListener('click', () => control('stop'));
$('btn-checkpoint').addEventListener('click', () => control('checkpoint'));

const conn = new Connection(token, { message: onMessage, status: onStatus });
if (token === '') showRefusal('no token in the page URL');
else conn.open();
