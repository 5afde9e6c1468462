/**
 * numpy's seeding and bit generator, bit for bit: `SeedSequence` (numpy/random/bit_generator.pyx)
 * and `PCG64` (numpy/random/src/pcg64/pcg64.h, the XSL-RR 128/64 variant of O'Neill's PCG).
 * Together they are what `np.random.PCG64(np.random.SeedSequence(seed))` is, which is how
 * Gymnasium's `seeding.np_random(seed)` builds every env's and space's generator.
 *
 * The 128-bit LCG runs on eight 16-bit limbs held in plain number fields: every partial product
 * is below 2^32 and a column of them below 2^36, so double arithmetic is exact, no BigInt is
 * touched on the hot path (one `random()` is one LCG step), and the state is ordinary numeric
 * properties that `snapshotState` captures. This module imports nothing (envs never load tfjs).
 */

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

/** PCG's default 128-bit multiplier 2549297995355413924·2^64 + 4865540595714422341, in 16-bit limbs (lowest first). */
const M0 = 0xf645;
const M1 = 0x9fcc;
const M2 = 0xdf64;
const M3 = 0x4385;
const M4 = 0x5da4;
const M5 = 0x1fc6;
const M6 = 0xed05;
const M7 = 0x2360;
const LIMB = 65536;
const INV_LIMB = 1 / 65536;

/** The 64-bit output of the last `nextUint64`, as two uint32 halves (module scratch: no allocation per draw). */
let outHi = 0;
let outLo = 0;

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

function limbsToHex(l: readonly number[]): string {
  let s = '';
  for (let i = 7; i >= 0; i--) s += l[i]!.toString(16).padStart(4, '0');
  return s;
}

function hexToLimbs(hex: unknown, what: string): number[] {
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new TypeError(`PCG64 state: ${what} must be 32 hex digits, got ${String(hex)}`);
  const l: number[] = [];
  for (let i = 0; i < 8; i++) l.push(parseInt(hex.slice(28 - 4 * i, 32 - 4 * i), 16));
  return l;
}

/**
 * numpy `PCG64`: state ← state·M + inc (mod 2^128) and output XSL-RR
 * (`rotr64(hi ^ lo, state >> 122)`), after each step. `nextUint32` returns the low half of a
 * 64-bit draw and keeps the high half for the next call (`has_uint32` / `uinteger`), exactly as
 * numpy's `pcg64_next32`; `nextDouble` is `(next_uint64 >> 11) · 2^-53`.
 */
export class PCG64 {
  // state limbs (16 bits each, lowest first)
  s0 = 0;
  s1 = 0;
  s2 = 0;
  s3 = 0;
  s4 = 0;
  s5 = 0;
  s6 = 0;
  s7 = 0;
  // increment limbs
  i0 = 1;
  i1 = 0;
  i2 = 0;
  i3 = 0;
  i4 = 0;
  i5 = 0;
  i6 = 0;
  i7 = 0;
  hasUint32 = false;
  uinteger = 0;

  /** Seeded from `seedSeq.generateState(4 uint64)` as numpy's `PCG64.__init__` (`pcg64_set_seed`). */
  constructor(seedSeq: SeedSequence) {
    const w = seedSeq.generateState(8);
    // uint64 words v[k] = w[2k] | w[2k+1] << 32; initstate = v0 << 64 | v1, initseq = v2 << 64 | v3.
    const initState = [w[2]! & 0xffff, w[2]! >>> 16, w[3]! & 0xffff, w[3]! >>> 16, w[0]! & 0xffff, w[0]! >>> 16, w[1]! & 0xffff, w[1]! >>> 16];
    const seq = [w[6]! & 0xffff, w[6]! >>> 16, w[7]! & 0xffff, w[7]! >>> 16, w[4]! & 0xffff, w[4]! >>> 16, w[5]! & 0xffff, w[5]! >>> 16];
    // pcg_setseq_128_srandom_r: inc = initseq << 1 | 1; state = 0; step; state += initstate; step.
    const inc: number[] = [];
    let carry = 1;
    for (let k = 0; k < 8; k++) {
      const v = seq[k]! * 2 + carry;
      inc.push(v & 0xffff);
      carry = v >>> 16;
    }
    this.setLimbs([0, 0, 0, 0, 0, 0, 0, 0], inc);
    this.step();
    const st = [this.s0, this.s1, this.s2, this.s3, this.s4, this.s5, this.s6, this.s7];
    carry = 0;
    for (let k = 0; k < 8; k++) {
      const v = st[k]! + initState[k]! + carry;
      st[k] = v & 0xffff;
      carry = v >>> 16;
    }
    this.setLimbs(st, inc);
    this.step();
  }

  private setLimbs(s: readonly number[], inc: readonly number[]): void {
    [this.s0, this.s1, this.s2, this.s3, this.s4, this.s5, this.s6, this.s7] = s as [number, number, number, number, number, number, number, number];
    [this.i0, this.i1, this.i2, this.i3, this.i4, this.i5, this.i6, this.i7] = inc as [number, number, number, number, number, number, number, number];
  }

