// A test that ends its process with exit code 1 before uvu can print a summary.
import { test } from '../helpers.js';

test('calls process.exit(1)', () => {
  process.exit(1);
});

test.run();
