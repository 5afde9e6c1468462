// A test that never settles while a timer keeps the process alive: only the time limit ends it.
import { test } from '../helpers.js';

test('never settles', async () => {
  setInterval(() => {}, 1000);
  await new Promise<void>(() => {});
});

test.run();
