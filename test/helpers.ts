/**
 * Shared test set-up: the cpu backend (deterministic, available everywhere) and small asserts.
 * `NNLAB_TEST_BACKEND=webgpu` (what `npm run test:webgpu` sets) runs the same suites on another backend.
 */
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/backend.js';

/** The backend the suites run on: cpu, unless NNLAB_TEST_BACKEND names another. */
export const TEST_BACKEND = process.env.NNLAB_TEST_BACKEND ?? 'cpu';

/** Selects the test backend (cpu by default) and checks tfjs really runs on it. */
export async function useCpu(): Promise<void> {
  const info = await initBackend({ backend: TEST_BACKEND });
  assert.is(tf.getBackend(), TEST_BACKEND, `tests asked for backend ${TEST_BACKEND}`);
  assert.is(info.name, TEST_BACKEND);
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
