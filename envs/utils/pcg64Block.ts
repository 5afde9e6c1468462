/**
 * PCG64's block kernel: `fill(n)` steps numpy's 128-bit LCG n times and writes the n XSL-RR
 * outputs, so that `PCG64` (pcg64.ts) pays one call per block of draws instead of one 128-bit
 * multiplication in JavaScript per draw.
 *
 * Two implementations of one contract, bit for bit the same:
 * - `wasmKernel()`: WebAssembly with native 64-bit integers, assembled at load time from the WAT
 *   below (wasmAssembler.ts). The 128×128 → 128-bit product needs one 64×64 → 128 (four 32×32 →
 *   64 partial products) and two 64×64 → 64; the rotation is `i64.rotr`.
 * - `jsKernel()`: plain numbers, 16-bit limbs (every partial product is below 2^32 and a column
 *   of them below 2^36, so double arithmetic is exact). Used where WebAssembly is not available
 *   (`node --jitless`, a page whose Content-Security-Policy forbids compiling WebAssembly).
 *
 * Scratch layout (`words`, uint32 words, lowest word first in each 64- or 128-bit number):
 *   [0, 4)           the LCG state s (read)
 *   [4, 8)           the increment (read)
 *   [8, 8 + 2n)      output k (k = 0 … n − 1) as two words, low then high: XSL-RR of s stepped k + 1 times
 *   [8 + 2n, 12 + 2n) s stepped n times (written)
 * This module imports nothing outside envs/utils but base/plainData.ts, which imports nothing (envs never load tfjs).
 */
import { assembleModule } from './wasmAssembler.js';
import { errorMessage } from '../../base/plainData.js';

/** One kernel: scratch words and the block step over them. */
export interface PCG64Kernel {
  readonly kind: 'wasm' | 'js';
  /** The scratch words `fill` reads and writes (layout above). */
  readonly words: Uint32Array;
  /** Step the LCG in `words` n times (n ≤ `MAX_FILL`), writing the n outputs and the final state. */
  fill(n: number): void;
}

/** Index of output 0's low word in `words`. */
export const OUT_WORD = 8;
/** Most outputs one `fill` may write (the wasm memory is one 64 KiB page). */
export const MAX_FILL = 4096;

/** PCG's default 128-bit multiplier (pcg64.h `PCG_DEFAULT_MULTIPLIER_128`), as its 64-bit halves. */
const MULT_HI = 2549297995355413924n;
const MULT_LO = 4865540595714422341n;

/**
 * `fill(n)` in WAT. The loop body is one LCG step `s ← s·M + inc (mod 2^128)` on
 * s = sh·2^64 + sl, M = MH·2^64 + ML:
 *   lo = sl·ML + il                                      (mod 2^64)
 *   hi = mulhi(sl, ML) + sl·MH + sh·ML + ih + carry(lo)  (mod 2^64)
 * where mulhi, the high 64 bits of the 128-bit sl·ML, is built from 32-bit halves
 * (a1·2^32 + a0)(b1·2^32 + b0); then the output rotr64(hi ⊕ lo, hi >> 58) (numpy
 * `pcg_output_xsl_rr_128_64`: rotate by the state's top 6 bits).
 */
