/**
 * The one list of activation names of nnlab (those of the course seeds: sigmoid, tanh, ReLU,
 * LeakyReLU, ELU, softplus, plus linear and softmax for output heads). The tfjs builders
 * (core/nn.ts) take them all; each engine outside tfjs runs the subset it implements, typed as a
 * subset of this one type so a name can never drift between them:
 * - `FusedActivation`: the native SGEMM's epilogue (core/fused.ts);
 * - `NetActivation`: FusedNet's forward and backward (core/fusedNet.ts);
 * - `ForwardActivation`: the typed-array actors' forward (core/mlpForward.ts).
 * No imports (no tfjs): rollout workers load it.
 */
export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'softplus', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** What the native SGEMM applies in its epilogue. */
export type FusedActivation = Extract<Activation, 'linear' | 'relu' | 'tanh'>;

/** What FusedNet differentiates (piecewise-linear ones keep WGAN-GP's double backward exact). */
export type NetActivation = Extract<Activation, 'linear' | 'relu' | 'leakyRelu' | 'tanh' | 'sigmoid'>;

/** What MlpForward, the actors' forward pass, evaluates. */
export type ForwardActivation = Extract<Activation, 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'elu' | 'softplus'>;
