/** nnlab/agents: tabular SARSA, Q-learning, Expected SARSA; DQN (policy-gradient agents land with issue 4). */
export * from './types.js';
export { TabularAgent, TABULAR_DEFAULTS, trainTabular, evaluateGreedy, epsilonGreedy, greedyAction, maxQ, type TabularConfig, type TabularTransition, type TdTarget, type QParams, type TabularRunOptions } from './tabular.js';
export { Sarsa, sarsaTarget } from './sarsa.js';
export { QLearning, qLearningTarget } from './qlearning.js';
export { ExpectedSarsa, expectedSarsaTarget } from './expectedSarsa.js';
export { evaluatePolicy, type EvalResult } from './evaluate.js';
export { DqnLearner, DQN_DEFAULTS, trainDqn, dqnActor, dqnForward, greedyPolicy, epsilonAt, resolveDqnConfig, type DqnConfig, type TrainDqnOptions, type TrainDqnResult } from './dqn.js';
export { runOffPolicy, type OffPolicyLearner, type OffPolicyOptions, type OffPolicyResult } from './offPolicy.js';
