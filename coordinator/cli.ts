#!/usr/bin/env node
/**
 * The nnlab command line. Each command lives in its own module; this file parses argv and
 * dispatches. Errors are printed as one clear line with exit code 2 (usage) or 1 (failure).
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { initBackend } from '../core/backend.js';
import { version } from '../core/version.js';
import { redisUrlProblem } from '../protocol/redisUrl.js';
import { DQN_ENV_STEPS, GENERATIVE_EPOCHS, SHA256_HEX } from '../protocol/tasks.js';
import { GOAL_EPISODES } from '../agents/evalEpisodes.js';
import { isTabular, TABULAR_ALGOS, type RlAlgo } from '../agents/algos.js';
import { GENERATIVE_KINDS, isGenerativeKind } from '../generative/kinds.js';
import { BACKENDS, isBackendName } from '../core/backendNames.js';
import { errorCode, errorMessage } from '../base/plainData.js';

/** The port `nnlab run` and `nnlab sweep` listen on without --port (the dashboard's and remote workers'). */
const DEFAULT_PORT = 7070;

/** The RL algorithms `nnlab train` runs: DQN (as a spec with no threads) and the tabular agents (drivers/train.ts). */
const TRAIN_ALGOS: readonly RlAlgo[] = ['dqn', ...TABULAR_ALGOS];

const HELP = `nnlab ${version} — a reinforcement-learning and generative-model lab on TensorFlow.js

Usage: nnlab <command> [options]

Commands:
  run SPEC [--workers N] [--port P] [--host H] [--token-file F] [--tls-cert F --tls-key F] [--seed N] [--resume RUN_DIR]
                                 run an experiment spec (JSON or YAML; see experiments/): rollout
                                 threads, a learner process, remote workers, a sweep if the spec has
                                 one; prints the dashboard URL; metrics, checkpoints under runs/<id>/
                                 (--resume RUN_DIR: continue a run from its newest checkpoint;
                                 --tls-cert/--tls-key: serve https and wss)
  sweep SPEC [...]               the same, for a spec with a sweep section (trials run in parallel)
  sweep SPEC --queue redis://[user:pass@]HOST:PORT[/DB]
                                 enqueue the sweep's trials as jobs in Redis (rediss:// for TLS; also
                                 the spec's queue field), follow them, write trials.json when done;
                                 runs survive this process (docs/scale-out.md)
  sweep --attach SWEEP_ID --queue URL
                                 follow a queue-backed sweep from anywhere, also after its submitter
                                 was killed
  worker --connect URL [--token-file F] [--tls-ca F] [--allow-code] [--allow-module SHA256]
         [--threads N] [--name NAME]
                                 join a running experiment from this machine as a remote worker;
                                 it checks that the coordinator knows the token and never sends it;
                                 shipped env modules run only with --allow-code / --allow-module
  worker --queue URL [--concurrency N] [--allow-code] [--allow-module SHA256] [--name NAME]
         [--lock-duration MS] [--stalled-interval MS]
                                 run trial jobs of queue-backed sweeps on N threads until stopped
  eval RUN_DIR [--episodes N]    a run's newest checkpoint: a DQN run's greedy evaluation over N
                                 episodes, or a generative run's grid of fresh samples
  train MODEL [--epochs N] [--seed N] [--workers N] [--config JSON] [--port P]
                                 train a generative model on MNIST, one of
                                 ${GENERATIVE_KINDS.join(', ')}:
                                 sample grid per epoch, classifier score, Fréchet distance,
                                 checkpoints, the dashboard (on port P; default any free one);
                                 --workers: gradient threads;
                                 --config: the model's config (a spec's model.config), e.g.
                                 '{"architecture":"dcgan"}' for WGAN-GP on the conv nets
  train dqn [--env ID] [--seed N] [--steps N] [--goal R] [--config JSON] [--port P]
                                 train DQN on one env in this process (default CartPole-v1):
                                 --steps env steps, stops at --goal; --config: the agent's config
                                 (a spec's agent.config), e.g. '{"hidden":[64,64]}'; checkpoints,
                                 the dashboard (on port P; default any free one)
  train AGENT [--env ID] [--seed N] [--steps N]
                                 train a tabular agent in this process, one of
                                 ${TABULAR_ALGOS.join(', ')}
                                 (default env CliffWalking-v1, --steps episodes);
                                 metrics JSONL, Q table and final greedy score under runs/
  demo [--seed N] [--epochs N]   train a small classifier with the core and print results
  info                           version, tensor backend in use, Node, CPU cores
  help                           this text

Options:
  --backend NAME                 every command: ${BACKENDS.join(' | ')} (default:
                                 NNLAB_BACKEND or the fastest that initialises)
  --token T                      run, sweep, worker --connect: the run token (shown to every local
                                 user by ps: prefer NNLAB_TOKEN or --token-file; see docs/security.md)

A flag a command does not take is refused, naming the commands it is for.

Environment:
  NNLAB_BACKEND                  same as --backend
  NNLAB_TOKEN                    the run token (run, sweep, worker)
`;

