/**
 * The default hyperparameters of Adam and RMSprop (PyTorch's `torch.optim.Adam` / `RMSprop`), once
 * for both engines: the tfjs one (core/optim.ts `makeOptimizer`) and the flat one (core/fused.ts
 * `FusedAdam`, `FusedRmsprop`), so a model trained by either takes the same steps.
 * No imports: core/fused.ts stays free of tfjs (rollout workers load it).
 */

/** Adam's β₁ (first-moment decay), β₂ (second-moment decay) and ε (added to √v̂). */
export const ADAM_DEFAULTS = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const);

/** RMSprop's ρ (decay of E[g²]) and ε (added to √E[g²]). */
export const RMSPROP_DEFAULTS = Object.freeze({ rho: 0.99, epsilon: 1e-8 } as const);
