/**
 * What bench:generative's scripts share. Its results files (bench/results/generative/results*.json):
 * bench/generative.ts writes them, continues from them and reports them, and bench/dcgan-ema.ts
 * reads a run's config from them. Each read is checked, so a torn, hand-edited or foreign file is an
 * error naming the file and its first bad field, never runs of whatever shape it holds.
 */
import { z } from 'zod';
import { count } from '../base/schemas.js';
import { checkData, readJsonFile } from '../core/stateFile.js';
import { epochSummarySchema, type EpochSummary } from '../generative/train.js';
import { GENERATIVE_KINDS, isGenerativeKind, type GenerativeKind } from '../generative/kinds.js';
import { positiveIntArg, wholeNumber } from './stats.js';

/** One model and seed of a results file. */
export interface GenerativeBenchRun {
  /** Registry kind, plus --tag when given. */
  model: string;
  config?: Record<string, unknown>;
  seed: number;
  epochs: EpochSummary[];
  wallSeconds: number;
}

const runSchema = z.object({
  model: z.string(),
  config: z.record(z.string(), z.unknown()).optional(),
  seed: count,
  epochs: z.array(epochSummarySchema),
  wallSeconds: z.number(),
}) satisfies z.ZodType<GenerativeBenchRun, unknown>;

/** The runs of a results file (its other fields, the date, backend, argv and goal table of the bench that wrote it, are not read back). */
const resultsSchema = z.object({ runs: z.array(runSchema) });

/** The runs recorded in `file`, checked. */
export function readBenchRuns(file: string): GenerativeBenchRun[] {
  return checkData(resultsSchema, readJsonFile(file), file).runs;
}

/**
 * --epochs of bench/generative.ts: one count for every model (`--epochs 12`), or counts by kind
 * (`--epochs vae=10,gan=30`; the other kinds keep `defaults`), each a positive integer. Anything
 * else is an error before anything trains (a part that named no kind was skipped in silence).
 */
export function epochsArg(value: string | undefined, defaults: Readonly<Record<GenerativeKind, number>>): (kind: GenerativeKind) => number {
  if (value === undefined) return (kind) => defaults[kind];
  if (!value.includes('=')) {
    const epochs = positiveIntArg('epochs', value, 0);
    return () => epochs;
  }
  const byKind: Partial<Record<GenerativeKind, number>> = {};
  for (const part of value.split(',')) {
    const [kind, count, ...rest] = part.split('=');
    if (kind === undefined || count === undefined || rest.length > 0 || !isGenerativeKind(kind)) {
      throw new Error(`--epochs: '${part}' is not KIND=N (KIND one of ${GENERATIVE_KINDS.join(', ')}), in '${value}'`);
    }
    const epochs = wholeNumber(count, 1);
    if (epochs === undefined) throw new Error(`--epochs: ${kind}'s must be a positive integer, got '${count}', in '${value}'`);
    byKind[kind] = epochs;
  }
  return (kind) => byKind[kind] ?? defaults[kind];
}
