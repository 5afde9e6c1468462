/**
 * The piscina `filename` of a queue worker's pool: CommonJS, so piscina's `require()` never loads
 * the ES module workers/queueThread.ts itself (workers/esmHandler.cts says why).
 */
import { esmHandler } from './esmHandler.cjs';

export default esmHandler(() => import('./queueThread.js'));
