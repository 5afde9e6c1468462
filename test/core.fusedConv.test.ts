/**
 * FusedConvNet (core/fusedConvNet.ts) against tfjs autograd on the same weights: the model
 * `buildSequential(spec)` builds is the oracle for outputs (batchnorm in training and inference
 * mode), running averages, parameter gradients and the input gradient of loss = Σ C ⊙ Y with a
 * fixed random C.
 */
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { FusedConvNet } from '../core/fusedConvNet.js';
import { FusedAdam } from '../core/fused.js';
import { buildSequential, type SequentialSpec } from '../core/nn.js';
import { computeGradients, getParams, namedVariables, readWeights, type TensorMap } from '../core/tensors.js';
import { discriminatorSpec, generatorSpec } from '../generative/dcgan.js';
import { Rng } from '../base/rng.js';
import { close, NATIVE_REQUIRED, reachableImports, useCpu, test } from './helpers.js';

test.before(useCpu);

const TOL = 1e-4;

/** A DCGAN-like discriminator on odd 9×9×2 maps: 9 → 5 → 3, then a logit. */
const DISCRIMINATOR: SequentialSpec = {
  name: 'd',
  inputShape: [9, 9, 2],
  init: { normal: 0.2 },
  leakyAlpha: 0.2,
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, activation: 'leakyRelu' },
    { type: 'conv2d', filters: 6, kernelSize: 3, strides: 2, batchNorm: true, activation: 'leakyRelu' },
    { type: 'flatten' },
    { type: 'dense', units: 1 },
  ],
};

/** A DCGAN-like generator: z → 3×3×8 → 6×6×4 → 12×12×1 in [−1, 1]. */
const GENERATOR: SequentialSpec = {
  name: 'g',
  inputShape: [5],
  init: { normal: 0.2 },
  layers: [
    { type: 'dense', units: 3 * 3 * 8, batchNorm: true, activation: 'relu' },
    { type: 'reshape', targetShape: [3, 3, 8] },
    { type: 'conv2dTranspose', filters: 4, kernelSize: 4, strides: 2, batchNorm: true, activation: 'relu' },
    { type: 'conv2dTranspose', filters: 1, kernelSize: 4, strides: 2, activation: 'tanh' },
  ],
};

/**
 * Everything else the engine runs: 'valid' padding, stride 1 and 3, an even kernel under 'same'
 * (uneven padding), a transpose with k < s, sigmoid, a standalone activation layer, a dense
 * batchnorm layer, a spec slope for LeakyReLU, odd and non-square maps.
 */
const ASSORTED: SequentialSpec = {
  name: 'x',
  inputShape: [7, 6, 3],
  init: { normal: 0.3 },
  leakyAlpha: 0.1,
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, strides: 1, padding: 'valid', activation: 'sigmoid' }, // 5×4
    { type: 'conv2dTranspose', filters: 3, kernelSize: 3, strides: 2, padding: 'valid', batchNorm: true, activation: 'tanh' }, // 11×9
    { type: 'conv2dTranspose', filters: 2, kernelSize: 2, strides: 3, padding: 'valid', activation: 'leakyRelu' }, // 33×27
    { type: 'conv2d', filters: 3, kernelSize: 4, strides: 3, padding: 'same', batchNorm: true, activation: 'linear' }, // 11×9
    { type: 'conv2d', filters: 2, kernelSize: 2, strides: 2, padding: 'valid', activation: 'relu' }, // 5×4
    { type: 'activation', activation: 'sigmoid' },
    { type: 'flatten' },
    { type: 'dense', units: 6, batchNorm: true, activation: 'leakyRelu' },
    { type: 'dense', units: 2, activation: 'tanh' },
  ],
};

function shapeOf(spec: SequentialSpec, rows: number): number[] {
  return [rows, ...spec.inputShape];
}

/** tfjs's output and, for loss = Σ C ⊙ Y, its gradients by weight name and by input. */
function tfjsOracle(model: tf.LayersModel, spec: SequentialSpec, outShape: readonly number[], x: Float32Array, c: Float32Array, rows: number, training: boolean) {
  const y = tf.tidy(() => (model.apply(tf.tensor(x, shapeOf(spec, rows)), { training }) as tf.Tensor).dataSync().slice());
  const loss = (xs: tf.Tensor) => tf.sum(tf.mul(model.apply(xs, { training }) as tf.Tensor, tf.tensor(c, [rows, ...outShape]))) as tf.Scalar;
  const { grads } = computeGradients(() => tf.tidy(() => loss(tf.tensor(x, shapeOf(spec, rows)))), namedVariables(model));
  const dx = tf.tidy(() => tf.grad(loss)(tf.tensor(x, shapeOf(spec, rows))).dataSync().slice());
  return { y, grads, dx };
}

