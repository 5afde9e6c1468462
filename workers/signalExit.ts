/**
 * How a process that a signal stops exits. Not the contract: `nnlab run` (coordinator/run.ts) and
 * a queue worker (workers/queueWorker.ts) each exit this way on a signal, and workers/ is a room
 * both coordinator/ and a worker's own code may import.
 */
import os from 'node:os';

/** The exit status of a process ended by `sig`, as a shell reports one: 128 + the signal's number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(sig: NodeJS.Signals): number {
  return 128 + (os.constants.signals[sig] ?? 1);
}
