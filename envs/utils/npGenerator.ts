/**
 * numpy's `np.random.Generator` over `PCG64`, for the draws Gymnasium's envs and spaces make,
 * reproducing numpy's algorithms (numpy/random/_generator.pyx, _bounded_integers.pyx.in and
 * src/distributions/distributions.c) so that a seeded nnlab env or space draws exactly the numbers
 * its Gymnasium counterpart draws:
 *
 * - `random()`: `random_standard_uniform`, `(next_uint64 >> 11) · 2^-53`.
 * - `uniform(low, high)`: `random_uniform`, `low + (high − low) · random()`.
 * - `integers(low, high, dtype)`: numpy's bounded integers with Lemire's rejection
 *   (`Generator.integers` never uses the masked method). Ranges within 32 bits (int64 and int32
 *   alike) draw through `next_uint32`, which returns the two halves of one 64-bit draw in turn;
 *   8- and 16-bit dtypes slice a 32-bit draw into bytes / halves, the slicing buffer living for
 *   one call (`integersFill` shares it across the elements of one array, as numpy's fill does).
 * - `standardNormal()` / `normal(loc, scale)`: the 256-layer ziggurat (`random_standard_normal`).
 * - `standardExponential()` / `exponential(scale)`: the 256-layer ziggurat
 *   (`random_standard_exponential`).
 * - `choice(n)` / `choice(array)`: uniform index through `integers(0, n)` (`Generator.choice`
 *   without `p`); `choiceP(p)` / `choicePFill(p, out)`: `cdf.searchsorted(random(), 'right')`
 *   (`choice` with `p`).
 *
 * `npRandom(seed)` is Gymnasium's `seeding.np_random(seed)`: `Generator(PCG64(SeedSequence(seed)))`.
 * The generator's whole state is numbers in `bitGenerator` (checkpointed by `snapshotState`).
 */
import { checkSeed } from '../../base/rng.js';
import { PCG64, SeedSequence, type PCG64State } from './pcg64.js';
import { FE_DOUBLE, FI_DOUBLE, KE_DOUBLE, KI_DOUBLE, WE_DOUBLE, WI_DOUBLE, ZIGGURAT_EXP_R, ZIGGURAT_NOR_INV_R, ZIGGURAT_NOR_R } from './ziggurat.js';

/** Integer dtypes `integers` supports (numpy's; uint64 values must stay below 2^53 here). */
export type IntDtype = 'int64' | 'int32' | 'int16' | 'int8' | 'uint64' | 'uint32' | 'uint16' | 'uint8';

const DTYPE_BOUNDS: Record<IntDtype, readonly [number, number]> = {
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  int32: [-2147483648, 2147483647],
  int16: [-32768, 32767],
  int8: [-128, 127],
  uint64: [0, Number.MAX_SAFE_INTEGER],
  uint32: [0, 4294967295],
  uint16: [0, 65535],
  uint8: [0, 255],
};

const TWO_POW_32 = 4294967296;
const TWO_POW_64 = 18446744073709551616n;

/** numpy `buffered_uint8` / `buffered_uint16` buffer (module scratch, reset at the start of each call). */
let buf = 0;
let bcnt = 0;

/** A seed drawn from Math.random for a generator used before being seeded (Gymnasium draws 128 bits from the OS). */
export function entropySeed(): number {
  return Math.floor(Math.random() * 4294967296) * 2048 + Math.floor(Math.random() * 2048);
}

export class NpGenerator {
  constructor(readonly bitGenerator: PCG64) {}

  /** Uniform float in [0, 1) (numpy `random()`). */
  random(): number {
    return this.bitGenerator.nextDouble();
  }

  /** Uniform float in [low, high) (numpy `uniform`); throws, as numpy, when high − low is negative or not finite. */
  uniform(low = 0, high = 1): number {
    const range = high - low;
    if (!(range >= 0) || range === Infinity) {
      throw new RangeError(`uniform: need a finite high − low ≥ 0, got low = ${low}, high = ${high}`);
    }
    return low + range * this.bitGenerator.nextDouble();
  }

  /**
   * Uniform integer in [low, high) (numpy `integers(low, high, dtype=dtype)`; `integers(n)` is
   * [0, n)). int64 is numpy's default dtype and Gymnasium's `Discrete` dtype.
   */
  integers(low: number, high?: number, dtype: IntDtype = 'int64'): number {
    if (high === undefined) {
      high = low;
      low = 0;
    }
    const rng = this.checkedRange(low, high, dtype);
    if (dtype === 'int8' || dtype === 'uint8' || dtype === 'int16' || dtype === 'uint16') {
      bcnt = 0;
      buf = 0;
      return low + this.boundedSmall(rng, dtype.endsWith('8') ? 8 : 16);
    }
    return low + this.boundedUint(rng);
  }

