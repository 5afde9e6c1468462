/**
 * Which of the page's panels charts a metric, by its name (agents/metricNames.ts, import-free, names
 * them): the return chart, the evaluations, the losses, the speed panel (an RL run's env steps/s or
 * a generative run's iterations/s), a sweep's per-trial curves, none (a count that is not a curve),
 * or a small chart of its own under "more metrics". A module of its own, free of the DOM, so the
 * page test checks it outside the browser.
 */
import { EPISODIC_RETURN, EVAL_EPISODE_COUNT, EVAL_PREFIX, LOSS_PREFIX, SPEED_METRICS, TRIAL_PREFIX } from '../../agents/metricNames.js';

export type Panel = 'return' | 'eval' | 'loss' | 'speed' | 'trial' | 'none' | 'more';

export function panelOf(name: string): Panel {
  if (name === EPISODIC_RETURN) return 'return';
  if (name === EVAL_EPISODE_COUNT) return 'none';
  if (name.startsWith(EVAL_PREFIX)) return 'eval';
  if (name.startsWith(LOSS_PREFIX)) return 'loss';
  if (SPEED_METRICS.includes(name)) return 'speed';
  if (name.startsWith(TRIAL_PREFIX)) return 'trial';
  return 'more';
}