const FILL_WAT = `
  ;; load the state and the increment
  i32.const 0
  i64.load offset=0
  local.set $sl
  i32.const 0
  i64.load offset=8
  local.set $sh
  i32.const 0
  i64.load offset=16
  local.set $il
  i32.const 0
  i64.load offset=24
  local.set $ih
  ;; $k: byte address of the next output (32), $end: 32 + 8n
  i32.const 32
  local.set $k
  local.get $n
  i32.const 3
  i32.shl
  i32.const 32
  i32.add
  local.set $end
  block
    loop
      local.get $k
      local.get $end
      i32.ge_u
      br_if 1                      ;; k ≥ end: done
      ;; a0, a1: the 32-bit halves of sl
      local.get $sl
      i64.const 0xffffffff
      i64.and
      local.set $a0
      local.get $sl
      i64.const 32
      i64.shr_u
      local.set $a1
      ;; the cross partial products a0·b1 and a1·b0
      local.get $a0
      i64.const ${MULT_LO >> 32n}
      i64.mul
      local.set $p01
      local.get $a1
      i64.const ${MULT_LO & 0xffffffffn}
      i64.mul
      local.set $p10
      ;; hi = a1·b1 + (p01 >> 32) + (p10 >> 32)
      local.get $a1
      i64.const ${MULT_LO >> 32n}
      i64.mul
      local.get $p01
      i64.const 32
      i64.shr_u
      i64.add
      local.get $p10
      i64.const 32
      i64.shr_u
      i64.add
      ;;   + ((a0·b0 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff)) >> 32   (the middle column's carry)
      local.get $a0
      i64.const ${MULT_LO & 0xffffffffn}
      i64.mul
      i64.const 32
      i64.shr_u
      local.get $p01
      i64.const 0xffffffff
      i64.and
      i64.add
      local.get $p10
      i64.const 0xffffffff
      i64.and
      i64.add
      i64.const 32
      i64.shr_u
      i64.add
      ;;   + sl·MH + sh·ML + ih
      local.get $sl
      i64.const ${MULT_HI}
      i64.mul
      i64.add
      local.get $sh
      i64.const ${MULT_LO}
      i64.mul
      i64.add
      local.get $ih
      i64.add
      ;; lo = sl·ML + il, and its carry (lo < il) into hi
      local.get $sl
      i64.const ${MULT_LO}
      i64.mul
      local.get $il
      i64.add
      local.tee $sl
      local.get $il
      i64.lt_u
      i64.extend_i32_u
      i64.add
      local.set $sh
      ;; mem[k] = rotr64(sh ^ sl, sh >> 58)
      local.get $k
      local.get $sh
      local.get $sl
      i64.xor
      local.get $sh
      i64.const 58
      i64.shr_u
      i64.rotr
      i64.store offset=0
      local.get $k
      i32.const 8
      i32.add
      local.set $k
      br 0
    end
  end
  ;; the final state after the outputs
  local.get $k
  local.get $sl
  i64.store offset=0
  local.get $k
  local.get $sh
  i64.store offset=8
`;

/** The parts of the WebAssembly JS API used here (the repo's Node lib typings do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object) => { exports: { fill?: unknown; memory?: unknown } };
}

/** The WebAssembly kernel, or why there is none (WebAssembly missing, or compiling it refused: the error's message). */
export function wasmKernel(): PCG64Kernel | { reason: string } {
  const api: WasmApi | undefined = Reflect.get(globalThis, 'WebAssembly');
  if (api === undefined) return { reason: 'WebAssembly is not defined' };
  const bytes = assembleModule({
    exportName: 'fill',
    memoryName: 'memory',
    memoryPages: 1,
    params: [['$n', 'i32']],
    locals: [['$k', 'i32'], ['$end', 'i32'], ['$sl', 'i64'], ['$sh', 'i64'], ['$il', 'i64'], ['$ih', 'i64'], ['$a0', 'i64'], ['$a1', 'i64'], ['$p01', 'i64'], ['$p10', 'i64']],
    body: FILL_WAT,
  });
  let exports: { fill?: unknown; memory?: unknown };
  try {
    exports = new api.Instance(new api.Module(bytes)).exports;
  } catch (e) {
    return { reason: errorMessage(e) };
  }
  const { fill, memory } = exports;
  const buffer: unknown = memory !== null && typeof memory === 'object' ? Reflect.get(memory, 'buffer') : undefined;
  if (typeof fill !== 'function' || !(buffer instanceof ArrayBuffer)) return { reason: 'the module lacks its fill or memory export' };
  return { kind: 'wasm', words: new Uint32Array(buffer), fill: fill as (n: number) => void };
}

/** 16-bit limbs of the multiplier, lowest first. */
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

