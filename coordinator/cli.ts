#!/usr/bin/env node
/**
 * The nnlab command line. Each command lives in its own module; this file parses argv and
 * dispatches. Errors are printed as one clear line with exit code 2 (usage) or 1 (failure).
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { initBackend, backendInfo } from '../core/backend.js';
import { version } from '../core/version.js';

const HELP = `nnlab ${version} — a reinforcement-learning and generative-model lab on TensorFlow.js

Usage: nnlab <command> [options]

Commands:
  demo [--seed N] [--epochs N]   train a small classifier with the core and print results
  info                           version, tensor backend in use, Node, CPU cores
  help                           this text

Options (every command):
  --backend NAME                 tensorflow | native | webgpu | wasm | cpu (default: NNLAB_BACKEND or the
                                 fastest that initialises)

Environment:
  NNLAB_BACKEND                  same as --backend
`;

class UsageError extends Error {}

async function info(backend: string | undefined): Promise<void> {
  const chosen = await initBackend(backend === undefined ? {} : { backend });
  const lines: [string, string][] = [
    ['nnlab', version],
    ['backend', chosen.name],
    ['node', process.version],
    ['platform', `${process.platform} ${process.arch}`],
    ['cpu cores', String(os.availableParallelism?.() ?? os.cpus().length)],
    ['cpu', os.cpus()[0]?.model ?? 'unknown'],
  ];
  const extra = await acceleratedKernels(chosen.name);
  if (extra !== undefined) lines.push(['accelerated', extra]);
  for (const s of chosen.skipped) lines.push([`skipped ${s.backend}`, s.reason]);
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(width)}  ${v}`);
}

/** Lists the kernels the native addon accelerates, when that backend is in use. */
async function acceleratedKernels(backend: string): Promise<string | undefined> {
  if (backend !== 'native') return undefined;
  const modPath = '../core/native.js';
  const mod = (await import(modPath)) as { nativeKernelNames?: () => string[] };
  return mod.nativeKernelNames?.().join(', ');
}

async function main(argv: string[]): Promise<void> {
  const [command = 'help', ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      backend: { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case 'info':
      await info(values.backend);
      return;
    case 'demo': {
      const { runDemo } = await import('./demo.js');
      await initBackend(values.backend === undefined ? {} : { backend: values.backend });
      await runDemo({ seed: intOption('seed', values.seed, 1), epochs: intOption('epochs', values.epochs, 60), backend: backendInfo()!.name });
      return;
    }
    default:
      throw new UsageError(`unknown command '${command}' (try: nnlab help)`);
  }
}

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got '${value}'`);
  return n;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const err = e as Error & { code?: string };
  const usage = e instanceof UsageError || err.code?.startsWith('ERR_PARSE_ARGS') === true;
  console.error(`nnlab: ${err.message}`);
  process.exit(usage ? 2 : 1);
});
