/**
 * What the page says about a run by what it trains (run_state's `kind`, and `trialMetrics` /
 * `trials` for a run of trials): the caption of a generative run's samples, and what its Stop and
 * Checkpoint buttons do, which differs by driver: a DQN run checkpoints on request and stops
 * resumably (drivers/offPolicy.ts), a generative run stops resumably from its last epoch
 * checkpoint (drivers/generative.ts), a policy-gradient run hears neither before its end
 * (drivers/onPolicy.ts), a sweep or tabular run stops starting trials (drivers/trials.ts) and a
 * queue-backed sweep stops being followed (drivers/queue.ts). The kinds' own definitions come
 * from the import-free agents/algos.ts and generative/kinds.ts, never from literals here.
 */
import { RL_FAMILY, isRlAlgo } from '../../agents/algos.js';
import { SAMPLE_GRID_LAYOUT, isConditionalKind, isGenerativeKind } from '../../generative/kinds.js';
import type { RunSummary } from './types.js';

/** The caption of epoch `epoch`'s sample grid: fixed latents, and a conditional model's digit layout (generative/kinds.ts). */
export function samplesCaption(epoch: number, kind: string | undefined): string {
  return `epoch ${epoch} · fixed latents${kind !== undefined && isConditionalKind(kind) ? ` · ${SAMPLE_GRID_LAYOUT}` : ''}`;
}

/** One control: whether the run acts on it (else its button stays disabled), and what it does or why not (the button's tooltip). */
export interface Control {
  heard: boolean;
  says: string;
}

export interface RunControls {
  stop: Control;
  checkpoint: Control;
}

/** What the Stop and Checkpoint buttons do for `run`. */
export function runControls(run: Pick<RunSummary, 'kind' | 'trialMetrics' | 'trials'>): RunControls {
  const notCheckpointed = (why: string): Control => ({ heard: false, says: `No checkpoint on request: ${why}.` });
  if (run.trials !== undefined) {
    return {
      stop: { heard: true, says: 'Stops following this queue-backed sweep; its trials go on in the queue. Follow it again with nnlab sweep --attach SWEEP_ID --queue URL.' },
      checkpoint: notCheckpointed('each trial of a sweep is a whole run'),
    };
  }
  const family = isRlAlgo(run.kind) ? RL_FAMILY[run.kind] : undefined;
  // a tabular agent's run is trials too (coordinator/run.ts), whether or not the run named their metrics
  if (run.trialMetrics !== undefined || family === 'tabular') {
    return {
      stop: { heard: true, says: 'No new trial starts, the running ones are abandoned and the finished ones are written to trials.json. A run of trials is not resumed.' },
      checkpoint: notCheckpointed('each trial is a whole run'),
    };
  }
  if (isGenerativeKind(run.kind)) {
    return {
      stop: { heard: true, says: 'Stops within the current epoch; continue from the last complete epoch with nnlab run --resume RUN_DIR.' },
      checkpoint: notCheckpointed('a generative run checkpoints after every epoch'),
    };
  }
  if (family === 'policy-gradient') {
    const why = `${run.kind} trains in the coordinator's thread until its budget ends and is not checkpointed mid-run`;
    return { stop: { heard: false, says: `No stop before the end: ${why}.` }, checkpoint: notCheckpointed(why) };
  }
  if (family === 'dqn') {
    return {
      stop: { heard: true, says: 'Checkpoints, then stops; continue with nnlab run --resume RUN_DIR.' },
      checkpoint: { heard: true, says: 'Saves a checkpoint now.' },
    };
  }
  // a kind this page does not know (a newer coordinator's): the run decides, and its log says what it did
  return { stop: { heard: true, says: 'Asks the run to stop.' }, checkpoint: { heard: true, says: 'Asks the run for a checkpoint.' } };
}
