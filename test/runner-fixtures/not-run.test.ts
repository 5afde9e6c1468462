// A suite with a test but no .run() call: uvu would print nothing and exit 0.
import * as assert from 'uvu/assert';
import { suite } from '../helpers.js';

const s = suite('forgotten');
s('never runs', () => {
  assert.ok(true);
});
