/**
 * A run's directory, runs/<id>/, for every run (`nnlab run`, `sweep` and `train`): its name, the
 * resolved spec, meta (seed, git commit, backend, versions), metrics as JSONL and CSV (appended
 * synchronously, so a checkpoint can record their exact byte lengths and a resumed run truncates
 * them back to that point), checkpoints/ and result.json. The coordinator owns it: drivers write
 * into it through drivers/context.ts (`RunMetrics`, `saveCheckpoint`, the `runDir` path).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { RUN_FILES, RUNS_DIR, runPath } from '../protocol/runFiles.js';
import { fileURLToPath } from 'node:url';
import { version } from '../core/version.js';
import { errorCode, errorMessage, ownField } from '../base/plainData.js';
import { modelDir } from '../core/checkpoint.js';
import { writeFileAtomicSync } from '../core/atomicWrite.js';
import type { MetricsMark, ReportedEvaluation, RunMetrics, RunOutcome } from '../drivers/context.js';
import type { ExperimentSpec } from '../drivers/spec.js';
import type { MetricPoint } from '../protocol/messages.js';
import type { Metrics } from '../base/metrics.js';

/** A new run's id (its directory's name under runs/): the spec's name, the UTC start time to the second, 4 random hex digits. */
export function newRunId(name: string): string {
  return `${name}-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Why a file-system call failed, in words (read-only, not writable, full disk, …), from its error
 * code. A failed rename names its target (`dest`): an atomic write's temporary name means nothing
 * to whoever reads the message.
 */
export function fsErrorMessage(e: unknown): string {
  const dest = ownField(e, 'dest');
  const failedPath = typeof dest === 'string' ? dest : ownField(e, 'path');
  const where = typeof failedPath === 'string' ? failedPath : 'the path';
  const code = errorCode(e);
  switch (code) {
    case 'EROFS':
      return `${where} is not writable: the file system is read-only (EROFS)`;
    case 'EACCES':
    case 'EPERM':
      return `${where} is not writable: permission denied (${code})`;
    case 'ENOSPC':
      return `no space left on the device holding ${where} (ENOSPC)`;
    case 'EDQUOT':
      return `the disk quota is exhausted for ${where} (EDQUOT)`;
    case 'ENOTDIR':
      return `${where}: a file stands where a directory is needed (ENOTDIR)`;
    case 'EISDIR':
      return `${where} is a directory, not a file (EISDIR)`;
    case 'EEXIST':
      return `${where} exists and is not a directory (EEXIST)`;
    default:
      return errorMessage(e);
  }
}

/**
 * The nearest existing ancestor of `dir` (itself if it exists). mkdir reports some failures with
 * the wrong code (ENOENT on a read-only mount when runs/ is missing); asking the ancestor for
 * write access gives the real one.
 */
function nearestAncestor(dir: string): string {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/** Creates a run directory; a failure is an Error that says which directory and why (not writable, read-only, full). */
export function makeRunDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return;
  } catch (e) {
    let cause: unknown = e;
    const ancestor = nearestAncestor(dir);
    if (!statSync(ancestor).isDirectory()) cause = Object.assign(new Error(`${ancestor} is a file`), { code: 'ENOTDIR', path: ancestor });
    else {
      try {
        accessSync(ancestor, constants.W_OK);
      } catch (a) {
        cause = a; // names the directory that refuses, with the real code
      }
    }
    throw new Error(`cannot create the run directory ${dir}: ${fsErrorMessage(cause)}`);
  }
}

export function gitCommit(): string {
  try {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** metrics.csv's first line. */
const CSV_HEADER = 'step,time,metric,value\n';

export class MetricsLog implements RunMetrics {
  private readonly jsonl: number;
  private readonly csv: number;
  private jsonlBytes: number;
  private csvBytes: number;
  private readonly listeners = new Set<(p: MetricPoint) => void>();
  private timeOffset: number;
  private readonly t0 = performance.now();

  constructor(readonly dir: string, resumeAt?: MetricsMark) {
    const jsonlFile = runPath(dir, 'metricsJsonl');
    const csvFile = runPath(dir, 'metricsCsv');
    const fresh = !existsSync(csvFile);
    this.jsonl = openSync(jsonlFile, 'a+');
    this.csv = openSync(csvFile, 'a+');
    if (resumeAt !== undefined) {
      ftruncateSync(this.jsonl, resumeAt.jsonl);
      ftruncateSync(this.csv, resumeAt.csv);
    }
    this.jsonlBytes = statSync(jsonlFile).size;
    this.csvBytes = statSync(csvFile).size;
    this.timeOffset = resumeAt?.time ?? 0;
    if (fresh || this.csvBytes === 0) this.csvBytes += writeSync(this.csv, CSV_HEADER);
  }

  /** Seconds since the run started (continuing across resumes). */
  get time(): number {
    return this.timeOffset + (performance.now() - this.t0) / 1000;
  }

  write(step: number, metrics: Metrics): void {
    this.writeMany([{ step, metrics }]);
  }

  /** Appends many points with one write per file (a trial's whole curve). */
  writeMany(points: { step: number; metrics: Metrics }[]): void {
    const time = +this.time.toFixed(3);
    let lines = '';
    let rows = '';
    for (const { step, metrics } of points) {
      lines += JSON.stringify({ step, time, ...metrics }) + '\n';
      for (const [k, v] of Object.entries(metrics)) rows += `${step},${time},${k},${v}\n`;
    }
    this.jsonlBytes += writeSync(this.jsonl, lines);
    this.csvBytes += writeSync(this.csv, rows);
    for (const { step, metrics } of points) {
      const point = { step, time, metrics };
      for (const l of this.listeners) l(point);
    }
  }

  /**
   * Appends one metric's series, `values[i]` at step `firstStep + i` (a trial's whole training
   * curve: 100k points and more): the same lines as writeMany with one point per step, built
   * without an object per point and written in chunks, so the coordinator's thread spends
   * milliseconds on it, not the tenths of a second the threads running trials would wait for.
   */
  writeSeries(name: string, values: ArrayLike<number>, firstStep = 1): void {
    const time = String(+this.time.toFixed(3));
    const head = `,"time":${time},${JSON.stringify(name)}:`;
    const CHUNK = 8192;
    for (let start = 0; start < values.length; start += CHUNK) {
      const end = Math.min(values.length, start + CHUNK);
      let lines = '';
      let rows = '';
      for (let i = start; i < end; i++) {
        const step = String(firstStep + i);
        const v = values[i]!;
        const text = String(v);
        lines += `{"step":${step}${head}${Number.isFinite(v) ? text : 'null'}}\n`; // JSON.stringify writes a non-finite number as null
        rows += `${step},${time},${name},${text}\n`;
      }
      this.jsonlBytes += writeSync(this.jsonl, lines);
      this.csvBytes += writeSync(this.csv, rows);
    }
    if (this.listeners.size === 0) return;
    for (let i = 0; i < values.length; i++) {
      const point = { step: firstStep + i, time: +time, metrics: { [name]: values[i]! } };
      for (const l of this.listeners) l(point);
    }
  }

  /** Truncates both files to nothing (the CSV keeps its header). */
  reset(): void {
    ftruncateSync(this.jsonl, 0);
    ftruncateSync(this.csv, 0);
    this.jsonlBytes = 0;
    this.csvBytes = writeSync(this.csv, CSV_HEADER);
  }

  /** Byte lengths and time now (stored in checkpoints). */
  mark(): MetricsMark {
    return { jsonl: this.jsonlBytes, csv: this.csvBytes, time: this.time };
  }

  subscribe(listener: (p: MetricPoint) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    closeSync(this.jsonl);
    closeSync(this.csv);
  }
}

/**
 * One line of metrics.jsonl as a point: `step`, `time` and the metrics are numbers, a non-finite
 * value written as null (what JSON can write of it) is read back as NaN; anything else is not a
 * line this log wrote (undefined).
 */
function metricPoint(value: unknown): MetricPoint | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const metrics: Metrics = {};
  let step: number | undefined;
  let time: number | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'step' || key === 'time') {
      if (typeof v !== 'number') return undefined;
      if (key === 'step') step = v;
      else time = v;
    } else if (typeof v === 'number' || v === null) metrics[key] = v ?? Number.NaN;
    else return undefined;
  }
  return step === undefined || time === undefined ? undefined : { step, time, metrics };
}

/** Reads a run's metrics history (for a dashboard attaching mid-run); a line that is not one it wrote (a torn last line after a crash) is skipped. */
export function readMetrics(dir: string): MetricPoint[] {
  const file = runPath(dir, 'metricsJsonl');
  if (!existsSync(file)) return [];
  const out: MetricPoint[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    let point: MetricPoint | undefined;
    try {
      point = metricPoint(JSON.parse(line));
    } catch {
      // a torn last line after a crash: skipped
    }
    if (point !== undefined) out.push(point);
  }
  return out;
}

/**
 * Writes a new run's spec.json (the resolved spec) and meta.json (versions, git commit, run id,
 * seed, backends, start time), creating its directory. Each atomically (core/atomicWrite.ts): a
 * crash mid-write leaves no torn spec.json for `--resume` or `nnlab eval` to read back.
 */
export function writeRunFiles(dir: string, spec: ExperimentSpec, backend: string): void {
  makeRunDir(dir);
  const write = (name: string, value: unknown) => {
    try {
      writeFileAtomicSync(path.join(dir, name), JSON.stringify(value, null, 2) + '\n');
    } catch (e) {
      throw new Error(`cannot write ${path.join(dir, name)}: ${fsErrorMessage(e)}`);
    }
  };
  write(RUN_FILES.spec, spec);
  const meta = { runId: path.basename(dir), seed: spec.seed, backend, learnerBackend: spec.workers.learner.backend ?? 'default', startedAt: new Date().toISOString() };
  write(RUN_FILES.meta, { nnlab: version, node: process.version, gitCommit: gitCommit(), ...meta });
}

/**
 * runs/<id>/result.json: how the run ended and, for a run that reports a saved model's score,
 * exactly what was scored (docs/experiments.md, "What a run reports is what it saved"): the
 * run's ReportedEvaluation, with its paths relative to the run directory: `checkpoint` the
 * checkpoint's directory, `model` the model's own (checkpoint/models/<model>, tfjs layers format).
 * A run whose score is no saved model's has only `finalScore`.
 */
export type ResultFile = { state: string; message: string | undefined; finishedAt: string } & Pick<RunOutcome, 'envSteps' | 'goalReachedAt'> & Partial<ReportedEvaluation>;

export function resultFile(runDir: string, state: string, message: string | undefined, outcome: RunOutcome | undefined): ResultFile {
  const r: ResultFile = { state, message, finishedAt: new Date().toISOString() };
  if (outcome === undefined) return r;
  if (outcome.envSteps !== undefined) r.envSteps = outcome.envSteps;
  const e = outcome.evaluation;
  if (e !== undefined) {
    const checkpoint = path.relative(runDir, e.checkpoint);
    r.finalScore = e.finalScore;
    r.finalStd = e.finalStd;
    r.finalEpisodes = e.finalEpisodes;
    r.firstSeed = e.firstSeed;
    r.policyVersion = e.policyVersion;
    r.updates = e.updates;
    r.checkpoint = checkpoint;
    r.model = modelDir(checkpoint, e.model);
  } else if (outcome.finalScore !== undefined) r.finalScore = outcome.finalScore;
  if (outcome.goalReachedAt !== undefined) r.goalReachedAt = outcome.goalReachedAt;
  return r;
}

/**
 * Writes runs/<id>/result.json atomically (core/atomicWrite.ts: a crash leaves the old file or the
 * new one, never a torn one); throws an Error that names the file and the cause when it cannot.
 */
export function writeResultFile(runDir: string, state: string, message: string | undefined, outcome?: RunOutcome): void {
  const file = runPath(runDir, 'result');
  try {
    writeFileAtomicSync(file, JSON.stringify(resultFile(runDir, state, message, outcome), null, 2) + '\n');
  } catch (e) {
    throw new Error(`could not write ${file} (the run ${state}${message !== undefined ? `: ${message}` : ''}): ${fsErrorMessage(e)}`);
  }
}

/** Where a new run's directory goes: `<runsDir>/<newRunId(name)>` (runsDir: RUNS_DIR unless given). */
export function newRunDir(name: string, runsDir: string = RUNS_DIR): string {
  return path.join(runsDir, newRunId(name));
}

/**
 * Opens a run's directory as every run does (`nnlab run`, `sweep`, `nnlab train`): creates it,
 * writes a new run's spec.json and meta.json (a resumed run keeps its own), and opens its metrics
 * log, cut back to `resume.metrics` (the resume point's lengths) when given.
 */
export function openRunDir(runDir: string, spec: ExperimentSpec, backend: string, resume?: { metrics: MetricsMark | undefined }): MetricsLog {
  makeRunDir(runDir);
  if (resume === undefined) writeRunFiles(runDir, spec, backend);
  return new MetricsLog(runDir, resume?.metrics);
}

/**
 * Ends a run's directory as every run does: writes result.json (how it ended) and closes the
 * metrics log. result.json is the run's record, so a failure to write it is logged and returned:
 * the caller fails the run with it, unless an error already fails it (then it is logged beside it).
 */
export function closeRunDir(metrics: MetricsLog, state: string, message: string | undefined, outcome: RunOutcome | undefined, log: (line: string) => void): { thrown: unknown } | undefined {
  let resultError: { thrown: unknown } | undefined; // boxed: whatever was thrown, undefined included
  try {
    writeResultFile(metrics.dir, state, message, outcome);
  } catch (e) {
    resultError = { thrown: e };
    log(errorMessage(e));
  }
  metrics.close();
  return resultError;
}
