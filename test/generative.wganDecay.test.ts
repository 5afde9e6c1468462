// Learning-rate decay in WGAN and WGAN-GP (`decayStart`, `decayIterations`; generative/lrDecay.ts):
// both rates are α · decayFactor(t) at generator iteration t, on RMSprop and Adam; a run that has
// not reached decayStart is bit for bit the run without decay, and past the decay nothing moves.
import * as assert from 'uvu/assert';
import { Rng } from '../base/rng.js';
import { resolveWganConfig, Wgan, type WganConfig } from '../generative/wgan.js';
import type { TensorMap } from '../core/tensors.js';
import { batchOf, close, useCpu, test } from './helpers.js';

test.before(useCpu);

const SMALL: Partial<WganConfig> = { latentDim: 4, generatorHidden: [16], criticHidden: [12, 8], nCritic: 2, batchSize: 6 };
const DECAY = { decayStart: 10, decayIterations: 4 };

function iterate(learner: Wgan, rng: Rng): void {
  learner.trainStep(learner.schedule().map(() => batchOf(SMALL.batchSize!, rng)));
}

/** The largest |after − before| over the named weights. */
function largestStep(before: TensorMap, after: TensorMap, names: string[]): number {
  return Math.max(...names.map((k) => after[k]!.data.reduce((m, v, i) => Math.max(m, Math.abs(v - before[k]!.data[i]!)), 0)));
}

test('config: off by default, checked by name', () => {
  for (const variant of ['clip', 'gp'] as const) {
    const c = resolveWganConfig({}, variant);
    assert.equal([c.decayStart, c.decayIterations], [0, 0]);
  }
  for (const bad of [{ decayStart: -1 }, { decayIterations: 2.5 }]) {
    assert.throws(() => new Wgan({ ...SMALL, ...bad }, new Rng(1), 'gp'), (e: Error) => e instanceof RangeError && e.message.startsWith(`WGAN-GP config: '${Object.keys(bad)[0]}'`));
  }
});

test('both rates are α · decayFactor(t): the decayed step, and no step past the decay (RMSprop and Adam)', () => {
  for (const variant of ['clip', 'gp'] as const) {
    const learner = new Wgan({ ...SMALL, ...DECAY }, new Rng(3), variant);
    const alpha = learner.config.learningRate;
    assert.equal(
      [0, 10, 11, 12, 13, 14].map((t) => {
        learner.generatorIterations = t;
        return [learner.learningRate('critic'), learner.learningRate('generator')];
      }),
      [1, 1, 0.75, 0.5, 0.25, 0].map((f) => [alpha * f, alpha * f]),
      variant,
    );
    // G's first Adam step (one per iteration) moves its largest element by ≈ the rate: at iteration 12, α / 2
    learner.generatorIterations = 12;
    const names = Object.keys(learner.getParams());
    const gNames = learner.generator.trainableWeights.map((w) => w.originalName);
    const before = learner.getParams();
    iterate(learner, new Rng(4));
    const moved = largestStep(before, learner.getParams(), gNames);
    // (RMSprop's first step, ρ = 0.99, moves every element with a gradient by α/√(1 − ρ) = 10α)
    const first = variant === 'gp' ? alpha / 2 : (10 * alpha) / 2;
    close([moved], [first], 0.02 * first, `${variant}: G's largest step at factor 0.5`);
    // past the decay the rates are 0: nothing moves
    learner.generatorIterations = 14;
    const frozen = learner.getParams();
    iterate(learner, new Rng(5));
    assert.is(largestStep(frozen, learner.getParams(), names), 0, `${variant}: a weight moved at rate 0`);
  }
});

test('before decayStart the run is bit for bit the run without decay', () => {
  for (const variant of ['clip', 'gp'] as const) {
    const [a, b] = [new Wgan({ ...SMALL, ...DECAY }, new Rng(6), variant), new Wgan(SMALL, new Rng(6), variant)];
    const [ra, rb] = [new Rng(7), new Rng(7)];
    for (let it = 0; it < 3; it++) {
      iterate(a, ra);
      iterate(b, rb);
    }
    const [pa, pb] = [a.getParams(), b.getParams()];
    for (const k of Object.keys(pb)) assert.equal(pa[k]!.data, pb[k]!.data, `${variant} ${k}`);
  }
});

test.run();
