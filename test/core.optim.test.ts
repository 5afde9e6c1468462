import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { makeOptimizer, type OptimizerSpec } from '../core/optim.js';
import { computeGradients } from '../core/tensors.js';
import { FusedAdam, FusedRmsprop } from '../core/fused.js';
import { ADADELTA_DEFAULTS, ADAGRAD_DEFAULTS, ADAM_DEFAULTS, MOMENTUM_DEFAULTS, RMSPROP_DEFAULTS } from '../core/optimDefaults.js';
import { close, useCpu, test } from './helpers.js';

test.before(useCpu);

/**
 * Two steps on L(θ) = ½ Σ θ², so g = θ, from θ₀ = [1, −2]. Returns [θ₁, θ₂].
 */
function twoSteps(spec: OptimizerSpec, theta0 = [1, -2]): [number[], number[]] {
  const opt = makeOptimizer(spec);
  const theta = tf.variable(tf.tensor1d(theta0));
  const out: number[][] = [];
  for (let k = 0; k < 2; k++) {
    tf.dispose(opt.minimize(() => tf.mul(0.5, tf.sum(tf.square(theta))) as tf.Scalar, [theta]));
    out.push([...theta.dataSync()]);
  }
  theta.dispose();
  opt.dispose();
  return out as [number[], number[]];
}

/** Applies the same per-element rule by hand, for both elements. */
function byHand(theta0: number[], step: (theta: number, state: Record<string, number>, t: number) => number): [number[], number[]] {
  const states = theta0.map(() => ({}) as Record<string, number>);
  let theta = theta0.slice();
  const out: number[][] = [];
  for (let t = 1; t <= 2; t++) {
    theta = theta.map((th, i) => step(th, states[i]!, t));
    out.push(theta);
  }
  return out as [number[], number[]];
}

test('sgd: θ ← θ − αg gives 0.9θ₀ then 0.81θ₀', () => {
  const [t1, t2] = twoSteps({ name: 'sgd', lr: 0.1 });
  close(t1, [0.9, -1.8]);
  close(t2, [0.81, -1.62]);
});

test('momentum: v ← μv + g, θ ← θ − αv gives 0.9θ₀ then 0.72θ₀', () => {
  // v₁ = θ₀, θ₁ = 0.9θ₀; v₂ = 0.9θ₀ + 0.9θ₀ = 1.8θ₀, θ₂ = 0.9θ₀ − 0.18θ₀ = 0.72θ₀
  const [t1, t2] = twoSteps({ name: 'momentum', lr: 0.1, momentum: 0.9 });
  close(t1, [0.9, -1.8]);
  close(t2, [0.72, -1.44]);
});

test('nesterov: θ ← θ − α(g + μv) gives 0.81θ₀ then 0.5751θ₀', () => {
  // v₁ = θ₀, θ₁ = θ₀ − 0.1(θ₀ + 0.9θ₀) = 0.81θ₀
  // g₁ = 0.81θ₀, v₂ = 0.9θ₀ + 0.81θ₀ = 1.71θ₀, θ₂ = 0.81θ₀ − 0.1(0.81 + 1.539)θ₀ = 0.5751θ₀
  const [t1, t2] = twoSteps({ name: 'nesterov', lr: 0.1, momentum: 0.9 });
  close(t1, [0.81, -1.62]);
  close(t2, [0.5751, -1.1502]);
});

test('adagrad: G ← G + g², θ ← θ − αg/√(G + ε), G₀ = 0.1', () => {
  const eps = 1e-7; // tfjs uses the backend epsilon
  const expected = byHand([1, -2], (th, s) => {
    s.G = (s.G ?? 0.1) + th * th;
    return th - (0.1 * th) / Math.sqrt(s.G + eps);
  });
  // θ₁[0] = 1 − 0.1/√1.1 = 0.904654 (worked by hand)
  close([expected[0][0]!], [0.9046537], 1e-6);
  const [t1, t2] = twoSteps({ name: 'adagrad', lr: 0.1 });
  close(t1, expected[0], 1e-5);
  close(t2, expected[1], 1e-5);
});

