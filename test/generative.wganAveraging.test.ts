// Generator averaging in the fused GANs (generative/mlpGan.ts + averaging.ts, WGAN / WGAN-GP
// `emaDecay`): θ̄ follows θ̄ ← β θ̄ + (1 − β) θ after each generator step and nothing else; training
// is unchanged by it; θ̄ samples with batchnorm averages recomputed for its weights; save → load
// continues exactly, generator/ is θ̄; a model is not loaded across emaDecay on/off. MLP and conv nets.
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Rng } from '../base/rng.js';
import { loadModelFiles } from '../core/checkpoint.js';
import { averageInto } from '../generative/averaging.js';
import { GENERATIVE_MODELS } from '../generative/models.js';
import { resolveWganConfig, Wgan, type WganConfig } from '../generative/wgan.js';
import { batchOf, close, NATIVE_REQUIRED, useCpu, test } from './helpers.js';

test.before(useCpu);

const BETA = 0.75;
/** Small nets with a batch-normalised G: an MLP 4 → 16 → 784, or DCGAN's G 4 → 7·7·4 → 2 → 1 channels. */
const NETS: { name: string; config: Partial<WganConfig> }[] = [
  { name: 'mlp', config: { latentDim: 4, generatorHidden: [16], criticHidden: [12, 8], generatorBatchNorm: true, nCritic: 2, batchSize: 6 } },
  ...(NATIVE_REQUIRED ? [{ name: 'dcgan', config: { architecture: 'dcgan' as const, latentDim: 4, gFilters: 2, dFilters: 2, nCritic: 2, batchSize: 6 } }] : []),
];

test('config: emaDecay is off by default and checked by name', () => {
  assert.is(resolveWganConfig({}, 'clip').emaDecay, 0);
  assert.is(resolveWganConfig({}, 'gp').emaDecay, 0);
  assert.equal(GENERATIVE_MODELS['wgan-gp'].resolve({}), resolveWganConfig({}, 'gp'), 'the registry resolves the same');
  for (const bad of [1, -0.1, Number.NaN]) {
    assert.throws(() => new Wgan({ emaDecay: bad }, new Rng(1), 'gp'), (e: unknown) => e instanceof RangeError && /WGAN-GP config: 'emaDecay'/.test(e.message), String(bad));
  }
  assert.not.ok(new Wgan({}, new Rng(1), 'clip').Gbar);
});

test('averageInto: θ̄ ← β θ̄ + (1 − β) θ; mismatched sizes throw', () => {
  const bar = Float32Array.of(1, 2);
  averageInto(bar, Float32Array.of(3, -2), 0.75);
  close(bar, [1.5, 1], 1e-7, 'θ̄');
  assert.throws(() => averageInto(bar, new Float32Array(3), 0.5), /θ̄ has 2 values, θ 3/);
});

for (const { name, config } of NETS) {
  for (const variant of ['clip', 'gp'] as const) {
    test(`${name} ${variant}: θ̄ is the moving average of G after each generator step; G and D train exactly as without it; θ̄ samples`, () => {
      const n = 6;
      const avg = new Wgan({ ...config, emaDecay: BETA }, new Rng(3), variant);
      const plain = new Wgan(config, new Rng(3), variant);
      const expected = avg.G.params.slice();
      assert.equal(avg.Gbar!.params, expected, 'θ̄ starts at G\'s initial weights');
      const dataRng = new Rng(4);
      for (let it = 0; it < 3; it++) {
        const bs = avg.schedule().map(() => batchOf(n, dataRng));
        assert.equal(avg.trainStep(bs), plain.trainStep(bs));
        for (let k = 0; k < expected.length; k++) expected[k] = Math.fround(BETA * expected[k]! + (1 - BETA) * avg.G.params[k]!);
        close(avg.Gbar!.params, expected, 0, `θ̄ after iteration ${it}`);
      }
      assert.equal(avg.G.params, plain.G.params);
      assert.equal(avg.D.params, plain.D.params);
      assert.ok(avg.Gbar!.params.some((v, k) => v !== avg.G.params[k]), 'θ̄ lags G');
      // sample() is θ̄'s: its batchnorm averages recomputed once per new step
      const mean = () => Object.values(avg.Gbar!.statsMap())[0]!.data.slice();
      const initial = mean();
      const z = dataRng.fillNormal(new Float32Array(5 * 4));
      const s = avg.sample(z);
      assert.ok(mean().some((v, k) => v !== initial[k]), 'θ̄\'s running averages were recomputed');
      close(avg.sample(z), s, 0, 'no recomputation without a new step');
      const byHand = avg.Gbar!.forward(z, 5, false);
      close(s, Float32Array.from(byHand.subarray(0, 5 * 784), (v) => (v + 1) / 2), 0, 'sample = θ̄(z)');
      assert.ok(s.some((v, k) => v !== plain.sample(z)[k]), 'the averaged generator samples, not G');
      avg.dispose();
      plain.dispose();
    });
  }

  test(`${name}: save → load continues exactly; generator/ is θ̄ (a browser's predict gives sample()); generator-online/ is G; no load across emaDecay on/off; no tensor leaks`, async () => {
    const before = tf.memory().numTensors;
    const dir = await mkdtemp(path.join(tmpdir(), `nnlab-wgan-ema-${name}-`));
    try {
      const c = { ...config, emaDecay: BETA };
      const a = new Wgan(c, new Rng(5), 'gp');
      const rng = new Rng(6);
      const batches = () => a.schedule().map(() => batchOf(6, rng));
      for (let it = 0; it < 2; it++) a.trainStep(batches());
      const z = rng.fillNormal(new Float32Array(3 * 4));
      const sa = a.sample(z);
      await a.save(dir);
      const g = await loadModelFiles(path.join(dir, 'generator'));
      const pred = tf.tidy(() => tf.mul(tf.add(g.predict(tf.tensor2d(z, [3, 4])) as tf.Tensor, 1), 0.5).dataSync());
      close(pred, sa, 1e-5, 'browser generator = θ̄');
      g.dispose();
      const online = await loadModelFiles(path.join(dir, 'generator-online'));
      const w0 = online.getWeights()[0]!;
      close(w0.dataSync(), a.G.params.subarray(0, w0.size), 0, 'generator-online/ = G');
      online.dispose();
      const b = new Wgan(c, new Rng(99), 'gp');
      await b.load(dir);
      close(b.sample(z), sa, 0, 'loaded θ̄ samples');
      const next = batches();
      assert.equal(b.trainStep(next), a.trainStep(next));
      for (const k of ['G', 'D', 'Gbar'] as const) close(b[k]!.params, a[k]!.params, 0, `${k} after load`);
      close(b.sample(z), a.sample(z), 0, 'samples after a step');
      // a model saved without averaging cannot be continued with it, nor an averaging one without
      const plain = new Wgan(config, new Rng(1), 'gp');
      const plainDir = path.join(dir, 'plain');
      await plain.save(plainDir);
      const loadError = (m: Wgan, from: string) => m.load(from).then(() => undefined, (e: Error) => e);
      const averaging = new Wgan(c, new Rng(1), 'gp');
      assert.match((await loadError(averaging, plainDir))?.message ?? '', /no generator-online\/.*emaDecay 0\.75/);
      assert.match((await loadError(plain, dir))?.message ?? '', /holds an averaging model.*emaDecay 0/);
      for (const m of [a, b, plain, averaging]) m.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.is(tf.memory().numTensors, before, 'tensors');
  });
}

test.run();
