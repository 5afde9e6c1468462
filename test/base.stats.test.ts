/** base/stats: the one median of the drivers, the scheduler and the benchmarks. */
import * as assert from 'uvu/assert';
import { test } from './helpers.js';
import { median } from '../base/stats.js';

test('median: the middle value, the mean of the two middle ones for an even count, NaN for none; the input stays as it was', () => {
  const xs = [5, 1, 4];
  assert.is(median(xs), 4);
  assert.equal(xs, [5, 1, 4]);
  assert.is(median([3, 1, 4, 2]), 2.5);
  assert.is(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test.run();
