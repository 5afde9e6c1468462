// The same through uvu directly (not test/helpers.ts): the runner's count check alone must catch it.
import * as assert from 'uvu/assert';
import { test } from 'uvu';

test.before(() => {
  throw new Error('fixture: set-up failed');
});

test('never runs: its set-up threw', () => {
  assert.ok(true);
});

test.run();
