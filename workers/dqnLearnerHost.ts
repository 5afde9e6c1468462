/**
 * The DQN learner side of a distributed run: takes a training round (minibatches the coordinator
 * sampled from its replay buffer, grouped in phases of gradient steps each followed by an optional
 * target update) and returns the policy parameters to publish, and the complete learner state when
 * asked (`wantState`: a checkpoint, a hand-over) — not every round: the state is four times the
 * parameters, and the coordinator logs the rounds since the last state it holds instead.
 * The update is agents/dqnFused.ts's (distributed DQN trains on the fused path), built from the
 * parameters in the init message: no tfjs here, so a learner process starts in a fraction of the
 * time. Used inside the learner process (workers/learnerProcess.ts) and inline in single-process runs.
 */
import { FusedDqnUpdate, fusedDqnConfig } from '../agents/dqnFused.js';
import type { TransitionBatch } from '../core/replay.js';
import type { LearnerInit, TrainReply, TrainRequest } from '../protocol/messages.js';

export class DqnLearnerHost {
  readonly update: FusedDqnUpdate;
  private readonly obsDim: number;

  /** Call after core/fused.ts `fusedGemm()` has chosen the GEMM (the nets multiply with it). */
  constructor(init: LearnerInit) {
    this.obsDim = init.obsDim;
    this.update = new FusedDqnUpdate(init.online, init.target, init.numActions, fusedDqnConfig(init.config));
  }

  train(req: TrainRequest): TrainReply {
    const t0 = performance.now();
    const u = this.update;
    if (req.state !== undefined) u.setState(req.state);
    const { batchSize } = req;
    const obsDim = this.obsDim;
    let row = 0;
    let lossSum = 0;
    let steps = 0;
    for (const phase of req.phases) {
      for (let g = 0; g < phase.gradientSteps; g++, row += batchSize) {
        const batch: TransitionBatch = {
          size: batchSize,
          obs: req.obs.subarray(row * obsDim, (row + batchSize) * obsDim),
          actions: req.actions.subarray(row, row + batchSize),
          rewards: req.rewards.subarray(row, row + batchSize),
          nextObs: req.nextObs.subarray(row * obsDim, (row + batchSize) * obsDim),
          terminated: req.terminated.subarray(row, row + batchSize),
        };
        lossSum += u.update(batch);
        steps++;
      }
      if (phase.updateTarget) u.updateTarget();
    }
    if (row * obsDim !== req.obs.length) throw new Error(`train request ${req.id}: ${req.obs.length / obsDim} rows for ${row} planned`);
    return {
      type: 'trained',
      id: req.id,
      ...(req.wantState === true ? { state: u.getState() } : {}),
      updates: u.updates,
      version: u.version,
      params: u.online.toMap(),
      meanLoss: steps > 0 ? lossSum / steps : 0,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  dispose(): void {}
}