class UsageError extends Error {}

async function info(backend: string | undefined): Promise<void> {
  const chosen = await initBackend(backend === undefined ? {} : { backend });
  const lines: [string, string][] = [
    ['nnlab', version],
    ['backend', chosen.name],
    ...(chosen.device !== undefined ? ([['device', chosen.device]] as [string, string][]) : []),
    ['node', process.version],
    ['platform', `${process.platform} ${process.arch}`],
    ['cpu cores', String(os.availableParallelism?.() ?? os.cpus().length)],
    ['cpu', os.cpus()[0]?.model ?? 'unknown'],
  ];
  const extra = await acceleratedKernels(chosen.name);
  if (extra !== undefined) lines.push(['accelerated', extra]);
  if (chosen.name === 'native') {
    const { nativeInfo } = await import('../core/nativeAddon.js');
    const n = nativeInfo();
    lines.push(['native gemm', `${n.simd} micro-kernels, ${n.threads} thread(s)`]);
  }
  for (const s of chosen.skipped) lines.push([`skipped ${s.backend}`, s.reason]);
  const width = Math.max(...lines.map(([k]) => k.length));
  for (const [k, v] of lines) console.log(`${k.padEnd(width)}  ${v}`);
}

/** Lists the kernels the native addon accelerates, when that backend is in use. */
async function acceleratedKernels(backend: string): Promise<string | undefined> {
  if (backend !== 'native') return undefined;
  const { nativeKernelNames } = await import('../core/native.js');
  return nativeKernelNames().join(', ');
}

