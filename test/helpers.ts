/** Shared test set-up: the cpu backend (deterministic, available everywhere) and small asserts. */
import * as assert from 'uvu/assert';
import { initBackend } from '../core/backend.js';

export async function useCpu(): Promise<void> {
  await initBackend({ backend: 'cpu' });
}

/** Asserts |a − b| ≤ tol elementwise, naming the first bad index. */
export function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-6, what = 'value'): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      assert.unreachable(`${what}[${i}] = ${a}, expected ${e} (tol ${tol})`);
    }
  }
}
