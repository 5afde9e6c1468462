/**
 * bench/HeavyCartPole-v1, a bench-only env whose step costs real compute: CartPole-v1 plus a
 * deterministic busy loop of `work` iterations per step (default 10 000: about 0.2 ms on the
 * bench machine), standing in for an env that simulates something. bench:distributed ships this
 * module to its rollout threads (an EnvRef `module`, workers/envModules.ts): importing it
 * registers the id.
 */
import { CartPoleEnv, Wrapper, register, type StepReturn } from '../envs/index.js';

export const HEAVY_ENV_ID = 'bench/HeavyCartPole-v1';

/** Iterations of the busy loop per step by default (about 0.2 ms on the 2-core bench machine). */
export const DEFAULT_WORK = 10_000;

/** CartPole whose every step first runs `work` iterations of a floating-point recurrence. */
export class HeavyCartPole extends Wrapper<Float32Array, number> {
  /** The recurrence's state: kept, so the loop is not optimised away. */
  private x = 1;

  constructor(readonly work = DEFAULT_WORK) {
    super(new CartPoleEnv());
    if (!Number.isInteger(work) || work < 0) throw new RangeError(`${HEAVY_ENV_ID}: work must be a non-negative integer, got ${String(work)}`);
  }

  override step(action: number): StepReturn<Float32Array> {
    let x = this.x;
    for (let i = 0; i < this.work; i++) x = (x * 1.000001 + 0.5) % 1024;
    this.x = x;
    return this.env.step(action);
  }
}

register({ id: HEAVY_ENV_ID, entryPoint: (kwargs: { work?: number }) => new HeavyCartPole(kwargs.work), maxEpisodeSteps: 500 });
