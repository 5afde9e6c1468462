/** drivers/trials: the one text of a sweep's best trial, in a finished or stopped sweep's message and a queue-backed sweep's. */
import * as assert from 'uvu/assert';
import { test } from './helpers.js';
import { bestTrialText } from '../drivers/trials.js';

test("bestTrialText: the score as every terminal line writes a metric (base/format.ts), not cut to two decimals; the trial's overrides; 'so far' for a stopped sweep", () => {
  const overrides = { 'agent.config.alpha': 0.5, seed: 3 };
  assert.is(bestTrialText({ finalScore: 475, overrides }), 'best 475 with {"agent.config.alpha":0.5,"seed":3}');
  // a FrozenLake success rate or a small score stays readable: toFixed(2) wrote 0.00
  assert.is(bestTrialText({ finalScore: 0.00123, overrides: {} }), 'best 0.00123 with {}');
  assert.is(bestTrialText({ finalScore: -99.94, overrides: {} }, 'so far'), 'best so far -99.94 with {}');
});

test.run();
