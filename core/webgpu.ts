/**
 * WebGPU in Node through the npm package `webgpu` (Dawn's prebuilt `dawn.node`) and
 * `@tensorflow/tfjs-backend-webgpu`. Both are optional: install them to use NNLAB_BACKEND=webgpu.
 *
 * Dawn needs a Vulkan driver: NVIDIA's on GPU machines; on CPU-only machines Mesa's lavapipe
 * (Mesa ≥ 25) or, with stock Mesa 22, GLES compatibility mode: set NNLAB_WEBGPU_FLAGS=backend=opengles
 * and EGL_PLATFORM=surfaceless.
 */
export async function initWebGpu(): Promise<void> {
  // Names held in variables so TypeScript does not require the optional packages to be installed.
  const dawnPkg = 'webgpu';
  const tfWebGpuPkg = '@tensorflow/tfjs-backend-webgpu';
  let dawn: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  try {
    dawn = (await import(dawnPkg)) as typeof dawn;
  } catch (e) {
    throw new Error(`the optional npm package 'webgpu' is not installed (npm install webgpu ${tfWebGpuPkg}): ${(e as Error).message.split('\n')[0]}`);
  }
  const flags = (process.env.NNLAB_WEBGPU_FLAGS ?? '').split(',').filter((f) => f !== '');
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create(flags) }, configurable: true, writable: true });
  try {
    await import(tfWebGpuPkg);
  } catch (e) {
    throw new Error(`the optional npm package '${tfWebGpuPkg}' is not installed: ${(e as Error).message.split('\n')[0]}`);
  }
}
