/**
 * Named values of one update, episode, evaluation or epoch, namespaced as CleanRL does
 * (`charts/episodic_return`, `losses/td_loss`, `losses/d_loss`, …): what agents and generative
 * models report and a run's metrics log and the page carry. No imports: every room may use it.
 */
export type Metrics = Record<string, number>;
