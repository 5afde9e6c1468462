#!/usr/bin/env node
// package.json "install": builds the native kernels (build/Release/nnlab_native.node) with
// `node-gyp rebuild` (npm puts its bundled node-gyp on PATH for install scripts).
//
// The kernels are optional where they cannot be built: with no C++ compiler (or no make, no
// python3, an unsupported platform) the install still succeeds: node-gyp's output goes to
// build/native-build.log, one warning line is printed, and nnlab falls back to wasm at run time
// (core/backend.ts, core/native.ts). A successful build prints node-gyp's usual output.
//
// A failed build is an error (exit 1) instead when it must not pass unnoticed:
//   NNLAB_NATIVE=required          always;
//   CI set (CI=true, as CI systems and .ci/run set it) and a C++ compiler present (CXX, c++, g++
//                                  or clang++ answers --version): the build broke, not the machine.
// NNLAB_NATIVE=off skips the build (and core/native.ts then never loads the addon).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const mode = process.env.NNLAB_NATIVE ?? '';
if (mode === 'off') {
  console.warn('nnlab: native kernels not built (NNLAB_NATIVE=off); nnlab will use wasm');
  process.exit(0);
}
if (mode !== '' && mode !== 'required') {
  console.error(`nnlab: error: NNLAB_NATIVE=${mode} is not understood: expected 'off' or 'required' (or unset)`);
  process.exit(1);
}
const log = path.join(root, 'build', 'native-build.log');
const r = spawnSync('node-gyp', ['rebuild'], {
  cwd: root,
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'pipe'],
  shell: process.platform === 'win32',
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${r.stdout ?? ''}${r.stderr ?? ''}`;
if (r.status === 0) {
  process.stdout.write(output);
  process.exit(0);
}
let where = 'no log';
try {
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.writeFileSync(log, `${output}${r.error ? `\n${r.error.stack}\n` : ''}`);
  where = `log: ${path.relative(process.cwd(), log) || log}`;
} catch {
  // a read-only tree: the warning alone has to do
}
const reason = r.error
  ? `node-gyp did not start: ${r.error.code ?? r.error.message}`
  : `node-gyp rebuild exited with ${r.status ?? r.signal}`;
const ci = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI.toLowerCase());
const compiler = ci && mode !== 'required' ? findCompiler() : undefined;
if (mode === 'required' || compiler !== undefined) {
  const why = mode === 'required' ? 'NNLAB_NATIVE=required' : `CI is set and a C++ compiler is present (${compiler})`;
  console.error(`nnlab: error: native kernels failed to build (${reason}; ${where}); this fails the install because ${why}`);
  process.exit(1);
}
console.warn(`nnlab: warning: native kernels unavailable (${reason}; ${where}); falling back to wasm`);
process.exit(0);

/** The first C++ compiler that answers `--version` (CXX first), or undefined. */
function findCompiler() {
  for (const cxx of [process.env.CXX, 'c++', 'g++', 'clang++']) {
    if (!cxx) continue;
    const v = spawnSync(cxx, ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' });
    if (v.status === 0) return cxx;
  }
  return undefined;
}
