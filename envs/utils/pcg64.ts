/**
 * numpy's seeding and bit generator, bit for bit: `SeedSequence` (numpy/random/bit_generator.pyx)
 * and `PCG64` (numpy/random/src/pcg64/pcg64.h, the XSL-RR 128/64 variant of O'Neill's PCG).
 * Together they are what `np.random.PCG64(np.random.SeedSequence(seed))` is, which is how
 * Gymnasium's `seeding.np_random(seed)` builds every env's and space's generator.
 *
 * The 128-bit LCG runs in pcg64Block.ts, a block of draws per call (WebAssembly with native 64-bit
 * integers, or exact 16-bit limbs in doubles where WebAssembly is unavailable); the generator's
 * state is ordinary numeric properties and one Uint32Array, which `snapshotState` captures. This
 * module imports only envs/utils (envs never load tfjs).
 */
import { OUT_WORD, pcg64Kernel } from './pcg64Block.js';

/** SeedSequence's hashing constants (bit_generator.pyx). */
const INIT_A = 0x43b0d7e5;
const MULT_A = 0x931e8875;
const INIT_B = 0x8b51f9dd;
const MULT_B = 0x58f38ded;
const MIX_MULT_L = 0xca01f9dd;
const MIX_MULT_R = 0x4973f715;
const POOL_SIZE = 4;
const TWO_POW_32 = 4294967296;

/** `hashmix(value, hash_const)`: `hashConst[0]` is updated in place, as in numpy. */
function hashmix(value: number, hashConst: [number]): number {
  value = (value ^ hashConst[0]) >>> 0;
  hashConst[0] = Math.imul(hashConst[0], MULT_A) >>> 0;
  value = Math.imul(value, hashConst[0]) >>> 0;
  return (value ^ (value >>> 16)) >>> 0;
}

function mix(x: number, y: number): number {
  const r = (Math.imul(MIX_MULT_L, x) - Math.imul(MIX_MULT_R, y)) >>> 0;
  return (r ^ (r >>> 16)) >>> 0;
}

/** A non-negative integer as uint32 words, lowest first (numpy `_int_to_uint32_array`). */
function intToUint32Words(n: number): number[] {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`SeedSequence: entropy must be a non-negative safe integer, got ${n}`);
  if (n === 0) return [0];
  const words: number[] = [];
  while (n > 0) {
    words.push(n % TWO_POW_32);
    n = Math.floor(n / TWO_POW_32);
  }
  return words;
}

/**
 * numpy `SeedSequence(entropy)` (no spawn key, pool size 4): hashes the entropy's uint32 words
 * into a pool, from which `generateState` derives seed words for a bit generator.
 */
export class SeedSequence {
  readonly pool = new Uint32Array(POOL_SIZE);

  constructor(readonly entropy: number) {
    const words = intToUint32Words(entropy);
    const hc: [number] = [INIT_A];
    const pool = this.pool;
    for (let i = 0; i < POOL_SIZE; i++) pool[i] = hashmix(i < words.length ? words[i]! : 0, hc);
    for (let src = 0; src < POOL_SIZE; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) if (src !== dst) pool[dst] = mix(pool[dst]!, hashmix(pool[src]!, hc));
    }
    for (let src = POOL_SIZE; src < words.length; src++) {
      for (let dst = 0; dst < POOL_SIZE; dst++) pool[dst] = mix(pool[dst]!, hashmix(words[src]!, hc));
    }
  }

  /** `generate_state(nWords, np.uint32)`: nWords uint32 seed words (a uint64 word is two of them, low first). */
  generateState(nWords: number): Uint32Array {
    const out = new Uint32Array(nWords);
    let hc = INIT_B;
    for (let i = 0; i < nWords; i++) {
      let v = (this.pool[i % POOL_SIZE]! ^ hc) >>> 0;
      hc = Math.imul(hc, MULT_B) >>> 0;
      v = Math.imul(v, hc) >>> 0;
      out[i] = (v ^ (v >>> 16)) >>> 0;
    }
    return out;
  }
}

/** Draws per block: `PCG64` steps the LCG this many times per kernel call and hands the outputs out one by one. */
export const PCG64_BLOCK = 16;

/** The scratch words of the block's outputs and the state after it (`fill(PCG64_BLOCK)`'s output). */
const blockView = pcg64Kernel.words.subarray(OUT_WORD, OUT_WORD + 2 * PCG64_BLOCK + 4);

