/**
 * WebGPU in Node through the npm package `webgpu` (Dawn's prebuilt `dawn.node`) and
 * `@tensorflow/tfjs-backend-webgpu`. Both are optional dependencies: NNLAB_BACKEND=webgpu uses them.
 *
 * Dawn needs a GPU driver:
 * - NVIDIA machines: NVIDIA's Vulkan driver (Dawn's default backend), nothing to set.
 * - CPU-only Debian 12 with stock Mesa 22: GLES compatibility mode on llvmpipe. Install
 *   `libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri` and set `NNLAB_WEBGPU_FLAGS=backend=opengles`
 *   (nnlab then sets `EGL_PLATFORM=surfaceless` unless it is set, and asks for a
 *   `featureLevel: 'compatibility'` adapter, which tfjs-backend-webgpu cannot ask for itself).
 *   (Debian 12's lavapipe, Mesa 22, is refused by Dawn; Mesa ≥ 25 lavapipe works with no flags.)
 *
 * Environment: `NNLAB_WEBGPU_FLAGS` — comma-separated Dawn flags for `create()` (`backend=opengles`,
 * `adapter=NAME`, `enable-dawn-features=...`); `NNLAB_WEBGPU_FEATURE_LEVEL` — `core` or
 * `compatibility` (default: `compatibility` for the GL backends, else `core`).
 *
 * tfjs-backend-webgpu reads data back synchronously (`dataSync`) through an OffscreenCanvas, which
 * Node lacks; nnlab replaces that path with a staging-buffer copy completed by driving Dawn's event
 * processing until the map finishes (`patchReadSync` below), so the core's synchronous API works here.
 */

import * as tf from '@tensorflow/tfjs';
import { errorMessage } from '../base/plainData.js';

/** What the adapter reported, for `nnlab info`; undefined until initWebGpu succeeded. */
let adapterSummary: string | undefined;

export function webGpuAdapterInfo(): string | undefined {
  return adapterSummary;
}

/**
 * What nnlab calls of the optional packages, which TypeScript cannot see (their names are held in
 * variables): each is checked where it is loaded (the type guards below test that the functions
 * exist), so an API change fails with an error naming the package and the missing member, not
 * with "x is not a function" deep inside tfjs. The arguments and results of those functions stay
 * unchecked: the results are read as `unknown` and checked in turn.
 */
interface DawnModule {
  create: (flags: string[]) => unknown;
  globals: object;
}
interface AdapterLike {
  /** GPUAdapterInfo and GPUSupportedLimits: read field by field with `member` (getters on their prototypes). */
  info?: unknown;
  limits: object;
  requestDevice: (desc?: { requiredLimits?: Record<string, number>; requiredFeatures?: string[] }) => Promise<unknown>;
}
interface GpuLike {
  requestAdapter: (opts?: Record<string, unknown>) => Promise<unknown>;
}

/** `value[key]`, own or inherited (a module's export, a class's method, a getter), of an object or function; else undefined. */
function member(value: unknown, key: string): unknown {
  return (typeof value === 'object' && value !== null) || typeof value === 'function' ? Reflect.get(value, key) : undefined;
}

function isDawnModule(m: unknown): m is DawnModule {
  const globals = member(m, 'globals');
  return typeof member(m, 'create') === 'function' && typeof globals === 'object' && globals !== null;
}

function isGpu(g: unknown): g is GpuLike {
  return typeof member(g, 'requestAdapter') === 'function';
}

function isAdapter(a: unknown): a is AdapterLike {
  const limits = member(a, 'limits');
  return typeof member(a, 'requestDevice') === 'function' && typeof limits === 'object' && limits !== null;
}

/** Limits tfjs-backend-webgpu's shaders need beyond the compatibility-mode defaults (raised to the adapter's). */
const RAISED_LIMITS = ['maxStorageBuffersPerShaderStage', 'maxUniformBuffersPerShaderStage', 'maxBindingsPerBindGroup'];

/** Set once the packages are loaded and the adapter found: later calls reuse them (tfjs keeps its backend). */
let initialised = false;

