/**
 * How many episodes an evaluation plays when nothing names it: a trainer's options
 * (agents/evaluate.ts) and a spec's `eval` (drivers/spec.ts) default to these. Import-free, so
 * reading a spec loads no env.
 */

/** Episodes of a quick greedy check (`TrainEvalOptions.evalEpisodes`, a spec's `eval.episodes`). */
export const EVAL_EPISODES = 10;
/** Episodes of each confirming or final evaluation (`TrainEvalOptions.goalEpisodes`, a spec's `eval.finalEpisodes`). */
export const GOAL_EPISODES = 100;
