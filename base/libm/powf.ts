/**
 * `powf` exactly as glibc computes it on x86-64 with FMA, so float32 powers that numpy computes
 * with it are reproduced bit for bit. numpy evaluates `np.float32 ** 2` (a scalar power) with
 * `powf`, which errs by up to 0.82 ulp: about 0.07% of squares of float32 values differ from the
 * correctly rounded `Math.fround(x * x)`. Pendulum's `0.001 * u**2` cost term is one of them.
 *
 * Algorithm: glibc's sysdeps/ieee754/flt-32/e_powf.c (Szabolcs Nagy, 2017), as the `__powf_fma`
 * variant of glibc 2.36 evaluates it (every `a·b + c` fused, read off its machine code):
 *   x = 2^k·z, z/c − 1 = r for the table point c nearest z (16 points);
 *   log2 x ≈ k + log2 c + r·(A4 + A3·r + A2·r² + A1·r³ + A0·r⁴)   (Horner in a pipelined order);
 *   y·log2 x = j/32 + t, |t| ≤ 1/64;  x^y ≈ 2^(j/32)·(1 + C2·t + C1·t² + C0·t³),
 * all in double, rounded to float32 once at the end. The tables are glibc's (`__powf_log2_data`,
 * `__exp2f_data`, the latter with 2^(i/32) correctly rounded).
 *
 * Imports only its neighbours in base/libm: envs use it.
 */
import { fma } from './fma.js';
import { floatBits, fromFloatBits, fromWords, highWord, lowWord } from './bits.js';

/** {1/c, log2 c} for the 16 subintervals of [0x3f330000, 2·0x3f330000) (`__powf_log2_data.tab`). */
// prettier-ignore
const LOG2_TABLE = new Float64Array([
  1.398907162146528, -0.48430022186289673,
  1.3403141896637998, -0.42257122959194704,
  1.286432210124115, -0.3633754347673556,
  1.2367150214269895, -0.30651309567405577,
  1.1906977166711752, -0.25180720160537634,
  1.1479821020556429, -0.19910014943794563,
  1.1082251448272158, -0.14825100623281615,
  1.0711297413057381, -0.09913323807318392,
  1.036437278977283, -0.051632812977629436,
  1.0, 0.0,
  0.9492859795739057, 0.07508531937943004,
  0.8951049428609004, 0.15987125980713107,
  0.8476821620351103, 0.2384046664317681,
  0.8050314851692001, 0.31288288605863257,
  0.7664671008843108, 0.38370422656453185,
  0.731428603316328, 0.451211048935815,
]);
const [A0, A1, A2, A3, A4] = [0.288457581109214, -0.36092606229713164, 0.480898481472577, -0.7213474675006291, 1.4426950408774342] as const;

/** 2^(i/32), i = 0…31, correctly rounded (the doubles behind `__exp2f_data.tab`). */
// prettier-ignore
const EXP2_TABLE = new Float64Array([
  1.0,
  1.0218971486541166,
  1.0442737824274138,
  1.0671404006768237,
  1.0905077326652577,
  1.1143867425958924,
  1.1387886347566916,
  1.1637248587775775,
  1.189207115002721,
  1.215247359980469,
  1.241857812073484,
  1.2690509571917332,
  1.2968395546510096,
  1.3252366431597413,
  1.3542555469368927,
  1.383909881963832,
  1.4142135623730951,
  1.4451808069770467,
  1.4768261459394993,
  1.5091644275934228,
  1.5422108254079407,
  1.5759808451078865,
  1.6104903319492543,
  1.645755478153965,
  1.681792830507429,
  1.718619298122478,
  1.7562521603732995,
  1.7947090750031072,
  1.8340080864093424,
  1.8741676341103,
  1.9152065613971474,
  1.9571441241754002,
]);
/** 1.5·2^52 / 32: adding it leaves round(32·x) in the low bits of the sum. */
const SHIFT = 211106232532992;
const [C0, C1, C2] = [0.05550361559341535, 0.2402284522445722, 0.6931471806916203] as const;
/** Added to k to flip the sign of the result (`SIGN_BIAS`, 1 << (5 + 11)). */
const SIGN_BIAS = 1 << 16;

/** log2 of the float32 whose (normalized, positive) encoding is `ix`, in double (`log2_inline`). */
function log2Inline(ix: number): number {
  const tmp = (ix - 0x3f330000) | 0;
  const i = (tmp >>> 19) & 15;
  const top = tmp & 0xff800000;
  const z = fromFloatBits(ix - top);
  const k = top >> 23;
  const r = fma(z, LOG2_TABLE[2 * i]!, -1);
  const y0 = LOG2_TABLE[2 * i + 1]! + k;
  const r2 = r * r;
  const y = fma(r, A0, A1);
  const p = fma(r, A2, A3);
  const r4 = r2 * r2;
  let q = fma(r, A4, y0);
  q = fma(r2, p, q);
  return fma(y, r4, q);
}

