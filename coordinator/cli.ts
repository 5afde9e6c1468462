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
  train AGENT [--env ID] [--seed N] [--steps N] [--goal R]
                                 train one agent on one env in this process: dqn (default env
                                 CartPole-v1, --steps env steps, stops at --goal), qlearning, sarsa,
                                 expected-sarsa (default env CliffWalking-v1, --steps episodes);
                                 metrics JSONL, checkpoint and final greedy score under runs/
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
  const { values, positionals } = parseArgs({
    args: rest,
    options: {
      backend: { type: 'string' },
      seed: { type: 'string' },
      epochs: { type: 'string' },
      env: { type: 'string' },
      steps: { type: 'string' },
      goal: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0 && command !== 'train') throw new UsageError(`unexpected argument '${positionals[0]}'`);
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
    case 'train': {
      const agent = positionals[0];
      if (agent === undefined) throw new UsageError('train needs an agent: nnlab train dqn|qlearning|sarsa|expected-sarsa');
      if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
      const { runTrain, TRAINABLE } = await import('./train.js');
      if (!(TRAINABLE as readonly string[]).includes(agent)) throw new UsageError(`unknown agent '${agent}' (expected one of ${TRAINABLE.join(', ')})`);
      await initBackend(values.backend === undefined ? {} : { backend: values.backend });
      const opts: Parameters<typeof runTrain>[0] = {
        agent,
        env: values.env ?? (agent === 'dqn' ? 'CartPole-v1' : 'CliffWalking-v1'),
        seed: intOption('seed', values.seed, 0),
        backend: backendInfo()!.name,
      };
      if (values.steps !== undefined) opts.budget = intOption('steps', values.steps, 0);
      if (values.goal !== undefined) {
        const g = Number(values.goal);
        if (!Number.isFinite(g)) throw new UsageError(`--goal must be a number, got '${values.goal}'`);
        opts.goal = g;
      }
      await runTrain(opts);
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
