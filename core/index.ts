/** nnlab/core: the one tensor and optimiser core shared by agents and generative models. */
export { initBackend, backendInfo, DEFAULT_ORDER, type BackendInfo } from './backend.js';
export { BACKENDS, isBackendName, type BackendName } from './backendNames.js';
export { Rng, type RngState } from '../base/rng.js';
export {
  buildSequential,
  buildMlp,
  initValues,
  fans,
  countParams,
  ACTIVATIONS,
  type Activation,
  type Init,
  type LayerSpec,
  type SequentialSpec,
  type MlpSpec,
} from './nn.js';
export { mse, huber, softmaxCrossEntropy, bceWithLogits, bce, type Reduction } from './losses.js';
export { ADADELTA_DEFAULTS, ADAGRAD_DEFAULTS, ADAM_DEFAULTS, MOMENTUM_DEFAULTS, RMSPROP_DEFAULTS } from './optimDefaults.js';
export { makeOptimizer, Optimizer, clipGradients, globalNorm, validateOptimizerSpec, OPTIMIZER_NAMES, type OptimizerSpec, type OptimizerName, type OptimizerSlot } from './optim.js';
export {
  packr,
  encode,
  decode,
  namedVariables,
  trainableVariables,
  readTensors,
  getParams,
  setParams,
  computeGradients,
  gradientTensors,
  averageGradients,
  allFinite,
  type TensorData,
  type TensorMap,
} from './tensors.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  latestCheckpoint,
  saveModelFiles,
  loadModelFiles,
  loadWeightsInto,
  modelArtifacts,
  readMsgpackFile,
  type CheckpointContent,
  type LoadTargets,
  type LoadedCheckpoint,
  type SaveOptions,
} from './checkpoint.js';
export { writeFileAtomic } from './atomicWrite.js';
export { checkData, readJsonFile, StateFileError } from './stateFile.js';
export { ReplayBuffer, type ReplayConfig, type TransitionBatch, type ReplayState } from './replay.js';
export { version } from './version.js';
export { HIDDEN_ACTIVATIONS, isHiddenActivation, type FusedActivation, type HiddenActivation, type NetActivation } from './activation.js';
