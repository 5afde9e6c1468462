import * as assert from 'uvu/assert';
import { inflateSync } from 'node:zlib';
import { parseIdx } from '../generative/mnist.js';
import { crc32, encodePng, interpolateLatents, labelledSampleGrid, SAMPLE_GRID_SIDE, sampleGrid, sampleGridLabels } from '../generative/png.js';
import { classHistogram, classifierScore, featureStats, frechetDistance, symmetricEigen } from '../generative/eval.js';
import { Rng } from '../base/rng.js';
import { Classifier, buildLenet, loadOrTrainClassifier } from '../generative/lenet.js';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModelFiles } from '../core/checkpoint.js';
import { errorMessage } from '../base/plainData.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

/** An idx file of unsigned bytes: magic 0x0000 08 ndim, dims as uint32 BE, then the data. */
function idx(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

test('idx parser reads a hand-made 2 × 2 × 3 image file and a label file', () => {
  const images = parseIdx(idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]), 'tiny-images');
  assert.equal(images.dims, [2, 2, 3]);
  assert.equal([...images.data], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255]);
  const labels = parseIdx(idx([3], [7, 0, 9]), 'tiny-labels');
  assert.equal(labels.dims, [3]);
  assert.equal([...labels.data], [7, 0, 9]);
});

test('idx parser names the file and the fault: bad magic, wrong type, truncated header, wrong count', () => {
  const good = idx([3], [1, 2, 3]);
  const badMagic = good.slice();
  badMagic[0] = 1;
  assert.throws(() => parseIdx(badMagic, 'x.idx'), /x\.idx: bad idx magic/);
  const badType = good.slice();
  badType[2] = 0x0d;
  assert.throws(() => parseIdx(badType, 'x.idx'), /unsupported idx element type 0xd/);
  assert.throws(() => parseIdx(good.slice(0, 6), 'x.idx'), /truncated header/);
  assert.throws(() => parseIdx(good.slice(0, 2), 'x.idx'), /too short/);
  assert.throws(() => parseIdx(good.slice(0, good.length - 1), 'x.idx'), /header says \[3\] = 3 bytes of data, file has 2/);
  assert.throws(() => parseIdx(idx([2, 2], [1, 2, 3, 4, 5]), 'x.idx'), /= 4 bytes of data, file has 5/);
});

