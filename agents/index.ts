/** nnlab/agents: tabular SARSA, Q-learning and Expected SARSA (more agents land with issue 4). */
export * from './types.js';
export { TabularAgent, TABULAR_DEFAULTS, trainTabular, evaluateGreedy, epsilonGreedy, greedyAction, maxQ, type TabularConfig, type TabularTransition, type TdTarget, type QParams, type TabularRunOptions } from './tabular.js';
export { Sarsa, sarsaTarget } from './sarsa.js';
export { QLearning, qLearningTarget } from './qlearning.js';
export { ExpectedSarsa, expectedSarsaTarget } from './expectedSarsa.js';
export { evaluatePolicy, type EvalResult } from './evaluate.js';
