/**
 * Rollout: steps a vector env with the actor of the published policy parameters and returns the
 * transitions as typed arrays. One `RolloutRunner` per executor and run keeps its envs between
 * tasks, so episodes continue across tasks (as in RLlib's and SB3's rollout workers); a task that
 * carries an env stream (`task.stream`) continues that stream instead, whichever thread or machine
 * ran its previous part, and returns it advanced (a distributed DQN run's one stream). The actor is
 * the typed-array forward of core/fusedNet.ts (`dqnForward`): no tensors.
 *
 * Same-step autoreset: when a sub-env's episode ends, the transition stores the true final
 * observation as nextObs (truncations still bootstrap; only `terminated` is stored as terminal).
 */
import { makeVec, snapshotState, restoreState, writeNextObsRow, type VectorEnv } from '../envs/index.js';
import type { Rng } from '../base/rng.js';
import { dqnActor, dqnForward, dqnStreams, epsilonAt } from '../agents/dqnActor.js';
import type { FusedMlp } from '../core/fusedNet.js';
import { fusedGemm } from '../core/fused.js';
import { ensureModule } from './envModules.js';
import type { EnvStreamState, RolloutResult, RolloutTask } from '../protocol/tasks.js';

/** A runner's state: the env stream as data (protocol/tasks.ts), in checkpoints and in tasks. */
export type RolloutRunnerState = EnvStreamState;

export class RolloutRunner {
  private readonly envs: VectorEnv;
  private readonly obs: Float32Array;
  readonly obsDim: number;
  private readonly rng: Rng;
  private readonly returns: Float64Array;
  private readonly lengths: Int32Array;
  private forward: { version: number; net: FusedMlp } | undefined;

  constructor(readonly numEnvs: number, envId: string, kwargs: Record<string, unknown>, seed: number) {
    this.envs = makeVec(envId, { numEnvs, autoresetMode: 'same-step', kwargs });
    this.obsDim = this.envs.obsDim;
    const [obs] = this.envs.reset({ seed });
    this.obs = Float32Array.from(obs);
    this.rng = dqnStreams(seed).actor; // the one-process loop's actor stream (agents/dqnActor.ts)
    this.returns = new Float64Array(numEnvs);
    this.lengths = new Int32Array(numEnvs);
  }

  /** Runs `task.steps` vector steps. */
  run(task: RolloutTask): RolloutResult {
    const { numEnvs, obsDim } = this;
    if (task.numEnvs !== numEnvs) throw new Error(`rollout: task has ${task.numEnvs} envs, runner ${numEnvs}`);
    if (this.forward?.version !== task.policy.version) this.forward = { version: task.policy.version, net: dqnForward(task.policy.params, task.policy.activation) };
    const net = this.forward.net;
    const n = task.steps * numEnvs;
    const out: RolloutResult = {
      kind: 'rollout',
      count: n,
      obs: new Float32Array(n * obsDim),
      actions: new Int32Array(n),
      rewards: new Float32Array(n),
      nextObs: new Float32Array(n * obsDim),
      terminated: new Uint8Array(n),
      episodeReturns: new Float64Array(0),
      episodeLengths: new Int32Array(0),
      episodeEnds: new Int32Array(0),
      policyVersion: task.policy.version,
    };
    const ends: [number, number, number][] = [];
    const actions = new Int32Array(numEnvs);
    const eps = task.policy.epsilon;
    for (let t = 0; t < task.steps; t++) {
      const envStep = task.envStep + t * numEnvs;
      dqnActor(net, this.obs, numEnvs, epsilonAt(eps, envStep), this.rng, actions);
      const [nextObs, rewards, terminated, truncated, info] = this.envs.step(actions);
      for (let e = 0; e < numEnvs; e++) {
        const row = t * numEnvs + e;
        const done = terminated[e] === 1 || truncated[e] === 1;
        out.obs.set(this.obs.subarray(e * obsDim, (e + 1) * obsDim), row * obsDim);
        writeNextObsRow(this.envs, nextObs, info, e, out.nextObs, row * obsDim);
        out.actions[row] = actions[e]!;
        out.rewards[row] = rewards[e]!;
        out.terminated[row] = terminated[e] === 1 ? 1 : 0;
        this.returns[e]! += rewards[e]!;
        this.lengths[e]!++;
        if (done) {
          ends.push([this.returns[e]!, this.lengths[e]!, row]);
          this.returns[e] = 0;
          this.lengths[e] = 0;
        }
      }
      this.obs.set(nextObs);
    }
    out.episodeReturns = Float64Array.from(ends, (x) => x[0]);
    out.episodeLengths = Int32Array.from(ends, (x) => x[1]);
    out.episodeEnds = Int32Array.from(ends, (x) => x[2]);
    return out;
  }

  /** Env, observation, episode counters and generator as data (exact resume of a single-process run). */
  getState(): RolloutRunnerState {
    return { env: snapshotState(this.envs), obs: this.obs.slice(), returns: this.returns.slice(), lengths: this.lengths.slice(), rng: this.rng.getState() };
  }

  setState(s: RolloutRunnerState): void {
    restoreState(this.envs, s.env);
    this.obs.set(s.obs);
    this.returns.set(s.returns);
    this.lengths.set(s.lengths);
    this.rng.setState(s.rng);
  }

  close(): void {
    this.envs.close();
  }
}

/**
 * The runner of the run this thread steps envs for: a thread keeps its envs between the tasks of
 * a run. A thread serves one run at a time (a run's thread pool, a remote worker's connection),
 * so a task of another run means the earlier run is over: its envs are closed (closeRollouts)
 * before the new run's are made, and a thread that served several runs one after another (the
 * coordinator's own, running tasks inline) holds only the current run's, as workers/gradient.ts
 * does for its model copies.
 */
const runners = new Map<string, RolloutRunner>();

export async function runRollout(task: RolloutTask): Promise<RolloutResult> {
  await fusedGemm(); // the actor's forward uses the native SGEMM (context-aware addon) when it loads
  if (task.env.module !== undefined) await ensureModule(task.env.module);
  let runner = runners.get(task.runId);
  if (runner === undefined) {
    for (const earlier of [...runners.keys()]) closeRollouts(earlier);
    runner = new RolloutRunner(task.numEnvs, task.env.id, task.env.kwargs, task.seed);
    runners.set(task.runId, runner);
  }
  if (task.stream === undefined) return runner.run(task);
  runner.setState(task.stream);
  const result = runner.run(task);
  result.stream = runner.getState();
  return result;
}

/** Closes a run's envs and forgets them (a task of the next run does, in runRollout). */
export function closeRollouts(runId: string): void {
  runners.get(runId)?.close();
  runners.delete(runId);
}