/** The plain-JavaScript kernel (same contract, same bits). */
export function jsKernel(): PCG64Kernel {
  const words = new Uint32Array(OUT_WORD + 2 * MAX_FILL + 4);
  const fill = (n: number): void => {
    const w = words;
    let s0 = w[0]! & 0xffff, s1 = w[0]! >>> 16, s2 = w[1]! & 0xffff, s3 = w[1]! >>> 16;
    let s4 = w[2]! & 0xffff, s5 = w[2]! >>> 16, s6 = w[3]! & 0xffff, s7 = w[3]! >>> 16;
    const i0 = w[4]! & 0xffff, i1 = w[4]! >>> 16, i2 = w[5]! & 0xffff, i3 = w[5]! >>> 16;
    const i4 = w[6]! & 0xffff, i5 = w[6]! >>> 16, i6 = w[7]! & 0xffff, i7 = w[7]! >>> 16;
    let o = OUT_WORD;
    for (let j = 0; j < n; j++) {
      // s ← s·M + inc, schoolbook by columns; the carry is floor(c / 2^16) (a multiplication and a
      // floor: `%` on doubles would be a slow fmod call).
      const a0 = s0, a1 = s1, a2 = s2, a3 = s3, a4 = s4, a5 = s5, a6 = s6, a7 = s7;
      let c = a0 * M0 + i0;
      let k = Math.floor(c * INV_LIMB);
      s0 = c - k * LIMB;
      c = k + a0 * M1 + a1 * M0 + i1;
      k = Math.floor(c * INV_LIMB);
      s1 = c - k * LIMB;
      c = k + a0 * M2 + a1 * M1 + a2 * M0 + i2;
      k = Math.floor(c * INV_LIMB);
      s2 = c - k * LIMB;
      c = k + a0 * M3 + a1 * M2 + a2 * M1 + a3 * M0 + i3;
      k = Math.floor(c * INV_LIMB);
      s3 = c - k * LIMB;
      c = k + a0 * M4 + a1 * M3 + a2 * M2 + a3 * M1 + a4 * M0 + i4;
      k = Math.floor(c * INV_LIMB);
      s4 = c - k * LIMB;
      c = k + a0 * M5 + a1 * M4 + a2 * M3 + a3 * M2 + a4 * M1 + a5 * M0 + i5;
      k = Math.floor(c * INV_LIMB);
      s5 = c - k * LIMB;
      c = k + a0 * M6 + a1 * M5 + a2 * M4 + a3 * M3 + a4 * M2 + a5 * M1 + a6 * M0 + i6;
      k = Math.floor(c * INV_LIMB);
      s6 = c - k * LIMB;
      c = k + a0 * M7 + a1 * M6 + a2 * M5 + a3 * M4 + a4 * M3 + a5 * M2 + a6 * M1 + a7 * M0 + i7;
      s7 = c - Math.floor(c * INV_LIMB) * LIMB;
      // XSL-RR: rotr64(hi ^ lo, s >> 122) on 32-bit halves.
      const xh = ((s7 << 16) | s6) ^ ((s3 << 16) | s2);
      const xl = ((s5 << 16) | s4) ^ ((s1 << 16) | s0);
      let rot = s7 >>> 10;
      let h = xh;
      let l = xl;
      if (rot >= 32) {
        h = xl;
        l = xh;
        rot -= 32;
      }
      if (rot !== 0) {
        const t = (h >>> rot) | (l << (32 - rot));
        l = (l >>> rot) | (h << (32 - rot));
        h = t;
      }
      w[o++] = l;
      w[o++] = h;
    }
    w[o] = s0 | (s1 << 16);
    w[o + 1] = s2 | (s3 << 16);
    w[o + 2] = s4 | (s5 << 16);
    w[o + 3] = s6 | (s7 << 16);
  };
  return { kind: 'js', words, fill };
}

const wasm = wasmKernel();

/** The kernel `PCG64` uses: WebAssembly where it can be compiled, else plain JavaScript. */
export const pcg64Kernel: PCG64Kernel = 'fill' in wasm ? wasm : jsKernel();

/** Why the WebAssembly kernel is not in use, or null when it is. */
export const pcg64WasmUnavailable: string | null = 'reason' in wasm ? wasm.reason : null;
