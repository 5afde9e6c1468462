/** base/stats: the one mean and median of the agents, the drivers, the scheduler and the benchmarks, and the one argmax. */
import * as assert from 'uvu/assert';
import { test } from './helpers.js';
import { argmax, mean, median } from '../base/stats.js';

test('median: the middle value, the mean of the two middle ones for an even count, NaN for none; the input stays as it was', () => {
  const xs = [5, 1, 4];
  assert.is(median(xs), 4);
  assert.equal(xs, [5, 1, 4]);
  assert.is(median([3, 1, 4, 2]), 2.5);
  assert.is(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test('mean: summed left to right from 0, exactly as the reduce it replaced; typed arrays too; NaN for none', () => {
  assert.is(mean([1, 2, 3, 4]), 2.5);
  assert.is(mean(new Float64Array([0.5, -1.5])), -0.5);
  const xs = [0.1, 0.2, 0.3, 1e16, -1e16, 0.7];
  assert.is(mean(xs), xs.reduce((a, b) => a + b, 0) / xs.length);
  assert.ok(Number.isNaN(mean([])));
});

test('argmax: the first of equal maxima wins (numpy), within offset … offset + n; a NaN never wins after the first value', () => {
  assert.is(argmax([1, 3, 3, 2]), 1);
  assert.is(argmax([9, 0, 5, 5, 1, 9], 1, 4), 1);
  assert.is(argmax(new Float32Array([0, -1, -2])), 0);
  assert.is(argmax([1, Number.NaN, 2]), 2);
  assert.is(argmax([Number.NaN, 5, 7]), 0);
  assert.is(argmax([4]), 0);
  assert.is(argmax([], 0, 0), 0);
});

test.run();