/** A PCG64 state as numpy's `bit_generator.state` holds it (the 128-bit numbers as 32 hex digits). */
export interface PCG64State {
  bitGenerator: 'PCG64';
  /** LCG state, 32 hex digits. */
  state: string;
  /** LCG increment (odd), 32 hex digits. */
  inc: string;
  /** Whether the upper half of the last 64-bit draw is waiting to be returned by `nextUint32`. */
  hasUint32: 0 | 1;
  uinteger: number;
}

function wordsToHex(w: ArrayLike<number>, at: number): string {
  let s = '';
  for (let i = 3; i >= 0; i--) s += w[at + i]!.toString(16).padStart(8, '0');
  return s;
}

/** A 128-bit number as uint32 words, lowest first. */
type Words128 = readonly [number, number, number, number];

function hexToWords(hex: unknown, what: string): Words128 {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`PCG64 state: ${what} must be 32 hex digits, got ${String(hex)}`);
  const word = (i: number) => parseInt(hex.slice(24 - 8 * i, 32 - 8 * i), 16);
  return [word(0), word(1), word(2), word(3)];
}

/**
 * numpy `PCG64`: state ← state·M + inc (mod 2^128) and output XSL-RR
 * (`rotr64(hi ^ lo, state >> 122)`), after each step. `nextUint32` returns the low half of a
 * 64-bit draw and keeps the high half for the next call (`has_uint32` / `uinteger`), exactly as
 * numpy's `pcg64_next32`; `nextDouble` is `(next_uint64 >> 11) · 2^-53`.
 *
 * The outputs are computed `PCG64_BLOCK` at a time by the block kernel (pcg64Block.ts, WebAssembly
 * where available) into `block`, which also holds the state after the block; `pos` counts the
 * draws handed out. numpy's state is therefore `s` (the state at the block's start) stepped `pos`
 * times, which is what `getState` reports, and every field is plain data: `snapshotState` captures
 * `s`, `pos` and `block` together, and `restoreState` puts back a consistent generator. Instances are
 * sealed, so a snapshot of another layout (an older nnlab's) is refused instead of half applied.
 */
export class PCG64 {
  /** LCG state at the start of the block, uint32 words, lowest first. */
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  /** LCG increment (odd), uint32 words, lowest first. */
  i0 = 1;
  i1 = 0;
  i2 = 0;
  i3 = 0;
  /** Draws handed out from `block` (`PCG64_BLOCK` when it is used up). */
  pos = 0;
  /**
   * The block: output k (the XSL-RR of `s` stepped k + 1 times) as words 2k (low) and 2k + 1
   * (high), then `s` stepped `PCG64_BLOCK` times in the last four words.
   */
  readonly block = new Uint32Array(2 * PCG64_BLOCK + 4);
  hasUint32 = false;
  uinteger = 0;

  /** Seeded from `seedSeq.generateState(4 uint64)` as numpy's `PCG64.__init__` (`pcg64_set_seed`). */
  constructor(seedSeq: SeedSequence) {
    const w = seedSeq.generateState(8);
    // uint64 words v[k] = w[2k] | w[2k+1] << 32; initstate = v0 << 64 | v1, initseq = v2 << 64 | v3.
    // pcg_setseq_128_srandom_r: inc = initseq << 1 | 1; state = 0; step; state += initstate; step.
    const inc: Words128 = [((w[6]! << 1) | 1) >>> 0, ((w[7]! << 1) | (w[6]! >>> 31)) >>> 0, ((w[4]! << 1) | (w[7]! >>> 31)) >>> 0, ((w[5]! << 1) | (w[4]! >>> 31)) >>> 0];
    const initState = [w[2]!, w[3]!, w[0]!, w[1]!];
    const k = pcg64Kernel.words;
    k.set([0, 0, 0, 0], 0);
    k.set(inc, 4);
    pcg64Kernel.fill(1);
    let carry = 0;
    for (let j = 0; j < 4; j++) {
      const v = k[OUT_WORD + 2 + j]! + initState[j]! + carry;
      k[j] = v; // mod 2^32
      carry = v >= TWO_POW_32 ? 1 : 0;
    }
    pcg64Kernel.fill(1);
    this.setWords([k[OUT_WORD + 2]!, k[OUT_WORD + 3]!, k[OUT_WORD + 4]!, k[OUT_WORD + 5]!], inc);
    Object.seal(this); // a fixed layout: restoreState refuses a snapshot of another one (envs/snapshot.ts)
  }

