// An error thrown outside any test (a timer callback) while a test waits.
import { test } from '../helpers.js';

test('waits while a timer throws', async () => {
  setTimeout(() => {
    throw new Error('fixture: uncaught error');
  }, 10);
  await new Promise((resolve) => setTimeout(resolve, 2000));
});

test.run();