function compareGrads(mine: TensorMap, expected: TensorMap, what: string): void {
  assert.equal(Object.keys(mine), Object.keys(expected), `${what}: gradient names`);
  for (const k of Object.keys(expected)) close(mine[k]!.data, expected[k]!.data, TOL, `${what} ∂${k}`);
}

/**
 * The whole check on one spec: forward (training), the running averages it leaves, parameter and
 * input gradients; then the same in inference mode with tfjs's running averages.
 */
function checkAgainstTfjs(spec: SequentialSpec, rows: number, seed: number): void {
  const model = buildSequential(spec, new Rng(seed));
  const net = new FusedConvNet(spec, getParams(model));
  const rng = new Rng(seed + 1);
  const x = rng.fillNormal(new Float32Array(rows * net.inSize));
  const c = rng.fillNormal(new Float32Array(rows * net.outSize));
  assert.equal(net.toMap(), getParams(model), `${spec.name}: params map 1:1 onto the tfjs weights`);

  // training mode: batch statistics; the running averages after one forward are tfjs's after one
  const yTrain = net.forward(x, rows, true).slice();
  const yTfjs = tf.tidy(() => (model.apply(tf.tensor(x, shapeOf(spec, rows)), { training: true }) as tf.Tensor).dataSync().slice());
  close(yTrain, yTfjs, TOL, `${spec.name} forward (training)`);
  const stats = readWeights([model], true);
  assert.equal(Object.keys(net.statsMap()), Object.keys(stats), `${spec.name}: running average names`);
  for (const k of Object.keys(stats)) close(net.statsMap()[k]!.data, stats[k]!.data, 1e-6, `${spec.name} ${k}`);

  const gIn = new Float32Array(rows * net.inSize).fill(Number.NaN);
  net.backward(c, gIn);
  const train = tfjsOracle(model, spec, net.outShape, x, c, rows, true);
  close(yTrain, train.y, TOL, `${spec.name} forward (training, again)`);
  compareGrads(net.gradMap(), train.grads, `${spec.name} training`);
  close(gIn, train.dx, TOL, `${spec.name} training ∂x`);

  // inference mode with tfjs's running averages (the oracle's forwards advanced them)
  net.setStats(readWeights([model], true));
  const yInfer = net.forward(x, rows, false).slice();
  net.backward(c, gIn);
  const infer = tfjsOracle(model, spec, net.outShape, x, c, rows, false);
  close(yInfer, infer.y, TOL, `${spec.name} forward (inference)`);
  compareGrads(net.gradMap(), infer.grads, `${spec.name} inference`);
  close(gIn, infer.dx, TOL, `${spec.name} inference ∂x`);
  model.dispose();
}

