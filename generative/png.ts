/**
 * PNG output without dependencies (PNG spec, W3C 2003): 8-bit grayscale (colour type 0), one
 * IDAT of zlib-deflated scanlines each prefixed by filter byte 0, chunks framed as
 * length · type · data · CRC-32(type · data) (the ISO 3309 polynomial 0xEDB88320, as zlib).
 * Plus the image layouts the generative models write: a sample grid and a latent interpolation strip.
 */
import { deflateSync } from 'node:zlib';
import { MNIST_CLASSES, MNIST_SIDE, sampleGridDigit } from './kinds.js';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of the bytes (the PNG / zlib / gzip checksum). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A grayscale image: `pixels` row-major, one byte per pixel (0 black, 255 white). */
export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Encodes an 8-bit grayscale PNG. */
export function encodePng(img: GrayImage): Buffer {
  const { width, height, pixels } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) throw new RangeError(`PNG size must be positive integers, got ${width}×${height}`);
  if (pixels.length !== width * height) throw new RangeError(`PNG ${width}×${height} needs ${width * height} pixels, got ${pixels.length}`);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    Buffer.from(pixels.buffer, pixels.byteOffset + y * width, width).copy(raw, y * (width + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/**
 * Tiles n images (row-major [n, size, size], values in [0, 1]) into rows × cols cells with a
 * `pad`-pixel black border; cells beyond n stay black.
 */
export function sampleGrid(images: Float32Array, rows: number, cols: number, opts: { size?: number; pad?: number } = {}): GrayImage {
  const size = opts.size ?? MNIST_SIDE;
  const pad = opts.pad ?? 2;
  const px = size * size;
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 1 || cols < 1) throw new RangeError(`grid must be positive integers, got ${rows}×${cols}`);
  if (images.length % px !== 0) throw new RangeError(`${images.length} values is not a whole number of ${size}×${size} images`);
  const n = Math.min(images.length / px, rows * cols);
  const width = cols * (size + pad) + pad;
  const height = rows * (size + pad) + pad;
  const pixels = new Uint8Array(width * height);
  for (let k = 0; k < n; k++) {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const x0 = pad + c * (size + pad);
    const y0 = pad + r * (size + pad);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const v = images[k * px + y * size + x]!;
        pixels[(y0 + y) * width + x0 + x] = Math.round(255 * Math.min(1, Math.max(0, Number.isFinite(v) ? v : 0)));
      }
    }
  }
  return { width, height, pixels };
}

/**
 * Latents along straight lines: for each pair (a_p, b_p), `steps` points z = (1 − t) a + t b,
 * t = 0 … 1; returns pairs × steps latents, pair-major (one strip row per pair).
 */
export function interpolateLatents(a: Float32Array, b: Float32Array, latentDim: number, steps: number): Float32Array {
  if (a.length !== b.length || a.length % latentDim !== 0) throw new RangeError(`interpolateLatents: endpoints must be equal multiples of latentDim ${latentDim}`);
  if (!Number.isInteger(steps) || steps < 2) throw new RangeError(`interpolateLatents: steps must be an integer ≥ 2, got ${steps}`);
  const pairs = a.length / latentDim;
  const out = new Float32Array(pairs * steps * latentDim);
  for (let p = 0; p < pairs; p++) {
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      const o = (p * steps + s) * latentDim;
      for (let j = 0; j < latentDim; j++) out[o + j] = (1 - t) * a[p * latentDim + j]! + t * b[p * latentDim + j]!;
    }
  }
  return out;
}

/** Cells on each side of a generative run's sample grid (each epoch's and `nnlab eval`'s): one column per digit. */
export const SAMPLE_GRID_SIDE = MNIST_CLASSES;

/**
 * The digit of each cell of a conditional model's sample grid, row-major, by kinds.ts's
 * sampleGridDigit (column k is digit k; SAMPLE_GRID_LAYOUT says so on the dashboard): the one
 * layout of the grids the training loop writes each epoch (generative/train.ts, the committed
 * ones) and `nnlab eval`'s fresh grid (drivers/eval.ts), both through labelledSampleGrid.
 */
export function sampleGridLabels(): Uint8Array {
  return Uint8Array.from({ length: SAMPLE_GRID_SIDE * SAMPLE_GRID_SIDE }, (_, i) => sampleGridDigit(i));
}

/** A SAMPLE_GRID_SIDE × SAMPLE_GRID_SIDE grid of `sample`'s images of the latents `z`, a conditional model's with the digits of sampleGridLabels. */
export function labelledSampleGrid(sample: (z: Float32Array, labels?: Uint8Array) => Float32Array, z: Float32Array, conditional: boolean): GrayImage {
  return sampleGrid(sample(z, conditional ? sampleGridLabels() : undefined), SAMPLE_GRID_SIDE, SAMPLE_GRID_SIDE);
}

/** An interpolation strip: `pairs` rows of `steps` images from `sample` over interpolateLatents. */
export function interpolationStrip(
  sample: (z: Float32Array, labels?: Uint8Array) => Float32Array,
  a: Float32Array,
  b: Float32Array,
  latentDim: number,
  steps = 10,
  labels?: Uint8Array,
): GrayImage {
  const z = interpolateLatents(a, b, latentDim, steps);
  const pairs = a.length / latentDim;
  let perImage: Uint8Array | undefined;
  if (labels !== undefined) {
    perImage = new Uint8Array(pairs * steps);
    for (let p = 0; p < pairs; p++) perImage.fill(labels[p]!, p * steps, (p + 1) * steps);
  }
  return sampleGrid(sample(z, perImage), pairs, steps);
}