/** 2^xd, negated when `signBias` is set, rounded to float32 (`exp2_inline`). */
function exp2Inline(xd: number, signBias: number): number {
  let kd = xd + SHIFT;
  const ki = lowWord(kd);
  kd -= SHIFT;
  const r = xd - kd;
  // scale = 2^(ki/32): the table's 2^(i/32) with (ki >> 5, plus the sign bias) added to its exponent
  const base = EXP2_TABLE[ki & 31]!;
  const s = fromWords(highWord(base) + (((ki + signBias) >>> 5) << 20), lowWord(base));
  const z = fma(r, C0, C1);
  const r2 = r * r;
  const y = fma(r, C2, 1);
  return Math.fround(fma(z, r2, y) * s);
}

/** 0 if the float32 with encoding `iy` (finite, non-zero) is not an integer, 1 if odd, 2 if even. */
function checkint(iy: number): 0 | 1 | 2 {
  const e = (iy >>> 23) & 0xff;
  if (e < 0x7f) return 0;
  if (e > 0x7f + 23) return 2;
  if ((iy & ((1 << (0x7f + 23 - e)) - 1)) !== 0) return 0;
  if ((iy & (1 << (0x7f + 23 - e))) !== 0) return 1;
  return 2;
}

/** True for the encoding of ±0, ±Infinity or NaN. */
function zeroinfnan(ix: number): boolean {
  return ((2 * ix - 1) >>> 0) >= 2 * 0x7f800000 - 1;
}

/**
 * x^y for float32 x and y (numbers holding float32 values; others are rounded to float32 first),
 * as glibc's `powf` returns it on x86-64 with FMA (module doc). The result is a float32 value.
 */
export function powf(x: number, y: number): number {
  let signBias = 0;
  let ix = floatBits(x);
  const iy = floatBits(y);
  x = fromFloatBits(ix);
  y = fromFloatBits(iy);
  if (((ix - 0x00800000) >>> 0) >= 0x7f800000 - 0x00800000 || zeroinfnan(iy)) {
    // x < 2^-126, x ≤ 0, Infinity or NaN; or y is 0, Infinity or NaN
    if (zeroinfnan(iy)) {
      // x^0 and 1^y are 1, unless the other operand is a signaling NaN (quiet bit clear)
      if (((2 * iy) >>> 0) === 0) return Number.isNaN(x) && (ix & 0x400000) === 0 ? NaN : 1;
      if (ix === 0x3f800000) return Number.isNaN(y) && (iy & 0x400000) === 0 ? NaN : 1;
      if (((2 * ix) >>> 0) > 2 * 0x7f800000 || ((2 * iy) >>> 0) > 2 * 0x7f800000) return Math.fround(x + y);
      if (((2 * ix) >>> 0) === 2 * 0x3f800000) return 1;
      if ((((2 * ix) >>> 0) < 2 * 0x3f800000) === ((iy & 0x80000000) === 0)) return 0; // |x| < 1 and y = ∞, or |x| > 1 and y = −∞
      return Math.fround(y * y);
    }
    if (zeroinfnan(ix)) {
      let x2 = Math.fround(x * x);
      if ((ix & 0x80000000) !== 0 && checkint(iy) === 1) x2 = -x2;
      return (iy & 0x80000000) !== 0 ? Math.fround(1 / x2) : x2;
    }
    // x and y are finite and non-zero
    if ((ix & 0x80000000) !== 0) {
      const yint = checkint(iy);
      if (yint === 0) return NaN; // a negative number to a non-integer power
      if (yint === 1) signBias = SIGN_BIAS;
      ix &= 0x7fffffff;
    }
    if (ix < 0x00800000) {
      // subnormal x: normalize so the exponent becomes negative
      ix = floatBits(fromFloatBits(ix) * 8388608) & 0x7fffffff;
      ix -= 23 << 23;
    }
  }
  const ylogx = y * log2Inline(ix);
  // |y·log2 x| ≥ 126: the top 16 bits of its encoding past 126's
  if (((highWord(ylogx) >>> 15) & 0xffff) >= highWord(126) >>> 15) {
    if (ylogx > 127.99999995700433) return signBias !== 0 ? -Infinity : Infinity; // 0x1.fffffffd1d571p+6
    if (ylogx <= -150) return signBias !== 0 ? -0 : 0;
  }
  return exp2Inline(ylogx, signBias);
}
