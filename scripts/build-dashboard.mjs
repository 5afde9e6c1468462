#!/usr/bin/env node
/**
 * Builds the dashboard page: esbuild bundles dashboard/src/main.ts (uPlot, msgpackr, tfjs-core and
 * its cpu backend and envs/ included; types from protocol/messages.ts erased) into dashboard/static/app.js,
 * and copies uPlot's stylesheet next to it, so the coordinator serves everything offline.
 * `node scripts/build-dashboard.mjs [--check]` (--check also type-checks dashboard/tsconfig.json).
 * The browser test imports buildDashboard() and builds before it starts.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * envs/registration.ts imports node:path and node:url for custom env modules, which the page
 * never loads: in the page they are dashboard/src/nodeStubs/ (as in dashboard/tsconfig.json).
 */
export const nodeStubs = {
  name: 'nnlab-node-stubs',
  setup(build) {
    build.onResolve({ filter: /^node:(path|url)$/ }, (args) => ({ path: path.join(root, 'dashboard', 'src', 'nodeStubs', `${args.path.slice('node:'.length)}.ts`) }));
  },
};

/** Bundles the page into dashboard/static/; resolves with the bundle's size in bytes. */
export async function buildDashboard({ minify = true } = {}) {
  const { build } = await import('esbuild');
  const out = path.join(root, 'dashboard', 'static');
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [path.join(root, 'dashboard', 'src', 'main.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    outfile: path.join(out, 'app.js'),
    minify,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': '"production"' },
    metafile: true,
    logLevel: 'warning',
    plugins: [nodeStubs],
  });
  const require = createRequire(import.meta.url);
  copyFileSync(path.join(path.dirname(require.resolve('uplot/package.json')), 'dist', 'uPlot.min.css'), path.join(out, 'uPlot.min.css'));
  return result.metafile.outputs[path.relative(process.cwd(), path.join(out, 'app.js'))]?.bytes ?? 0;
}

/** Type-checks the page's sources (DOM lib); throws with tsc's output on errors. */
export function checkDashboard() {
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(root, 'dashboard', 'tsconfig.json')], { stdio: 'inherit' });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  if (process.argv.includes('--check')) checkDashboard();
  const bytes = await buildDashboard();
  console.log(`dashboard: dashboard/static/app.js${bytes > 0 ? ` (${(bytes / 1024).toFixed(0)} KiB)` : ''}`);
}
