/**
 * The mean and order statistics shared by the agents, the drivers, the scheduler and the
 * benchmarks, and the one argmax of every greedy choice (envs' unflatten, the agents' greedy
 * actions, the classifier, the page).
 */

/** The arithmetic mean, summed left to right from 0 (as `reduce((a, b) => a + b, 0)`, so every caller's numbers stay as they were); NaN for none. */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * The index (from `offset`) of the largest of `a[offset]` … `a[offset + n − 1]`; the first one wins
 * a tie, as numpy's `argmax` (and so greedy actions, which take the lowest action among equal
 * values). The comparison is `>`, so a NaN after the first value never wins and a NaN first is
 * beaten by nothing: every greedy action, class count and unflatten of the repo chose this way
 * before it was written once here. 0 for n ≤ 1.
 */
export function argmax(a: ArrayLike<number>, offset = 0, n = a.length - offset): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[offset + i]! > a[offset + best]!) best = i;
  return best;
}
