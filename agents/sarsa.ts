/**
 * SARSA (Rummery & Niranjan 1994; Sutton & Barto 2018, §6.4; course seed 001, table "汇总"):
 *   Q(s, a) ← Q(s, a) + α (r + γ Q(s′, a′) − Q(s, a)),   a′ the action the ε-greedy policy takes next.
 * On-policy: it learns the value of the ε-greedy policy it follows, so on CliffWalking it prefers
 * the safe path away from the cliff (Sutton & Barto, example 6.6).
 * Checked against Sutton & Barto's example 6.6 numbers (bench/learning.ts, test/agents.tabular.test.ts).
 */
import { TabularAgent, type QParams, type TabularConfig, type TabularTransition } from './tabular.js';

/** tdTarget = r + γ Q(s′, a′)  (no bootstrap when terminated). */
export function sarsaTarget(p: QParams, t: TabularTransition, gamma: number): number {
  return t.terminated ? t.r : t.r + gamma * p.q[t.s2 * p.numActions + t.a2]!;
}

export class Sarsa extends TabularAgent {
  static readonly agentName = 'Sarsa';
  constructor(numStates: number, numActions: number, config: Partial<TabularConfig> = {}) {
    super(Sarsa.agentName, sarsaTarget, numStates, numActions, config);
  }
}