if (NATIVE_REQUIRED) {
  test('discriminator (conv s2 same → leakyRelu, conv + BN → leakyRelu, flatten, dense) on odd 9×9 maps, batch 5: outputs, running averages, ∂θ and ∂x match tfjs', () => {
    checkAgainstTfjs(DISCRIMINATOR, 5, 10);
  });

  test('generator (dense + BN + relu, reshape, convT s2 + BN + relu, convT s2 tanh), batch 4: outputs, running averages, ∂θ and ∂x match tfjs', () => {
    checkAgainstTfjs(GENERATOR, 4, 20);
  });

  test("'valid' padding, strides 1 and 3, an even kernel, k < s transpose, sigmoid, an activation layer, dense BN, batch 3: all match tfjs", () => {
    checkAgainstTfjs(ASSORTED, 3, 30);
  });

  test("generative/dcgan.ts's own specs (CGAN with the InfoGAN dense layer, small channels) match tfjs, batch 3", () => {
    const arch = { latentDim: 4, conditional: true, gFilters: 2, dFilters: 2, kernelSize: 4, denseUnits: 8, initStd: 0.2 };
    checkAgainstTfjs(generatorSpec(arch), 3, 40);
    checkAgainstTfjs(discriminatorSpec(arch), 3, 50);
  });

  test('the forward reuses its output buffer per batch size, and two batch sizes alternate', () => {
    const model = buildSequential(DISCRIMINATOR, new Rng(3));
    const net = new FusedConvNet(DISCRIMINATOR, getParams(model));
    const x8 = new Rng(4).fillNormal(new Float32Array(8 * net.inSize));
    const x2 = x8.subarray(0, 2 * net.inSize);
    const a = net.forward(x8, 8, false);
    const first = a.slice();
    const b = net.forward(x2, 2, false);
    assert.is(b.length, 2);
    assert.is(net.forward(x8, 8, false), a, 'the same buffer for the same row count');
    close(a, first, 0, 'inference forward is deterministic');
    // in inference mode a row's output does not depend on the batch
    close(b, first.subarray(0, 2), 1e-6, 'rows 0–1 alone');
    model.dispose();
  });

  test('a longer input is read from its start; FusedAdam steps the flat params and moves the tfjs-named weights', () => {
    const model = buildSequential(GENERATOR, new Rng(5));
    const net = new FusedConvNet(GENERATOR, getParams(model));
    const x = new Rng(6).fillNormal(new Float32Array(4 * net.inSize + 3));
    const y = net.forward(x, 4).slice();
    close(net.forward(x.slice(0, 4 * net.inSize), 4), y, 0, 'trailing values ignored');
    net.backward(new Float32Array(4 * net.outSize).fill(1));
    const before = net.toMap();
    new FusedAdam(net.params.length, 1e-2).step(net.params, net.grads);
    const after = net.toMap();
    for (const k of net.names) assert.ok(after[k]!.data.some((v, i) => v !== before[k]!.data[i]), `${k} moved`);
    // a TensorMap back in: flatten sets the parameters (and running averages) by name
    net.flatten({ ...before, ...readWeights([model], true) });
    close(net.params, Float32Array.from(Object.values(before).flatMap((t) => [...t.data])), 0, 'params restored');
    close(net.statsMap()['g_0_dense_bn/moving_mean']!.data, new Float32Array(3 * 3 * 8), 0, 'running mean restored');
    model.dispose();
  });

  test("clip(c) bounds every parameter to [−c, c] (WGAN's weight clipping) and leaves those inside alone; c must be > 0", () => {
    const model = buildSequential(GENERATOR, new Rng(7));
    const net = new FusedConvNet(GENERATOR, getParams(model));
    const before = net.params.slice();
    const c = 0.05;
    net.clip(c);
    for (let k = 0; k < before.length; k++) assert.is(net.params[k], Math.fround(Math.max(-c, Math.min(c, before[k]!))), `parameter ${k}`);
    assert.ok(before.some((v) => Math.abs(v) > c) && before.some((v) => v !== 0 && Math.abs(v) < c), 'the net has parameters on both sides of c');
    assert.throws(() => net.clip(0), /c must be > 0/);
    model.dispose();
  });

  test('backward over the first rows of a forward (the others\' output gradients zero) gives the full backward\'s ∂θ and ∂x; refused with batchnorm', () => {
    const spec: SequentialSpec = { ...DISCRIMINATOR, layers: DISCRIMINATOR.layers.map((l) => ({ ...l, batchNorm: false })) };
    const model = buildSequential(spec, new Rng(8));
    const net = new FusedConvNet(spec, getParams(model));
    const rows = 6;
    const used = 4;
    const rng = new Rng(9);
    const x = rng.fillNormal(new Float32Array(rows * 9 * 9 * 2));
    const gOut = rng.fillNormal(new Float32Array(rows));
    gOut.fill(0, used);
    net.forward(x, rows);
    const gxFull = new Float32Array(rows * 9 * 9 * 2);
    const full = net.backward(gOut, gxFull).slice();
    net.forward(x, rows);
    const gxPart = new Float32Array(used * 9 * 9 * 2);
    const part = net.backward(gOut, gxPart, used);
    close(part, full, 1e-6, '∂θ');
    close(gxPart, gxFull.subarray(0, used * 9 * 9 * 2), 1e-6, '∂x of the rows used');
    assert.ok(full.some((v) => v !== 0), 'nonzero gradients');
    // the geometry is restored: a full backward after a partial one is the full backward again
    net.forward(x, rows);
    close(net.backward(gOut), full, 0, '∂θ after a partial backward');
    assert.throws(() => net.backward(gOut, undefined, rows + 1), /rows 7 is not within the 6 of the last forward/);
    const bnModel = buildSequential(DISCRIMINATOR, new Rng(8));
    const bn = new FusedConvNet(DISCRIMINATOR, getParams(bnModel));
    bn.forward(x, rows);
    assert.throws(() => bn.backward(gOut, undefined, used), /batchnorm couples the rows/);
    model.dispose();
    bnModel.dispose();
  });
} else {
  test.skip('FusedConvNet against tfjs (skipped: NNLAB_NATIVE=off; the engine runs on the native addon only)');
}

