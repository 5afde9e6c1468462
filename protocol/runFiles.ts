/**
 * The run directory's layout, named once: what the coordinator writes there (coordinator/runDir.ts:
 * spec, meta, result, the metrics log), what drivers write through the paths they are given
 * (checkpoints, a sweep's trials, a generative run's samples, summary and model, which
 * generative/train.ts writes into the runDir it is given under generative/kinds.ts's names, and
 * `nnlab eval`'s fresh samples), and a queue worker's trial directory (its result.json). Part of
 * the contract, so the coordinator, drivers and workers all name these files from here.
 */
import path from 'node:path';
import { GENERATIVE_FILES } from '../generative/kinds.js';

export const RUN_FILES = {
  /** The validated spec as run (what `--resume` and `nnlab eval` read back). */
  spec: 'spec.json',
  /** Versions, seed and backend of the run. */
  meta: 'meta.json',
  /** How the run ended and what it reported. */
  result: 'result.json',
  /** The metrics log, one JSON point per line. */
  metricsJsonl: 'metrics.jsonl',
  /** The metrics log, one `step,time,metric,value` row per value. */
  metricsCsv: 'metrics.csv',
  /** A sweep's trials, best first. */
  trials: 'trials.json',
  /** The folder of the run's checkpoints. */
  checkpoints: 'checkpoints',
  /** A generative run's per-epoch sample grids (a folder; generative/kinds.ts GENERATIVE_FILES, as the three below). */
  samples: GENERATIVE_FILES.samples,
  /** A generative run's final latent interpolation strips. */
  interpolation: GENERATIVE_FILES.interpolation,
  /** A generative run's summary (its epochs and the model's config). */
  summary: GENERATIVE_FILES.summary,
  /** A generative run's tfjs generator (a folder, model.json), written by the model's own save. */
  generator: GENERATIVE_FILES.generator,
  /** The grid of fresh samples `nnlab eval` writes of a generative run's saved model (drivers/eval.ts). */
  evalSamples: 'eval-samples.png',
} as const;

/** Where runs' directories go unless told otherwise (`runs/<id>/`, a queue worker's `runs/<sweep id>/trial-<index>/`), relative to the working directory. */
export const RUNS_DIR = 'runs';

/** The path of one of RUN_FILES in `runDir`. */
export function runPath(runDir: string, file: keyof typeof RUN_FILES): string {
  return path.join(runDir, RUN_FILES[file]);
}

/**
 * A queue-backed sweep's directory in `runsDir`, named by its sweep id (drivers/queue.ts sweepIdOf):
 * the follower's run directory (its metrics and trials.json) and, on a queue worker's machine, the
 * folder of the trial directories it ran.
 */
export function sweepDir(runsDir: string, sweepId: string): string {
  return path.join(runsDir, sweepId);
}

/**
 * A trial's own directory in its run (or sweep) directory: where a generative trial writes its
 * samples and generator, and a queue worker its trial's result.json.
 */
export function trialDir(runDir: string, index: number): string {
  return path.join(runDir, `trial-${index}`);
}