/** Every flag of every command (parseArgs refuses any other); which command takes which: COMMAND_FLAGS. */
const OPTIONS = {
  backend: { type: 'string' },
  seed: { type: 'string' },
  epochs: { type: 'string' },
  env: { type: 'string' },
  steps: { type: 'string' },
  goal: { type: 'string' },
  workers: { type: 'string' },
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-ca': { type: 'string' },
  'allow-code': { type: 'boolean' },
  'allow-module': { type: 'string', multiple: true },
  resume: { type: 'string' },
  connect: { type: 'string' },
  threads: { type: 'string' },
  name: { type: 'string' },
  episodes: { type: 'string' },
  queue: { type: 'string' },
  attach: { type: 'string' },
  concurrency: { type: 'string' },
  'lock-duration': { type: 'string' },
  'stalled-interval': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A flag that only some commands take (--backend and --help are every command's). */
type CommandFlag = Exclude<keyof typeof OPTIONS, 'backend' | 'help'>;

const SERVE_FLAGS: readonly CommandFlag[] = ['workers', 'port', 'host', 'token', 'token-file', 'tls-cert', 'tls-key', 'resume', 'queue'];

/**
 * The flags each command takes besides --backend and --help, by the help's usage of it (`worker`
 * and `sweep --attach` by what they serve, `train` by the family it trains). A flag given to a
 * command that would not read it is a usage error naming the commands it is for: a flag dropped
 * in silence (`--goal` on `train vae`) trains something other than what was asked.
 */
const COMMAND_FLAGS = {
  run: { usage: 'run', flags: [...SERVE_FLAGS, 'seed'] },
  sweep: { usage: 'sweep', flags: SERVE_FLAGS },
  sweepAttach: { usage: 'sweep --attach', flags: ['attach', 'queue', 'port'] },
  workerConnect: { usage: 'worker --connect', flags: ['connect', 'token', 'token-file', 'tls-ca', 'allow-code', 'allow-module', 'threads', 'name'] },
  workerQueue: { usage: 'worker --queue', flags: ['queue', 'concurrency', 'allow-code', 'allow-module', 'name', 'lock-duration', 'stalled-interval'] },
  eval: { usage: 'eval', flags: ['episodes'] },
  trainModel: { usage: `train ${GENERATIVE_KINDS.join('|')}`, flags: ['epochs', 'seed', 'workers', 'config', 'port'] },
  trainDqn: { usage: 'train dqn', flags: ['env', 'seed', 'steps', 'goal', 'config', 'port'] },
  trainTabular: { usage: `train ${TABULAR_ALGOS.join('|')}`, flags: ['env', 'seed', 'steps'] },
  demo: { usage: 'demo', flags: ['seed', 'epochs'] },
  info: { usage: 'info', flags: [] },
} as const satisfies Record<string, { usage: string; flags: readonly CommandFlag[] }>;

/** Refuses any flag in `values` that `command` does not take; `what` is the command as given (`train vae`). */
function refuseOtherFlags(values: object, command: keyof typeof COMMAND_FLAGS, what: string = COMMAND_FLAGS[command].usage): void {
  const takes = (c: { flags: readonly string[] }, flag: string) => c.flags.includes(flag);
  for (const flag of Object.keys(values)) {
    if (flag === 'backend' || flag === 'help' || takes(COMMAND_FLAGS[command], flag)) continue;
    const owners = Object.values(COMMAND_FLAGS).filter((c) => takes(c, flag)).map((c) => `nnlab ${c.usage}`);
    throw new UsageError(`--${flag} does not apply to nnlab ${what}: it is for ${owners.join(', ')}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'help', ...rest] = argv;
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: true });
  if (positionals.length > 0 && !['train', 'run', 'sweep', 'eval'].includes(command)) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.help || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return;
  }
  switch (command) {
    case 'info':
      refuseOtherFlags(values, 'info');
      await info(values.backend);
      return;
    case 'demo': {
      refuseOtherFlags(values, 'demo');
      const { runDemo } = await import('../drivers/demo.js');
      const { name: backend } = await initBackend(values.backend === undefined ? {} : { backend: values.backend });
      await runDemo({ seed: intOption('seed', values.seed, 1), epochs: intOption('epochs', values.epochs, 60), backend });
      return;
    }
    case 'train': {
      const agent = positionals[0];
      if (agent === undefined) throw new UsageError(`train needs an agent: nnlab train ${TRAIN_ALGOS.join('|')}`);
      if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
      if (isGenerativeKind(agent)) {
        // a generative model: the same run as a spec with model.kind (samples, checkpoints, dashboard)
        refuseOtherFlags(values, 'trainModel', `train ${agent}`);
        backendForChildren(values.backend);
        const epochs = countOption('epochs', values.epochs, GENERATIVE_EPOCHS);
        const { runExperiment } = await import('./run.js');
        const { GENERATIVE_MODELS } = await import('../generative/models.js');
        const config = configOption(values.config, (c) => GENERATIVE_MODELS[agent].resolve(c));
        const spec = {
          name: agent,
          model: { kind: agent, config },
          seed: intOption('seed', values.seed, 0),
          budget: { epochs },
          workers: { rollout: 0, gradient: values.workers === undefined ? 0 : intValue('workers', values.workers), learner: { process: false } },
        };
        await runExperiment({ spec, port: intOption('port', values.port, 0) });
        return;
      }
      if (agent === 'dqn') {
        // DQN: the same run as a spec with no threads and no learner process (drivers/offPolicy.ts:
        // agents/dqn.ts trainDqn's loop, number for number), with checkpoints and the dashboard
        refuseOtherFlags(values, 'trainDqn');
        backendForChildren(values.backend);
        const { runExperiment } = await import('./run.js');
        const goal = values.goal === undefined ? undefined : Number(values.goal);
        if (goal !== undefined && !Number.isFinite(goal)) throw new UsageError(`--goal must be a number, got '${values.goal}'`);
        // --config: the spec's agent.config, checked by DQN's one config rule (agents/dqnConfig.ts)
        const { resolveDqnConfig } = await import('../agents/dqnConfig.js');
        const config = configOption(values.config, resolveDqnConfig);
        // the config's own seed would override --seed (drivers/spec.ts agentConfigOf): one way to give it
        if ('seed' in config) throw new UsageError("--config: give the seed with --seed, not as the config's 'seed'");
        const spec = {
          name: 'dqn',
          env: { id: values.env ?? 'CartPole-v1' },
          agent: { algo: 'dqn', config },
          seed: intOption('seed', values.seed, 0),
          budget: { envSteps: values.steps === undefined ? DQN_ENV_STEPS : intValue('steps', values.steps) },
          workers: { rollout: 0, learner: { process: false } },
          eval: goal !== undefined ? { goal } : {}, // the spec's defaults fill the rest
        };
        await runExperiment({ spec, port: intOption('port', values.port, 0) });
        return;
      }
      if (!isTabular(agent)) throw new UsageError(`unknown agent or model '${agent}' (expected one of ${[...TRAIN_ALGOS, ...GENERATIVE_KINDS].join(', ')})`);
      refuseOtherFlags(values, 'trainTabular', `train ${agent}`);
      const { name: backend } = await initBackend(values.backend === undefined ? {} : { backend: values.backend });
      // a tabular agent: a spec with no threads, trained in this thread with its Q table kept (coordinator/train.ts)
      const { trainTabular } = await import('./train.js');
      const opts: Parameters<typeof trainTabular>[0] = {
        agent,
        env: values.env ?? 'CliffWalking-v1',
        seed: intOption('seed', values.seed, 0),
        backend,
      };
      if (values.steps !== undefined) opts.episodes = intValue('steps', values.steps);
      await trainTabular(opts);
      return;
    }
    case 'run':
    case 'sweep': {
      const file = positionals[0];
      if (command === 'sweep' && values.attach !== undefined) {
        refuseOtherFlags(values, 'sweepAttach');
        backendForChildren(values.backend);
        await attachSweep(values.attach, values.queue, file, values.port);
        return;
      }
      refuseOtherFlags(values, command);
      backendForChildren(values.backend);
      if (file === undefined && values.resume === undefined) throw new UsageError(`${command} needs a spec file (e.g. experiments/cartpole-dqn.json) or --resume RUN_DIR`);
      if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
      const { runExperiment } = await import('./run.js');
      const { loadSpecFile } = await import('../drivers/spec.js');
      const spec = file !== undefined ? loadSpecFile(file) : undefined;
      if (command === 'sweep' && spec !== undefined && spec.sweep === undefined) throw new UsageError(`${file} has no sweep section (use nnlab run)`);
      const opts: Parameters<typeof runExperiment>[0] = { port: intOption('port', values.port, DEFAULT_PORT) };
      if (values.seed !== undefined) {
        // the run's seed instead of the spec's; a resumed run keeps the seed it started with
        if (spec === undefined) throw new UsageError('--seed starts a new run from a spec: a run continued with --resume keeps its own seed');
        spec.seed = intValue('seed', values.seed);
      }
      if (spec !== undefined) opts.spec = spec;
      if (values.resume !== undefined) opts.resume = values.resume;
      if (values.workers !== undefined) opts.workers = intValue('workers', values.workers);
      if (values.queue !== undefined) opts.queue = { url: queueUrl(values.queue) };
      if (values.host !== undefined) opts.host = values.host;
      const token = await runToken(values);
      if (token !== undefined) opts.token = token;
      if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new UsageError('TLS needs both --tls-cert FILE and --tls-key FILE');
      if (values['tls-cert'] !== undefined && values['tls-key'] !== undefined) opts.tls = { cert: readFlagFile('tls-cert', values['tls-cert']), key: readFlagFile('tls-key', values['tls-key']) };
      await runExperiment(opts);
      return;
    }
    case 'worker': {
      // the tasks run on the worker's threads, which choose their backend from NNLAB_BACKEND
      backendForChildren(values.backend);
      const allowed = values['allow-module'] ?? [];
      const notHex = allowed.find((h) => !SHA256_HEX.test(h));
      if (notHex !== undefined) throw new UsageError(`--allow-module needs ${SHA256_HEX.rule}, got '${notHex}'`);
      if (values.queue !== undefined) {
        if (values.connect !== undefined) throw new UsageError('a worker serves either a run (--connect) or a queue (--queue), not both');
        refuseOtherFlags(values, 'workerQueue');
        const { runQueueWorker } = await import('../workers/queueWorker.js');
        const opts: Parameters<typeof runQueueWorker>[0] = { url: queueUrl(values.queue), allowCode: values['allow-code'] === true, allowModules: allowed };
        if (values.concurrency !== undefined) opts.concurrency = Math.max(1, intValue('concurrency', values.concurrency));
        if (values.name !== undefined) opts.name = values.name;
        if (values['lock-duration'] !== undefined) opts.lockDurationMs = Math.max(1, intValue('lock-duration', values['lock-duration']));
        if (values['stalled-interval'] !== undefined) opts.stalledIntervalMs = Math.max(1, intValue('stalled-interval', values['stalled-interval']));
        const done = await runQueueWorker(opts);
        console.log(`worker stopped after ${done} trial(s)`);
        return;
      }
      if (values.connect === undefined) throw new UsageError('worker needs --connect ws://HOST:PORT (a run) or --queue redis://HOST:PORT (queue-backed sweeps)');
      refuseOtherFlags(values, 'workerConnect');
      // the coordinator refuses a hello past HELLO_LIMITS: said here, before the token is read or anything connects
      const { helloProblem } = await import('../protocol/messages.js');
      const helloFlags = helloProblem({ name: values.name, threads: values.threads === undefined ? undefined : intValue('threads', values.threads) });
      if (helloFlags !== undefined) throw new UsageError(helloFlags);
      const token = await runToken(values);
      if (token === undefined) throw new UsageError('worker needs the run token (printed by nnlab run): NNLAB_TOKEN, --token-file FILE or --token T');
      const { runRemoteWorker } = await import('../workers/remote.js');
      const opts: Parameters<typeof runRemoteWorker>[0] = { url: values.connect, token, allowCode: values['allow-code'] === true, allowModules: allowed };
      if (values['tls-ca'] !== undefined) opts.ca = readFlagFile('tls-ca', values['tls-ca']);
      if (values.threads !== undefined) opts.threads = intValue('threads', values.threads);
      if (values.name !== undefined) opts.name = values.name;
      const done = await runRemoteWorker(opts);
      console.log(`the run ended; this worker did ${done} tasks`);
      return;
    }
    case 'eval': {
      const dir = positionals[0];
      if (dir === undefined) throw new UsageError('eval needs a run directory (runs/<id>)');
      refuseOtherFlags(values, 'eval');
      // a final evaluation's episodes, as a spec's eval.finalEpisodes; 0 would print a mean return of NaN
      const episodes = countOption('episodes', values.episodes, GOAL_EPISODES);
      await initBackend(values.backend === undefined ? {} : { backend: values.backend });
      const { evalRun } = await import('../drivers/eval.js');
      await evalRun(dir, episodes);
      return;
    }
    default:
      throw new UsageError(`unknown command '${command}' (try: nnlab help)`);
  }
}

/**
 * --backend of a command that starts threads or processes of its own (a run's learner process and
 * rollout threads, a worker's task threads): each chooses its backend from NNLAB_BACKEND
 * (core/backend.ts), so the flag becomes that variable, its name checked here before anything starts.
 */
function backendForChildren(backend: string | undefined): void {
  if (backend === undefined) return;
  if (!isBackendName(backend)) throw new UsageError(`unknown backend '${backend}' (--backend): expected one of ${BACKENDS.join(', ')}`);
  process.env.NNLAB_BACKEND = backend;
}

/** A --queue URL, checked (protocol/redisUrl.ts). */
function queueUrl(url: string): string {
  const problem = redisUrlProblem(url);
  if (problem !== undefined) throw new UsageError(`--queue ${problem}`);
  return url;
}

/** `nnlab sweep --attach SWEEP_ID --queue URL`: follows a queue-backed sweep with its spec as Redis holds it. */
async function attachSweep(sweepId: string, url: string | undefined, file: string | undefined, port: string | undefined): Promise<void> {
  if (file !== undefined) throw new UsageError(`--attach follows the spec stored with the sweep; remove '${file}'`);
  if (url === undefined) throw new UsageError('--attach needs --queue redis://HOST:PORT (where the sweep was submitted)');
  const checked = queueUrl(url);
  const { loadSweep } = await import('../drivers/queue.js');
  const spec = await loadSweep(checked, sweepId, (l) => console.error(l));
  const { runExperiment } = await import('./run.js');
  await runExperiment({ spec, port: intOption('port', port, DEFAULT_PORT), queue: { url: checked, attach: sweepId } });
}

/** The run token from --token, --token-file or NNLAB_TOKEN (workers/runToken.ts); bad combinations are usage errors. */
async function runToken(values: { token?: string | undefined; 'token-file'?: string | undefined }): Promise<string | undefined> {
  const { resolveToken } = await import('../workers/runToken.js');
  try {
    return resolveToken({ token: values.token, tokenFile: values['token-file'] });
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
}

/** Reads a file named by a flag (a certificate, a key), naming the flag when it cannot. */
function readFlagFile(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new UsageError(`--${flag} ${file}: cannot read it (${errorCode(e) ?? errorMessage(e)})`);
  }
}

/**
 * `--config JSON` of `train MODEL` and `train dqn`: a JSON object that `resolve`, the model's or
 * agent's one config check, accepts (its RangeError names the field); {} when the flag is absent.
 */
function configOption(value: string | undefined, resolve: (config: Record<string, unknown>) => unknown): Record<string, unknown> {
  if (value === undefined) return {};
  let config: unknown;
  try {
    config = JSON.parse(value);
  } catch (e) {
    throw new UsageError(`--config must be a JSON object: ${errorMessage(e)}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new UsageError(`--config must be a JSON object, got ${value}`);
  const record: Record<string, unknown> = Object.fromEntries(Object.entries(config));
  try {
    resolve(record);
  } catch (e) {
    throw new UsageError(`--config: ${errorMessage(e)}`);
  }
  return record;
}

/** `--name`'s value as a non-negative integer (for a flag passed on only when given: its default is the callee's). */
function intValue(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, got '${value}'`);
  return n;
}

/** A flag that counts what must happen at least once (episodes, epochs): a positive integer, or `fallback` when the flag is absent. */
function countOption(name: string, value: string | undefined, fallback: number): number {
  const n = intOption(name, value, fallback);
  if (n < 1) throw new UsageError(`--${name} must be at least 1, got '${value}'`);
  return n;
}

/** intValue, or the CLI's own default `fallback` when the flag is absent. */
function intOption(name: string, value: string | undefined, fallback: number): number {
  return value === undefined ? fallback : intValue(name, value);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const usage = e instanceof UsageError || errorCode(e)?.startsWith('ERR_PARSE_ARGS') === true;
  console.error(`nnlab: ${errorMessage(e)}`);
  process.exit(usage ? 2 : 1);
});
