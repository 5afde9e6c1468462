// A suite whose set-up throws: uvu 0.5 alone would skip its tests and exit 0.
import * as assert from 'uvu/assert';
import { test } from '../helpers.js';

test.before(() => {
  throw new Error('fixture: set-up failed');
});

test('never runs: its set-up threw', () => {
  assert.ok(true);
});

test.run();
