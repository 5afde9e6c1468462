/**
 * bench:torch — nnlab against PyTorch (with OpenBLAS) on the same machine, same models, batch
 * sizes and optimisers, side by side in one run; median ms per step and the ratio nnlab / PyTorch.
 * The sides alternate over `--rounds` rounds (3 by default) and each figure is the median over them,
 * so a drift of the machine's speed during the run does not land on one side.
 *
 *   node dist/bench/compare-torch.js [--steps 200] [--rounds 3]
 *
 * nnlab's columns: the DQN update and the default VAE's step on the fused path (core/fused.ts,
 * generative/fusedVae.ts) and through tfjs ops on the chosen backend; the paper DCGAN's D+G step
 * through tfjs ops and as `Dcgan.trainStep` on the fused conv engine (core/fusedConvNet.ts), and
 * the default `dcgan`'s trainStep on that engine (its nets and recipe: DCGAN_DEFAULTS); one
 * iteration of the default `wgan-gp` (generative/wgan.ts: 5 critic steps with the gradient penalty,
 * one generator step, on the fused engine) and the same iteration on its conv nets (`architecture:
 * 'dcgan'`, the fused conv engine); the rollout workers' policy forward (FusedMlp.forward, core/fusedNet.ts).
 * The PyTorch side is bench/python/compare_torch.py (`apt-get install -y python3-torch
 * libopenblas0-openmp`). Writes bench/results/compare-torch.json.
 */
import { execFileSync } from 'node:child_process';
import { findTorchPython, median, parseJsonFrom, positiveIntArg, timeSteps } from './stats.js';
import { z } from 'zod';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../core/backend.js';
import { fusedGemm } from '../core/fused.js';
import { nativeAvailable } from '../core/nativeAddon.js';
import { buildMlp } from '../core/nn.js';
import { FusedMlp } from '../core/fusedNet.js';
import { Rng } from '../base/rng.js';
import { getParams } from '../core/tensors.js';
import { ReplayBuffer } from '../core/replay.js';
import { DqnLearner } from '../agents/dqn.js';
import { dqnStep, vaeStep } from './core.js';
import { hiddenLayers, VAE_DEFAULTS } from '../generative/vae.js';
import { FusedVae } from '../generative/fusedVae.js';
import { Wgan } from '../generative/wgan.js';
import * as tf from '@tensorflow/tfjs';
import { buildDiscriminator, buildGenerator, Dcgan, DCGAN_DEFAULTS, generatorLearningRateOf, PAPER_DCGAN, type DcganConfig } from '../generative/dcgan.js';
import type { ImageBatch } from '../generative/types.js';
import { makeOptimizer } from '../core/optim.js';
import { bceWithLogits } from '../core/losses.js';
import { trainableVariables } from '../core/tensors.js';

/**
 * One DCGAN step (Radford et al. 2016) at 28x28, batch 64: a discriminator step on real and fake
 * images, then a generator step with the non-saturating loss; Adam 2e-4, β₁ 0.5; batchnorm in
 * training mode. G: 100 → 7·7·128 (BN, ReLU) → convT 64 5x5/2 (BN, ReLU) → convT 1 5x5/2 (tanh).
 * D: conv 64 5x5/2 (LeakyReLU 0.2) → conv 128 5x5/2 (BN, LeakyReLU) → flatten → dense 1 (logit).
 */
export function dcganStep(batch = 64): { step: () => void; dispose: () => void } {
  const rng = new Rng(4);
  // the paper's models of generative/dcgan.ts (latent 100, ngf = ndf = 64, 5x5 kernels)
  const G = buildGenerator(PAPER_DCGAN, rng.split());
  const D = buildDiscriminator(PAPER_DCGAN, rng.split());
  const optD = makeOptimizer({ name: 'adam', lr: 2e-4, beta1: 0.5 });
  const optG = makeOptimizer({ name: 'adam', lr: 2e-4, beta1: 0.5 });
  const real = rng.fillUniform(new Float32Array(batch * 784), -1, 1);
  const zs = new Float32Array(batch * 100);
  const step = () => {
    rng.fillNormal(zs);
    const lossD = optD.minimize(() => tf.tidy(() => {
      const fake = G.apply(tf.tensor2d(zs, [batch, 100]), { training: true }) as tf.Tensor;
      const dReal = D.apply(tf.tensor4d(real, [batch, 28, 28, 1]), { training: true }) as tf.Tensor;
      const dFake = D.apply(fake, { training: true }) as tf.Tensor;
      return tf.add(bceWithLogits(dReal, tf.onesLike(dReal)), bceWithLogits(dFake, tf.zerosLike(dFake))) as tf.Scalar;
    }), trainableVariables(D));
    const lossG = optG.minimize(() => tf.tidy(() => {
      const dFake = D.apply(G.apply(tf.tensor2d(zs, [batch, 100]), { training: true }), { training: true }) as tf.Tensor;
      return bceWithLogits(dFake, tf.onesLike(dFake)) as tf.Scalar;
    }), trainableVariables(G));
    lossD.dataSync();
    lossG.dataSync();
    tf.dispose([lossD, lossG]);
  };
  return { step, dispose: () => (G.dispose(), D.dispose(), optD.dispose(), optG.dispose()) };
}

