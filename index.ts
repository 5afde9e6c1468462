/** nnlab: a distributed reinforcement-learning and generative-model lab on TensorFlow.js. */
export * as core from './core/index.js';
export { initBackend, Rng, makeOptimizer, version } from './core/index.js';
