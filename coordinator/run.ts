/**
 * `nnlab run SPEC`: runs one experiment end to end. It validates the spec, creates runs/<id>/
 * (resolved spec, meta with seed, git commit and backend, metrics JSONL + CSV, checkpoints), starts
 * the coordinator's http + WebSocket server (token printed in the URL) and the rollout (or gradient)
 * threads, then hands the run to its family's driver: runDqn for DQN (which starts its learner, a
 * process or in this thread), runTrials for tabular runs and sweeps (of agents or generative
 * models), runQueueSweep for queue-backed sweeps, runOnPolicy for the policy-gradient agents and
 * runGenerative for a generative model.
 * SIGINT/SIGTERM checkpoint and stop; `--resume RUN_DIR` continues from the newest checkpoint.
 */
import { randomBytes } from 'node:crypto';
import { resolveToken } from '../workers/runToken.js';
import { signalExitCode } from '../workers/signalExit.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { isTabular, RL_FAMILY } from '../agents/algos.js';
import { initBackend } from '../core/backend.js';
import { saveCheckpoint } from '../core/checkpoint.js';
import type { TensorMap } from '../core/tensors.js';
import type { HiddenActivation } from '../core/activation.js';
import { spec as findEnvSpec } from '../envs/index.js';
import { ensureModule, moduleRef } from '../workers/envModules.js';
import type { EnvRef } from '../protocol/tasks.js';
import { loadSpecFile, parseSpec, specKind, type EnvSection, type ExperimentSpec } from '../drivers/spec.js';
import { checkExperiment } from '../drivers/specCheck.js';
import { closeRunDir, newRunDir, openRunDir, readMetrics, writeResultFile } from './runDir.js';
import { Scheduler } from './scheduler.js';
import { InlineExecutor, ThreadPoolExecutor } from './executors.js';
import { CoordinatorServer, DEFAULT_HOST } from './server.js';
import type { LearnerClient } from '../drivers/learner.js';
import { Progress } from './progress.js';
import { loadDqnResume, runDqn, type DqnRunState } from '../drivers/offPolicy.js';
import { loadTrialsResume, runTrials, trialMetrics } from '../drivers/trials.js';
import { attachQueueSweep, checkedSweepId, clearFollowerMetrics, runQueueSweep, sweepIdOf, type QueueTuning } from '../drivers/queue.js';
import { RUNS_DIR, runPath, sweepDir } from '../protocol/runFiles.js';
import { redactRedisUrl } from '../protocol/redisUrl.js';
import { loadOnPolicyResume, runOnPolicy } from '../drivers/onPolicy.js';
import { loadGenerativeResume, runGenerative, type GenerativeRunState } from '../drivers/generative.js';
import { dashboardHandler } from './dashboardHttp.js';
import type { Faults, GenerativeRunContext, RlRunContext, RunEvent, RunOutcome, RunServices, RunTarget } from '../drivers/context.js';
import type { RunSummary, WorkerSummary, CoordinatorMessage } from '../protocol/messages.js';
import { errorMessage } from '../base/plainData.js';

export interface RunOptions {
  /** A validated spec (or raw object, validated here); ignored with `resume`. */
  spec?: ExperimentSpec | unknown;
  /** Continue the run in this directory from its newest checkpoint. */
  resume?: string;
  runsDir?: string;
  /** Override spec.workers.rollout. */
  workers?: number;
  port?: number;
  host?: string;
  token?: string;
  /** Serve the dashboard and the workers' socket over TLS (https / wss) with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  log?: (line: string) => void;
  /** Where the progress bar goes (default stdout; null: none). */
  progressOut?: { write(s: string): unknown; isTTY?: boolean } | null;
  onEvent?: (e: RunEvent) => void;
  /** Called once the server listens. */
  onListening?: (info: { port: number; token: string; url: string; runDir: string }) => void;
  /** Handle SIGINT/SIGTERM (checkpoint, then stop). Default true. */
  handleSignals?: boolean;
  faults?: Faults;
  /** Serves HTTP on the coordinator's port (default: the dashboard page, coordinator/dashboardHttp.ts). */
  httpHandler?: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
  /** Stop when this aborts (as SIGINT does). */
  signal?: AbortSignal;
  /** Ping remote peers this often; one that sends nothing for two periods is dropped (default 5000 ms). */
  heartbeatMs?: number;
  /**
   * Run the sweep's trials as jobs of the Redis queue at `url` (overrides spec.queue), in
   * runs/<sweep id>/; with `attach`, follow that sweep (its spec as Redis holds it) instead of
   * submitting (drivers/queue.ts).
   */
  queue?: { url: string; attach?: string } & QueueTuning;
}