/**
 * One `Dcgan.trainStep` (generative/dcgan.ts; K = 1 critic step, then the generator step, each with
 * fresh z, then θ̄'s update when `emaDecay` > 0) on the engine `nnlab train dcgan` uses (`fused: true`,
 * core/fusedConvNet.ts); `config` {} is the default DCGAN, PAPER_DCGAN the paper's.
 */
export function dcganLearnerStep(config: Partial<DcganConfig> = {}, batch = 64): { step: () => void; engine: string; dispose: () => void } {
  const rng = new Rng(4);
  const learner = new Dcgan(config, rng.split());
  const real: ImageBatch = { n: batch, images: rng.fillUniform(new Float32Array(batch * 784), -1, 1), labels: new Uint8Array(batch) };
  const batches = learner.schedule().map(() => real);
  return { step: () => void learner.trainStep(batches), engine: learner.engine, dispose: () => learner.dispose() };
}

/** The default VAE's hidden layers (generative/vae.ts): the VAE rows time the model `nnlab train vae` trains. */
const VAE_HIDDEN = hiddenLayers(VAE_DEFAULTS);
const VAE_NAME = `784-${VAE_HIDDEN.join('-')}-20`;

/** The default DCGAN's architecture and recipe for the PyTorch side (bench/python/compare_torch.py). */
function dcganArgs(): string[] {
  const d = DCGAN_DEFAULTS;
  return ['--dcgan-kernel', String(d.kernelSize), '--dcgan-dense', String(d.denseUnits), '--dcgan-lr-g', String(generatorLearningRateOf(d)), '--dcgan-ema', String(d.emaDecay), '--dcgan-batch', String(d.batchSize)];
}

/** Median ms per call of `fn`. */
function medianMs(fn: () => void, steps: number, warmup: number): number {
  return median(timeSteps(fn, steps, warmup));
}

