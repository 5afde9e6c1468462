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
# An argument replaces the uvu file pattern, e.g. `npm run test:webgpu -- 'core\.optim\.test\.js$'`.
set -eo pipefail
cd "$(dirname "$0")/.."
export NNLAB_TEST_BACKEND=webgpu
export NNLAB_WEBGPU_FLAGS="${NNLAB_WEBGPU_FLAGS-backend=opengles}"
export EGL_PLATFORM="${EGL_PLATFORM-surfaceless}"
npx tsc -p tsconfig.json || true   # emits even with type errors elsewhere; uvu runs what was built
# Dawn prints two "artificially reduced" limit warnings per device on GLES: filter those only.
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
npx uvu dist/test "${1:-core\..*\.test\.js$}" 2>&1 | grep -v 'artificially reduced from' | tee "$log"
# uvu exits 0 when a suite's before hook throws (e.g. the backend failed to initialise), so check
# the summary too: every test must have passed.
total="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/Total:/ {print $2}')"
passed="$(sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '/Passed:/ {print $2}')"
if [ -z "$total" ] || [ "$total" != "$passed" ]; then
  echo "test:webgpu: ${passed:-0} of ${total:-?} tests passed" >&2
  exit 1
fi
