/** nnlab/generative: GAN, WGAN, WGAN-GP and VAE on MNIST, their evaluation and outputs. */
export type { GenerativeLearner, ImageBatch, Phase } from './types.js';
export type { Metrics } from '../base/metrics.js';
export { parseIdx, loadMnist, mnistDataDir, scalePixels, gather, epochBatches, type IdxArray, type Mnist, type MnistSplit } from './mnist.js';
export { Vae, VAE_DEFAULTS, resolveVaeConfig, buildConvVae, negElboLoss, type VaeConfig } from './vae.js';
export { Gan, GAN_DEFAULTS, resolveGanConfig, type GanConfig } from './gan.js';
/** The stable scalar softplus of the GAN's loss (base/logistic.ts), exported here as before. */
export { softplus } from '../base/logistic.js';
export { Dcgan, DCGAN_DEFAULTS, resolveDcganConfig, buildGenerator, buildDiscriminator, generatorSpec, discriminatorSpec, labelMaps, type DcganConfig } from './dcgan.js';
export { Wgan, WGAN_DEFAULTS, WGAN_GP_DEFAULTS, resolveWganConfig, wganGpCriticSpec, type WganConfig, type WganConvArchitecture } from './wgan.js';
export { MlpGanLearner, buildMlpGanNets, type GanNet, type GanNets, type MlpGanArchitecture } from './mlpGan.js';
export { FusedNet, type NetActivation } from '../core/fusedNet.js';
export { FusedRmsprop } from '../core/fused.js';
export { GENERATIVE_MODELS, generativeKinds, makeGenerativeLearner, type LearnerFactory, type GenerativeModelEntry } from './models.js';
export { GENERATIVE_KINDS, ELBO_KINDS, isGenerativeKind, type GenerativeKind, type PixelScale } from './kinds.js';
export { scoreMetric, scoreOf, CLASSIFIER_SCORE_RANGE, type ScoreMetric } from './score.js';
export { trainGenerative, type TrainGenerativeOptions, type TrainGenerativeResult, type EpochSummary } from './train.js';
export {
  classifierScore,
  classHistogram,
  featureStats,
  frechetDistance,
  frechetFromStats,
  symmetricEigen,
  sqrtPsd,
  evaluateGenerator,
  type FeatureStats,
  type GeneratorEval,
} from './eval.js';
export { Classifier, buildLenet, trainLenet, loadOrTrainClassifier, defaultClassifierDir, LENET_DEFAULTS, type LenetConfig } from './lenet.js';
export { encodePng, sampleGrid, interpolateLatents, interpolationStrip, crc32, type GrayImage } from './png.js';
