#!/usr/bin/env node
/**
 * The npm registry reachable from nnlab's build machines lacks some platform-only optional
 * packages (e.g. @msgpackr-extract/msgpackr-extract-darwin-arm64). `npm install` skips them and
 * writes a lock file without them, which `npm ci` then rejects as out of sync. This adds a stub
 * entry (version, os, cpu, optional) for each missing optional dependency whose name ends in
 * -<os>-<cpu>, so `npm ci` validates; npm never fetches them on a non-matching platform.
 * Run after `npm install`: node scripts/fix-lockfile.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const pkgs = lock.packages;
const PLATFORM = /-(darwin|linux|win32|freebsd|android|openbsd|sunos|aix)-(x64|arm64|arm|ia32|ppc64|s390x|riscv64|loong64)(-[a-z]+)?$/;
let added = 0;
for (const [, meta] of Object.entries(pkgs)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const m = PLATFORM.exec(dep);
    if (pkgs[key] !== undefined || m === null) continue;
    pkgs[key] = { version, cpu: [m[2]], license: 'MIT', optional: true, os: [m[1]] };
    added++;
  }
}
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, JSON.stringify(lock, null, 2) + '\n');
console.log(`fix-lockfile: added ${added} missing platform-only optional entries`);