export interface RunResult extends RunOutcome {
  runId: string;
  runDir: string;
  token: string;
  port: number;
}

/** A spec's env as tasks carry it: its module (if any) named by the hash of its source now. */
function resolveEnvRef(env: EnvSection): EnvRef {
  const ref: EnvRef = { id: env.id, kwargs: env.kwargs };
  if (env.module !== undefined) ref.module = moduleRef(env.module);
  return ref;
}

/** What the start-up signal handler and the run share. */
interface RunSignals {
  /** The run directory once it is decided (a start-up signal records result.json there if it exists). */
  runDir?: string;
  /** Why the run should stop (a signal, the dashboard, an AbortSignal); undefined while it should go on. */
  stopReason?: string;
  /** Start-up is over: from now a signal checkpoints and stops instead of exiting. */
  endStartup(): void;
}

export async function runExperiment(opts: RunOptions): Promise<RunResult> {
  const log = opts.log ?? ((l: string) => console.log(l));
  // During start-up nothing is trained yet, so the first signal ends the process at once.
  const onStartupSignal = (sig: NodeJS.Signals) => {
    log(`${sig} during start-up: exiting before the run began`);
    try {
      if (signals.runDir !== undefined && existsSync(runPath(signals.runDir, 'spec'))) writeResultFile(signals.runDir, 'stopped', `${sig} during start-up`);
    } catch (e) {
      log(errorMessage(e));
    }
    process.exit(signalExitCode(sig));
  };
  const handleSignals = opts.handleSignals !== false;
  const endStartup = () => {
    process.off('SIGINT', onStartupSignal);
    process.off('SIGTERM', onStartupSignal);
  };
  const signals: RunSignals = { endStartup };
  if (handleSignals) {
    process.on('SIGINT', onStartupSignal);
    process.on('SIGTERM', onStartupSignal);
  }
  try {
    return await startAndRun(opts, log, signals);
  } finally {
    endStartup();
  }
}

/** Where a resumed run continues from: the state its family's driver read back, for that driver. */
interface ResumePoint {
  dqn?: DqnRunState;
  generative?: GenerativeRunState;
}

/**
 * The resume point of the run in `runDir`, read and checked by the driver its spec routes to (as
 * startAndRun does: a sweep or a tabular run is trials); a corrupt or foreign file is refused
 * there, naming it and the field, and a family that does not resume refuses, before anything is
 * written.
 */
async function loadResume(runDir: string, spec: ExperimentSpec): Promise<ResumePoint> {
  if (spec.sweep !== undefined) return loadTrialsResume(runDir, spec);
  if (spec.model !== undefined) return { generative: loadGenerativeResume(runDir) };
  // by family, as the run itself is routed (startAndRun's asTrials, then RL_FAMILY)
  switch (RL_FAMILY[spec.agent.algo]) {
    case 'dqn':
      return { dqn: await loadDqnResume(runDir) };
    case 'policy-gradient':
      return loadOnPolicyResume(runDir, spec);
    case 'tabular':
      return loadTrialsResume(runDir, spec);
  }
}

