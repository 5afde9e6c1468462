/**
 * The one seeded random number generator of nnlab.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", 2018; reference C at prng.di.unimi.it), 128-bit state, period 2^128 − 1, all
 * arithmetic in 32-bit integers so it is fast in JavaScript. Seeds are expanded to state with
 * SplitMix32 so that nearby seeds give unrelated streams.
 *
 * Splitting: `split()` draws a fresh 128-bit state from this stream (through SplitMix32), so a
 * parent can hand independent, reproducible child streams to workers, envs and initialisers.
 *
 * This module imports only base/plainData.ts (import-free; for describeValue), no tfjs:
 * environments, buffers, workers and the page all use it, and its state is four uint32 numbers
 * that can be checkpointed and sent across threads.
 */

import { describeValue } from './plainData.js';

/** The four 32-bit words of a generator's state. */
export type RngState = readonly [number, number, number, number];

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * The one seed rule of nnlab's generators, this Rng and the envs' numpy one (envs/utils/npGenerator.ts),
 * and of every config's seed field (base/configCheck.ts `checkSeedField`): a non-negative safe
 * integer (Gymnasium: a non-negative int).
 */
export function isSeed(seed: unknown): seed is number {
  return typeof seed === 'number' && Number.isSafeInteger(seed) && seed >= 0;
}

/** The words of a broken seed rule (`isSeed`), for every error that names one. */
export const SEED_RULE = 'a non-negative safe integer';

/**
 * A seed folded to 32 bits, as the Rng folds it before SplitMix32: its low 32 bits XOR its high
 * ones times an odd constant, so seeds that differ only above bit 32 still fold apart (mostly).
 * Every seed below 2³² (a spec's seed included: protocol/limits.ts caps it at 2³¹ − 1) is its own
 * fold. The one rule for a seed scaled or offset into another (agents/evaluate.ts EVAL_SEEDS,
 * generative/eval.ts GENERATIVE_EVAL_SEEDS): folded first, the result stays a seed (a safe
 * integer, with room for an episode index added to it) for every seed the seed rule accepts, and
 * is unchanged for every seed below 2³².
 */
export function foldSeed32(seed: number): number {
  return ((seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32), 0x632be5ab)) >>> 0;
}

/** Returns `seed` if it keeps the seed rule (`isSeed`); else a RangeError naming `who`. */
export function checkSeed(seed: unknown, who: string): number {
  if (!isSeed(seed)) throw new RangeError(`${who}: seed must be ${SEED_RULE}, got ${describeValue(seed)}`);
  return seed;
}

export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Cached second normal deviate of the polar method, or NaN. */
  private spareNormal = Number.NaN;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Re-seed in place (a safe integer ≥ 0; high and low 32-bit halves both count). */
  seed(seed: number): this {
    checkSeed(seed, 'Rng');
    const hi = Math.floor(seed / TWO_POW_32);
    const sm = splitmix32(foldSeed32(seed));
    this.s0 = sm();
    this.s1 = sm();
    this.s2 = sm() ^ hi;
    this.s3 = sm();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1;
    this.spareNormal = Number.NaN;
    return this;
  }

  /** Next 32 uniformly random bits as an unsigned integer. */
  uint32(): number {
    const s1 = this.s1;
    // result = rotl(s1 * 5, 7) * 9
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result;
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** Uniform float in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** Uniform integer in [0, n), unbiased (Lemire's rejection on 32 bits; n ≤ 2^32). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int(n) needs an integer 1 ≤ n ≤ 2^32, got ${n}`);
    }
    const threshold = (TWO_POW_32 - n) % n; // 2^32 mod n
    for (;;) {
      const r = this.uint32();
      if (r >= threshold) return r % n;
    }
  }

  /** Uniform integer in [low, high) . */
  integers(low: number, high: number): number {
    return low + this.int(high - low);
  }

  /** Standard normal deviate (Marsaglia polar method), times std plus mean. */
  normal(mean = 0, std = 1): number {
    if (!Number.isNaN(this.spareNormal)) {
      const z = this.spareNormal;
      this.spareNormal = Number.NaN;
      return mean + std * z;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.random() - 1;
      v = 2 * this.random() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * f;
    return mean + std * u * f;
  }

  /** Index drawn from a discrete distribution given by non-negative weights (need not sum to 1). */
  categorical(probs: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < probs.length; i++) total += probs[i]!;
    let r = this.random() * total;
    for (let i = 0; i < probs.length; i++) {
      r -= probs[i]!;
      if (r < 0) return i;
    }
    return probs.length - 1;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Fill an array with uniform floats in [low, high). */
  fillUniform<T extends Float32Array | Float64Array>(out: T, low = 0, high = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform(low, high);
    return out;
  }

  /** Fill an array with normal deviates. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** An independent child generator; advances this one by four draws. */
  split(): Rng {
    const child = new Rng(0);
    const sm = splitmix32(this.uint32() ^ 0x5bd1e995);
    child.s0 = sm() ^ this.uint32();
    child.s1 = sm() ^ this.uint32();
    child.s2 = sm() ^ this.uint32();
    child.s3 = sm();
    if ((child.s0 | child.s1 | child.s2 | child.s3) === 0) child.s3 = 1;
    return child;
  }

  /** A fresh seed (a safe integer) drawn from this stream, for APIs that take a number. */
  nextSeed(): number {
    return (this.uint32() >>> 11) * TWO_POW_32 + this.uint32();
  }

  /** The state, for checkpoints and thread messages. The spare normal is discarded. */
  getState(): RngState {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: RngState): this {
    if (!Array.isArray(state) || state.length !== 4 || state.some((w) => !Number.isInteger(w))) {
      throw new TypeError('Rng state must be four 32-bit integers');
    }
    if ((state[0] | state[1] | state[2] | state[3]) === 0) throw new RangeError('Rng state must not be all zero');
    [this.s0, this.s1, this.s2, this.s3] = state.map((w) => w | 0) as [number, number, number, number];
    this.spareNormal = Number.NaN;
    return this;
  }

  static fromState(state: RngState): Rng {
    return new Rng(0).setState(state);
  }
}
