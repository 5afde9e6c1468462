/**
 * The piscina `filename` of every rollout pool (the coordinator's threads, a remote worker's):
 * CommonJS, so piscina's `require()` never loads the ES module workers/thread.ts itself
 * (workers/esmHandler.cts says why).
 */
import { esmHandler } from './esmHandler.cjs';

export default esmHandler(() => import('./thread.js'));
