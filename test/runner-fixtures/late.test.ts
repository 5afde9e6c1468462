// A test registered after its suite's .run(): uvu took the suite's list at .run(), so it would never run.
import * as assert from 'uvu/assert';
import { test } from '../helpers.js';

test('runs', () => {
  assert.ok(true);
});

test.run();

test('registered too late', () => {
  assert.ok(true);
});
