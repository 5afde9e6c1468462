/**
 * Q-learning (Watkins 1989; Watkins & Dayan 1992; Sutton & Barto 2018, §6.5; course seed 001):
 *   Q(s, a) ← Q(s, a) + α (r + γ max_a′ Q(s′, a′) − Q(s, a))
 * Off-policy: it learns the greedy policy's values while acting ε-greedily, so on CliffWalking it
 * finds the optimal path along the cliff edge (return −13) and falls more often online.
 */
import { TabularAgent, maxQ, type QParams, type TabularConfig, type TabularTransition } from './tabular.js';

/** tdTarget = r + γ max_a′ Q(s′, a′)  (no bootstrap when terminated). */
export function qLearningTarget(p: QParams, t: TabularTransition, gamma: number): number {
  return t.terminated ? t.r : t.r + gamma * maxQ(p, t.s2);
}

export class QLearning extends TabularAgent {
  static readonly agentName = 'QLearning';
  constructor(numStates: number, numActions: number, config: Partial<TabularConfig> = {}) {
    super(QLearning.agentName, qLearningTarget, numStates, numActions, config);
  }
}
