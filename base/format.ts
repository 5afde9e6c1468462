/**
 * The one way a metric's value is written, in a terminal line (the progress bar, `nnlab train`'s
 * and the generative trainer's logs) and on the live page (dashboard/src/views.ts): integers as they are, other values to about four
 * significant digits (1235, 123.5, 12.35, 0.00123; a VAE's −ELBO of 99.94 must not read as 100).
 * No imports: every room may use it.
 */
export function formatMetric(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a >= 1000 ? v.toFixed(0) : a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
