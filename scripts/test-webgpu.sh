#!/usr/bin/env bash
# npm run test:webgpu — the core's test suites on the webgpu backend (opt-in; `npm test` runs on cpu).
#
# Runs test/core.*.test.ts with NNLAB_TEST_BACKEND=webgpu: test/helpers.ts `useCpu()` then selects
# webgpu and asserts tf.getBackend() === 'webgpu'. Needs the optional npm packages `webgpu` (Dawn's
# prebuilt dawn.node) and `@tensorflow/tfjs-backend-webgpu`, and a driver Dawn accepts:
#
#   NVIDIA machine   the NVIDIA Vulkan driver; nothing to set (NNLAB_WEBGPU_FLAGS= to use it here).
#   CPU-only Debian 12 (the default below): stock Mesa 22 in GLES compatibility mode on llvmpipe:
#       apt-get install -y libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri
#       NNLAB_WEBGPU_FLAGS=backend=opengles  EGL_PLATFORM=surfaceless
#     (nnlab asks Dawn for a featureLevel 'compatibility' adapter for the GL backends.)
#     Debian 12's lavapipe (mesa-vulkan-drivers 22.3) is refused by Dawn; Mesa >= 25 lavapipe works
#     with NNLAB_WEBGPU_FLAGS= (Vulkan).
#
# Arguments are scripts/test.mjs's (file patterns, --timeout, ...), e.g.
# `npm run test:webgpu -- 'core\.optim'`; without any, the core's files (`^core\.`), which include
# core.webgpu.test.ts (webgpu against cpu on the same inputs). A type error fails the run.
set -eo pipefail
cd "$(dirname "$0")/.."
export NNLAB_TEST_BACKEND=webgpu
export NNLAB_WEBGPU_FLAGS="${NNLAB_WEBGPU_FLAGS-backend=opengles}"
export EGL_PLATFORM="${EGL_PLATFORM-surfaceless}"
npx tsc -p tsconfig.json
if [ "$#" -eq 0 ]; then set -- '^core\.'; fi
# Dawn prints two "artificially reduced" limit warnings per device on GLES: filter those only.
# scripts/test.mjs's exit status is the run's (pipefail), its last line the summary.
node scripts/test.mjs "$@" 2>&1 | grep -v 'artificially reduced from'
