/**
 * bench:core — median milliseconds per training step of the two reference workloads of the
 * fast-backend issue, on the chosen backend (or several, each in its own process):
 *   DQN update: MLP 4-128-128-2, batch 128, Huber TD loss against a target network, Adam
 *   VAE step:   784-400-20 encoder / 20-400-784 decoder, batch 128, summed BCE + KL, Adam
 *
 *   node dist/bench/core.js [--backends wasm,cpu,native] [--steps N]
 * Prints a table and writes bench/results/core.json.
 */
import * as tf from '@tensorflow/tfjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../core/backend.js';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { huber } from '../core/losses.js';
import { negElboLoss, reparameterise } from '../generative/vae.js';
import { Rng } from '../base/rng.js';
import { trainableVariables } from '../core/tensors.js';
import { fusedGemm } from '../core/fused.js';
import { ReplayBuffer } from '../core/replay.js';
import { DqnLearner } from '../agents/dqn.js';
import { parseJsonFrom, positiveIntArg, quantile, timeSteps } from './stats.js';
import { z } from 'zod';

export interface StepTiming {
  workload: string;
  backend: string;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  steps: number;
}

/** A --child's timings as the parent reads them back. */
const stepTimingSchema = z.object({ workload: z.string(), backend: z.string(), medianMs: z.number(), p10Ms: z.number(), p90Ms: z.number(), steps: z.number().int() }) satisfies z.ZodType<StepTiming, unknown>;

function time(workload: string, backend: string, steps: number, warmup: number, step: () => void): StepTiming {
  const ms = timeSteps(step, steps, warmup);
  return { workload, backend, medianMs: quantile(ms, 0.5), p10Ms: quantile(ms, 0.1), p90Ms: quantile(ms, 0.9), steps };
}

/** One DQN update as the agents issue will run it (loss read back each step, as a learner logs it). */
export function dqnStep(batch = 128): { step: () => void; dispose: () => void } {
  const rng = new Rng(1);
  const spec = { name: 'q', inputDim: 4, hidden: [128, 128], outputDim: 2 };
  const q = buildMlp(spec, rng.split());
  const qTarget = buildMlp({ ...spec, name: 'qTarget' }, rng.split());
  const opt = makeOptimizer({ name: 'adam', lr: 2.5e-4 });
  const vars = trainableVariables(q);
  const obs = rng.fillNormal(new Float32Array(batch * 4));
  const nextObs = rng.fillNormal(new Float32Array(batch * 4));
  const actions = new Int32Array(batch).map(() => rng.int(2));
  const rewards = new Float32Array(batch).fill(1);
  const notDone = new Float32Array(batch).map(() => (rng.random() < 0.05 ? 0 : 1));
  const gamma = 0.99;
  const step = () => {
    // tdTarget = r + γ (1 − terminated) max_a′ Q_target(s′, a′), outside the gradient tape
    const tdTarget = tf.tidy(() => {
      const nextQ = tf.max(qTarget.predict(tf.tensor2d(nextObs, [batch, 4])) as tf.Tensor2D, 1);
      return tf.add(tf.tensor1d(rewards), tf.mul(gamma, tf.mul(tf.tensor1d(notDone), nextQ)));
    });
    const loss = opt.minimize(
      () =>
        tf.tidy(() => {
          const qTaken = tf.sum(tf.mul(q.apply(tf.tensor2d(obs, [batch, 4])) as tf.Tensor2D, tf.oneHot(tf.tensor1d(actions, 'int32'), 2)), 1);
          return huber(qTaken, tdTarget) as tf.Scalar;
        }),
      vars,
    );
    loss.dataSync();
    tf.dispose([loss, tdTarget]);
  };
  return { step, dispose: () => (q.dispose(), qTarget.dispose(), opt.dispose()) };
}

/**
 * One VAE step (Kingma & Welling 2014): loss = Σ BCE(x̂, x) + KL(q(z|x) ‖ N(0, I)), averaged per image;
 * encoder 784-hidden-2·20, decoder 20-hidden reversed-784. The loss and the sampling of z are the
 * conv VAE's own (generative/vae.ts negElboLoss, reparameterise) on these unfused MLPs.
 */