  /** Start a fresh block at state `s` with increment `inc`. */
  private setWords(s: Words128, inc: Words128): void {
    [this.s0, this.s1, this.s2, this.s3] = s;
    [this.i0, this.i1, this.i2, this.i3] = inc;
    this.fillBlock();
  }

  /** Compute the block from `s` (the kernel's scratch is shared: load, fill, copy out). */
  private fillBlock(): void {
    const k = pcg64Kernel.words;
    k[0] = this.s0;
    k[1] = this.s1;
    k[2] = this.s2;
    k[3] = this.s3;
    k[4] = this.i0;
    k[5] = this.i1;
    k[6] = this.i2;
    k[7] = this.i3;
    pcg64Kernel.fill(PCG64_BLOCK);
    this.block.set(blockView);
    this.pos = 0;
  }

  /** The next block: it starts where the used-up one ended. */
  private nextBlock(): void {
    const b = this.block;
    const end = 2 * PCG64_BLOCK;
    this.s0 = b[end]!;
    this.s1 = b[end + 1]!;
    this.s2 = b[end + 2]!;
    this.s3 = b[end + 3]!;
    this.fillBlock();
  }

  /** Hand out the next draw: the index of its low word in `block`. */
  private take(): number {
    let p = this.pos;
    if (p === PCG64_BLOCK) {
      this.nextBlock();
      p = 0;
    }
    this.pos = p + 1;
    return 2 * p;
  }

  /** The next 64 bits as `[high, low]` uint32 halves (numpy `next_uint64`). */
  nextUint64(): [hi: number, lo: number] {
    const j = this.take();
    return [this.block[j + 1]!, this.block[j]!];
  }

  /** numpy `next_uint32`: the low half of a fresh 64-bit draw, or the kept high half of the last one. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    const j = this.take();
    this.hasUint32 = true;
    this.uinteger = this.block[j + 1]!;
    return this.block[j]!;
  }

  /** numpy `next_double`: `(next_uint64 >> 11) · 2^-53`, uniform on [0, 1) with 53 random bits. */
  nextDouble(): number {
    const j = this.take();
    const b = this.block;
    return (b[j + 1]! * 2097152 + (b[j]! >>> 11)) / 9007199254740992;
  }

  /**
   * For the distributions: draw 64 bits and return the high half; the low half is `lastLow()`
   * (saves allocating a pair on the ziggurat's hot path).
   */
  nextUint64Hi(): number {
    return this.block[this.take() + 1]!;
  }

  /** Low half of the draw made by the last `nextUint64Hi`. */
  lastLow(): number {
    return this.block[2 * this.pos - 2]!;
  }

  /** The state as numpy's `bit_generator.state` holds it: `s` stepped `pos` times. */
  getState(): PCG64State {
    const k = pcg64Kernel.words;
    k.set([this.s0, this.s1, this.s2, this.s3, this.i0, this.i1, this.i2, this.i3], 0);
    pcg64Kernel.fill(this.pos);
    return {
      bitGenerator: 'PCG64',
      state: wordsToHex(k, OUT_WORD + 2 * this.pos),
      inc: wordsToHex(k, 4),
      hasUint32: this.hasUint32 ? 1 : 0,
      uinteger: this.uinteger,
    };
  }

  /** Restore a state from `getState` (or numpy's, with the 128-bit numbers written as hex). */
  setState(st: PCG64State): this {
    if (st === null || typeof st !== 'object' || st.bitGenerator !== 'PCG64') throw new TypeError("PCG64 state: expected an object with bitGenerator 'PCG64'");
    const s = hexToWords(st.state, 'state');
    const inc = hexToWords(st.inc, 'inc');
    if ((inc[0] & 1) === 0) throw new RangeError('PCG64 state: inc must be odd');
    if (st.hasUint32 !== 0 && st.hasUint32 !== 1) throw new TypeError(`PCG64 state: hasUint32 must be 0 or 1, got ${String(st.hasUint32)}`);
    if (!Number.isInteger(st.uinteger) || st.uinteger < 0 || st.uinteger >= TWO_POW_32) throw new TypeError(`PCG64 state: uinteger must be a uint32, got ${String(st.uinteger)}`);
    this.setWords(s, inc);
    this.hasUint32 = st.hasUint32 === 1;
    this.uinteger = st.uinteger;
    return this;
  }
}
