#!/usr/bin/env node
// package.json "install": builds the native kernels (build/Release/nnlab_native.node) with
// `node-gyp rebuild` (npm puts its bundled node-gyp on PATH for install scripts).
//
// The kernels are optional. When the build fails (no C++17 compiler, no make, no python3, an
// unsupported platform) the install still succeeds: node-gyp's output goes to
// build/native-build.log, one warning line is printed, and nnlab falls back to wasm at run time
// (core/backend.ts, core/native.ts). A successful build prints node-gyp's usual output.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
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
console.warn(`nnlab: warning: native kernels unavailable (${reason}; ${where}); falling back to wasm`);
process.exit(0);
