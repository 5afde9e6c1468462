/** nnlab/agents: tabular SARSA, Q-learning, Expected SARSA; REINFORCE, Actor-Critic, A2C; DQN. */
export * from './types.js';
export type { Metrics } from '../base/metrics.js';
export { TabularAgent, TABULAR_DEFAULTS, discreteEnv, trainTabular, evaluateGreedy, greedyTabularPolicy, GREEDY_MAX_STEPS, epsilonGreedy, greedyAction, maxQ, resolveTabularConfig, type DiscreteEnv, type TabularAgentClass, type TabularConfig, type TabularTransition, type TdTarget, type QParams, type TabularRunOptions } from './tabular.js';
export { Sarsa, sarsaTarget } from './sarsa.js';
export { QLearning, qLearningTarget } from './qlearning.js';
export { ExpectedSarsa, expectedSarsaTarget } from './expectedSarsa.js';
export { RL_ALGOS, RL_FAMILY, TABULAR_ALGOS, isRlAlgo, isTabular, type RlAlgo, type RlFamily, type AlgoOf, type TabularAlgo, type ConfigResolver } from './algos.js';
export { TABULAR_AGENTS, type TabularEntry } from './tabularAgents.js';
export { RL_AGENTS, type RlAgentEntry, type PgEntry, type DqnEntry, type PgLearner, type EntryOf, type WithSpecConfig } from './registry.js';
export { evaluatePolicy, evaluatePolicyOn, finalEvaluation, finalEvaluationOn, goalEvaluator, trainerGoalEvaluator, EVAL_SEEDS, EVAL_EPISODES, GOAL_EPISODES, DEFAULT_EVAL_INTERVAL, type EvalResult, type RowPolicy, type FinalEvaluation, type GoalEvalOptions, type GoalEvalState, type TrainEvalOptions } from './evaluate.js';
export { DqnLearner, DQN_DEFAULTS, trainDqn, dqnActor, dqnForward, greedyPolicy, epsilonAt, epsilonSchedule, resolveDqnConfig, type DqnConfig, type EpsilonSchedule, type TrainDqnOptions, type TrainDqnResult } from './dqn.js';
export { runOffPolicy, type OffPolicyLearner, type OffPolicyOptions, type OffPolicyResult } from './offPolicy.js';
export * from './policies.js';
export { runOnPolicy, runEpisodes, type StepRollout, type EpisodeBatch, type LoopResult, type OnPolicyOptions, type EpisodeLoopOptions, type TrainPgOptions, type TrainPgResult } from './onPolicy.js';
export { PolicyGradientLearner, type PgLearnerConfig, type PgNetsChoice } from './pgLearner.js';
export { ReinforceLearner, REINFORCE_DEFAULTS, resolveReinforceConfig, trainReinforce, type ReinforceConfig } from './reinforce.js';
export { ActorCriticLearner, ACTOR_CRITIC_DEFAULTS, resolveActorCriticConfig, trainActorCritic, acBatch, type ActorCriticConfig, type AcBatch } from './actorCritic.js';
export { A2cLearner, A2C_DEFAULTS, resolveA2cConfig, trainA2c, a2cBatch, type A2cConfig, type A2cBatch } from './a2c.js';
