/**
 * Entry of the learner worker process (the "GPU worker process"): started by the coordinator with
 * `child_process.fork` and IPC in 'advanced' serialization (structured clone: typed arrays cross
 * intact). It chooses its own tensor backend (NNLAB_BACKEND of this process), then hosts one
 * learner — a DQN learner answering training rounds, or a generative run's model answering
 * training iterations, parameter pulls and saves — until told to shut down or its parent goes away.
 */
import { initBackend } from '../core/backend.js';
import { DqnLearnerHost } from './dqnLearnerHost.js';
import { GenerativeLearnerHost } from './generativeLearnerHost.js';
import type { FromLearner, ToLearner } from '../protocol/messages.js';

let host: DqnLearnerHost | GenerativeLearnerHost | undefined;

function send(msg: FromLearner): void {
  process.send?.(msg);
}

/** Requests are handled one after another, in arrival order (a save waits for the steps before it). */
let queue: Promise<void> = Promise.resolve();

process.on('disconnect', () => process.exit(0));
process.on('message', (raw) => {
  const msg = raw as ToLearner;
  queue = queue.then(() => handle(msg));
});

async function handle(msg: ToLearner): Promise<void> {
  switch (msg.type) {
    case 'init':
    case 'init-generative': {
      const backend = await initBackend();
      host?.dispose();
      host = undefined;
      try {
        host = msg.type === 'init' ? new DqnLearnerHost(msg) : await GenerativeLearnerHost.start(msg);
      } catch (e) {
        send({ type: 'failed', id: -1, message: (e as Error).message });
        return;
      }
      send({ type: 'ready', backend: backend.name, pid: process.pid });
      return;
    }
    case 'train':
      try {
        if (!(host instanceof DqnLearnerHost)) throw new Error('train before a DQN learner was initialised');
        send(host.train(msg));
      } catch (e) {
        send({ type: 'failed', id: msg.id, message: (e as Error).message });
      }
      return;
    case 'gen-step':
    case 'gen-pull':
    case 'gen-save':
      try {
        if (!(host instanceof GenerativeLearnerHost)) throw new Error(`${msg.type} before a generative learner was initialised`);
        send(await host.handle(msg));
      } catch (e) {
        send({ type: 'failed', id: msg.id, message: (e as Error).message });
      }
      return;
    case 'shutdown':
      host?.dispose();
      process.exit(0);
  }
}
