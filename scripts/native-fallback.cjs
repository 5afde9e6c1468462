#!/usr/bin/env node
// Runs when `node-gyp rebuild` fails during `npm install` (package.json "install"): the native
// kernels are optional, so print one line and let the install succeed. nnlab then skips the
// 'native' backend at run time and falls back to wasm (see core/backend.ts, core/native.ts).
'use strict';
console.warn(
  'nnlab: warning: native kernels unavailable (node-gyp could not build build/Release/nnlab_native.node); falling back to wasm'
);
process.exit(0);
