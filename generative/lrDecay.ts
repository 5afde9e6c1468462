/**
 * Linear learning-rate decay to zero at the end of a run, as pix2pix and CycleGAN train their GANs
 * (Isola et al. 2017, Zhu et al. 2017: "we keep the same learning rate for the first 100 epochs and
 * linearly decay the rate to zero over the next 100 epochs"), counted in training iterations:
 *
 *   α_t = α                                    t < start
 *   α_t = α · (start + length − t) / length    start ≤ t < start + length
 *   α_t = 0                                    t ≥ start + length
 *
 * t is the index of the iteration being taken (0 for the first); `length` 0 is no decay. The
 * schedule is a function of t alone, so a run continued from a checkpoint (which keeps t) follows
 * it exactly, and a run that stops before `start` is the run without it.
 */
import { checkNumber, type ConfigFields } from '../base/configCheck.js';

export interface LrDecay {
  /** Iteration from which the learning rates fall. */
  decayStart: number;
  /** Iterations over which they fall linearly to 0 (0: no decay). */
  decayIterations: number;
}

/** α_t / α at iteration t. */
export function decayFactor(d: LrDecay, t: number): number {
  if (d.decayIterations === 0 || t < d.decayStart) return 1;
  return Math.max(0, (d.decayStart + d.decayIterations - t) / d.decayIterations);
}

/** The schedule of an unchecked config's two fields (non-negative integers; a bad one is a RangeError naming the model). */
export function checkedLrDecay(model: string, d: ConfigFields<LrDecay>): LrDecay {
  const { decayStart, decayIterations } = d;
  checkNumber(model, 'decayStart', decayStart, { min: 0, integer: true });
  checkNumber(model, 'decayIterations', decayIterations, { min: 0, integer: true });
  return { decayStart, decayIterations };
}
