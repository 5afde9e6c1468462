/**
 * A running trial's progress in shared memory: how many points of its curve it has made and the
 * latest PROGRESS_TAIL of them. The trial's thread writes a point with two stores (no message, no
 * clock read: a tabular episode takes ~2 µs, so a per-point `postMessage` or `performance.now()`
 * costs the trial several percent); the worker's main thread reads the slot when it reports the
 * job's progress. The count is stored with `Atomics.store` after the point, so a reader that
 * sees count n also sees point n − 1.
 */
import { PROGRESS_TAIL } from '../protocol/queue.js';

export class TrialProgress {
  /** [0]: points made so far. */
  private readonly count: Int32Array;
  /** Point i lives at ring[i % PROGRESS_TAIL]. */
  private readonly ring: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(8 + 8 * PROGRESS_TAIL)) {
    this.count = new Int32Array(buffer, 0, 1);
    this.ring = new Float64Array(buffer, 8, PROGRESS_TAIL);
  }

  /** The trial's thread: one more point of the curve. */
  push(value: number): void {
    const n = this.count[0]!;
    this.ring[n % PROGRESS_TAIL] = value;
    Atomics.store(this.count, 0, n + 1);
  }

  /** Points made so far. */
  points(): number {
    return Atomics.load(this.count, 0);
  }

  /** The latest points (at most PROGRESS_TAIL), oldest first. */
  recent(): number[] {
    const n = this.points();
    const k = Math.min(n, PROGRESS_TAIL);
    return Array.from({ length: k }, (_, i) => this.ring[(n - k + i) % PROGRESS_TAIL]!);
  }
}
