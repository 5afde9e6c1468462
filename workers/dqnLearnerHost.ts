/**
 * The DQN learner side of a distributed run, Ape-X's learner: it owns the replay buffer. A
 * training round brings the transitions the coordinator accepted since the previous one (they go
 * one way, into the buffer), then phases of gradient steps on minibatches the learner draws from
 * the buffer, each phase followed by an optional target update; the round returns the policy
 * parameters to publish, and the complete learner state (nets, Adam, buffer, sampling generator)
 * only when asked (`wantState`: a checkpoint, a hand-over). The coordinator logs the rounds since
 * the last state it holds instead: they are small (the new transitions), and replaying them in a
 * new learner reproduces the lost one exactly.
 *
 * The minibatches of a round are drawn in one go after its transitions are added, from the
 * replay stream of agents/dqnActor.ts `dqnStreams`: the one-process loop's draws, number for number.
 * The update is agents/dqnFused.ts's (distributed DQN trains on the fused path), built from the
 * parameters in the init message: no tfjs here, so a learner process starts in a fraction of the
 * time. Used inside the learner process (workers/learnerProcess.ts) and inline in single-process runs.
 */
import { FusedDqnUpdate } from '../agents/dqnFused.js';
import { dqnStreams } from '../agents/dqnActor.js';
import { ReplayBuffer, type TransitionBatch } from '../core/replay.js';
import type { Rng } from '../base/rng.js';
import type { DqnLearnerState, LearnerInit, TrainReply, TrainRequest } from '../protocol/messages.js';

export class DqnLearnerHost {
  readonly update: FusedDqnUpdate;
  private readonly obsDim: number;
  private replay: ReplayBuffer;
  private readonly replayRng: Rng;
  /** The last round's minibatches, reused while rounds are the same size. */
  private rows: TransitionBatch | undefined;

  /** Call after core/fused.ts `fusedGemm()` has chosen the GEMM (the nets multiply with it). */
  constructor(init: LearnerInit) {
    this.obsDim = init.obsDim;
    this.update = new FusedDqnUpdate(init.online, init.target, init.numActions, init.config);
    this.replay = new ReplayBuffer({ capacity: init.config.bufferSize, obsDim: init.obsDim });
    this.replayRng = dqnStreams(init.config.seed).replay;
  }

  train(req: TrainRequest): TrainReply {
    const t0 = performance.now();
    const u = this.update;
    if (req.state !== undefined) this.setState(req.state);
    const { batchSize } = req;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`train request ${req.id}: batchSize must be a positive integer, got ${batchSize}`);
    const obsDim = this.obsDim;
    const added = req.rewards.length;
    if (req.obs.length !== added * obsDim || req.nextObs.length !== added * obsDim || req.actions.length !== added || req.terminated.length !== added) {
      throw new Error(`train request ${req.id}: the transitions' arrays do not agree (${added} rewards, ${req.obs.length / obsDim} observations of ${obsDim}, ${req.nextObs.length / obsDim} next, ${req.actions.length} actions, ${req.terminated.length} flags)`);
    }
    if (added > 0) this.replay.addBatch(req.obs, req.actions, req.rewards, req.nextObs, req.terminated);
    const steps = req.phases.reduce((a, p) => a + p.gradientSteps, 0);
    // the round's minibatches, drawn in one go after its transitions are in (an empty batch and no draw for a round of no steps)
    const total = steps * batchSize;
    let b: TransitionBatch;
    if (total > 0) {
      if (this.rows?.size !== total) this.rows = this.replay.allocBatch(total);
      b = this.replay.sample(total, this.replayRng, this.rows);
    } else b = this.replay.allocBatch(0);
    let lossSum = 0;
    let row = 0;
    for (const phase of req.phases) {
      for (let g = 0; g < phase.gradientSteps; g++, row += batchSize) {
        lossSum += u.update({
          size: batchSize,
          obs: b.obs.subarray(row * obsDim, (row + batchSize) * obsDim),
          actions: b.actions.subarray(row, row + batchSize),
          rewards: b.rewards.subarray(row, row + batchSize),
          nextObs: b.nextObs.subarray(row * obsDim, (row + batchSize) * obsDim),
          terminated: b.terminated.subarray(row, row + batchSize),
        });
      }
      if (phase.updateTarget) u.updateTarget();
    }
    return {
      type: 'trained',
      id: req.id,
      ...(req.wantState === true ? { state: this.getState() } : {}),
      updates: u.updates,
      version: u.version,
      params: u.online.toMap(),
      meanLoss: steps > 0 ? lossSum / steps : 0,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  /** The nets, Adam, the replay buffer and its sampling generator, as data (copies). */
  getState(): DqnLearnerState {
    return { ...this.update.getState(), replay: this.replay.getState(), replayRng: this.replayRng.getState() };
  }

  setState(s: DqnLearnerState): void {
    const replay = ReplayBuffer.fromState(s.replay);
    if (replay.config.obsDim !== this.obsDim) throw new RangeError(`DQN learner state: its replay buffer holds observations of ${replay.config.obsDim} numbers, the learner's env ${this.obsDim}`);
    this.update.setState(s);
    this.replay = replay;
    this.replayRng.setState(s.replayRng);
  }

  dispose(): void {}
}
