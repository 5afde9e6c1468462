/**
 * The metric names an RL run's rooms share: what the loops emit per episode, what a run's final
 * greedy evaluation is written under, and an RL trial's metrics (its curve and final score).
 * Import-free (test/architecture.test.ts checks it), so the page (dashboard/src/main.ts) imports
 * them from here without bundling anything of the agents'.
 */

/** One training episode's undiscounted return, at the env step that ended it. */
export const EPISODIC_RETURN = 'charts/episodic_return';
/** One training episode's length in steps. */
export const EPISODIC_LENGTH = 'charts/episodic_length';
/** The saved policy's greedy mean return on the final evaluation's episodes. */
export const FINAL_MEAN_RETURN = 'eval/final_mean_return';

/** An RL trial's metrics (protocol/messages.ts's TrialMetricNames): one curve point per training episode. */
export const RL_TRIAL_METRICS = { curve: EPISODIC_RETURN, final: FINAL_MEAN_RETURN, unit: 'episode' } as const;
