/**
 * Per-env running return and length of the current episode, for the loops over vector envs: each
 * step adds its reward; when an episode ends, `charts/episodic_return` and `charts/episodic_length`
 * are emitted (at the env step that ended it) and the env's counters restart.
 */
import type { MetricsCallback } from './types.js';
import { EPISODIC_LENGTH, EPISODIC_RETURN } from './metricNames.js';

export class EpisodeStats {
  readonly returns: Float64Array;
  /** Steps taken so far in each env's current episode (the step index of the next one). */
  readonly lengths: Int32Array;

  constructor(numEnvs: number) {
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Int32Array(numEnvs);
  }

  step(env: number, reward: number, done: boolean, envStep: number, onMetrics?: MetricsCallback): void {
    this.returns[env]! += reward;
    this.lengths[env]!++;
    if (!done) return;
    onMetrics?.({ [EPISODIC_RETURN]: this.returns[env]!, [EPISODIC_LENGTH]: this.lengths[env]! }, envStep);
    this.returns[env] = 0;
    this.lengths[env] = 0;
  }
}
