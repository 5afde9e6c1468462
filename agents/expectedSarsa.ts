/**
 * Expected SARSA (van Seijen et al. 2009; Sutton & Barto 2018, §6.6):
 *   Q(s, a) ← Q(s, a) + α (r + γ Σ_a′ π(a′|s′) Q(s′, a′) − Q(s, a))
 * with π the ε-greedy policy: π(a′|s′) = ε/|A| + (1 − ε)·[a′ = argmax Q(s′, ·)] (ties share the
 * greedy mass). It removes SARSA's variance from sampling a′.
 */
import { TabularAgent, maxQ, type QParams, type TabularConfig, type TabularTransition } from './tabular.js';

/** tdTarget = r + γ E_{a′∼π}[Q(s′, a′)]  (no bootstrap when terminated). */
export function expectedSarsaTarget(p: QParams, t: TabularTransition, gamma: number, epsilon: number): number {
  if (t.terminated) return t.r;
  const { q, numActions } = p;
  const base = t.s2 * numActions;
  const best = maxQ(p, t.s2);
  let sum = 0;
  for (let a = 0; a < numActions; a++) {
    sum += q[base + a]!;
  }
  // every greedy action has value `best`, so the greedy mass (1 − ε) contributes (1 − ε)·best
  const expected = (epsilon / numActions) * sum + (1 - epsilon) * best;
  return t.r + gamma * expected;
}

export class ExpectedSarsa extends TabularAgent {
  static readonly agentName = 'ExpectedSarsa';
  constructor(numStates: number, numActions: number, config: Partial<TabularConfig> = {}) {
    super(ExpectedSarsa.agentName, expectedSarsaTarget, numStates, numActions, config);
  }
}
