/**
 * On-policy rollout storage and its return estimators: the policy-gradient agents' (reinforce.ts,
 * a2c.ts), so they live with them rather than in core/'s model-free tensors and buffers.
 *
 * Arrays are step-major: index t·numEnvs + e is env e at step t. `dones[t·numEnvs + e] = 1` means
 * the episode of env e ended with step t (terminated or truncated), so nothing after it is
 * bootstrapped into step t. For a truncated step the caller adds γ·V(finalObs) to its reward
 * (`bootstrapTruncated`), as Stable-Baselines3 does, so time limits do not look like failures.
 *
 * GAE(λ) (Schulman et al. 2016, "High-dimensional continuous control using generalized advantage
 * estimation"), one recurrence backwards in t:
 *   δ_t = r_t + γ V(s_{t+1}) (1 − done_t) − V(s_t)
 *   A_t = δ_t + γλ (1 − done_t) A_{t+1}
 *   returns_t = A_t + V(s_t)
 * with V(s_T) = lastValues. λ = 1 gives Monte-Carlo advantages, λ = 0 the one-step TD error.
 */

/** Discounted reward-to-go of one episode: G_t = Σ_{k≥t} γ^{k−t} r_k. */
export function discountedReturns(rewards: ArrayLike<number>, gamma: number): Float32Array {
  const out = new Float32Array(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    g = rewards[t]! + gamma * g;
    out[t] = g;
  }
  return out;
}

export interface GaeInput {
  numSteps: number;
  numEnvs: number;
  rewards: ArrayLike<number>;
  values: ArrayLike<number>;
  dones: ArrayLike<number>;
  /** V(s_T) for each env: the value of the observation after the last stored step. */
  lastValues: ArrayLike<number>;
  gamma: number;
  lambda: number;
}

/** GAE(λ) advantages and λ-returns (see module doc). */
export function computeGae(input: GaeInput): { advantages: Float32Array; returns: Float32Array } {
  const { numSteps, numEnvs, rewards, values, dones, lastValues, gamma, lambda } = input;
  const n = numSteps * numEnvs;
  if (rewards.length !== n || values.length !== n || dones.length !== n || lastValues.length !== numEnvs) {
    throw new RangeError(`computeGae: expected ${n} rewards/values/dones and ${numEnvs} lastValues`);
  }
  const advantages = new Float32Array(n);
  const returns = new Float32Array(n);
  for (let e = 0; e < numEnvs; e++) {
    let nextAdvantage = 0;
    let nextValue = lastValues[e]!;
    for (let t = numSteps - 1; t >= 0; t--) {
      const i = t * numEnvs + e;
      const notDone = 1 - dones[i]!;
      const delta = rewards[i]! + gamma * nextValue * notDone - values[i]!;
      nextAdvantage = delta + gamma * lambda * notDone * nextAdvantage;
      advantages[i] = nextAdvantage;
      returns[i] = nextAdvantage + values[i]!;
      nextValue = values[i]!;
    }
  }
  return { advantages, returns };
}

/**
 * Standardises advantages in place over the whole batch, A ← (A − mean) / (std + 1e-8) (std the
 * population one, as Stable-Baselines3's `normalize_advantage`); a batch of one is left as is.
 * REINFORCE and A2C both apply it when their `normalizeAdvantages` is set.
 */
export function standardizeAdvantages(adv: Float32Array): void {
  const n = adv.length;
  if (n <= 1) return;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += adv[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (adv[i]! - mean) ** 2;
  const std = Math.sqrt(variance / n) + 1e-8;
  for (let i = 0; i < n; i++) adv[i] = (adv[i]! - mean) / std;
}

export interface RolloutConfig {
  numSteps: number;
  numEnvs: number;
  obsDim: number;
  /** 1 for discrete actions, the Box size for continuous ones. */
  actionDim?: number;
  actionType?: 'discrete' | 'continuous';
}

/** Fixed-size storage for n-step rollouts of a vector env (A2C / PPO style). */
export class RolloutBuffer {
  readonly config: Required<RolloutConfig>;
  readonly obs: Float32Array;
  readonly actions: Int32Array | Float32Array;
  readonly rewards: Float32Array;
  readonly dones: Uint8Array;
  readonly values: Float32Array;
  readonly logProbs: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
  private t = 0;

  constructor(config: RolloutConfig) {
    const c: Required<RolloutConfig> = { actionDim: 1, actionType: 'discrete', ...config };
    for (const f of ['numSteps', 'numEnvs', 'obsDim', 'actionDim'] as const) {
      if (!Number.isInteger(c[f]) || c[f] <= 0) throw new RangeError(`RolloutBuffer: '${f}' must be a positive integer, got ${c[f]}`);
    }
    this.config = Object.freeze(c);
    const n = c.numSteps * c.numEnvs;
    this.obs = new Float32Array(n * c.obsDim);
    this.actions = c.actionType === 'discrete' ? new Int32Array(n * c.actionDim) : new Float32Array(n * c.actionDim);
    this.rewards = new Float32Array(n);
    this.dones = new Uint8Array(n);
    this.values = new Float32Array(n);
    this.logProbs = new Float32Array(n);
    this.advantages = new Float32Array(n);
    this.returns = new Float32Array(n);
  }

  get full(): boolean {
    return this.t === this.config.numSteps;
  }

  get step(): number {
    return this.t;
  }

  /** Stores one step of all envs. `dones[e]` = terminated[e] || truncated[e]. */
  add(step: {
    obs: Float32Array;
    actions: ArrayLike<number>;
    rewards: ArrayLike<number>;
    dones: ArrayLike<number | boolean>;
    values: ArrayLike<number>;
    logProbs: ArrayLike<number>;
  }): void {
    const { numEnvs, obsDim, actionDim, numSteps } = this.config;
    if (this.t >= numSteps) throw new Error('RolloutBuffer.add: the buffer is full; call reset() after computing returns');
    const base = this.t * numEnvs;
    this.obs.set(step.obs.subarray(0, numEnvs * obsDim), base * obsDim);
    for (let e = 0; e < numEnvs * actionDim; e++) this.actions[base * actionDim + e] = step.actions[e]!;
    for (let e = 0; e < numEnvs; e++) {
      this.rewards[base + e] = step.rewards[e]!;
      this.dones[base + e] = step.dones[e] ? 1 : 0;
      this.values[base + e] = step.values[e]!;
      this.logProbs[base + e] = step.logProbs[e]!;
    }
    this.t++;
  }

  /** For a truncated sub-env at the step just added: r_t ← r_t + γ V(finalObs). */
  bootstrapTruncated(env: number, finalValue: number, gamma: number): void {
    if (this.t === 0) throw new Error('RolloutBuffer.bootstrapTruncated: no step stored yet');
    this.rewards[(this.t - 1) * this.config.numEnvs + env]! += gamma * finalValue;
  }

  /** Fills `advantages` and `returns` with GAE(λ). */
  computeReturnsAndAdvantages(lastValues: ArrayLike<number>, gamma: number, lambda: number): void {
    if (!this.full) throw new Error(`RolloutBuffer: only ${this.t} of ${this.config.numSteps} steps stored`);
    const { advantages, returns } = computeGae({
      numSteps: this.config.numSteps,
      numEnvs: this.config.numEnvs,
      rewards: this.rewards,
      values: this.values,
      dones: this.dones,
      lastValues,
      gamma,
      lambda,
    });
    this.advantages = advantages;
    this.returns = returns;
  }

  reset(): void {
    this.t = 0;
  }
}
