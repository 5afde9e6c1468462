/**
 * How a queue's two sides (the sweep's driver, drivers/queue.ts, and a queue worker,
 * workers/queueWorker.ts) log a Redis that cannot be reached: logging, not the contract, so it
 * lives here rather than in protocol/queue.ts (drivers may import workers).
 */
import { redactRedisUrl } from '../protocol/redisUrl.js';
import { errorMessage } from '../base/plainData.js';

/**
 * Logs Redis connection errors as one line naming the (redacted) URL: the first at once, then at
 * most one every `everyMs` while they go on, and a line when commands succeed again. `error` takes
 * whatever a rejected command gave (errorMessage names a non-Error).
 */
export function redisErrorLogger(url: string, log: (line: string) => void, everyMs = 5000): { error(e: unknown): void; ok(): void } {
  let last = -Infinity;
  let failing = false;
  return {
    error(e) {
      failing = true;
      const now = performance.now();
      if (now - last < everyMs) return;
      last = now;
      log(`redis ${redactRedisUrl(url)} unreachable (${errorMessage(e)}); reconnecting with backoff`);
    },
    ok() {
      if (!failing) return;
      failing = false;
      last = -Infinity;
      log(`redis ${redactRedisUrl(url)}: connected again`);
    },
  };
}
