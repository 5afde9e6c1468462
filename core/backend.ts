/**
 * Backend choice for the tensor core.
 *
 * `NNLAB_BACKEND=tensorflow|native|webgpu|wasm|cpu` (or `initBackend({ backend })`) picks one; without it
 * nnlab takes the fastest that initialises, in the order of `DEFAULT_ORDER`. Optional backends
 * (tfjs-node, tfjs-node-gpu, webgpu) are used only when the user installed their packages.
 *
 * tfjs falls back to another backend silently when one fails to initialise, so after choosing we
 * assert `tf.getBackend()` is the one asked for and throw a clear error if it is not.
 */
import * as tf from '@tensorflow/tfjs';

import { createRequire } from 'node:module';
import path from 'node:path';
import { fusedGemm } from './fused.js';
import { BACKENDS, isBackendName, type BackendName } from './backendNames.js';
import { errorCode, errorMessage } from '../base/plainData.js';

export { BACKENDS, isBackendName, type BackendName };

/** Tried in this order when no backend is named; each is skipped if it cannot initialise. */
export const DEFAULT_ORDER: readonly BackendName[] = ['tensorflow', 'native', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The backend in use, as `tf.getBackend()` reports it. */
  name: string;
  /** Why each earlier candidate was skipped (empty when the first one worked). */
  skipped: { backend: BackendName; reason: string }[];
  /** The device behind it, where there is one to name (webgpu: Dawn's adapter, e.g. llvmpipe over OpenGL ES). */
  device?: string;
}

const require = createRequire(import.meta.url);

/** Registers a backend with tfjs (imports its package); throws with the reason if it cannot. */
async function load(name: BackendName): Promise<string> {
  switch (name) {
    case 'cpu':
      return 'cpu';
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
      wasm.setWasmPaths(dir);
      return 'wasm';
    }
    case 'tensorflow': {
      // Optional: present only when the user installed it (it downloads libtensorflow at install).
      const pkgs = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
      const failures: string[] = [];
      for (const pkg of pkgs) {
        try {
          await import(pkg);
          return 'tensorflow';
        } catch (e) {
          if (errorCode(e) !== 'ERR_MODULE_NOT_FOUND') failures.push(`${pkg}: ${errorMessage(e).split('\n')[0]}`);
        }
      }
      throw new Error(
        failures.length === 0 ? 'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed' : `tfjs-node failed to load (${failures.join('; ')})`,
      );
    }
    case 'native': {
      // nnlab's N-API addon (core/native.ts); absent when node-gyp failed at install.
      const { registerNativeBackend } = await import('./native.js');
      registerNativeBackend();
      return 'native';
    }
    case 'webgpu': {
      const { initWebGpu } = await import('./webgpu.js');
      await initWebGpu();
      return 'webgpu';
    }
  }
}

let current: BackendInfo | undefined;

/**
 * Choose and initialise the backend. With `backend` (or NNLAB_BACKEND) set, that one must work or
 * this throws; otherwise the first of DEFAULT_ORDER that initialises wins.
 */
export async function initBackend(opts: { backend?: string } = {}): Promise<BackendInfo> {
  const asked = opts.backend ?? process.env.NNLAB_BACKEND ?? '';
  // Silence tfjs's "install tfjs-node" banner and skip its debug-only checks.
  tf.env().set('PROD', true);
  if (asked !== '') {
    if (!isBackendName(asked)) {
      throw new Error(`unknown backend '${asked}' (NNLAB_BACKEND or --backend): expected one of ${BACKENDS.join(', ')}`);
    }
    try {
      await activate(asked);
    } catch (e) {
      throw new Error(`backend '${asked}' was asked for but could not be initialised: ${errorMessage(e)}`);
    }
    current = { name: tf.getBackend(), skipped: [], ...(await deviceOf(asked)) };
    await fusedGemm();
    return current;
  }
  const skipped: BackendInfo['skipped'] = [];
  for (const candidate of DEFAULT_ORDER) {
    try {
      await activate(candidate);
      current = { name: tf.getBackend(), skipped };
      await fusedGemm();
      return current;
    } catch (e) {
      skipped.push({ backend: candidate, reason: errorMessage(e) });
    }
  }
  throw new Error(`no tfjs backend could be initialised: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

async function activate(name: BackendName): Promise<void> {
  const registered = await load(name);
  const ok = await tf.setBackend(registered);
  await tf.ready();
  if (!ok || tf.getBackend() !== registered) {
    throw new Error(`tfjs reports backend '${tf.getBackend()}' after setBackend('${registered}')`);
  }
}

async function deviceOf(name: BackendName): Promise<{ device?: string }> {
  if (name !== 'webgpu') return {};
  const { webGpuAdapterInfo } = await import('./webgpu.js');
  const device = webGpuAdapterInfo();
  return device === undefined ? {} : { device };
}

/** The backend chosen by the last initBackend, or undefined before it. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}
