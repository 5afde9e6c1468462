/**
 * MetricsLog.writeSeries (a trial's whole curve in one call) writes exactly the lines writeMany
 * writes for the same points, one point per step: the same JSONL (non-finite values as null, an
 * escaped name) and CSV rows, across its write chunks, and the same points to listeners. reset()
 * empties a log a previous run left, and the log goes on from its (new) ends.
 */
import * as assert from 'uvu/assert';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeRunDir, MetricsLog, openRunDir, readMetrics, writeResultFile, writeRunFiles } from '../coordinator/runDir.js';
import { errorMessage } from '../base/plainData.js';
import { parseRlSpec } from '../drivers/spec.js';
import { RUN_FILES } from '../protocol/runFiles.js';
import type { MetricPoint } from '../protocol/messages.js';
import { test } from './helpers.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'nnlab-metricslog-'));
test.after(() => rmSync(root, { recursive: true, force: true }));

/** The log's files with each line's time replaced (the two logs write at different times). */
function linesOf(dir: string): { jsonl: string[]; csv: string[] } {
  const jsonl = readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').split('\n').map((l) => l.replace(/"time":[^,]*,/, '"time":T,'));
  const csv = readFileSync(path.join(dir, 'metrics.csv'), 'utf8').split('\n').map((l) => l.replace(/^([^,]*),[^,]*,/, '$1,T,'));
  return { jsonl, csv };
}

test('writeSeries writes the lines of writeMany with one point per step, across chunks', () => {
  const name = 'trial/3/charts/"episodic"_return';
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0.1 + 0.2, 1e21, -1e-7, 5e-324];
  const values = Float64Array.from({ length: 20_000 }, (_, i) => special[i % 97] ?? -((i * 7919) % 1013) / 8);
  const first = 41;
  const seen: MetricPoint[][] = [[], []];
  const dirs = ['many', 'series'].map((d) => path.join(root, d));
  const logs = dirs.map((d) => {
    mkdirSync(d);
    return new MetricsLog(d);
  });
  logs.forEach((l, k) => l.subscribe((p) => seen[k]!.push(p)));
  logs[0]!.writeMany(Array.from(values, (v, i) => ({ step: first + i, metrics: { [name]: v } })));
  logs[1]!.writeSeries(name, values, first);
  for (const l of logs) l.close();
  const [many, series] = dirs.map(linesOf);
  assert.is(series!.jsonl.length, values.length + 1);
  assert.equal(series!.jsonl, many!.jsonl);
  assert.equal(series!.csv, many!.csv);
  assert.is(series!.jsonl[97], `{"step":${first + 97},"time":T,${JSON.stringify(name)}:null}`);
  const strip = (ps: MetricPoint[]) => ps.map((p) => ({ step: p.step, metrics: p.metrics }));
  assert.equal(strip(seen[1]!), strip(seen[0]!));
  const read = readMetrics(dirs[1]!);
  assert.is(read.length, values.length);
  assert.is(read[12_345]!.metrics[name], values[12_345]);
});

test('reset empties the logs a previous follower wrote, keeps the CSV header, and the log writes on from there', () => {
  const dir = path.join(root, 'reset');
  mkdirSync(dir);
  const before = new MetricsLog(dir);
  before.write(1, { a: 1 });
  before.close();
  const log = new MetricsLog(dir);
  log.reset();
  log.write(2, { b: 2 });
  assert.equal(log.mark().jsonl, readFileSync(path.join(dir, 'metrics.jsonl')).length);
  assert.equal(log.mark().csv, readFileSync(path.join(dir, 'metrics.csv')).length);
  log.close();
  assert.equal(readMetrics(dir).map((p) => [p.step, p.metrics]), [[2, { b: 2 }]]);
  assert.equal(linesOf(dir).csv, ['step,T,metric,value', '2,T,b,2', '']); // the header, then the new point's row
});

test("openRunDir and closeRunDir (every run's, nnlab train's as nnlab run's) write spec, meta, metrics and result, and return a result.json they cannot write", () => {
  const spec = parseRlSpec({ name: 't', env: { id: 'CliffWalking-v1' }, agent: { algo: 'sarsa' } });
  const dir = path.join(root, 'open-close');
  const log = openRunDir(dir, spec, 'cpu');
  log.write(1, { 'charts/x': 1 });
  const lines: string[] = [];
  assert.is(closeRunDir(log, 'finished', 'done', { state: 'finished', message: 'done', finalScore: 2 }, (l) => lines.push(l)), undefined);
  assert.equal(readdirSync(dir).sort(), [RUN_FILES.meta, RUN_FILES.metricsCsv, RUN_FILES.metricsJsonl, RUN_FILES.result, RUN_FILES.spec].sort());
  assert.is((JSON.parse(readFileSync(path.join(dir, RUN_FILES.result), 'utf8')) as { finalScore: number }).finalScore, 2);
  // a resumed run keeps its spec.json and meta.json; a result.json that cannot be written is logged and returned
  rmSync(path.join(dir, RUN_FILES.meta));
  const again = openRunDir(dir, spec, 'cpu', { metrics: undefined });
  assert.not.ok(existsSync(path.join(dir, RUN_FILES.meta)));
  rmSync(path.join(dir, RUN_FILES.result));
  mkdirSync(path.join(dir, RUN_FILES.result));
  const error = closeRunDir(again, 'failed', 'boom', undefined, (l) => lines.push(l));
  const message = error !== undefined ? errorMessage(error.thrown) : '';
  assert.match(message, /^could not write .*result\.json \(the run failed: boom\)/);
  assert.match(message, /result\.json is a directory, not a file \(EISDIR\)$/, 'the cause names result.json, not the temporary file beside it');
  assert.equal(lines, [message]);
});

test('spec.json, meta.json and result.json are written beside and renamed into place: a crash mid-write leaves the old file or the new one, never a torn one', () => {
  const spec = parseRlSpec({ name: 't', env: { id: 'CliffWalking-v1' }, agent: { algo: 'sarsa' } });
  const dir = path.join(root, 'atomic');
  closeRunDir(openRunDir(dir, spec, 'cpu'), 'finished', 'first', undefined, () => {});
  // a second name for each file: a write in place would change the file both names hold, a rename gives the run's name a new one
  const files = [RUN_FILES.spec, RUN_FILES.meta, RUN_FILES.result].map((name) => {
    const link = path.join(root, `atomic-${name}`);
    linkSync(path.join(dir, name), link);
    return { name, link, before: readFileSync(link, 'utf8') };
  });
  writeRunFiles(dir, spec, 'wasm');
  writeResultFile(dir, 'failed', 'second');
  for (const { name, link, before } of files) {
    assert.is.not(statSync(path.join(dir, name)).ino, statSync(link).ino, `${name} was rewritten in place`);
    assert.is(readFileSync(link, 'utf8'), before, name);
  }
  assert.match(readFileSync(path.join(dir, RUN_FILES.result), 'utf8'), /"message": "second"/);
  assert.equal(readdirSync(dir).filter((n) => n.startsWith('.')), [], 'no temporary file is left');
});

test.run();
