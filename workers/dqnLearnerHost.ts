/**
 * The DQN learner side of a distributed run: takes a training round (minibatches the coordinator
 * sampled from its replay buffer, grouped in phases of gradient steps each followed by an optional
 * target update) and returns the policy parameters to publish, and the complete learner state when
 * asked (`wantState`: a checkpoint, a hand-over) — not every round: the state is four times the
 * parameters, and the coordinator logs the rounds since the last state it holds instead.
 * Used inside the learner process (workers/learnerProcess.ts) and inline in single-process runs.
 */
import { DqnLearner } from '../agents/dqn.js';
import { dqnStreams } from '../agents/dqnActor.js';
import type { TransitionBatch } from '../core/replay.js';
import type { LearnerInit, TrainReply, TrainRequest } from '../protocol/messages.js';

export class DqnLearnerHost {
  readonly learner: DqnLearner;

  constructor(init: LearnerInit) {
    const seed = typeof init.config.seed === 'number' ? init.config.seed : 0;
    this.learner = new DqnLearner(init.obsDim, init.numActions, init.config, dqnStreams(seed).learner);
  }

  train(req: TrainRequest): TrainReply {
    const t0 = performance.now();
    if (req.state !== undefined) this.learner.setTrainingState(req.state);
    const { batchSize } = req;
    const obsDim = this.learner.obsDim;
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
        lossSum += this.learner.update(batch)['losses/td_loss'] ?? 0;
        steps++;
      }
      if (phase.updateTarget) this.learner.updateTarget();
    }
    const policy = this.learner.getPolicyParams();
    if (row * obsDim !== req.obs.length) throw new Error(`train request ${req.id}: ${req.obs.length / obsDim} rows for ${row} planned`);
    return {
      type: 'trained',
      id: req.id,
      ...(req.wantState === true ? { state: this.learner.getTrainingState() } : {}),
      updates: this.learner.updates,
      version: policy.version,
      params: policy.params,
      meanLoss: steps > 0 ? lossSum / steps : 0,
      seconds: (performance.now() - t0) / 1000,
    };
  }

  dispose(): void {
    this.learner.dispose();
  }
}
