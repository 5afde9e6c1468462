/**
 * bench:torch — nnlab against PyTorch (with OpenBLAS) on the same machine, same models, batch
 * sizes and optimisers, side by side in one run; median ms per step and the ratio nnlab / PyTorch.
 *
 *   node dist/bench/compare-torch.js [--steps 200]
 *
 * nnlab's columns: the DQN update and the VAE step on the fused path (core/fused.ts,
 * core/fusedVae.ts) and through tfjs ops on the chosen backend; the rollout workers' policy
 * forward (MlpForward).
 * The PyTorch side is bench/python/compare_torch.py (`apt-get install -y python3-torch
 * libopenblas0-openmp`). Writes bench/results/compare-torch.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '../core/backend.js';
import { fusedGemm } from '../core/fused.js';
import { buildMlp } from '../core/nn.js';
import { MlpForward } from '../core/mlpForward.js';
import { Rng } from '../core/rng.js';
import { getParams } from '../core/tensors.js';
import { ReplayBuffer } from '../core/replay.js';
import { DqnLearner } from '../agents/dqn.js';
import { dqnStep, vaeStep } from './core.js';
import { FusedVae } from '../core/fusedVae.js';

function median(fn: () => void, steps: number, warmup: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const ts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

function python(): string | undefined {
  for (const exe of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(exe, ['-c', 'import torch'], { stdio: 'ignore' });
      return exe;
    } catch {
      // next
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { steps: { type: 'string' } } });
  const steps = Number(values.steps ?? 200);
  const { name: backend } = await initBackend();
  const gemm = (await fusedGemm()).kind;
  const ours: Record<string, number> = {};

  // DQN update, fused path (plain max target, as the PyTorch side)
  const rng = new Rng(1);
  const replay = new ReplayBuffer({ capacity: 1024, obsDim: 4 });
  for (let i = 0; i < 1024; i++) replay.add(rng.fillNormal(new Float32Array(4)), rng.int(2), 1, rng.fillNormal(new Float32Array(4)), rng.random() < 0.05);
  const learner = new DqnLearner(4, 2, { hidden: [128, 128], batchSize: 128, learningRate: 2.5e-4, doubleQ: false, fused: true }, rng.split());
  const batch = replay.sample(128, rng);
  ours.dqn = median(() => void learner.update(batch), steps, 20);
  learner.dispose();
  const tfDqn = dqnStep();
  ours.dqn_tfjs = median(tfDqn.step, Math.max(20, steps / 5), 5);
  tfDqn.dispose();
  const vae = vaeStep();
  ours.vae_tfjs = median(vae.step, Math.max(20, steps / 5), 5);
  vae.dispose();
  {
    // the same VAE step on the fused path (core/fusedVae.ts), same init and shapes
    const r = new Rng(2);
    const enc = buildMlp({ name: 'enc', inputDim: 784, hidden: [400], outputDim: 40 }, r.split());
    const dec = buildMlp({ name: 'dec', inputDim: 20, hidden: [400], outputDim: 784 }, r.split());
    const fused = new FusedVae(getParams(enc), getParams(dec), 20, 1e-3);
    enc.dispose();
    dec.dispose();
    const x = new Float32Array(128 * 784).map(() => (r.random() < 0.2 ? 1 : 0));
    const eps = new Float32Array(128 * 20);
    const epsRng = r.split();
    ours.vae = median(() => void fused.step(x, epsRng.fillNormal(eps), 128), Math.max(20, steps / 5), 5);
  }
  const pi = buildMlp({ name: 'pi', inputDim: 4, hidden: [64, 64], outputDim: 2, init: 'torchDefault' }, new Rng(2));
  const fwd = new MlpForward(getParams(pi), 'relu');
  pi.dispose();
  for (const b of [1, 64]) {
    const x = new Rng(3).fillNormal(new Float32Array(b * 4));
    ours[`policy_b${b}`] = median(() => void fwd.forward(x, b), steps * 10, 100);
  }

  const py = python();
  let theirs: Record<string, number> = {};
  let torchInfo = 'not installed';
  if (py !== undefined) {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const out = execFileSync(py, [path.resolve(here, '../../bench/python/compare_torch.py'), '--steps', String(steps)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '2' } });
    const j = JSON.parse(out.trim().split('\n').at(-1)!) as { torch: string; threads: number; results: Record<string, number> };
    theirs = j.results;
    torchInfo = `PyTorch ${j.torch}, ${j.threads} threads`;
  } else {
    console.log('PyTorch not found (apt-get install -y python3-torch libopenblas0-openmp): ratios skipped');
  }
  const rows: [string, string, number, number | undefined][] = [
    ['DQN update 4-128-128-2 b128, Huber, Adam', `nnlab fused (${gemm} GEMM)`, ours.dqn!, theirs.dqn],
    ['DQN update 4-128-128-2 b128, Huber, Adam', `nnlab tfjs ops (${backend})`, ours.dqn_tfjs!, theirs.dqn],
    ['VAE step 784-400-20 b128, BCE+KL, Adam', `nnlab fused (${gemm} GEMM)`, ours.vae!, theirs.vae],
    ['VAE step 784-400-20 b128, BCE+KL, Adam', `nnlab tfjs ops (${backend})`, ours.vae_tfjs!, theirs.vae],
    ['policy forward 4-64-64-2, batch 1', 'nnlab MlpForward', ours.policy_b1!, theirs.policy_b1],
    ['policy forward 4-64-64-2, batch 64', 'nnlab MlpForward', ours.policy_b64!, theirs.policy_b64],
  ];
  console.log(`bench:torch — nnlab backend ${backend}, fused GEMM ${gemm}; peer: ${torchInfo}; median ms per step`);
  console.log('workload'.padEnd(44) + 'nnlab path'.padEnd(28) + 'nnlab ms'.padStart(10) + 'torch ms'.padStart(10) + 'ratio'.padStart(8));
  for (const [w, pathName, a, b] of rows) {
    console.log(w.padEnd(44) + pathName.padEnd(28) + a.toFixed(3).padStart(10) + (b === undefined ? '' : b.toFixed(3)).padStart(10) + (b === undefined ? '' : `${(a / b).toFixed(2)}x`).padStart(8));
  }
  console.log('DCGAN D+G step: not in this bench yet (issue #5/#6).');
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/compare-torch.json', JSON.stringify({ date: new Date().toISOString(), backend, gemm, torch: torchInfo, rows: rows.map(([workload, p, nnlab, torch]) => ({ workload, path: p, nnlabMs: nnlab, torchMs: torch ?? null })) }, null, 2));
  console.log('wrote bench/results/compare-torch.json');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
