// Two passing tests and one skipped test, with set-up and teardown that work.
import * as assert from 'uvu/assert';
import { suite, test } from '../helpers.js';

let ready = false;
test.before(() => {
  ready = true;
});
test.after(() => {
  ready = false;
});

test('set-up ran', () => {
  assert.ok(ready);
});

test.skip('skipped on purpose');

test.run();

const second = suite('second');
second('a second suite runs too', () => {
  assert.is([1, 2].length, 2);
});
second.run();
