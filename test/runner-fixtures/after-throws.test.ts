// A suite whose tests pass but whose teardown throws.
import * as assert from 'uvu/assert';
import { test } from '../helpers.js';

test.after(() => {
  throw new Error('fixture: teardown failed');
});

test('passes', () => {
  assert.is(1 + 1, 2);
});

test.run();
