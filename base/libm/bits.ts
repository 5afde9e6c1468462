/**
 * A double's IEEE-754 encoding as two 32-bit words, read and written through one shared 8-byte
 * buffer: what C code does with `asuint64` / `asdouble` unions, for the libm ports in this folder.
 * No imports: every room may use it.
 */

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
/** Index of the low word (little-endian on every platform Node runs on, checked here anyway). */
const LO = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HI = 1 - LO;

/** High 32 bits (sign, exponent, top 20 bits of the fraction) of x's encoding, as a uint32. */
export function highWord(x: number): number {
  f64[0] = x;
  return u32[HI]!;
}

/** Low 32 bits of x's encoding, as a uint32. */
export function lowWord(x: number): number {
  f64[0] = x;
  return u32[LO]!;
}

/** The double whose encoding is `hi`·2^32 + `lo` (each taken mod 2^32). */
export function fromWords(hi: number, lo: number): number {
  u32[HI] = hi >>> 0;
  u32[LO] = lo >>> 0;
  return f64[0]!;
}

const f32 = new Float32Array(1);
const u32f = new Uint32Array(f32.buffer);

/** x's float32 encoding as a uint32 (x is rounded to float32 first). */
export function floatBits(x: number): number {
  f32[0] = x;
  return u32f[0]!;
}

/** The float32 whose encoding is `bits`. */
export function fromFloatBits(bits: number): number {
  u32f[0] = bits >>> 0;
  return f32[0]!;
}
