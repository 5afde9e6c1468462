/** The page's views other than charts and the policy: run header, worker table, sweep table. */
import { ownField } from '../../base/plainData.js';
import { formatMetric } from '../../base/format.js';
import type { RunSummary, WorkerSummary } from './types.js';

/** The element `#id` of index.html; with a class (`$('trials', HTMLTableElement)`), checked to be one. */
export function $(id: string): HTMLElement;
export function $<T extends HTMLElement>(id: string, type: new () => T): T;
export function $(id: string, type: new () => HTMLElement = HTMLElement): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} missing from index.html`);
  const tag = el.tagName.toLowerCase();
  if (!(el instanceof type)) throw new Error(`#${id} in index.html is a <${tag}>, not the ${type.name} the page needs`);
  return el;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text; // never innerHTML: worker names come from remote peers
  if (cls !== undefined) e.className = cls;
  return e;
}

/**
 * A metric's value on the page (a return, a trial's final score) as the terminal writes it
 * (base/format.ts: 0.00123, 99.94), so the page and the log agree; '–' when there is none.
 */
export function metricText(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '–' : formatMetric(v);
}

/** A count or a rate (env steps, tasks/s), compact (12.3k, 1.50M); never a metric's value (metricText). */
export function fmt(v: number | undefined, digits = 1): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(1)}k`;
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(a < 1 ? 3 : digits);
}

export function ago(ms: number): string {
  const s = Math.max(0, (Date.now() - ms) / 1000);
  if (s < 1.5) return 'just now';
  if (s < 90) return `${s.toFixed(0)} s ago`;
  return `${(s / 60).toFixed(0)} min ago`;
}

export function renderRun(run: RunSummary): void {
  $('run-name').textContent = run.name;
  const state = $('run-state');
  state.textContent = run.state;
  state.className = `badge state-${run.state}`;
  $('run-kind').textContent = run.kind;
  $('run-env').textContent = run.env ?? '–';
  $('run-backend').textContent = run.backend;
  const started = new Date(run.startedAt);
  $('run-started').textContent = Number.isNaN(started.getTime()) ? run.startedAt : started.toLocaleString();
  $('run-id').textContent = run.runId;
  $('run-message').textContent = run.message ?? '';
  document.title = `${run.name} · ${run.state} · nnlab`;
}

export function renderWorkers(workers: readonly WorkerSummary[]): void {
  const body = $('workers-body', HTMLTableSectionElement);
  body.replaceChildren(
    ...workers.map((w) => {
      const tr = el('tr');
      tr.dataset.worker = w.id;
      tr.dataset.alive = String(w.alive);
      // suspect: missed a task deadline; quarantined: dropped for bad results (the reason says which); closed: the run needed it no more
      const state = w.state ?? (w.alive ? 'alive' : 'dead');
      tr.dataset.state = state;
      if (!w.alive) tr.className = 'dead';
      const status = el('td');
      const badge = el('span', state, `badge ${state}`);
      if (w.reason !== undefined) badge.title = w.reason;
      status.append(badge);
      const seen = el('td', w.alive ? ago(w.lastSeen) : `${ago(w.lastSeen)}`);
      seen.title = new Date(w.lastSeen).toLocaleString();
      seen.dataset.lastSeen = String(w.lastSeen);
      tr.append(el('td', w.id, 'mono'), el('td', w.kind), status, el('td', String(w.tasksDone), 'num'), el('td', w.throughput > 0 ? `${fmt(w.throughput, 0)}/s` : '–', 'num'), seen, el('td', w.reason ?? w.current ?? '', w.reason !== undefined ? 'reason' : undefined));
      return tr;
    }),
  );
  const quarantined = workers.filter((w) => w.state === 'quarantined').length;
  const closed = workers.filter((w) => w.state === 'closed').length;
  $('workers-summary').textContent = `${workers.filter((w) => w.alive).length} alive, ${workers.filter((w) => !w.alive).length - quarantined - closed} dead${quarantined > 0 ? `, ${quarantined} quarantined` : ''}${closed > 0 ? `, ${closed} closed` : ''}`;
}

/** Refreshes the "last heartbeat" cells (called every second). */
export function refreshAges(): void {
  for (const td of document.querySelectorAll<HTMLElement>('#workers-body td[data-last-seen]')) td.textContent = ago(Number(td.dataset.lastSeen));
}

export interface TrialRow {
  index: number;
  config: string;
  finalScore: number | undefined;
  /** Points of the trial's curve so far: episodes, or epochs of a generative trial. */
  points: number;
  /** Queue-backed sweeps: the trial's state in the queue, its worker, its tries and last error. */
  state?: string;
  worker?: string;
  attempts?: number;
  error?: string;
}

const SORT_KEYS = ['index', 'config', 'finalScore', 'points', 'state', 'worker'] as const;
type SortKey = (typeof SORT_KEYS)[number];
const isSortKey = (k: string | undefined): k is SortKey => SORT_KEYS.some((s) => s === k);

/** A table of trials sorted by the clicked column (final score, best first, by default). */
export class TrialTable {
  private key: SortKey = 'finalScore';
  private descending = true;
  private rows: TrialRow[] = [];

  constructor(private readonly table: HTMLTableElement) {
    for (const th of table.querySelectorAll<HTMLElement>('th[data-key]')) {
      th.addEventListener('click', () => {
        const key = th.dataset.key;
        if (!isSortKey(key)) return;
        this.descending = key === this.key ? !this.descending : key === 'finalScore';
        this.key = key;
        this.render(this.rows);
      });
    }
  }

  render(rows: TrialRow[]): void {
    this.rows = rows;
    const dir = this.descending ? -1 : 1;
    const value = (r: TrialRow): number | string => (this.key === 'config' || this.key === 'state' || this.key === 'worker' ? (r[this.key] ?? '') : (r[this.key] ?? -Infinity));
    const sorted = [...rows].sort((a, b) => {
      const x = value(a);
      const y = value(b);
      return (x < y ? -1 : x > y ? 1 : 0) * dir || a.index - b.index;
    });
    for (const th of this.table.querySelectorAll<HTMLElement>('th[data-key]')) th.dataset.sort = th.dataset.key === this.key ? (this.descending ? 'desc' : 'asc') : '';
    this.table.tBodies[0]!.replaceChildren(
      ...sorted.map((r) => {
        const tr = el('tr');
        tr.dataset.trial = String(r.index);
        const state = el('td', r.state === undefined ? '' : `${r.state}${(r.attempts ?? 0) > 1 ? ` (${r.attempts} tries)` : ''}`, `trial-state ${r.state ?? ''}`);
        if (r.error !== undefined) state.title = r.error;
        tr.append(el('td', String(r.index), 'num'), el('td', r.config, 'mono'), el('td', metricText(r.finalScore), 'num'), el('td', String(r.points), 'num'), state, el('td', r.worker ?? '', 'mono'));
        return tr;
      }),
    );
  }
}

/** "alpha=0.1 algo=sarsa seed=1" from a trial's overrides, keeping only the keys that differ between trials. */
export function describeTrials(overrides: readonly object[]): string[] {
  const keys = [...new Set(overrides.flatMap((o) => Object.keys(o)))];
  const differing = keys.filter((k) => new Set(overrides.map((o) => JSON.stringify(ownField(o, k)))).size > 1);
  const shown = differing.length > 0 ? differing : keys;
  const show = (v: unknown): string => (typeof v === 'number' ? String(+v.toPrecision(4)) : String(v));
  return overrides.map((o) => shown.map((k) => `${k.split('.').pop()}=${show(ownField(o, k))}`).join(' '));
}
