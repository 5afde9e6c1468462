/**
 * `nnlab eval RUN_DIR`: loads a run's resolved spec and newest checkpoint and evaluates the saved
 * agent greedily (its Q network from the tfjs-format model files, the same files a browser loads),
 * or, for a generative run, loads the saved model and writes a grid of fresh samples.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runPath } from '../protocol/runFiles.js';
import { latestCheckpoint, loadModelFiles, modelDir } from '../core/checkpoint.js';
import { Q_MODEL } from '../agents/netNames.js';
import { RL_FAMILY } from '../agents/algos.js';
import { getParams } from '../core/tensors.js';
import { greedyPolicy, resolveDqnConfig } from '../agents/dqn.js';
import { EVAL_SEEDS, evaluatePolicy } from '../agents/evaluate.js';
import { ensureModule, moduleRef } from '../workers/envModules.js';
import { agentConfigOf, loadSpecFile } from './spec.js';
import { greedyEvaluationText } from './context.js';
import { makeGenerativeLearner } from '../generative/models.js';
import type { GenerativeKind } from '../generative/kinds.js';
import { encodePng, labelledSampleGrid, SAMPLE_GRID_SIDE } from '../generative/png.js';
import { GENERATIVE_EVAL_SEEDS } from '../generative/eval.js';
import { Rng } from '../base/rng.js';
import { writeFileAtomic } from '../core/atomicWrite.js';

/** Loads a generative run's saved model and writes a grid of fresh samples, laid out as the run's own grids (column k: digit k when conditional). */
async function sampleGenerator(runDir: string, kind: GenerativeKind, config: Record<string, unknown>, seed: number, log: (l: string) => void): Promise<number> {
  const learner = makeGenerativeLearner(kind, config, seed);
  try {
    await learner.load(runDir);
    const n = SAMPLE_GRID_SIDE * SAMPLE_GRID_SIDE;
    const z = new Rng(GENERATIVE_EVAL_SEEDS.fresh(seed)).fillNormal(new Float32Array(n * learner.latentDim));
    const file = runPath(runDir, 'evalSamples');
    await writeFileAtomic(file, encodePng(labelledSampleGrid((zs, l) => learner.sample(zs, l), z, learner.conditional === true)));
    log(`${kind} of ${runDir}: ${n} fresh samples in ${file}`);
    return n;
  } finally {
    learner.dispose();
  }
}

export async function evalRun(runDir: string, episodes: number, log: (l: string) => void = console.log): Promise<number> {
  const specFile = runPath(runDir, 'spec');
  if (!existsSync(specFile)) throw new Error(`${runDir} is not a run directory (no spec.json)`);
  const spec = loadSpecFile(specFile);
  if (spec.model !== undefined) return sampleGenerator(runDir, spec.model.kind, spec.model.config, spec.seed, log);
  // by family, as coordinator/run.ts routes the run itself: only the DQN family's runs leave a
  // checkpoint with a Q network to load (drivers/offPolicy.ts); the others are scored once, at the
  // end of their run
  if (RL_FAMILY[spec.agent.algo] !== 'dqn') throw new Error(`nnlab eval: runs of '${spec.agent.algo}' are evaluated at the end of the run (see ${runPath(runDir, 'result')})`);
  const ckpt = await latestCheckpoint(runPath(runDir, 'checkpoints'));
  if (ckpt === undefined) throw new Error(`${runDir} has no complete checkpoint`);
  if (spec.env.module !== undefined) await ensureModule(moduleRef(spec.env.module));
  const config = resolveDqnConfig(agentConfigOf(spec));
  const model = await loadModelFiles(modelDir(ckpt, Q_MODEL));
  const params = getParams(model);
  model.dispose();
  const r = evaluatePolicy(spec.env.id, greedyPolicy(params, config.activation), episodes, EVAL_SEEDS.recheck(config.seed), spec.env.kwargs);
  log(`${path.basename(ckpt)} of ${runDir} on ${spec.env.id}: ${greedyEvaluationText(episodes, r.meanReturn, r.stdReturn)}`);
  return r.meanReturn;
}
