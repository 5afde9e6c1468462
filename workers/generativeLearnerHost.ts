/**
 * A generative run's learner inside the learner process (workers/learnerProcess.ts): builds the
 * model the driver builds, from the same generator state, trains it one iteration per request,
 * hands its parameters (and batchnorm averages) to the driver for sampling and evaluation, and
 * saves itself, optimiser state included, where the driver's checkpoints go.
 */
import { Rng } from '../base/rng.js';
import { makeGenerativeLearner } from '../generative/models.js';
import type { GenerativeLearner } from '../generative/types.js';
import type { GenerativeLearnerInit, GenerativeLearnerReply, GenerativeLearnerRequest } from '../protocol/messages.js';

export class GenerativeLearnerHost {
  private constructor(private readonly learner: GenerativeLearner) {}

  static async start(init: GenerativeLearnerInit): Promise<GenerativeLearnerHost> {
    const rng = new Rng(0);
    rng.setState(init.rng);
    const learner = makeGenerativeLearner(init.kind, init.config, rng);
    if (init.loadDir !== undefined) await learner.load(init.loadDir);
    return new GenerativeLearnerHost(learner);
  }

  async handle(req: GenerativeLearnerRequest): Promise<GenerativeLearnerReply> {
    switch (req.type) {
      case 'gen-step':
        return { type: 'gen-stepped', id: req.id, metrics: this.learner.trainStep(req.batches) };
      case 'gen-pull': {
        const stats = this.learner.runningStats?.();
        return { type: 'gen-params', id: req.id, params: this.learner.getParams(), ...(stats !== undefined ? { stats } : {}) };
      }
      case 'gen-save':
        await this.learner.save(req.dir);
        return { type: 'gen-saved', id: req.id };
    }
  }

  dispose(): void {
    this.learner.dispose();
  }
}
