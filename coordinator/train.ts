/**
 * `nnlab train <tabular agent>`: the run of a spec with no threads and no learner process, in the
 * run directory every run has (coordinator/runDir.ts: its name, spec.json, meta.json, metrics.jsonl
 * and .csv, result.json), trained in this thread by the tabular driver (drivers/train.ts), which
 * also keeps the Q table. `nnlab train dqn` and the generative kinds are `nnlab run` itself
 * (coordinator/cli.ts); a tabular spec given to `nnlab run` trains as a trial (drivers/trials.ts).
 */
import { spec as findEnvSpec } from '../envs/index.js';
import { parseRlSpec } from '../drivers/spec.js';
import { checkExperiment } from '../drivers/specCheck.js';
import { runTrain } from '../drivers/train.js';
import type { RunOutcome } from '../drivers/context.js';
import { closeRunDir, newRunDir, openRunDir } from './runDir.js';
import { errorMessage } from '../base/plainData.js';

export interface TrainTabularOptions {
  agent: string;
  env: string;
  seed: number;
  /** Episodes (default: the spec's, TABULAR_EPISODES). */
  episodes?: number;
  /** The tensor backend in use (meta.json and the first line). */
  backend: string;
  runsDir?: string;
  log?: (line: string) => void;
}

export async function trainTabular(opts: TrainTabularOptions): Promise<RunOutcome & { runDir: string }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  // the spec this run is, checked as `nnlab run` checks one before anything is written
  const spec = parseRlSpec({
    name: opts.agent,
    env: { id: opts.env },
    agent: { algo: opts.agent, config: {} },
    seed: opts.seed,
    budget: opts.episodes !== undefined ? { episodes: opts.episodes } : {},
    workers: { rollout: 0, learner: { process: false } },
  });
  checkExperiment(spec);
  findEnvSpec(opts.env); // unknown id: "did you mean" error before anything is written
  // the run directory every run has (coordinator/runDir.ts), opened and ended as `nnlab run` does
  const runDir = newRunDir(spec.name, opts.runsDir);
  const metrics = openRunDir(runDir, spec, opts.backend);
  let outcome: RunOutcome;
  try {
    const train: Parameters<typeof runTrain>[0] = { agent: spec.agent.algo, env: spec.env.id, seed: spec.seed, finalEpisodes: spec.eval.finalEpisodes, runDir, metrics, backend: opts.backend, log };
    if (spec.budget.episodes !== undefined) train.budget = spec.budget.episodes;
    outcome = await runTrain(train);
  } catch (e) {
    // result.json records the failure; if it cannot be written, that is logged beside the error failing the run
    closeRunDir(metrics, 'failed', errorMessage(e), undefined, log);
    throw e;
  }
  const resultError = closeRunDir(metrics, outcome.state, outcome.message, outcome, log);
  if (resultError !== undefined) throw resultError.thrown;
  log(outcome.message);
  return { ...outcome, runDir };
}
