// One passing and one failing test.
import * as assert from 'uvu/assert';
import { test } from '../helpers.js';

test('passes', () => {
  assert.is(1 + 1, 2);
});

test('fails', () => {
  assert.is(1 + 1, 3, 'fixture: a failing assertion');
});

test.run();
