/**
 * Quality measures of a generator, computed with the project's MNIST classifier (lenet.ts):
 *
 * - Classifier score, the Inception score of Salimans et al. 2016 with the MNIST classifier in
 *   place of Inception:  CS = exp( E_x KL(p(y|x) ‖ p(y)) ),  p(y) = E_x p(y|x).
 *   It lies in [1, 10]: 10 when every sample is classified with certainty and the classes are
 *   balanced, 1 when all samples look alike to the classifier.
 * - Fréchet distance (Heusel et al. 2017, FID with the classifier's penultimate features):
 *   d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½), covariances with the n − 1 denominator
 *   (numpy.cov, as pytorch-fid); Tr((Σ₁^½ Σ₂ Σ₁^½)^½) = Σ √λᵢ over the eigenvalues of the
 *   symmetric PSD matrix Σ₁^½ Σ₂ Σ₁^½, all in Float64 with a cyclic Jacobi eigen-solver.
 * - Class histogram: the fraction of samples the classifier assigns to each digit (mode
 *   collapse shows as missing classes).
 */
import { foldSeed32, Rng } from '../base/rng.js';
import { argmax } from '../base/stats.js';
import type { Classifier } from './lenet.js';
import { MNIST_SIZES } from './mnist.js';
import type { GenerativeLearner } from './types.js';
import { MNIST_CLASSES } from './kinds.js';

/** exp(mean KL(p(y|x) ‖ p(y))) over n rows of k class probabilities. */
export function classifierScore(probs: ArrayLike<number>, n: number, k = MNIST_CLASSES): number {
  if (probs.length !== n * k || n < 1) throw new RangeError(`classifierScore: expected ${n} × ${k} probabilities, got ${probs.length}`);
  const py = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) py[c]! += probs[i * k + c]! / n;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c]!;
      if (p > 0) kl += p * (Math.log(p) - Math.log(py[c]!));
    }
  }
  return Math.exp(kl / n);
}

/** Fraction of the n rows whose most probable class is each of the k classes. */
export function classHistogram(probs: ArrayLike<number>, n: number, k = MNIST_CLASSES): number[] {
  if (probs.length !== n * k || n < 1) throw new RangeError(`classHistogram: expected ${n} × ${k} probabilities, got ${probs.length}`);
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) counts[argmax(probs, i * k, k)]!++;
  return counts.map((c) => c / n);
}

/** Mean and covariance (n − 1 denominator) of n rows of d features. */
export interface FeatureStats {
  d: number;
  mean: Float64Array;
  cov: Float64Array;
}

