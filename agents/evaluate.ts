/**
 * Greedy (or any deterministic-policy) evaluation on a single env made through the registry, so
 * the registered TimeLimit applies. Each episode resets with seed, seed + 1, …
 */
import { make } from '../envs/index.js';
import type { Env } from '../envs/index.js';

/**
 * The evaluation seeds, defined once. Episode k of a periodic or goal-confirming check resets with
 * `EVAL_SEEDS.check(seed) + k`; episode k of a run's final report with `EVAL_SEEDS.final(seed) + k`.
 * The final report therefore plays episodes the goal check never saw.
 */
export const EVAL_SEEDS = Object.freeze({
  check: (seed: number): number => 1_000_000 + seed * 1000,
  final: (seed: number): number => 2_000_000 + seed,
  /** `nnlab eval`'s re-evaluation of a saved model: episodes neither the run's checks nor its report played. */
  recheck: (seed: number): number => 3_000_000 + seed,
});

export interface EvalResult {
  meanReturn: number;
  stdReturn: number;
  returns: number[];
  meanLength: number;
}

/** Runs `episodes` episodes of `policy` (a function of one observation) and summarises the returns. */
export function evaluatePolicy<O, A>(envOrId: string | Env<O, A>, policy: (obs: O) => A, episodes: number, seed: number, kwargs: Record<string, unknown> = {}): EvalResult {
  const env = (typeof envOrId === 'string' ? make(envOrId, kwargs) : envOrId) as Env<O, A>;
  const returns: number[] = [];
  let lengths = 0;
  for (let ep = 0; ep < episodes; ep++) {
    let [obs] = env.reset({ seed: seed + ep });
    let ret = 0;
    for (;;) {
      const [next, r, terminated, truncated] = env.step(policy(obs));
      ret += r;
      lengths++;
      if (terminated || truncated) break;
      obs = next;
    }
    returns.push(ret);
  }
  if (typeof envOrId === 'string') env.close();
  const mean = returns.reduce((a, b) => a + b, 0) / episodes;
  const std = Math.sqrt(returns.reduce((a, b) => a + (b - mean) ** 2, 0) / episodes);
  return { meanReturn: mean, stdReturn: std, returns, meanLength: lengths / episodes };
}