test('adadelta: Zeiler’s rule with ρ = 0.95, ε = 1e-6, α = 1', () => {
  const rho = 0.95;
  const eps = 1e-6;
  const expected = byHand([1, -2], (th, s) => {
    s.Eg = rho * (s.Eg ?? 0) + (1 - rho) * th * th;
    const delta = (Math.sqrt((s.Ed ?? 0) + eps) / Math.sqrt(s.Eg + eps)) * th;
    s.Ed = rho * (s.Ed ?? 0) + (1 - rho) * delta * delta;
    return th - delta;
  });
  // θ₁[0] = 1 − √1e-6/√(0.05 + 1e-6) · 1 = 1 − 0.0044721 = 0.9955279
  close([expected[0][0]!], [0.9955279], 1e-6);
  const [t1, t2] = twoSteps({ name: 'adadelta', lr: 1 });
  close(t1, expected[0], 1e-5);
  close(t2, expected[1], 1e-5);
});

test('rmsprop: E[g²] ← ρE[g²] + (1−ρ)g², θ ← θ − αg/√(E[g²] + ε)', () => {
  const rho = 0.99;
  const expected = byHand([1, -2], (th, s) => {
    s.ms = rho * (s.ms ?? 0) + (1 - rho) * th * th;
    return th - (0.01 * th) / Math.sqrt(s.ms + 1e-8);
  });
  // θ₁ = θ₀ − 0.01·θ₀/√(0.01θ₀²) = θ₀ − 0.1·sign(θ₀) = [0.9, −1.9]
  close(expected[0], [0.9, -1.9], 1e-6);
  const [t1, t2] = twoSteps({ name: 'rmsprop', lr: 0.01 });
  close(t1, expected[0], 1e-5);
  close(t2, expected[1], 1e-5);
});

test('adam: bias-corrected moments, first step moves each θ by α·sign(g)', () => {
  const [b1, b2, lr, eps] = [0.9, 0.999, 0.1, 1e-8];
  const expected = byHand([1, -2], (th, s, t) => {
    s.m = b1 * (s.m ?? 0) + (1 - b1) * th;
    s.v = b2 * (s.v ?? 0) + (1 - b2) * th * th;
    const mHat = s.m / (1 - b1 ** t);
    const vHat = s.v / (1 - b2 ** t);
    return th - (lr * mHat) / (Math.sqrt(vHat) + eps);
  });
  close(expected[0], [0.9, -1.9], 1e-6);
  const [t1, t2] = twoSteps({ name: 'adam', lr, beta1: b1, beta2: b2, epsilon: eps });
  close(t1, expected[0], 1e-5);
  close(t2, expected[1], 1e-5);
});

test('adam: getState → setState into a fresh optimiser continues bit for bit after any number of steps (β^t restored as the product training built)', async () => {
  const loss = (theta: tf.Variable) => () => tf.sum(tf.mul(tf.square(theta), tf.tensor1d([0.5, 1.5, 3, 0.1]))) as tf.Scalar;
  for (let steps = 1; steps <= 8; steps++) {
    const opt = makeOptimizer({ name: 'adam', lr: 0.01, beta1: 0.5, beta2: 0.999 });
    const theta = tf.variable(tf.tensor1d([1, -2, 0.3, 5]));
    for (let k = 0; k < steps; k++) tf.dispose(opt.minimize(loss(theta), [theta]));
    const fresh = makeOptimizer({ name: 'adam', lr: 0.01, beta1: 0.5, beta2: 0.999 });
    const copy = tf.variable(theta.clone());
    await fresh.setState(await opt.getState());
    for (let k = 0; k < 3; k++) {
      tf.dispose(opt.minimize(loss(theta), [theta]));
      tf.dispose(fresh.minimize(loss(copy), [copy]));
    }
    assert.equal([...copy.dataSync()], [...theta.dataSync()], `restored after ${steps} steps`);
    tf.dispose([theta, copy]);
    opt.dispose();
    fresh.dispose();
  }
});

