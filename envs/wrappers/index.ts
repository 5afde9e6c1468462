export { checkMaxEpisodeSteps, TimeLimit, type MaxEpisodeStepsCheck } from './timeLimit.js';
export { OrderEnforcing } from './orderEnforcing.js';
export { PassiveEnvChecker, checkResetReturn, checkStepReturn } from './passiveEnvChecker.js';
export { RecordEpisodeStatistics, type EpisodeStatistics } from './recordEpisodeStatistics.js';
export { ClipAction } from './clipAction.js';
export { NormalizeObservation, NormalizeReward, RunningMeanStd } from './normalize.js';
export { TransformObservation, FlattenObservation } from './transformObservation.js';