/** nnlab's side: median ms per step of every workload, keyed as the PyTorch side's results. */
function measureOurs(steps: number): Record<string, number> {
  const ours: Record<string, number> = {};

  // DQN update, fused path (plain max target, as the PyTorch side)
  const rng = new Rng(1);
  const replay = new ReplayBuffer({ capacity: 1024, obsDim: 4 });
  for (let i = 0; i < 1024; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 1, rng.fillNormal(new Float32Array(4)), rng.random() < 0.05);
  const learner = new DqnLearner(4, 2, { hidden: [128, 128], batchSize: 128, learningRate: 2.5e-4, doubleQ: false, fused: true }, rng.split());
  const batch = replay.sample(128, rng);
  ours.dqn = medianMs(() => void learner.update(batch), steps, 20);
  learner.dispose();
  const tfDqn = dqnStep();
  ours.dqn_tfjs = medianMs(tfDqn.step, Math.max(20, steps / 5), 200); // steady state: tfjs's dispatch code needs a few hundred calls to be optimised by V8
  tfDqn.dispose();
  const vae = vaeStep(128, VAE_HIDDEN);
  ours.vae_tfjs = medianMs(vae.step, Math.max(20, steps / 5), 20);
  vae.dispose();
  {
    // the same VAE step on the fused path (generative/fusedVae.ts), same init and shapes
    const r = new Rng(2);
    const enc = buildMlp({ name: 'enc', inputDim: 784, hidden: [...VAE_HIDDEN], outputDim: 40 }, r.split());
    const dec = buildMlp({ name: 'dec', inputDim: 20, hidden: [...VAE_HIDDEN].reverse(), outputDim: 784 }, r.split());
    const fused = new FusedVae(getParams(enc), getParams(dec), 20, 1e-3);
    enc.dispose();
    dec.dispose();
    const x = new Float32Array(128 * 784).map(() => (r.random() < 0.2 ? 1 : 0));
    const eps = new Float32Array(128 * 20);
    const epsRng = r.split();
    ours.vae = medianMs(() => void fused.step(x, epsRng.fillNormal(eps), 128), Math.max(20, steps / 5), 5);
  }
  const dcgan = dcganStep();
  ours.dcgan = medianMs(dcgan.step, Math.max(5, steps / 40), 2);
  dcgan.dispose();
  for (const [key, config, batch] of [['dcgan_fused', PAPER_DCGAN, 64], ['dcgan_default', {}, DCGAN_DEFAULTS.batchSize]] as const) {
    const learner = dcganLearnerStep(config, batch);
    if (learner.engine === 'fused') ours[key] = medianMs(learner.step, Math.max(5, steps / 40), 2);
    learner.dispose();
  }
  {
    // nnlab's default WGAN-GP (generative/wgan.ts): one trainStep = 5 critic steps with the penalty + 1 generator step
    const wgan = new Wgan({}, new Rng(4), 'gp');
    const r = new Rng(5);
    const images = new Float32Array(64 * 784).map(() => r.random() * 2 - 1);
    const batches = wgan.schedule().map(() => ({ n: 64, images, labels: new Uint8Array(64) }));
    ours.wgan_gp = medianMs(() => void wgan.trainStep(batches), Math.max(10, steps / 10), 3);
    wgan.dispose();
    if (nativeAvailable()) {
      // the same iteration on WGAN-GP's conv nets (architecture 'dcgan': DCGAN's G, gan_mnist.py's critic)
      const conv = new Wgan({ architecture: 'dcgan' }, new Rng(4), 'gp');
      ours.wgan_gp_conv = medianMs(() => void conv.trainStep(batches), Math.max(3, steps / 50), 1);
      conv.dispose();
    }
  }
  const pi = buildMlp({ name: 'pi', inputDim: 4, hidden: [64, 64], outputDim: 2, init: 'torchDefault' }, new Rng(2));
  const fwd = new FusedMlp(getParams(pi), 'relu');
  pi.dispose();
  for (const b of [1, 64]) {
    const x = new Rng(3).fillNormal(new Float32Array(b * 4));
    ours[`policy_b${b}`] = medianMs(() => void fwd.forward(x, b), steps * 10, 100);
  }
  return ours;
}

/** What bench/python/compare_torch.py prints last: its torch version, threads and the median ms of each workload. */
const TORCH_OUTPUT = z.object({ torch: z.string(), threads: z.number().int(), results: z.record(z.string(), z.number()) });