export function vaeStep(batch = 128, hidden: readonly number[] = [400]): { step: () => void; dispose: () => void } {
  const rng = new Rng(2);
  const latent = 20;
  const encoder = buildMlp({ name: 'enc', inputDim: 784, hidden: [...hidden], outputDim: 2 * latent }, rng.split());
  const decoder = buildMlp({ name: 'dec', inputDim: latent, hidden: [...hidden].reverse(), outputDim: 784 }, rng.split());
  const opt = makeOptimizer({ name: 'adam', lr: 1e-3 });
  const vars = trainableVariables(encoder, decoder);
  const x = new Float32Array(batch * 784).map(() => (rng.random() < 0.2 ? 1 : 0));
  const epsRng = rng.split();
  const eps = new Float32Array(batch * latent);
  const step = () => {
    epsRng.fillNormal(eps);
    const loss = opt.minimize(
      () =>
        tf.tidy(() => {
          const xb = tf.tensor2d(x, [batch, 784]);
          const { mu, logVar, z } = reparameterise(encoder.apply(xb) as tf.Tensor2D, tf.tensor2d(eps, [batch, latent]), latent);
          return negElboLoss(xb, decoder.apply(z) as tf.Tensor2D, mu, logVar).loss;
        }),
      vars,
    );
    loss.dataSync();
    loss.dispose();
  };
  return { step, dispose: () => (encoder.dispose(), decoder.dispose(), opt.dispose()) };
}

/** The same DQN update through nnlab's DqnLearner on the fused path (core/fused.ts). */
export function fusedDqnStep(batch = 128): { step: () => void; dispose: () => void } {
  const rng = new Rng(1);
  const replay = new ReplayBuffer({ capacity: 1024, obsDim: 4 });
  for (let i = 0; i < 1024; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 1, rng.fillNormal(new Float32Array(4)), rng.random() < 0.05);
  const learner = new DqnLearner(4, 2, { hidden: [128, 128], batchSize: batch, learningRate: 2.5e-4, fused: true }, rng.split());
  const b = replay.sample(batch, rng);
  return { step: () => void learner.update(b), dispose: () => learner.dispose() };
}

async function runHere(steps: number): Promise<StepTiming[]> {
  const { name } = await initBackend();
  const out: StepTiming[] = [];
  const dqn = dqnStep();
  out.push(time('DQN update (4-128-128-2, b128, Huber, Adam)', name, steps, 5, dqn.step));
  dqn.dispose();
  const fused = fusedDqnStep();
  out.push(time(`  same, fused path (${(await fusedGemm()).kind} GEMM)`, name, steps * 10, 20, fused.step));
  fused.dispose();
  const vae = vaeStep();
  const slow = name === 'cpu';
  out.push(time('VAE step (784-400-20, b128, BCE+KL, Adam)', name, slow ? Math.min(steps, 8) : steps, slow ? 2 : 5, vae.step));
  vae.dispose();
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backends: { type: 'string' }, steps: { type: 'string' }, child: { type: 'boolean' } } });
  const steps = positiveIntArg('steps', values.steps, 30);
  if (values.child) {
    process.stdout.write(JSON.stringify(await runHere(steps)));
    return;
  }
  let results: StepTiming[];
  if (values.backends === undefined) {
    results = await runHere(steps);
  } else {
    results = values.backends.split(',').flatMap((b) => {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--steps', String(steps)], {
        env: { ...process.env, NNLAB_BACKEND: b },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return parseJsonFrom(z.array(stepTimingSchema), out, `bench/core.js --child (NNLAB_BACKEND=${b})`);
    });
  }
  console.log('workload'.padEnd(46) + 'backend'.padEnd(9) + 'median ms'.padStart(10) + 'p10'.padStart(9) + 'p90'.padStart(9) + 'steps'.padStart(7));
  for (const r of results) {
    console.log(r.workload.padEnd(46) + r.backend.padEnd(9) + r.medianMs.toFixed(2).padStart(10) + r.p10Ms.toFixed(2).padStart(9) + r.p90Ms.toFixed(2).padStart(9) + String(r.steps).padStart(7));
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/core.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2));
  console.log('written bench/results/core.json');
}

// Run only as a script (bench/compare-torch.ts imports the workloads).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
