import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { Progress } from '../coordinator/progress.js';
import { formatMetric } from '../base/format.js';

/** A sink that records what the bar writes (not a TTY: one plain line per update). */
function sink(): { lines: string[]; write(s: string): void } {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(s) };
}

test('Progress: the total set after start-up is the one the bar fills towards', () => {
  const out = sink();
  const bar = new Progress(0, 'env steps', out);
  bar.update(5, { return: 12.5 }, true);
  assert.ok(out.lines[0]!.startsWith('[....................] 5/0 env steps'), out.lines[0]);
  bar.total = 10;
  assert.is(bar.total, 10);
  bar.update(5, { return: 12.5 }, true);
  assert.is(out.lines[1], '[##########..........] 5/10 env steps  return 12.50\n');
});

test('Progress: a total that is not a finite number >= 0 is refused with its value', () => {
  const bar = new Progress(100, 'trials', sink());
  for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
    assert.throws(() => (bar.total = bad), (e: unknown) => e instanceof RangeError && e.message.includes(`got ${bad}`));
  }
  assert.throws(() => new Progress(-5, 'trials', sink()), /Progress total must be a finite number >= 0, got -5/);
  assert.is(bar.total, 100, 'a refused total leaves the old one');
});

test('formatMetric: integers as they are, other values to about four significant digits', () => {
  const cases: [number, string][] = [[5, '5'], [-13, '-13'], [1234.56, '1235'], [123.456, '123.5'], [99.94, '99.94'], [12.345, '12.35'], [-1.5, '-1.50'], [0.693147, '0.693'], [-0.00123456, '-0.00123'], [1e-9, '1.00e-9'], [Number.NaN, 'NaN']];
  for (const [v, text] of cases) assert.is(formatMetric(v), text, String(v));
});

test.run();
