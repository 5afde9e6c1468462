/**
 * Greedy (or any deterministic-policy) evaluation on a single env made through the registry, so
 * the registered TimeLimit applies. Each episode resets with seed, seed + 1, … And what "the goal
 * is reached" means, for every trainer and driver (`goalEvaluator`).
 */
import { make } from '../envs/index.js';
import type { Env } from '../envs/index.js';
import type { MetricsCallback } from './types.js';

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

export interface GoalEvalOptions {
  envId: string;
  kwargs?: Record<string, unknown>;
  /** The deterministic policy of the current parameters (built once per evaluation: a frozen snapshot). */
  policy: () => (obs: Float32Array) => number | Float32Array;
  /** Episodes of the quick check at each evaluation. */
  evalEpisodes: number;
  /** Episodes of each confirming evaluation once the quick check passes. */
  goalEpisodes: number;
  goal?: number;
  /** The run's seed: checks play EVAL_SEEDS.check(seed) + k, the fresh confirmation EVAL_SEEDS.final(seed) + k. */
  seed: number;
  /** Gets `eval/mean_return` and `eval/episodes` of each check. */
  onMetrics?: MetricsCallback;
}

export interface GoalEvalState {
  /** Env step of the evaluation that reached the goal. */
  goalReachedAt?: number;
  /** The newest check (quick, or its goalEpisodes confirmation). */
  lastEval?: EvalResult;
  /** The newest evaluation on fresh episodes (run when a check passed): the score to report when the goal stands. */
  final?: EvalResult;
}

/**
 * "The goal is reached", defined once. A periodic check plays `evalEpisodes` episodes of the
 * policy; if their mean return reaches the goal, `goalEpisodes` episodes from the same check seeds
 * confirm it; and the goal stands only if `goalEpisodes` episodes the checks never play (the final
 * seeds) reach it too — a snapshot that was lucky on the check's seeds does not stop training.
 * That last evaluation is `result.final`, the score a run reports with the goal.
 */
export function goalEvaluator(o: GoalEvalOptions): { evaluate: (envStep: number) => boolean; result: GoalEvalState } {
  const result: GoalEvalState = {};
  const checkSeed = EVAL_SEEDS.check(o.seed);
  const evaluate = (envStep: number): boolean => {
    const policy = o.policy();
    let ev = evaluatePolicy<Float32Array, number | Float32Array>(o.envId, policy, o.evalEpisodes, checkSeed, o.kwargs);
    const reaches = (e: EvalResult) => o.goal !== undefined && e.meanReturn >= o.goal;
    if (reaches(ev) && o.goalEpisodes > o.evalEpisodes) ev = evaluatePolicy<Float32Array, number | Float32Array>(o.envId, policy, o.goalEpisodes, checkSeed, o.kwargs);
    result.lastEval = ev;
    o.onMetrics?.({ 'eval/mean_return': ev.meanReturn, 'eval/episodes': ev.returns.length }, envStep);
    if (!reaches(ev) || ev.returns.length < o.goalEpisodes) return false;
    result.final = evaluatePolicy<Float32Array, number | Float32Array>(o.envId, policy, o.goalEpisodes, EVAL_SEEDS.final(o.seed), o.kwargs);
    if (!reaches(result.final)) return false;
    result.goalReachedAt = envStep;
    return true;
  };
  return { evaluate, result };
}
