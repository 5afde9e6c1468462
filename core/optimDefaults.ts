/**
 * The default hyperparameters of every optimiser, in one place. Adam's and RMSprop's (PyTorch's
 * `torch.optim.Adam` / `RMSprop`) serve both engines: the tfjs one (core/optim.ts `makeOptimizer`)
 * and the flat one (core/fused.ts `FusedAdam`, `FusedRmsprop`), so a model trained by either takes
 * the same steps; the others only the tfjs one.
 * No imports: core/fused.ts stays free of tfjs (rollout workers load it).
 */

/** Adam's β₁ (first-moment decay), β₂ (second-moment decay) and ε (added to √v̂). */
export const ADAM_DEFAULTS = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const);

/** RMSprop's ρ (decay of E[g²]) and ε (added to √E[g²]). */
export const RMSPROP_DEFAULTS = Object.freeze({ rho: 0.99, epsilon: 1e-8 } as const);

/** μ of momentum and nesterov. */
export const MOMENTUM_DEFAULTS = Object.freeze({ momentum: 0.9 } as const);

/** AdaGrad's initial accumulator G₀ (tfjs's and TensorFlow's 0.1). */
export const ADAGRAD_DEFAULTS = Object.freeze({ initialAccumulator: 0.1 } as const);

/** Adadelta's ρ (decay of E[g²] and E[Δ²]) and ε (Zeiler 2012's, and tfjs's ρ). */
export const ADADELTA_DEFAULTS = Object.freeze({ rho: 0.95, epsilon: 1e-6 } as const);

/**
 * ε of global-norm clipping: gradients g are scaled by min(1, c / (‖g‖₂ + ε)), in both engines
 * (core/optim.ts `clipGradients`, core/fused.ts `FusedAdam`), so a clipped step is the same in each
 * (PyTorch's `clip_grad_norm_` adds 1e-6 too).
 */
export const CLIP_NORM_EPSILON = 1e-6;