/** PyTorch's side (bench/python/compare_torch.py) run by the interpreter `py`. */
function measureTorch(py: string, steps: number): { results: Record<string, number>; info: string } {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = execFileSync(py, [path.resolve(here, '../../bench/python/compare_torch.py'), '--steps', String(steps), '--vae-hidden', VAE_HIDDEN.join(','), ...dcganArgs()], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
  const j = parseJsonFrom(TORCH_OUTPUT, out.trim().split('\n').at(-1) ?? '', 'bench/python/compare_torch.py (its last line)');
  return { results: j.results, info: `PyTorch ${j.torch}, ${j.threads} threads` };
}

/** Per key, the median over rounds. */
function medianOf(rounds: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(rounds.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(rounds.map((r) => r[k]).filter((v): v is number => v !== undefined))]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string' }, rounds: { type: 'string' } } });
  const steps = positiveIntArg('steps', values.steps, 200);
  // the two sides alternate, round after round (ours first in even rounds, PyTorch first in odd
  // ones), and each figure is the median over rounds: a machine whose speed drifts within a run
  // moves both sides alike instead of whichever ran second
  const roundCount = positiveIntArg('rounds', values.rounds, 3);
  const { name: backend } = await initBackend();
  const gemm = (await fusedGemm()).kind;
  const py = findTorchPython();
  if (py === undefined) console.log('PyTorch not found (apt-get install -y python3-torch libopenblas0-openmp): ratios skipped');
  const oursRounds: Record<string, number>[] = [];
  const theirsRounds: Record<string, number>[] = [];
  let torchInfo = 'not installed';
  for (let round = 0; round < roundCount; round++) {
    const torchRound = () => {
      if (py === undefined) return;
      const t = measureTorch(py, steps);
      theirsRounds.push(t.results);
      torchInfo = t.info;
    };
    if (round % 2 === 1) torchRound();
    oursRounds.push(measureOurs(steps));
    if (round % 2 === 0) torchRound();
    console.log(`round ${round + 1} of ${roundCount} done`);
  }
  const ours = medianOf(oursRounds);
  const theirs = medianOf(theirsRounds);
  const dcganDefault = `DCGAN default (${DCGAN_DEFAULTS.kernelSize}x${DCGAN_DEFAULTS.kernelSize}${DCGAN_DEFAULTS.denseUnits > 0 ? `, fc ${DCGAN_DEFAULTS.denseUnits}` : ''}${DCGAN_DEFAULTS.emaDecay > 0 ? ', G EMA' : ''}) D+G b${DCGAN_DEFAULTS.batchSize}`;
  const rows: [string, string, number, number | undefined][] = [
    ['DQN update 4-128-128-2 b128, Huber, Adam', `nnlab fused (${gemm} GEMM)`, ours.dqn!, theirs.dqn],
    ['DQN update 4-128-128-2 b128, Huber, Adam', `nnlab tfjs ops (${backend})`, ours.dqn_tfjs!, theirs.dqn],
    [`VAE step ${VAE_NAME} b128, BCE+KL, Adam`, `nnlab fused (${gemm} GEMM)`, ours.vae!, theirs.vae],
    [`VAE step ${VAE_NAME} b128, BCE+KL, Adam`, `nnlab tfjs ops (${backend})`, ours.vae_tfjs!, theirs.vae],
    ['DCGAN paper nets D+G step 28x28 b64, BN', `nnlab tfjs ops (${backend})`, ours.dcgan!, theirs.dcgan],
    ...(ours.dcgan_fused !== undefined ? [['DCGAN paper nets D+G step 28x28 b64, BN', 'nnlab Dcgan, fused conv', ours.dcgan_fused, theirs.dcgan] as [string, string, number, number | undefined]] : []),
    ...(ours.dcgan_default !== undefined ? [[dcganDefault, 'nnlab Dcgan, fused conv', ours.dcgan_default, theirs.dcgan_default] as [string, string, number, number | undefined]] : []),
    ['WGAN-GP 5 critic + 1 G steps, MLP b64', `nnlab fused (${gemm} GEMM)`, ours.wgan_gp!, theirs.wgan_gp],
    ...(ours.wgan_gp_conv !== undefined ? [['WGAN-GP 5 critic + 1 G steps, conv b64', 'nnlab Wgan, fused conv', ours.wgan_gp_conv, theirs.wgan_gp_conv] as [string, string, number, number | undefined]] : []),
    ['policy forward 4-64-64-2, batch 1', 'nnlab FusedMlp.forward', ours.policy_b1!, theirs.policy_b1],
    ['policy forward 4-64-64-2, batch 64', 'nnlab FusedMlp.forward', ours.policy_b64!, theirs.policy_b64],
  ];
  console.log(`bench:torch — nnlab backend ${backend}, fused GEMM ${gemm}; peer: ${torchInfo}; ms per step, the median over ${roundCount} alternating rounds of each side's median`);
  console.log('workload'.padEnd(44) + 'nnlab path'.padEnd(28) + 'nnlab ms'.padStart(10) + 'torch ms'.padStart(10) + 'ratio'.padStart(8));
  for (const [w, pathName, a, b] of rows) {
    console.log(w.padEnd(44) + pathName.padEnd(28) + a.toFixed(3).padStart(10) + (b === undefined ? '' : b.toFixed(3)).padStart(10) + (b === undefined ? '' : `${(a / b).toFixed(2)}x`).padStart(8));
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/compare-torch.json',
    JSON.stringify({ date: new Date().toISOString(), backend, gemm, torch: torchInfo, rounds: { nnlab: oursRounds, torch: theirsRounds }, rows: rows.map(([workload, p, nnlab, torch]) => ({ workload, path: p, nnlabMs: nnlab, torchMs: torch ?? null })) }, null, 2),
  );
  console.log('wrote bench/results/compare-torch.json');
}

// Run only as a script (the workloads can be imported for profiling).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