async function startAndRun(opts: RunOptions, log: (line: string) => void, signals: RunSignals): Promise<RunResult> {
  // ---- spec (every trial's agent/model config included), run directory, checkpoint to resume from ----
  let spec: ExperimentSpec;
  let runDir: string;
  let resumed: ResumePoint | undefined;
  if (opts.resume !== undefined) {
    runDir = opts.resume;
    const specFile = runPath(runDir, 'spec');
    if (!existsSync(specFile)) throw new Error(`--resume ${runDir}: not a run directory (no spec.json)`);
    spec = loadSpecFile(specFile);
    resumed = await loadResume(runDir, spec);
  } else {
    spec = parseSpec(opts.spec);
    runDir = newRunDir(spec.name, opts.runsDir);
  }
  if (opts.workers !== undefined) spec = { ...spec, workers: { ...spec.workers, rollout: opts.workers } };
  // a queue-backed sweep: its run directory is named by the sweep id, and whoever follows it rewrites it from Redis
  const queueUrl = opts.queue?.url ?? spec.queue;
  const attach = opts.queue?.attach;
  const trials = checkExperiment(spec, opts.resume !== undefined ? runPath(runDir, 'spec') : '', { asTrials: queueUrl !== undefined });
  if (queueUrl !== undefined) {
    if (opts.resume !== undefined) throw new Error('--resume: a queue-backed sweep is re-attached with --attach SWEEP_ID, not resumed');
    // attaching, the sweep is the one named, whatever id its stored spec would hash to now (drivers/queue.ts attachQueueSweep)
    runDir = sweepDir(opts.runsDir ?? RUNS_DIR, attach !== undefined ? checkedSweepId(attach) : sweepIdOf(spec));
  }
  const runId = path.basename(runDir);
  const backend = await initBackend();
  // what the run trains: an RL spec with its env as tasks carry it, or a generative spec (which has
  // no env). Attaching, there is none: the env module is on the submitter's machine, the jobs carry
  // it, and nothing here makes the env.
  const target: RunTarget | undefined = attach !== undefined ? undefined : spec.agent !== undefined ? { spec, envRef: resolveEnvRef(spec.env) } : { spec };
  const envRef = target?.envRef;
  if (envRef?.module !== undefined) await ensureModule(envRef.module);
  if (envRef !== undefined) findEnvSpec(envRef.id); // unknown id: "did you mean" error before anything starts
  signals.runDir = runDir;
  const metrics = openRunDir(runDir, spec, backend.name, opts.resume !== undefined ? { metrics: resumed?.dqn?.metrics ?? resumed?.generative?.metrics } : undefined);
  if (queueUrl !== undefined) clearFollowerMetrics({ metrics, runDir });

  // ---- scheduler, server, executors ----
  // the one rule of workers/runToken.ts: an empty NNLAB_TOKEN is no token (a random one is drawn), an empty opts.token an error
  const token = resolveToken({ token: opts.token }) ?? randomBytes(16).toString('hex');
  const scheduler = new Scheduler(spec.workers.taskTimeout !== undefined ? { taskTimeout: spec.workers.taskTimeout } : {});
  const summary: RunSummary = { runId, name: spec.name, state: 'starting', kind: specKind(spec), backend: backend.name, startedAt: new Date().toISOString() };
  const asTrials = queueUrl !== undefined || spec.sweep !== undefined || (spec.agent !== undefined && isTabular(spec.agent.algo));
  // a single generative run's threads compute its gradient shards; every other run's threads are its rollout (or trial) threads
  const threads = queueUrl !== undefined ? 0 : spec.model !== undefined && !asTrials ? spec.workers.gradient : spec.workers.rollout;
  // one thread, in order: no threads of either kind and no learner process (`workers.gradient: 2` with
  // rollout 0 must still get its 2 gradient threads, or it would only cut each batch in two inline)
  const singleProcess = threads === 0 && spec.workers.rollout === 0 && !spec.workers.learner.process;
  // every trial writes the same metrics (specCheck): the first's name them (the spec's own values may be swept away)
  if (asTrials) summary.trialMetrics = trialMetrics(trials[0]!.spec);
  if (spec.env !== undefined) {
    summary.env = spec.env.id;
    summary.envKwargs = spec.env.kwargs;
  }
  let learner: LearnerClient | undefined;
  let latestParams: { params: TensorMap; version: number; activation: HiddenActivation } | undefined;
  let latestSamples: { epoch: number; png: Uint8Array } | undefined;
  let checkpointWanted = false;
  const workerTable = (): WorkerSummary[] => {
    const rows: WorkerSummary[] = scheduler.stats().map((e) => ({ id: e.id, kind: e.kind, alive: e.alive, state: e.state, ...(e.reason !== undefined ? { reason: e.reason } : {}), tasksDone: e.tasksDone, throughput: e.throughput, lastSeen: e.lastSeen, ...(e.busy > 0 ? { current: `${e.busy}/${e.capacity} busy` } : {}) }));
    if (learner !== undefined) rows.push({ id: `learner${learner.pid !== undefined ? `-${learner.pid}` : ''}`, kind: learner.kind === 'process' ? 'learner' : 'inline', alive: true, tasksDone: 0, throughput: 0, lastSeen: Date.now(), current: learner.backend });
    return rows;
  };
  const runState = (): CoordinatorMessage => ({ type: 'run_state', run: { ...summary }, workers: workerTable() });
  const server = new CoordinatorServer({
    token,
    runId,
    port: opts.port ?? 0,
    host: opts.host ?? DEFAULT_HOST,
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    ...(opts.heartbeatMs !== undefined ? { heartbeatMs: opts.heartbeatMs } : {}),
    scheduler,
    log,
    httpHandler: opts.httpHandler ?? dashboardHandler({ token, runDir }),
    onControl: (action) => {
      if (action === 'stop') signals.stopReason ??= 'stopped from the dashboard';
      else checkpointWanted = true;
    },
    onDashboard: (send) => {
      send(runState());
      send({ type: 'metrics', runId, points: readMetrics(runDir) });
      if (latestParams !== undefined) send({ type: 'params', runId, ...latestParams });
      if (latestSamples !== undefined) send({ type: 'samples', runId, ...latestSamples });
    },
  });
  const port = await server.listen();
  const secure = opts.tls !== undefined;
  const url = `${secure ? 'https' : 'http'}://${opts.host ?? DEFAULT_HOST}:${port}/?token=${token}`;
  log(`nnlab run ${runId}: ${specKind(spec)}${spec.env ? ` on ${spec.env.id}` : ''}, seed ${spec.seed}, backend ${backend.name}`);
  log(`dashboard: ${url}`);
  if (queueUrl !== undefined) log(`queue workers: nnlab worker --queue ${redactRedisUrl(queueUrl)}${envRef?.module !== undefined ? ' --allow-code' : ''}   (docs/scale-out.md)`);
  else log(`remote workers: NNLAB_TOKEN=${token} nnlab worker --connect ${secure ? 'wss' : 'ws'}://HOST:${port}${secure ? ' --tls-ca CA.pem' : ''}${envRef?.module !== undefined ? ' --allow-code' : ''}   (docs/security.md)`);
  opts.onListening?.({ port, token, url, runDir });

  let pending: CoordinatorMessage[] = [];
  const unsubscribe = metrics.subscribe((p) => {
    if (server.dashboards > 0) pending.push({ type: 'metrics', runId, points: [p] });
  });
  const flushMetrics = () => {
    if (pending.length === 0) return;
    const points = pending.flatMap((m) => (m.type === 'metrics' ? m.points : []));
    pending = [];
    server.broadcast({ type: 'metrics', runId, points });
  };
  const flush = setInterval(flushMetrics, 250);
  scheduler.onChange = () => server.broadcast(runState());
  scheduler.onLost = (executor, tasks, reason) => {
    log(`worker ${executor} lost (${reason}); ${tasks.length} task(s) requeued`);
    opts.onEvent?.({ type: 'worker-lost', executor, tasks, reason });
  };
  scheduler.onFault = (executor, task, code, problem) => {
    log(`worker ${executor} failed task ${task} (${problem}); the task goes to another worker`);
    opts.onEvent?.({ type: 'task-fault', executor, task, code, problem });
  };
  scheduler.onQuarantine = (executor, reason) => {
    log(`worker ${executor} quarantined: ${reason}`);
    opts.onEvent?.({ type: 'worker-quarantined', executor, reason });
  };
  if (threads === 0) scheduler.addExecutor(new InlineExecutor());
  else scheduler.addExecutor(new ThreadPoolExecutor('threads', threads));
  if (spec.workers.remote > 0) {
    log(`waiting for ${spec.workers.remote} remote worker(s)…`);
    while (scheduler.stats().filter((e) => e.kind === 'remote' && e.alive).length < spec.workers.remote) await new Promise((r) => setTimeout(r, 100));
  }

  // ---- signals from here on: checkpoint and stop (a second one exits at once) ----
  const onSignal = (sig: NodeJS.Signals) => {
    if (signals.stopReason !== undefined) {
      log(`second ${sig}: exiting now`);
      process.exit(signalExitCode(sig));
    }
    signals.stopReason = sig;
    log(`${sig}: checkpointing and stopping (again to exit at once)`);
  };
  const handleSignals = opts.handleSignals !== false;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  signals.endStartup();
  opts.signal?.addEventListener('abort', () => (signals.stopReason ??= 'aborted'));

  const progressBar = opts.progressOut === null ? undefined : new Progress(0, asTrials ? 'trials' : spec.model !== undefined ? 'iterations' : 'env steps', opts.progressOut ?? process.stdout);
  const workersAlive = () => {
    const s = scheduler.stats();
    const threads = s.filter((e) => e.kind === 'thread' && e.alive).reduce((a, e) => a + e.capacity, 0);
    const remote = s.filter((e) => e.kind === 'remote' && e.alive).length;
    return `${threads}t${remote > 0 ? `+${remote}r` : ''}${learner?.kind === 'process' ? '+L' : ''}`;
  };
  const services: RunServices = {
    runId,
    runDir,
    backend: backend.name,
    singleProcess,
    scheduler,
    metrics,
    log: (l) => {
      progressBar?.break();
      log(l);
    },
    event: (e) => {
      opts.onEvent?.(e);
      if (e.type === 'learner-started') server.broadcast(runState()); // the worker table's learner row changed
    },
    progress: (done, total, fields) => {
      if (progressBar === undefined) return;
      progressBar.total = total;
      progressBar.update(done, fields);
    },
    progressBreak: () => progressBar?.break(),
    workersAlive,
    publish: (params, version, activation) => {
      latestParams = { params, version, activation };
      if (server.dashboards > 0) server.broadcast({ type: 'params', runId, ...latestParams });
    },
    publishTrials: (trials) => {
      summary.trials = trials;
      server.broadcast(runState());
    },
    publishSamples: (epoch, png) => {
      latestSamples = { epoch, png };
      server.broadcast({ type: 'samples', runId, epoch, png });
    },
    showLearner: (l) => {
      learner = l;
    },
    stopRequested: () => signals.stopReason,
    checkpointRequested: () => checkpointWanted,
    checkpointDone: () => {
      checkpointWanted = false;
    },
    saveCheckpoint: async (step: number, state: unknown, models: Record<string, tf.LayersModel>, meta?: Record<string, number | string>) => {
      const dir = await saveCheckpoint(runPath(runDir, 'checkpoints'), { models, state, meta: { runId, envStep: step, spec: spec.name, ...meta } }, { step, keep: spec.checkpoint.keep });
      opts.onEvent?.({ type: 'checkpoint', dir, step });
      return dir;
    },
    ...(opts.faults !== undefined ? { faults: { ...opts.faults } } : {}),
  };

  let outcome: RunOutcome | undefined;
  let failed = false;
  summary.state = 'running';
  server.broadcast(runState());
  try {
    if (queueUrl !== undefined) {
      const q = { ...opts.queue, url: queueUrl };
      // attaching, the spec is the one Redis holds and there is no env: the jobs carry it; the run's
      // id is the sweep id given (it names the run directory, above)
      outcome = target === undefined ? await attachQueueSweep({ ...services, spec }, runId, q) : await runQueueSweep({ ...services, ...target }, q);
    } else if (target === undefined) {
      throw new Error(`--attach ${attach}: follows a queue-backed sweep, and needs its queue's URL`);
    } else if (target.envRef !== undefined) {
      const ctx: RlRunContext = { ...services, ...target };
      // loadResume's routing: a sweep or a tabular agent's run is trials, any other goes to its family's driver
      if (asTrials) {
        outcome = await runTrials(ctx);
      } else if (RL_FAMILY[ctx.spec.agent.algo] === 'dqn') {
        outcome = await runDqn(ctx, resumed?.dqn);
      } else {
        // REINFORCE, Actor-Critic and A2C train synchronously in this thread and are not checkpointed
        // mid-run: a signal could not be handled before they finish, so it gets its default action
        // (the process ends at once) instead of waiting.
        if (handleSignals) {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        outcome = await runOnPolicy(ctx);
      }
    } else {
      const ctx: GenerativeRunContext = { ...services, ...target };
      outcome = asTrials ? await runTrials(ctx) : await runGenerative(ctx, resumed?.generative);
    }
    summary.state = outcome.state === 'stopped' ? 'stopped' : 'finished';
    summary.message = outcome.message;
  } catch (e) {
    failed = true;
    summary.state = 'failed';
    summary.message = errorMessage(e);
    server.broadcast(runState());
    throw e;
  } finally {
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    progressBar?.break();
    clearInterval(flush);
    flushMetrics(); // the last points (a final score) reach dashboards before the socket closes
    unsubscribe();
    server.broadcast(runState());
    // result.json is the run's record of how it ended: if it cannot be written, the run fails with
    // that message (after the rest is closed), or the error is logged beside the one already failing it.
    const resultError = closeRunDir(metrics, summary.state, summary.message, outcome, log);
    await scheduler.close();
    await server.close();
    if (resultError !== undefined && !failed) throw resultError.thrown;
  }
  log(outcome.message);
  const { params: _p, ...rest } = outcome;
  return { ...rest, ...(outcome.params !== undefined ? { params: outcome.params } : {}), runId, runDir, token, port };
}