export async function initWebGpu(): Promise<void> {
  if (initialised) return;
  // Names held in variables so TypeScript does not require the optional packages to be installed.
  const dawnPkg = 'webgpu';
  const tfWebGpuPkg = '@tensorflow/tfjs-backend-webgpu';
  const flags = (process.env.NNLAB_WEBGPU_FLAGS ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '');
  const glBackend = flags.some((f) => /^backend=(opengles|opengl)$/.test(f));
  // EGL reads this when Dawn opens the display: without it Mesa looks for X11/Wayland and finds none.
  if (glBackend && process.env.EGL_PLATFORM === undefined) process.env.EGL_PLATFORM = 'surfaceless';
  const featureLevel = process.env.NNLAB_WEBGPU_FEATURE_LEVEL ?? (glBackend ? 'compatibility' : 'core');
  if (featureLevel !== 'core' && featureLevel !== 'compatibility') {
    throw new Error(`NNLAB_WEBGPU_FEATURE_LEVEL='${featureLevel}': expected core or compatibility`);
  }
  let dawn: unknown;
  try {
    captureDawnTick();
    dawn = await import(dawnPkg);
  } catch (e) {
    throw new Error(`the optional npm package 'webgpu' is not installed or its dawn.node did not load (npm install webgpu ${tfWebGpuPkg}): ${errorMessage(e).split('\n')[0]}`);
  }
  if (!isDawnModule(dawn)) throw new Error(`the npm package 'webgpu' exports no create() function and globals object: not the Dawn bindings nnlab was written for`);
  const gpu = dawn.create(flags);
  if (!isGpu(gpu)) throw new Error(`the npm package 'webgpu': create() returned an object without requestAdapter()`);
  // Probe here, so that a missing driver is reported with its reason instead of tfjs's
  // "Cannot read properties of null" and a silent fall back to cpu.
  const adapter = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' });
  if (adapter === null || adapter === undefined) {
    throw new Error(
      `Dawn found no WebGPU adapter (flags [${flags.join(',')}], featureLevel ${featureLevel}). ` +
        (glBackend
          ? 'GLES mode needs Mesa EGL/GLES (apt-get install libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri) and EGL_PLATFORM=surfaceless'
          : 'Dawn needs a Vulkan driver (NVIDIA, or Mesa >= 25 lavapipe); on CPU-only machines with Mesa 22 set NNLAB_WEBGPU_FLAGS=backend=opengles'),
    );
  }
  if (!isAdapter(adapter)) throw new Error(`the npm package 'webgpu': requestAdapter() returned an adapter without requestDevice() and limits`);
  adapterSummary = ['vendor', 'architecture', 'device', 'description']
    .map((k) => member(adapter.info, k))
    .filter((v): v is string => typeof v === 'string' && v !== '')
    .join(' / ') + ` (${flags.find((f) => f.startsWith('backend=')) ?? 'backend=default'}, ${featureLevel})`;
  // tfjs-backend-webgpu calls requestAdapter(descriptor) itself with only a powerPreference; hand it
  // the adapter found above, and raise the limits its fused kernels need on compatibility adapters.
  const requestDevice = adapter.requestDevice.bind(adapter);
  adapter.requestDevice = (desc = {}) => {
    const requiredLimits = { ...(desc.requiredLimits ?? {}) };
    for (const k of RAISED_LIMITS) {
      const limit = member(adapter.limits, k);
      if (typeof limit === 'number') requiredLimits[k] = limit;
    }
    return requestDevice({ ...desc, requiredLimits });
  };
  let handedOut = false;
  const wrapped: GpuLike = {
    requestAdapter: async (opts) => {
      if (!handedOut) {
        handedOut = true;
        return adapter;
      }
      return gpu.requestAdapter({ ...(opts ?? {}), featureLevel });
    },
  };
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: wrapped }, configurable: true, writable: true });
  let tfWebGpu: unknown;
  try {
    tfWebGpu = await import(tfWebGpuPkg);
  } catch (e) {
    throw new Error(`the optional npm package '${tfWebGpuPkg}' is not installed: ${errorMessage(e).split('\n')[0]}`);
  }
  const proto = member(member(tfWebGpu, 'WebGPUBackend'), 'prototype');
  const missing = BACKEND_METHODS.filter((m) => typeof member(proto, m) !== 'function');
  if (!isWebGpuBackend(proto)) throw new Error(`${tfWebGpuPkg}: WebGPUBackend.prototype has no ${missing.join(', ')} method(s): not the version whose readSync nnlab patches`);
  patchReadSync(proto);
  initialised = true;
}

// ---- synchronous readback ------------------------------------------------------------------------

/**
 * dawn.node completes GPU work (buffer maps among it) in `instance.ProcessEvents()`, which it runs
 * from a function it hands to `setImmediate`. We keep the latest such function (a native one) so
 * that `syncRead` can run Dawn's event processing itself instead of returning to the event loop.
 */
let dawnTick: (() => void) | undefined;

function captureDawnTick(): void {
  if (dawnTick !== undefined || Reflect.get(globalThis.setImmediate, 'nnlabPatched') === true) return;
  const original = globalThis.setImmediate;
  // Node's setImmediate does not read `this`: the wrapper forwards the callback and its arguments only
  const wrapper = function (fn: (...a: unknown[]) => void, ...args: unknown[]): NodeJS.Immediate {
    if (typeof fn === 'function' && args.length === 0 && Function.prototype.toString.call(fn).includes('[native code]')) {
      dawnTick = fn;
    }
    return original(fn, ...args);
  };
  // setImmediate's own properties (its promisified form) are copied onto the wrapper
  globalThis.setImmediate = Object.assign(wrapper, original, { nnlabPatched: true });
}

