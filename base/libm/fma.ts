/**
 * Fused multiply-add, `fma(a, b, c) = RN(a·b + c)` with a single rounding, as the x86-64 FMA
 * instructions compute it. JavaScript has no fma, and code ported from a C library compiled with
 * FMA contraction (sincos.ts, pow.ts, powf.ts) needs it bit for bit.
 *
 * Algorithm: the exact pieces of Boldo & Melquiond, "Emulation of a FMA and correctly-rounded
 * sums: proved algorithms using rounding to odd" (IEEE Trans. Computers 57(4), 2008, alg. 5.4):
 *   (uh, ul) = a·b exactly            (Dekker's product with Veltkamp's splitting)
 *   (th, tl) = c + ul exactly         (Knuth's TwoSum)
 *   (vh, vl) = uh + th exactly        (TwoSum)
 *   (z, ez)  = tl + vl exactly        (TwoSum), so a·b + c = vh + z + ez
 *   fma = RN(vh + z), unless vh + z is exactly halfway between two doubles and ez ≠ 0: then ez
 *   says which side the exact sum is on. (The paper rounds z to odd instead, which has the same
 *   effect; this branch-on-tie form needs no bit twiddling and is about twice as fast here.)
 * Valid while a·b neither overflows nor underflows (|a·b| well inside [2^-969, 2^1023]): true of
 * every product in the libm kernels, which are bounded by a few units and far from zero unless an
 * operand is exactly zero (then the product is exact).
 *
 * No imports: every room may use it.
 */

/** Veltkamp's splitter for doubles: 2^27 + 1. */
const SPLITTER = 134217729;

/** RN(a·b + c) with one rounding (module doc). */
export function fma(a: number, b: number, c: number): number {
  const uh = a * b;
  if (uh === 0 || uh - uh !== 0 || c - c !== 0) return uh + c; // exact product, or not finite
  // Dekker: ul = a·b − uh exactly
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const ul = al * bl - (uh - ah * bh - al * bh - ah * bl);
  // TwoSum(c, ul) = th + tl
  const th = c + ul;
  let bb = th - c;
  const tl = c - (th - bb) + (ul - bb);
  // TwoSum(uh, th) = vh + vl
  const vh = uh + th;
  bb = vh - uh;
  const vl = uh - (vh - bb) + (th - bb);
  // TwoSum(tl, vl) = z + ez: a·b + c = vh + z + ez exactly, |ez| ≤ ulp(z)/2
  const z = tl + vl;
  bb = z - tl;
  const ez = tl - (z - bb) + (vl - bb);
  const r = vh + z;
  if (ez === 0) return r;
  // Rounding z lost ez; it matters only when vh + z is a tie, which ez then breaks (this is
  // what rounding z to odd achieves in the paper). q = vh + z − r exactly (Fast2Sum).
  const q = z - (r - vh);
  const q2 = q + q;
  if (q === 0 || r + q2 - r !== q2) return r;
  return ez > 0 === q > 0 ? r + q2 : r;
}
