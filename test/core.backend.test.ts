import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../core/backend.js';

test('asking for cpu gives cpu and tf.getBackend() agrees', async () => {
  const info = await initBackend({ backend: 'cpu' });
  assert.is(info.name, 'cpu');
  assert.is(tf.getBackend(), 'cpu');
});

test('an unknown backend name is rejected with the valid choices', async () => {
  await initBackend({ backend: 'tpu' }).then(
    () => assert.unreachable(),
    (e: Error) => assert.match(e.message, /unknown backend 'tpu'.*expected one of tensorflow, .*cpu/),
  );
});

test('asking for a backend whose package is absent fails clearly instead of falling back', async () => {
  await initBackend({ backend: 'tensorflow' }).then(
    () => assert.unreachable('tfjs-node is not installed here'),
    (e: Error) => assert.match(e.message, /backend 'tensorflow' was asked for but could not be initialised: .*tfjs-node/),
  );
});

test('webgpu either initialises (tf.getBackend() agrees) or says why not', async () => {
  // The packages are optional dependencies; without a driver (no Vulkan, and no
  // NNLAB_WEBGPU_FLAGS=backend=opengles) Dawn finds no adapter and nnlab must say so.
  await initBackend({ backend: 'webgpu' }).then(
    (info) => {
      assert.is(info.name, 'webgpu');
      assert.is(tf.getBackend(), 'webgpu');
    },
    (e: Error) => assert.match(e.message, /backend 'webgpu' was asked for but could not be initialised: .*('webgpu' is not installed|no WebGPU adapter)/),
  );
  await initBackend({ backend: 'cpu' });
});

test('the default picks the first backend that initialises and says why others were skipped', async () => {
  const saved = process.env.NNLAB_BACKEND;
  delete process.env.NNLAB_BACKEND;
  const info = await initBackend();
  if (saved !== undefined) process.env.NNLAB_BACKEND = saved;
  assert.is(tf.getBackend(), info.name);
  assert.ok(info.skipped.some((s) => s.backend === 'tensorflow'), 'tfjs-node is not installed, so tensorflow is skipped');
  assert.ok(['native', 'wasm', 'cpu'].includes(info.name));
  await initBackend({ backend: 'cpu' });
});

test.run();
