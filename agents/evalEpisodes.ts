/**
 * How many episodes an evaluation plays, and how often a loop evaluates, when nothing names it: a
 * trainer's options and the training loops (agents/evaluate.ts, offPolicy.ts, onPolicy.ts) and a
 * spec's `eval` (drivers/spec.ts) default to these. Import-free, so reading a spec loads no env.
 */

/**
 * Env steps between greedy evaluations: a spec's `eval.interval`, and a training loop's when its
 * options give `evaluate` and no `evalInterval` (runOffPolicy, runOnPolicy, runEpisodes).
 */
export const DEFAULT_EVAL_INTERVAL = 5000;

/** Episodes of a quick greedy check (`TrainEvalOptions.evalEpisodes`, a spec's `eval.episodes`). */
export const EVAL_EPISODES = 10;
/** Episodes of each confirming or final evaluation (`TrainEvalOptions.goalEpisodes`, a spec's `eval.finalEpisodes`). */
export const GOAL_EPISODES = 100;