test('crc32 matches the standard check value of "123456789"', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

/** Minimal PNG reader: chunks with CRC check, IHDR fields, inflated scanlines. */
function readPng(png: Buffer): { width: number; height: number; bitDepth: number; colorType: number; rows: Uint8Array[] } {
  assert.equal([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  for (;;) {
    const len = png.readUInt32BE(off);
    const type = png.toString('latin1', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    assert.is(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    if (type === 'IHDR') ihdr = data;
    if (type === 'IDAT') idat.push(data);
    off += 12 + len;
    if (type === 'IEND') break;
  }
  const width = ihdr!.readUInt32BE(0);
  const height = ihdr!.readUInt32BE(4);
  const raw = inflateSync(Buffer.concat(idat));
  assert.is(raw.length, height * (width + 1));
  const rows = Array.from({ length: height }, (_, y) => {
    assert.is(raw[y * (width + 1)], 0, 'filter byte');
    return raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1));
  });
  return { width, height, bitDepth: ihdr![8]!, colorType: ihdr![9]!, rows };
}

test('a 2 × 3 sample grid PNG decodes to the right size and pixels', () => {
  const n = 5;
  const images = new Float32Array(n * 784);
  for (let k = 0; k < n; k++) for (let i = 0; i < 784; i++) images[k * 784 + i] = ((k + 1) * (i % 28)) / (5 * 27);
  const grid = sampleGrid(images, 2, 3, { pad: 2 });
  const png = readPng(encodePng(grid));
  assert.is(png.width, 3 * 30 + 2);
  assert.is(png.height, 2 * 30 + 2);
  assert.is(png.bitDepth, 8);
  assert.is(png.colorType, 0);
  // image k = 4 sits in row 1, column 1: top-left at (2 + 30, 2 + 30); its pixel (y, x) = round(255 · 5x / 135)
  for (const x of [0, 13, 27]) assert.is(png.rows[32 + 7]![32 + x], Math.round((255 * 5 * x) / 135));
  assert.is(png.rows[0]![0], 0, 'border is black');
  assert.is(png.rows[32 + 5]![62 + 20], 0, 'the sixth cell (no image) is black');
});

test("a conditional model's sample grid shows digit k in column k, each row 0–9: the one layout of the training loop's grids and nnlab eval's (labelledSampleGrid)", () => {
  assert.is(SAMPLE_GRID_SIDE, 10);
  const labels = sampleGridLabels();
  assert.is(labels.length, 100);
  for (let r = 0; r < 10; r++) for (let c = 0; c < 10; c++) assert.is(labels[r * 10 + c], c, `row ${r}, column ${c}`);
  // a fake model drawing each image as its label's grey: the grid's pixels show where each digit went
  const asked: (Uint8Array | undefined)[] = [];
  const sample = (z: Float32Array, l?: Uint8Array) => {
    asked.push(l);
    const n = z.length / 2;
    const images = new Float32Array(n * 784);
    for (let k = 0; k < n; k++) images.fill(l === undefined ? 1 : l[k]! / 9, k * 784, (k + 1) * 784);
    return images;
  };
  const png = readPng(encodePng(labelledSampleGrid(sample, new Float32Array(100 * 2), true)));
  assert.equal(asked, [labels]);
  // the centre of the cell in row 3, column 7 (cells are 28 px with a 2 px border): digit 7
  assert.is(png.rows[2 + 3 * 30 + 14]![2 + 7 * 30 + 14], Math.round((255 * 7) / 9));
  labelledSampleGrid(sample, new Float32Array(100 * 2), false);
  assert.is(asked[1], undefined, 'an unconditional model is asked for no labels');
});

test('interpolated latents run from a to b in equal steps', () => {
  const z = interpolateLatents(Float32Array.from([0, 10]), Float32Array.from([4, 30]), 2, 5);
  close(z, [0, 10, 1, 15, 2, 20, 3, 25, 4, 30]);
});

function oneHot(classes: number[]): Float32Array {
  const p = new Float32Array(classes.length * 10);
  classes.forEach((c, i) => (p[i * 10 + c] = 1));
  return p;
}

test('classifier score of a perfect one-hot classifier is 10 on balanced samples and 1 on one class', () => {
  const balanced = Array.from({ length: 100 }, (_, i) => i % 10);
  close([classifierScore(oneHot(balanced), 100)], [10], 1e-12);
  close([classifierScore(oneHot(new Array<number>(50).fill(3)), 50)], [1], 1e-12);
  // uniform predictions carry no information either
  close([classifierScore(new Float32Array(40).fill(0.1), 4)], [1], 1e-6);
  close(classHistogram(oneHot([1, 1, 2, 9]), 4), [0, 0.5, 0.25, 0, 0, 0, 0, 0, 0, 0.25]);
});

test('Fréchet distance of a set with itself is 0, and of 1-D Gaussians is (μ₁ − μ₂)² + (σ₁ − σ₂)²', () => {
  const rng = new Rng(4);
  const d = 6;
  const n = 300;
  // correlated features: x = A u
  const A = rng.fillNormal(new Float64Array(d * d));
  const feats = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const u = rng.fillNormal(new Float64Array(d));
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) feats[i * d + a]! += A[a * d + b]! * u[b]!;
  }
  close([frechetDistance(feats, feats, d)], [0], 1e-7);
  const a = Float32Array.from({ length: 500 }, () => rng.normal(1, 2));
  const b = Float32Array.from({ length: 400 }, () => rng.normal(-0.5, 0.5));
  const sa = featureStats(a, 500, 1);
  const sb = featureStats(b, 400, 1);
  const expected = (sa.mean[0]! - sb.mean[0]!) ** 2 + (Math.sqrt(sa.cov[0]!) - Math.sqrt(sb.cov[0]!)) ** 2;
  close([frechetDistance(a, b, 1)], [expected], 1e-9);
});

test('Jacobi eigen-decomposition reconstructs a symmetric matrix: A = V diag(λ) Vᵀ', () => {
  const A = [4, 1, -2, 1, 3, 0.5, -2, 0.5, 1];
  const { values, vectors: V } = symmetricEigen(A, 3);
  const back = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) back[i * 3 + j]! += V[i * 3 + k]! * values[k]! * V[j * 3 + k]!;
  close(back, A, 1e-12);
  close([values.reduce((s, v) => s + v, 0)], [8], 1e-12, 'trace');
});

test('the classifier gives 10 probabilities summing to 1 and 128 penultimate features per image', () => {
  const classifier = new Classifier(buildLenet(new Rng(1)), Number.NaN);
  const images = new Rng(2).fillUniform(new Float32Array(3 * 784));
  const { probs, features } = classifier.predict(images, 3);
  assert.is(classifier.featureDim, 128);
  assert.is(features.length, 3 * 128);
  for (let i = 0; i < 3; i++) close([probs.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0)], [1], 1e-5);
  assert.ok(features.every((f) => f >= 0), 'features are ReLU outputs');
  classifier.dispose();
});

test('a saved classifier that is not a LeNet (one Dense layer) fails naming its model.json, not with an undefined featureDim', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nnlab-lenet-'));
  try {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 10 })] });
    await saveModelFiles(model, dir);
    model.dispose();
    writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ testAccuracy: 0.5 }));
    let message = '';
    await loadOrTrainClassifier({ dir }).catch((e: unknown) => (message = errorMessage(e)));
    assert.is(message, `${path.join(dir, 'model.json')}: not the LeNet classifier: it has 1 Dense layer(s), expected the features' and the logits'`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
