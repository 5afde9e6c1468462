/**
 * A trial: one whole training run (a sweep point) in the executing thread. An RL trial trains an
 * agent and evaluates it greedily: tabular agents for `episodes` episodes, the deep agents (DQN,
 * REINFORCE, Actor-Critic, A2C) for `envSteps` env steps with their single-process trainers. A
 * generative trial trains a model with generative/train.ts (the one generative training loop) and
 * scores it after every epoch (generative/score.ts). The same function runs a sweep's trial tasks
 * (threads, WebSocket workers) and the trial jobs of a queue-backed sweep (workers/queueWorker.ts).
 * The deep trainers (deepTrial.ts) and generative training import tfjs, so they load on a thread's
 * first trial that needs them: a thread running tabular trials starts in tens of milliseconds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isTabular, type TabularAlgo } from '../agents/algos.js';
import { TABULAR_AGENTS } from '../agents/tabularAgents.js';
import { trainAndEvaluateTabular } from '../agents/tabular.js';
import { EPISODIC_RETURN } from '../agents/metricNames.js';
import { scoreMetric, scoreOf } from '../generative/score.js';
import { ensureModule } from './envModules.js';
import type { GenerativeTrialTask, RlTrialTask, TrialResult, TrialTask } from '../protocol/tasks.js';

/**
 * Called with each new point of the training curve: the return of a training episode as it ends
 * (RL), the score of an epoch (generative). A queue job reports these as progress.
 */
export type OnPoint = (value: number) => void;

/** Runs one whole trial (module doc); `onPoint` sees the training curve as it grows. */
export async function runTrial(task: TrialTask, onPoint?: OnPoint): Promise<TrialResult> {
  const t0 = performance.now();
  const { curve, finalScore } = task.family === 'generative' ? await runGenerativeTrial(task, onPoint) : await runRlTrial(task, onPoint);
  return { kind: 'trial', trial: task.trial, finalScore, curve, seconds: (performance.now() - t0) / 1000 };
}

async function runRlTrial(task: RlTrialTask, onEpisode: OnPoint | undefined): Promise<{ curve: Float64Array; finalScore: number }> {
  if (task.env.module !== undefined) await ensureModule(task.env.module);
  if (isTabular(task.algo)) return runTabular(task, task.algo, onEpisode);
  // the deep trainers (and tfjs) load on a thread's first deep trial: a tabular sweep's threads never pay for them
  return (await import('./deepTrial.js')).runDeepTrial(task, onEpisode);
}

/**
 * Trains the trial's model with trainGenerative, its samples, generator and summary.json in
 * `task.outDir` (or a temporary folder removed afterwards); the curve is the score after each epoch.
 */
async function runGenerativeTrial(task: GenerativeTrialTask, onEpoch: OnPoint | undefined): Promise<{ curve: Float64Array; finalScore: number }> {
  const metric = scoreMetric(task.model.kind, task.evaluate);
  if (metric === undefined) throw new Error(`trial ${task.trial}: a ${task.model.kind} trial without the classifier evaluation has no score to rank it by (only a VAE measures its test ELBO)`);
  const [{ trainGenerative }, { backendInfo, initBackend }] = await Promise.all([import('../generative/train.js'), import('../core/backend.js')]);
  if (backendInfo() === undefined) await initBackend();
  const outDir = task.outDir ?? (await mkdtemp(path.join(os.tmpdir(), `nnlab-trial-${task.trial}-`)));
  const curve: number[] = [];
  try {
    await trainGenerative({
      kind: task.model.kind,
      config: task.model.config,
      epochs: task.epochs,
      seed: task.seed,
      outDir,
      evaluate: task.evaluate,
      ...(task.evalSamples !== undefined ? { evalSamples: task.evalSamples } : {}),
      ...(task.batchSize !== undefined ? { batchSize: task.batchSize } : {}),
      ...(task.stepsPerEpoch !== undefined ? { maxStepsPerEpoch: task.stepsPerEpoch } : {}),
      onEpoch: (e) => {
        const score = scoreOf(metric, e.metrics);
        if (score === undefined) throw new Error(`trial ${task.trial}: epoch ${e.epoch} measured no ${metric}`);
        curve.push(score);
        onEpoch?.(score);
      },
    });
  } finally {
    if (task.outDir === undefined) await rm(outDir, { recursive: true, force: true });
  }
  if (curve.length === 0) throw new Error(`trial ${task.trial}: no epoch was trained (epochs ${task.epochs})`);
  return { curve: Float64Array.from(curve), finalScore: curve[curve.length - 1]! };
}

function runTabular(task: RlTrialTask, algo: TabularAlgo, onEpisode: OnPoint | undefined): { curve: Float64Array; finalScore: number } {
  const { Agent, resolve } = TABULAR_AGENTS[algo];
  const opts: Parameters<typeof trainAndEvaluateTabular>[3] = { episodes: task.episodes, finalEpisodes: task.evalEpisodes };
  if (onEpisode !== undefined) opts.onMetrics = (m) => onEpisode(m[EPISODIC_RETURN]!);
  const { curve, final } = trainAndEvaluateTabular(Agent, task.env, resolve(task.config), opts);
  return { curve, finalScore: final.meanReturn };
}