export function featureStats(features: ArrayLike<number>, n: number, d: number): FeatureStats {
  if (features.length !== n * d || n < 2) throw new RangeError(`featureStats: expected n ≥ 2 rows of ${d} features, got ${features.length} values for n = ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += features[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j]! /= n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = features[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < d; b++) cov[a * d + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b]! / (n - 1);
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { d, mean, cov };
}

/**
 * Eigen-decomposition of a symmetric d × d matrix (row-major) by cyclic Jacobi rotations
 * (Golub & Van Loan §8.5): values and vectors (columns of V, row-major), A = V diag(λ) Vᵀ.
 */
export function symmetricEigen(matrix: ArrayLike<number>, d: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(matrix);
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let p = 0; p < d; p++) {
      diag += A[p * d + p]! ** 2;
      for (let q = p + 1; q < d; q++) off += A[p * d + q]! ** 2;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300) || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q]!;
        if (apq === 0) continue;
        const app = A[p * d + p]!;
        const aqq = A[q * d + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows/columns p and q
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p]!;
          const akq = A[k * d + q]!;
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k]!;
          const aqk = A[q * d + k]!;
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p]!;
          const vkq = V[k * d + q]!;
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = A[i * d + i]!;
  return { values, vectors: V };
}

/** The symmetric PSD square root V diag(√max(λ, 0)) Vᵀ. */
export function sqrtPsd(matrix: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors: V } = symmetricEigen(matrix, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(values[k]!, 0));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = V[i * d + k]! * s;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j]! += vik * V[j * d + k]!;
    }
  }
  return out;
}

function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j]! += aik * b[k * d + j]!;
    }
  }
  return out;
}

/** Fréchet distance between two Gaussians given by their statistics (module doc). */
export function frechetFromStats(s1: FeatureStats, s2: FeatureStats): number {
  const d = s1.d;
  if (s2.d !== d) throw new RangeError(`frechetFromStats: ${s1.d} vs ${s2.d} features`);
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (s1.mean[j]! - s2.mean[j]!) ** 2;
  const r1 = sqrtPsd(s1.cov, d);
  const M = matmul(matmul(r1, s2.cov, d), r1, d);
  // symmetrise against rounding before the eigen-solver
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) M[i * d + j] = M[j * d + i] = 0.5 * (M[i * d + j]! + M[j * d + i]!);
  const { values } = symmetricEigen(M, d);
  let trSqrt = 0;
  for (const v of values) trSqrt += Math.sqrt(Math.max(v, 0));
  let tr = 0;
  for (let j = 0; j < d; j++) tr += s1.cov[j * d + j]! + s2.cov[j * d + j]!;
  return Math.max(0, meanTerm + tr - 2 * trSqrt);
}

/** Fréchet distance between two feature sets (rows of `dim` features each). */
export function frechetDistance(featsA: ArrayLike<number>, featsB: ArrayLike<number>, dim: number): number {
  return frechetFromStats(featureStats(featsA, featsA.length / dim, dim), featureStats(featsB, featsB.length / dim, dim));
}

/**
 * Where a generative run's evaluation noise comes from, in one place (as agents/evaluate.ts
 * `EVAL_SEEDS` for episodes): by the run's seed, `score`, the samples scored after each epoch
 * (classifier score, Fréchet distance, class fractions), and `fresh`, `nnlab eval`'s grid of new
 * samples; `testElbo`, the VAE's one z sample per test image of its test negative ELBO, is one
 * fixed seed for every run, so the ELBOs of runs and epochs differ only by their models. `score`
 * and `fresh` offset the seed folded to 32 bits (base/rng.ts foldSeed32: the seed itself below 2³²),
 * so they stay an Rng's seed for every seed a config accepts, up to Number.MAX_SAFE_INTEGER.
 */
export const GENERATIVE_EVAL_SEEDS = Object.freeze({
  score: (seed: number): number => foldSeed32(seed) + 1,
  fresh: (seed: number): number => foldSeed32(seed) + 4242,
  testElbo: 12345,
});

export interface GeneratorEval {
  classifierScore: number;
  frechetDistance: number;
  /** Fraction of samples per digit. */
  histogram: number[];
  /** Smallest class fraction. */
  minClassFraction: number;
  samples: number;
}

/**
 * Evaluates a generator: `samples` images (default: as many as MNIST's test set) from latents drawn from `seed` (a run's
 * `GENERATIVE_EVAL_SEEDS.score`; labels 0..9 cyclic when the model is conditional) through the classifier; Fréchet distance against `reference` (e.g. the test set's stats).
 */
export function evaluateGenerator(learner: GenerativeLearner, classifier: Classifier, reference: FeatureStats, opts: { samples?: number; seed: number }): GeneratorEval {
  const n = opts.samples ?? MNIST_SIZES.test;
  const rng = new Rng(opts.seed);
  const L = learner.latentDim;
  const probs = new Float32Array(n * MNIST_CLASSES);
  const features = new Float32Array(n * classifier.featureDim);
  const chunk = 1000;
  for (let s = 0; s < n; s += chunk) {
    const m = Math.min(chunk, n - s);
    const z = rng.fillNormal(new Float32Array(m * L));
    const labels = learner.conditional ? Uint8Array.from({ length: m }, (_, i) => (s + i) % MNIST_CLASSES) : undefined;
    const images = learner.sample(z, labels);
    const out = classifier.predict(images, m);
    probs.set(out.probs, s * MNIST_CLASSES);
    features.set(out.features, s * classifier.featureDim);
  }
  const histogram = classHistogram(probs, n);
  return {
    classifierScore: classifierScore(probs, n),
    frechetDistance: frechetFromStats(featureStats(features, n, classifier.featureDim), reference),
    histogram,
    minClassFraction: Math.min(...histogram),
    samples: n,
  };
}