  /** Fill `out` with uniform integers in [low, high) of `dtype` (numpy `integers(low, high, size=out.length, dtype)`). */
  integersFill<T extends { length: number; [i: number]: number }>(out: T, low: number, high: number, dtype: IntDtype = 'int64'): T {
    const rng = this.checkedRange(low, high, dtype);
    bcnt = 0;
    buf = 0;
    const small = dtype === 'int8' || dtype === 'uint8' ? 8 : dtype === 'int16' || dtype === 'uint16' ? 16 : 0;
    for (let i = 0; i < out.length; i++) {
      out[i] = low + (small === 8 || small === 16 ? this.boundedSmall(rng, small) : this.boundedUint(rng));
    }
    return out;
  }

  /** The closed range `high − 1 − low`, after numpy's checks. */
  private checkedRange(low: number, high: number, dtype: IntDtype): number {
    const bounds = DTYPE_BOUNDS[dtype];
    if (bounds === undefined) throw new TypeError(`integers: unsupported dtype '${String(dtype)}'`);
    if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) throw new RangeError(`integers: low and high must be safe integers, got ${low}, ${high}`);
    if (low < bounds[0]) throw new RangeError(`integers: low is out of bounds for ${dtype}`);
    if (high - 1 > bounds[1]) throw new RangeError(`integers: high is out of bounds for ${dtype}`);
    if (low > high - 1) throw new RangeError(`integers: low >= high (low = ${low}, high = ${high})`);
    return high - 1 - low;
  }

  /** numpy `random_bounded_uint64` (non-masked): a uniform integer in [0, rng]. */
  private boundedUint(rng: number): number {
    if (rng === 0) return 0;
    if (rng < 0xffffffff) return this.lemire32(rng);
    if (rng === 0xffffffff) return this.bitGenerator.nextUint32();
    return this.lemire64(rng);
  }

  /** numpy `buffered_bounded_lemire_uint32` (Lemire, "Fast random integer generation in an interval", 2019). */
  private lemire32(rng: number): number {
    const bg = this.bitGenerator;
    const rngExcl = rng + 1;
    let x = bg.nextUint32();
    let leftover = Math.imul(x, rngExcl) >>> 0;
    if (leftover < rngExcl) {
      const threshold = (TWO_POW_32 - rngExcl) % rngExcl; // (UINT32_MAX - rng) % rng_excl
      while (leftover < threshold) {
        x = bg.nextUint32();
        leftover = Math.imul(x, rngExcl) >>> 0;
      }
    }
    // m >> 32 of the exact 64-bit product m = x · rngExcl: the double product is within 2^11 of m
    // and m − leftover is a multiple of 2^32, so rounding recovers the high word exactly.
    return Math.round((x * rngExcl - leftover) / TWO_POW_32);
  }

  /** numpy `bounded_lemire_uint64` for ranges above 32 bits (rare: BigInt is fine here). */
  private lemire64(rng: number): number {
    const bg = this.bitGenerator;
    const rngExcl = BigInt(rng) + 1n;
    const draw = (): bigint => {
      const [hi, lo] = bg.nextUint64();
      return ((BigInt(hi) << 32n) | BigInt(lo)) * rngExcl;
    };
    let m = draw();
    let leftover = m % TWO_POW_64;
    if (leftover < rngExcl) {
      const threshold = (TWO_POW_64 - rngExcl) % rngExcl;
      while (leftover < threshold) {
        m = draw();
        leftover = m % TWO_POW_64;
      }
    }
    return Number(m >> 64n);
  }

  /** numpy `buffered_uint8` / `buffered_uint16`: the bytes or halves of a 32-bit draw, lowest first. */
  private buffered(bits: 8 | 16): number {
    if (bcnt === 0) {
      buf = this.bitGenerator.nextUint32();
      bcnt = 32 / bits - 1;
    } else {
      buf >>>= bits;
      bcnt -= 1;
    }
    return buf & (bits === 8 ? 0xff : 0xffff);
  }

  /**
   * numpy `random_buffered_bounded_uint8` / `_uint16` (Lemire on 8 or 16 bits): a draw of `bits`
   * bits from the buffered stream, scaled to [0, rng], redrawn below the threshold.
   */
  private boundedSmall(rng: number, bits: 8 | 16): number {
    const mask = bits === 8 ? 0xff : 0xffff;
    const draw = (): number => this.buffered(bits);
    if (rng === 0) return 0;
    if (rng === mask) return draw();
    const rngExcl = rng + 1;
    let m = draw() * rngExcl;
    let leftover = m & mask;
    if (leftover < rngExcl) {
      const threshold = (mask - rng) % rngExcl;
      while (leftover < threshold) {
        m = draw() * rngExcl;
        leftover = m & mask;
      }
    }
    return m >>> bits;
  }

  /** Standard normal deviate: numpy `random_standard_normal` (ziggurat, 256 layers). */
  standardNormal(): number {
    const bg = this.bitGenerator;
    for (;;) {
      const hi = bg.nextUint64Hi();
      const lo = bg.lastLow();
      const idx = lo & 0xff;
      const sign = (lo >>> 8) & 1;
      // rabs = (r >> 9) & (2^52 − 1)
      const rabsLo = ((lo >>> 9) | (hi << 23)) >>> 0;
      const rabs = ((hi >>> 9) & 0xfffff) * TWO_POW_32 + rabsLo;
      let x = rabs * WI_DOUBLE[idx]!;
      if (sign === 1) x = -x;
      if (rabs < KI_DOUBLE[idx]!) return x;
      if (idx === 0) {
        for (;;) {
          const xx = -ZIGGURAT_NOR_INV_R * Math.log1p(-bg.nextDouble());
          const yy = -Math.log1p(-bg.nextDouble());
          if (yy + yy > xx * xx) return ((rabsLo >>> 8) & 1) === 1 ? -(ZIGGURAT_NOR_R + xx) : ZIGGURAT_NOR_R + xx;
        }
      } else if ((FI_DOUBLE[idx - 1]! - FI_DOUBLE[idx]!) * bg.nextDouble() + FI_DOUBLE[idx]! < Math.exp(-0.5 * x * x)) return x;
    }
  }

  /** Normal deviate `loc + scale · standardNormal()` (numpy `normal`). */
  normal(loc = 0, scale = 1): number {
    if (!(scale >= 0)) throw new RangeError(`normal: scale must be non-negative, got ${scale}`);
    return loc + scale * this.standardNormal();
  }

  /** Standard exponential deviate: numpy `random_standard_exponential` (ziggurat, 256 layers). */
  standardExponential(): number {
    const bg = this.bitGenerator;
    for (;;) {
      const hi = bg.nextUint64Hi();
      const lo = bg.lastLow();
      const idx = (lo >>> 3) & 0xff;
      const ri = hi * 2097152 + (lo >>> 11); // r >> 11: 53 bits
      const x = ri * WE_DOUBLE[idx]!;
      if (ri < KE_DOUBLE[idx]!) return x;
      if (idx === 0) return ZIGGURAT_EXP_R - Math.log1p(-bg.nextDouble());
      if ((FE_DOUBLE[idx - 1]! - FE_DOUBLE[idx]!) * bg.nextDouble() + FE_DOUBLE[idx]! < Math.exp(-x)) return x;
    }
  }

  /** Exponential deviate `scale · standardExponential()` (numpy `exponential`). */
  exponential(scale = 1): number {
    if (!(scale >= 0)) throw new RangeError(`exponential: scale must be non-negative, got ${scale}`);
    return scale * this.standardExponential();
  }

  /** A uniformly chosen element of `a`, or an index in [0, a) for a number (numpy `choice(a)` without `p`). */
  choice(a: number): number;
  choice<T>(a: ArrayLike<T>): T;
  choice<T>(a: number | ArrayLike<T>): number | T {
    const n = typeof a === 'number' ? a : a.length;
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`choice: a must be a positive integer or a non-empty array, got ${typeof a === 'number' ? a : `length ${n}`}`);
    const i = this.integers(0, n);
    return typeof a === 'number' ? i : a[i]!;
  }

  /**
   * Index drawn with probabilities `p` (numpy `choice(len(p), p=p)`): `cdf = cumsum(p) / cdf[-1]`,
   * then the first index whose cdf exceeds one `random()` (`searchsorted(side='right')`).
   */
  choiceP(p: ArrayLike<number>): number {
    return this.choicePFill(p, [0])[0]!;
  }

  /** Fill `out` with indices drawn with probabilities `p` (numpy `choice(len(p), size=out.length, p=p)`). */
  choicePFill<T extends { length: number; [i: number]: number }>(p: ArrayLike<number>, out: T): T {
    if (p.length === 0) throw new RangeError('choice: p must not be empty');
    const cdf = new Float64Array(p.length);
    let c = 0;
    for (let i = 0; i < p.length; i++) {
      const v = p[i]!;
      if (!(v >= 0)) throw new RangeError(`choice: probabilities must be non-negative, p[${i}] = ${v}`);
      cdf[i] = c += v;
    }
    if (Math.abs(c - 1) > Math.sqrt(Number.EPSILON)) throw new RangeError(`choice: probabilities must sum to 1, got ${c}`);
    for (let i = 0; i < cdf.length; i++) cdf[i]! /= c;
    for (let j = 0; j < out.length; j++) {
      const u = this.bitGenerator.nextDouble();
      let k = 0;
      while (k < cdf.length && cdf[k]! <= u) k++;
      out[j] = k;
    }
    return out;
  }

  /** The bit generator's state (numpy `bit_generator.state`). */
  getState(): PCG64State {
    return this.bitGenerator.getState();
  }

  setState(state: PCG64State): this {
    this.bitGenerator.setState(state);
    return this;
  }
}

/**
 * Gymnasium `seeding.np_random(seed)`: a `Generator(PCG64(SeedSequence(seed)))` and the seed
 * used (drawn from entropy when `seed` is null or undefined). `who` names the caller in errors.
 */
export function npRandom(seed?: number | null, who = 'np_random'): [NpGenerator, number] {
  const s = seed === undefined || seed === null ? entropySeed() : checkSeed(seed, who);
  return [new NpGenerator(new PCG64(new SeedSequence(s))), s];
}
