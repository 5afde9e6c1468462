/** The policy-gradient agents' rollout storage and return estimators (agents/rollout.ts). */
import * as assert from 'uvu/assert';
import { RolloutBuffer, computeGae, discountedReturns, standardizeAdvantages } from '../agents/rollout.js';
import { close, test } from './helpers.js';

test('discounted reward-to-go: γ = 0.5 over [1, 1, 1] is [1.75, 1.5, 1]', () => {
  close(discountedReturns([1, 1, 1], 0.5), [1.75, 1.5, 1]);
});

test('GAE(λ) on a 3-step rollout worked on paper', () => {
  // r = [1, 1, 1], V = [0.5, 0.4, 0.3], done after step 2, γ = 0.9, λ = 0.8 (γλ = 0.72):
  // δ₂ = 1 − 0.3 = 0.7                    A₂ = 0.7
  // δ₁ = 1 + 0.9·0.3 − 0.4 = 0.87          A₁ = 0.87 + 0.72·0.7 = 1.374
  // δ₀ = 1 + 0.9·0.4 − 0.5 = 0.86          A₀ = 0.86 + 0.72·1.374 = 1.84928
  // returns = A + V = [2.34928, 1.774, 1.0]; lastValue 9 is ignored because the episode ended
  const { advantages, returns } = computeGae({
    numSteps: 3, numEnvs: 1, rewards: [1, 1, 1], values: [0.5, 0.4, 0.3], dones: [0, 0, 1], lastValues: [9], gamma: 0.9, lambda: 0.8,
  });
  close(advantages, [1.84928, 1.374, 0.7]);
  close(returns, [2.34928, 1.774, 1.0]);
});

test('GAE bootstraps from lastValues when not done; λ = 1 gives Monte-Carlo, λ = 0 the TD error', () => {
  const base = { numSteps: 2, numEnvs: 1, rewards: [1, 2], values: [0, 0], dones: [0, 0], lastValues: [10], gamma: 0.5 };
  // λ = 1: A₁ = 2 + 0.5·10 = 7, A₀ = 1 + 0.5·7 = 4.5
  close(computeGae({ ...base, lambda: 1 }).advantages, [4.5, 7]);
  // λ = 0: A₀ = δ₀ = 1 + 0.5·0 − 0 = 1
  close(computeGae({ ...base, lambda: 0 }).advantages, [1, 7]);
});

test('advantages standardised in place: [1, 2, 3, 6] (mean 3, population std √3.5) becomes (A − 3) / (√3.5 + 1e-8); one advantage is left as is', () => {
  const adv = Float32Array.from([1, 2, 3, 6]);
  standardizeAdvantages(adv);
  const std = Math.sqrt(3.5) + 1e-8;
  close(adv, [-2 / std, -1 / std, 0, 3 / std], 1e-6);
  const one = Float32Array.from([5]);
  standardizeAdvantages(one);
  close(one, [5]);
});

test('rollout buffer over 2 envs keeps step-major order and bootstraps truncation', () => {
  const rb = new RolloutBuffer({ numSteps: 2, numEnvs: 2, obsDim: 1 });
  rb.add({ obs: new Float32Array([0, 10]), actions: [0, 1], rewards: [1, 1], dones: [0, 1], values: [0, 0], logProbs: [-1, -2] });
  rb.bootstrapTruncated(1, 4, 0.5); // env 1 was truncated with V(final) = 4: r ← 1 + 0.5·4 = 3
  rb.add({ obs: new Float32Array([1, 11]), actions: [1, 0], rewards: [1, 1], dones: [0, 0], values: [0, 0], logProbs: [-1, -2] });
  assert.ok(rb.full);
  rb.computeReturnsAndAdvantages([0, 0], 0.5, 1);
  // env 0: A₁ = 1, A₀ = 1 + 0.5·1 = 1.5; env 1: A₀ = 3 (done), A₁ = 1
  close(rb.advantages, [1.5, 3, 1, 1]);
  assert.throws(() => rb.add({ obs: new Float32Array(2), actions: [0, 0], rewards: [0, 0], dones: [0, 0], values: [0, 0], logProbs: [0, 0] }), /full/);
});

test.run();