test('adam and rmsprop: the tfjs engine and the flat one take the same defaults, PyTorch\'s (β₁ 0.9, β₂ 0.999, ε 1e-8; ρ 0.99, ε 1e-8)', () => {
  assert.equal({ ...ADAM_DEFAULTS }, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  assert.equal({ ...RMSPROP_DEFAULTS }, { rho: 0.99, epsilon: 1e-8 });
  const adam = makeOptimizer({ name: 'adam', lr: 0.1 });
  const { beta1, beta2, epsilon } = adam.tfOptimizer.getConfig();
  assert.equal({ beta1, beta2, epsilon }, { ...ADAM_DEFAULTS });
  const fusedAdam = new FusedAdam(2, 0.1);
  assert.equal({ beta1: fusedAdam.beta1, beta2: fusedAdam.beta2, epsilon: fusedAdam.epsilon }, { ...ADAM_DEFAULTS });
  const rmsprop = makeOptimizer({ name: 'rmsprop', lr: 0.1 });
  const { decay, epsilon: rmsEpsilon } = rmsprop.tfOptimizer.getConfig();
  assert.equal({ rho: decay, epsilon: rmsEpsilon }, { ...RMSPROP_DEFAULTS });
  const fusedRmsprop = new FusedRmsprop(2, 0.1);
  assert.equal({ rho: fusedRmsprop.rho, epsilon: fusedRmsprop.epsilon }, { ...RMSPROP_DEFAULTS });
  adam.dispose();
  rmsprop.dispose();
});

test('clipping by global norm scales [3, 4] to norm 1; by value clips each element', () => {
  const run = (spec: OptimizerSpec) => {
    const opt = makeOptimizer(spec);
    const theta = tf.variable(tf.zeros([2]));
    // L = 3θ₀ + 4θ₁ → g = [3, 4], ‖g‖ = 5
    tf.dispose(opt.minimize(() => tf.sum(tf.mul(tf.tensor1d([3, 4]), theta)) as tf.Scalar, [theta]));
    const out = [...theta.dataSync()];
    theta.dispose();
    opt.dispose();
    return out;
  };
  close(run({ name: 'sgd', lr: 1, clipNorm: 1 }), [-0.6, -0.8], 1e-5);
  close(run({ name: 'sgd', lr: 1, clipNorm: 10 }), [-3, -4], 1e-5);
  close(run({ name: 'sgd', lr: 1, clipValue: 2 }), [-2, -2], 1e-6);
});

test('momentum, nesterov, adagrad and adadelta take their defaults from core/optimDefaults.ts (μ 0.9; G₀ 0.1; ρ 0.95, ε 1e-6)', () => {
  assert.equal({ ...MOMENTUM_DEFAULTS }, { momentum: 0.9 });
  assert.equal({ ...ADAGRAD_DEFAULTS }, { initialAccumulator: 0.1 });
  assert.equal({ ...ADADELTA_DEFAULTS }, { rho: 0.95, epsilon: 1e-6 });
  const opts = (['momentum', 'nesterov', 'adagrad', 'adadelta'] as const).map((name) => makeOptimizer({ name, lr: 0.1 }));
  const [momentum, nesterov, adagrad, adadelta] = opts.map((o) => o.tfOptimizer.getConfig());
  assert.equal([momentum!.momentum, momentum!.useNesterov], [MOMENTUM_DEFAULTS.momentum, false]);
  assert.equal([nesterov!.momentum, nesterov!.useNesterov], [MOMENTUM_DEFAULTS.momentum, true]);
  assert.is(adagrad!.initialAccumulatorValue, ADAGRAD_DEFAULTS.initialAccumulator);
  assert.equal({ rho: adadelta!.rho, epsilon: adadelta!.epsilon }, { ...ADADELTA_DEFAULTS });
  for (const o of opts) o.dispose();
});

test('bad optimizer specs get errors naming the field', () => {
  assert.throws(() => makeOptimizer({ name: 'adamw' as never, lr: 1 }), /'name' must be one of sgd, momentum/);
  // the bad value described as it is (describeValue), not String(...)'s [object Object] or an unquoted string
  assert.throws(() => makeOptimizer({ name: { algo: 'adam' } as never, lr: 1 }), /'name' must be one of .*, got \{ algo: "adam" \}$/);
  assert.throws(() => makeOptimizer({ name: 'adam', lr: 1 }).setLearningRate('0.1' as never), /^optimizer adam: learning rate must be a number ≥ 0, got "0\.1"$/);
  assert.throws(() => makeOptimizer({ name: 'adam', lr: -1 }), /^optimizer adam config: 'lr' must be a number > 0, got -1$/);
  // the decay-rate rule of a model's Adam settings (base/configCheck.ts DECAY_RATE)
  assert.throws(() => makeOptimizer({ name: 'adam', lr: 1e-3, beta1: 1 }), /^optimizer adam config: 'beta1' must be a number ≥ 0 and < 1, got 1$/);
  assert.throws(() => makeOptimizer({ name: 'rmsprop', lr: 1e-3, rho: -0.5 }), /'rho' must be a number ≥ 0 and < 1, got -0.5/);
  assert.throws(() => makeOptimizer({ name: 'momentum', lr: 1e-3, momentum: Number.NaN }), /'momentum' must be a number ≥ 0, got NaN/);
  assert.throws(() => makeOptimizer({ name: 'sgd', lr: 0.1, clipNorm: 0 }), /'clipNorm'/);
  assert.throws(() => makeOptimizer({ name: 'sgd' } as OptimizerSpec), /'lr' is required/);
});

test("adam: a gradient of a name that is no variable is an error naming it, before any variable moves (not a TypeError)", () => {
  const opt = makeOptimizer({ name: 'adam', lr: 0.1 });
  const theta = tf.variable(tf.tensor1d([1, -2]));
  const g = tf.tensor1d([1, 1]);
  try {
    assert.throws(
      () => opt.tfOptimizer.applyGradients({ [theta.name]: g, 'no-such-variable': g }),
      (e: unknown) => !(e instanceof TypeError) && e instanceof Error && e.message === "adam: a gradient names 'no-such-variable', which is no variable (a gradient map's keys are its variables' names)",
    );
    assert.equal(Array.from(theta.dataSync()), [1, -2], 'no variable moved');
  } finally {
    tf.dispose([theta, g]);
    opt.dispose();
  }
});

test('setLearningRate: the next steps of sgd, momentum and adam use the new α (adam\'s first step moves θ by α·sign(g)); optimisers that keep α fixed, and bad rates, throw naming the problem', () => {
  for (const name of ['sgd', 'momentum', 'adam'] as const) {
    const opt = makeOptimizer({ name, lr: 0.1 });
    opt.setLearningRate(0.01);
    const theta = tf.variable(tf.tensor1d([1, -2]));
    tf.dispose(opt.minimize(() => tf.mul(0.5, tf.sum(tf.square(theta))) as tf.Scalar, [theta]));
    // sgd and momentum (v₁ = g): θ − 0.01θ; adam: θ − 0.01 sign(θ)
    close(theta.dataSync(), name === 'adam' ? [0.99, -1.99] : [0.99, -1.98], 1e-6, name);
    theta.dispose();
    assert.throws(() => opt.setLearningRate(-1), (e: Error) => e instanceof RangeError && e.message.includes(`optimizer ${name}: learning rate`));
    opt.dispose();
  }
  for (const name of ['rmsprop', 'adagrad', 'adadelta'] as const) {
    const opt = makeOptimizer({ name, lr: 0.1 });
    assert.throws(() => opt.setLearningRate(0.01), (e: Error) => e.message.includes(`optimizer ${name}: its learning rate cannot change`));
    opt.dispose();
  }
});

test('a variable the loss does not reach, or a non-trainable one, is an error naming it (minimize and computeGradients), with nothing moved and no tensor left', () => {
  const used = tf.variable(tf.tensor1d([1, -2]), true, 'opt_test_used');
  const unused = tf.variable(tf.tensor1d([3]), true, 'opt_test_unused');
  const frozen = tf.variable(tf.tensor1d([4]), false, 'opt_test_frozen');
  const loss = () => tf.sum(tf.square(used)) as tf.Scalar;
  const opt = makeOptimizer({ name: 'sgd', lr: 0.1 });
  const before = tf.memory().numTensors;
  assert.throws(() => opt.minimize(loss, [used, unused]), (e: Error) => e.message === "no gradient for variable 'opt_test_unused': the loss does not depend on it");
  assert.throws(() => opt.minimize(loss, [used, frozen]), (e: Error) => e.message === "no gradient for variable 'opt_test_frozen': it is not trainable");
  assert.throws(
    () => computeGradients(loss, new Map([['w', used], ['b', unused]])),
    (e: Error) => e.message === "no gradient for variable 'b': the loss does not depend on it",
  );
  assert.equal([...used.dataSync()], [1, -2], 'nothing moved');
  assert.is(tf.memory().numTensors, before, 'every gradient and the loss freed');
  // every variable reached: the step as before
  tf.dispose(opt.minimize(loss, [used]));
  close(used.dataSync(), [0.8, -1.6], 1e-6, 'θ − 0.1·2θ');
  tf.dispose([used, unused, frozen]);
  opt.dispose();
});

test.run();
