/** Edit distance (Levenshtein) between two strings. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n]!;
}

/**
 * The candidate closest to `word` (case-insensitive edit distance, snake_case folded to camelCase),
 * or undefined when none is similar enough (similarity ≥ 0.5, like difflib's close matches).
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).toLowerCase();
  const w = norm(word);
  let best: string | undefined;
  let bestScore = 0;
  for (const c of candidates) {
    const cn = norm(c);
    const score = cn === w ? 1 : 1 - editDistance(w, cn) / Math.max(w.length, cn.length, 1);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return bestScore >= 0.5 ? best : undefined;
}

/** `" Did you mean `X`?"` or the empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const m = closestMatch(word, candidates);
  return m === undefined ? '' : ` Did you mean \`${m}\`?`;
}
