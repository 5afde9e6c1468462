/**
 * The one list of activation names of nnlab (those of the course seeds: sigmoid, tanh, ReLU,
 * LeakyReLU, ELU, softplus, plus linear and softmax for output heads). The tfjs builders
 * (core/nn.ts) take them all; the engine outside tfjs runs the subset it implements, typed as a
 * subset of this one type so a name can never drift between them:
 * - `NetActivation`: FusedNet's forward and backward (core/fusedNet.ts), the one typed-array MLP
 *   forward (rollout actors, learners, generative models): every name except softmax;
 * - `FusedActivation`: what the SGEMM applies in its epilogue (core/fused.ts), a kernel detail
 *   FusedNet uses when a layer's activation is one of them.
 * - `ConvActivation`: FusedConvNet's (core/fusedConvNet.ts), the activations of the DCGAN family
 *   that the native kernels apply and differentiate without JavaScript loops.
 * - `HiddenActivation`: the hidden layers of the RL agents' MLPs (DQN, REINFORCE, Actor-Critic,
 *   A2C): what their configs accept, what a published policy carries, what the page runs.
 * No imports (no tfjs): rollout workers load it, and protocol's schemas name the hidden activations
 * by value (test/architecture.test.ts IMPORT_FREE keeps it import-free).
 */
export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'elu', 'softplus', 'softmax'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** What the native SGEMM applies in its epilogue. */
export type FusedActivation = Extract<Activation, 'linear' | 'relu' | 'tanh'>;

/** What FusedNet evaluates and differentiates per layer (softmax is an output head, not a layer here). */
export type NetActivation = Exclude<Activation, 'softmax'>;

/** What FusedConvNet evaluates and differentiates per layer (all run natively; module doc). */
export const CONV_ACTIVATIONS = ['linear', 'relu', 'leakyRelu', 'tanh', 'sigmoid'] as const satisfies readonly Activation[];
export type ConvActivation = (typeof CONV_ACTIVATIONS)[number];

/** The hidden activations an RL agent's config may name (module doc). */
export const HIDDEN_ACTIVATIONS = ['relu', 'tanh'] as const satisfies readonly Activation[];
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

/** Whether `value` (e.g. a field of a config sent as data) is one of HIDDEN_ACTIVATIONS. */
export function isHiddenActivation(value: unknown): value is HiddenActivation {
  return (HIDDEN_ACTIVATIONS as readonly unknown[]).includes(value);
}

/** LeakyReLU's slope for x < 0 when a spec names none: DCGAN's 0.2 (Radford et al. 2016), buildSequential's default. */
export const LEAKY_RELU_ALPHA = 0.2;