interface GpuBufferLike {
  size: number;
  mapState: 'unmapped' | 'pending' | 'mapped';
  mapAsync: (mode: number) => Promise<void>;
  getMappedRange: () => ArrayBuffer;
  unmap: () => void;
}
/**
 * The members of tfjs-backend-webgpu's WebGPUBackend that patchReadSync uses: the methods are
 * checked on its prototype at load (BACKEND_METHODS); the fields (tensorMap, bufferManager,
 * commandEncoder) exist only on an instance and are taken as declared by the version package.json
 * names (4.22), unchecked.
 */
interface WebGpuBackendLike {
  readSync: (dataId: object) => unknown;
  tensorMap: { get: (id: object) => { values: unknown; dtype: tf.DataType; resource: GpuBufferLike } };
  bufferManager: { acquireBuffer: (size: number, usage: number) => GpuBufferLike; releaseBuffer: (b: GpuBufferLike) => void };
  commandEncoder: { copyBufferToBuffer: (s: GpuBufferLike, so: number, d: GpuBufferLike, doff: number, n: number) => void };
  ensureCommandEncoderReady: () => void;
  endComputePassEncoder: () => void;
  submitQueue: () => void;
  convertAndCacheOnCPU: (dataId: object, data: unknown) => unknown;
}

/** WebGPUBackend's methods that patchReadSync calls, checked on its prototype before patching. */
const BACKEND_METHODS = ['readSync', 'ensureCommandEncoderReady', 'endComputePassEncoder', 'submitQueue', 'convertAndCacheOnCPU'] as const;

function isWebGpuBackend(proto: unknown): proto is WebGpuBackendLike {
  return BACKEND_METHODS.every((m) => typeof member(proto, m) === 'function');
}

/** Longest a synchronous read waits for the GPU before giving up. */
const SYNC_READ_TIMEOUT_MS = 120_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * tfjs-backend-webgpu's readSync (behind `dataSync`/`arraySync`) goes through OffscreenCanvas,
 * which Node has not: read through a MAP_READ staging buffer as the async `read` does, and run
 * Dawn's event processing until the map completes.
 */
/** A WebGPU flag constant from the globals Dawn installed (`GPUMapMode.READ`, …), checked to be a number. */
function gpuFlag(namespace: 'GPUMapMode' | 'GPUBufferUsage', flag: string): number {
  const ns: unknown = Reflect.get(globalThis, namespace);
  const value: unknown = (typeof ns === 'object' && ns !== null) || typeof ns === 'function' ? Reflect.get(ns, flag) : undefined;
  if (typeof value !== 'number') throw new Error(`webgpu: globalThis.${namespace}.${flag} is not a number (Dawn's globals are not installed)`);
  return value;
}

function patchReadSync(proto: WebGpuBackendLike): void {
  const original = proto.readSync;
  proto.readSync = function (this: WebGpuBackendLike, dataId: object): unknown {
    const data = this.tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string' || data.dtype === 'complex64') return original.call(this, dataId);
    const source = data.resource;
    const mapRead = gpuFlag('GPUMapMode', 'READ');
    const staging = this.bufferManager.acquireBuffer(source.size, gpuFlag('GPUBufferUsage', 'COPY_DST') | gpuFlag('GPUBufferUsage', 'MAP_READ'));
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    this.commandEncoder.copyBufferToBuffer(source, 0, staging, 0, source.size);
    this.submitQueue();
    let failure: unknown;
    staging.mapAsync(mapRead).catch((e: unknown) => (failure = e));
    const start = Date.now();
    for (let spins = 0; staging.mapState === 'pending'; spins++) {
      if (dawnTick === undefined) throw new Error('webgpu readSync: no Dawn event hook was captured (dawn.node changed how it schedules ProcessEvents); use await tensor.data()');
      dawnTick();
      if (spins > 64) Atomics.wait(sleeper, 0, 0, 0.05);
      if (Date.now() - start > SYNC_READ_TIMEOUT_MS) throw new Error(`webgpu readSync: the GPU did not finish within ${SYNC_READ_TIMEOUT_MS} ms`);
    }
    if (staging.mapState !== 'mapped') throw new Error(`webgpu readSync: mapping the staging buffer failed: ${String(failure)}`);
    const bytes = staging.getMappedRange().slice(0);
    staging.unmap();
    this.bufferManager.releaseBuffer(staging);
    return this.convertAndCacheOnCPU(dataId, tf.util.convertBackendValuesAndArrayBuffer(bytes, data.dtype));
  };
}