  /**
   * One LCG step: state ← state·M + inc (mod 2^128), schoolbook on 16-bit limbs. Each column sum
   * is below 2^36, exact in a double; the carry is `floor(c / 2^16)` (a multiplication and a floor:
   * `%` on doubles would be a slow fmod call).
   */
  private step(): void {
    const a0 = this.s0, a1 = this.s1, a2 = this.s2, a3 = this.s3, a4 = this.s4, a5 = this.s5, a6 = this.s6, a7 = this.s7;
    let c = a0 * M0 + this.i0;
    let k = Math.floor(c * INV_LIMB);
    this.s0 = c - k * LIMB;
    c = k + a0 * M1 + a1 * M0 + this.i1;
    k = Math.floor(c * INV_LIMB);
    this.s1 = c - k * LIMB;
    c = k + a0 * M2 + a1 * M1 + a2 * M0 + this.i2;
    k = Math.floor(c * INV_LIMB);
    this.s2 = c - k * LIMB;
    c = k + a0 * M3 + a1 * M2 + a2 * M1 + a3 * M0 + this.i3;
    k = Math.floor(c * INV_LIMB);
    this.s3 = c - k * LIMB;
    c = k + a0 * M4 + a1 * M3 + a2 * M2 + a3 * M1 + a4 * M0 + this.i4;
    k = Math.floor(c * INV_LIMB);
    this.s4 = c - k * LIMB;
    c = k + a0 * M5 + a1 * M4 + a2 * M3 + a3 * M2 + a4 * M1 + a5 * M0 + this.i5;
    k = Math.floor(c * INV_LIMB);
    this.s5 = c - k * LIMB;
    c = k + a0 * M6 + a1 * M5 + a2 * M4 + a3 * M3 + a4 * M2 + a5 * M1 + a6 * M0 + this.i6;
    k = Math.floor(c * INV_LIMB);
    this.s6 = c - k * LIMB;
    c = k + a0 * M7 + a1 * M6 + a2 * M5 + a3 * M4 + a4 * M3 + a5 * M2 + a6 * M1 + a7 * M0 + this.i7;
    this.s7 = c - Math.floor(c * INV_LIMB) * LIMB;
  }

  /** Step, then leave the XSL-RR output in the module's `outHi` / `outLo`. */
  private next(): void {
    this.step();
    const xh = (((this.s7 << 16) | this.s6) ^ ((this.s3 << 16) | this.s2)) >>> 0;
    const xl = (((this.s5 << 16) | this.s4) ^ ((this.s1 << 16) | this.s0)) >>> 0;
    let rot = this.s7 >>> 10; // state >> 122
    let h = xh;
    let lo = xl;
    if (rot >= 32) {
      h = xl;
      lo = xh;
      rot -= 32;
    }
    if (rot === 0) {
      outHi = h;
      outLo = lo;
    } else {
      outHi = ((h >>> rot) | (lo << (32 - rot))) >>> 0;
      outLo = ((lo >>> rot) | (h << (32 - rot))) >>> 0;
    }
  }

  /** The next 64 bits as `[high, low]` uint32 halves (numpy `next_uint64`). */
  nextUint64(): [hi: number, lo: number] {
    this.next();
    return [outHi, outLo];
  }

  /** numpy `next_uint32`: the low half of a fresh 64-bit draw, or the kept high half of the last one. */
  nextUint32(): number {
    if (this.hasUint32) {
      this.hasUint32 = false;
      return this.uinteger;
    }
    this.next();
    this.hasUint32 = true;
    this.uinteger = outHi;
    return outLo;
  }

  /** numpy `next_double`: `(next_uint64 >> 11) · 2^-53`, uniform on [0, 1) with 53 random bits. */
  nextDouble(): number {
    this.next();
    return (outHi * 2097152 + (outLo >>> 11)) / 9007199254740992;
  }

  /**
   * For the distributions: draw 64 bits and return the high half; the low half is `lastLow()`
   * (saves allocating a pair on the ziggurat's hot path).
   */
  nextUint64Hi(): number {
    this.next();
    return outHi;
  }

  /** Low half of the draw made by the last `nextUint64Hi`. */
  lastLow(): number {
    return outLo;
  }

  /** The state as numpy's `bit_generator.state` holds it. */
  getState(): PCG64State {
    return {
      bitGenerator: 'PCG64',
      state: limbsToHex([this.s0, this.s1, this.s2, this.s3, this.s4, this.s5, this.s6, this.s7]),
      inc: limbsToHex([this.i0, this.i1, this.i2, this.i3, this.i4, this.i5, this.i6, this.i7]),
      hasUint32: this.hasUint32 ? 1 : 0,
      uinteger: this.uinteger,
    };
  }

  /** Restore a state from `getState` (or numpy's, with the 128-bit numbers written as hex). */
  setState(st: PCG64State): this {
    if (st === null || typeof st !== 'object' || st.bitGenerator !== 'PCG64') throw new TypeError("PCG64 state: expected an object with bitGenerator 'PCG64'");
    const s = hexToLimbs(st.state, 'state');
    const inc = hexToLimbs(st.inc, 'inc');
    if ((inc[0]! & 1) === 0) throw new RangeError('PCG64 state: inc must be odd');
    if (st.hasUint32 !== 0 && st.hasUint32 !== 1) throw new TypeError(`PCG64 state: hasUint32 must be 0 or 1, got ${String(st.hasUint32)}`);
    if (!Number.isInteger(st.uinteger) || st.uinteger < 0 || st.uinteger >= TWO_POW_32) throw new TypeError(`PCG64 state: uinteger must be a uint32, got ${String(st.uinteger)}`);
    this.setLimbs(s, inc);
    this.hasUint32 = st.hasUint32 === 1;
    this.uinteger = st.uinteger;
    return this;
  }
}