test('FusedConvNet refuses, naming the layer: dropout, an activation it does not run, a dense on a map, shapes that do not chain, wrong weights', () => {
  const base = (layers: SequentialSpec['layers']): SequentialSpec => ({ name: 'n', inputShape: [6, 6, 1], layers });
  const conv = { type: 'conv2d', filters: 2, kernelSize: 3, strides: 2 } as const;
  const weights: TensorMap = { 'n_0_conv2d/kernel': { shape: [3, 3, 1, 2], data: new Float32Array(18) }, 'n_0_conv2d/bias': { shape: [2], data: new Float32Array(2) } };
  const make = (spec: SequentialSpec, map: TensorMap = weights) => () => new FusedConvNet(spec, map);
  if (!NATIVE_REQUIRED) {
    assert.throws(make(base([conv])), /FusedConvNet needs the native addon/);
    return;
  }
  assert.throws(make(base([conv, { type: 'dropout', rate: 0.3 }])), /layer 1 \('n_1_dropout'\) is a dropout layer, which FusedConvNet does not run \(it runs dense, conv2d, conv2dTranspose, reshape, flatten, activation\)/);
  assert.throws(make(base([{ ...conv, activation: 'elu' }])), /layer 0 \('n_0_conv2d'\): activation 'elu' is not one FusedConvNet runs \(linear, relu, leakyRelu, tanh, sigmoid\)/);
  assert.throws(make(base([conv, { type: 'activation', activation: 'softmax' }])), /layer 1 \('n_1_activation'\): activation 'softmax'/);
  assert.throws(make(base([{ type: 'dense', units: 3 }])), /layer 0 \('n_0_dense'\): a dense layer needs a flat input, got \[6,6,1\] \(add a flatten\)/);
  assert.throws(make({ ...base([{ type: 'conv2d', filters: 2, kernelSize: 3 }]), inputShape: [18] }), /a conv2d layer needs an \[H, W, C\] input, got \[18\]/);
  assert.throws(make(base([conv, { type: 'reshape', targetShape: [5, 4] }])), /layer 1 \('n_1_reshape'\): cannot reshape \[3,3,2\] \(18 values\) to \[5,4\]/);
  assert.throws(make(base([{ ...conv, kernelSize: 7, padding: 'valid' }])), /a 7×7 'valid' kernel does not fit the 6×6 input/);
  const noBias: TensorMap = { 'n_0_conv2d/kernel': weights['n_0_conv2d/kernel']! };
  assert.throws(make(base([conv]), noBias), /'n_0_conv2d\/bias' missing or of the wrong size \(expected 2 values\)/);
  const transposed: TensorMap = { ...weights, 'n_0_conv2d/kernel': { shape: [3, 3, 2, 1], data: new Float32Array(18) } };
  assert.throws(make(base([conv]), transposed), /'n_0_conv2d\/kernel' has shape \[3,3,2,1\], expected \[3,3,1,2\]/);
  assert.throws(make(base([conv]), { ...weights, 'm_0_dense/kernel': { shape: [1, 1], data: new Float32Array(1) } }), /'m_0_dense\/kernel' is not a weight of spec 'n'/);
});

if (NATIVE_REQUIRED) {
  test('forward and backward reject wrong lengths and row counts; backward needs a forward first', () => {
    const spec: SequentialSpec = { name: 'n', inputShape: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernelSize: 3, strides: 2 }, { type: 'flatten' }] };
    const net = new FusedConvNet(spec, { 'n_0_conv2d/kernel': { shape: [3, 3, 1, 2], data: new Float32Array(18) }, 'n_0_conv2d/bias': { shape: [2], data: new Float32Array(2) } });
    assert.is(net.outSize, 8);
    assert.throws(() => net.backward(new Float32Array(8)), /FusedConvNet.backward: call forward first/);
    assert.throws(() => net.forward(new Float32Array(31), 2), /FusedConvNet.forward: 31 inputs for 2 rows of 16 \(\[4,4,1\]\)/);
    assert.throws(() => net.forward(new Float32Array(32), 0), /rows must be a positive integer, got 0/);
    net.forward(new Float32Array(32), 2);
    assert.throws(() => net.backward(new Float32Array(15)), /15 output gradients for 2 rows of 8/);
    assert.throws(() => net.backward(new Float32Array(16), new Float32Array(31)), /gInput holds 31 values for 2 rows of 16/);
  });
}

test('core/fusedConvNet.js loads no tfjs, directly or through the files it imports', () => {
  const { files, packages } = reachableImports('core/fusedConvNet.js');
  assert.ok(files.length >= 5, `followed the imports (${files.map((f) => path.basename(f)).join(', ')})`);
  assert.equal(packages.filter((p) => p.startsWith('@tensorflow/')), [], 'tfjs packages reachable from core/fusedConvNet.js');
});

test.run();
