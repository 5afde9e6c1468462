import type { NpGenerator } from '../utils/npGenerator.js';

/** A transition-table entry: `[probability, nextState, reward, terminated]` (Gymnasium's `P[s][a]` tuples). */
export type Transition = [prob: number, nextState: number, reward: number, terminated: boolean];
/** Transition table: `P[s][a]` is the list of possible transitions. */
export type TransitionTable = Transition[][][];

/**
 * Gymnasium `categorical_sample`: index of the first cumulative probability exceeding one
 * uniform draw (`argmax(cumsum(p) > u)`, 0 when none does).
 */
export function categoricalSample(probs: ArrayLike<number>, rng: NpGenerator): number {
  const u = rng.random();
  let c = 0;
  for (let i = 0; i < probs.length; i++) {
    c += probs[i]!;
    if (c > u) return i;
  }
  return 0;
}

/** Sample a transition of `P[s][a]` (draws one uniform, as Gymnasium). */
export function sampleTransition(transitions: readonly Transition[], rng: NpGenerator): Transition {
  const u = rng.random();
  let c = 0;
  for (let i = 0; i < transitions.length; i++) {
    c += transitions[i]![0];
    if (c > u) return transitions[i]!;
  }
  return transitions[0]!;
}

const COLOR2NUM: Record<string, number> = {
  gray: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  crimson: 38,
};

/** Gymnasium `utils.colorize`: ANSI escape codes around `s`. */
export function colorize(s: string, color: keyof typeof COLOR2NUM, bold = false, highlight = false): string {
  let num = COLOR2NUM[color]!;
  if (highlight) num += 10;
  const attrs = [String(num)];
  if (bold) attrs.push('1');
  return `\x1b[${attrs.join(';')}m${s}\x1b[0m`;
}
