/**
 * Entry of the learner worker process (the "GPU worker process"): started by the coordinator with
 * `child_process.fork` and IPC in 'advanced' serialization (structured clone: typed arrays cross
 * intact). It chooses its own tensor backend (NNLAB_BACKEND of this process), then answers
 * training rounds until told to shut down or its parent goes away.
 */
import { initBackend } from '../core/backend.js';
import { DqnLearnerHost } from './dqnLearnerHost.js';
import type { FromLearner, ToLearner } from '../protocol/messages.js';

let host: DqnLearnerHost | undefined;

function send(msg: FromLearner): void {
  process.send?.(msg);
}

process.on('disconnect', () => process.exit(0));
process.on('message', (raw) => {
  const msg = raw as ToLearner;
  void (async () => {
    switch (msg.type) {
      case 'init': {
        const backend = await initBackend();
        host?.dispose();
        host = new DqnLearnerHost(msg);
        send({ type: 'ready', backend: backend.name, pid: process.pid });
        return;
      }
      case 'train':
        try {
          if (host === undefined) throw new Error('train before init');
          send(host.train(msg));
        } catch (e) {
          send({ type: 'failed', id: msg.id, message: (e as Error).message });
        }
        return;
      case 'shutdown':
        host?.dispose();
        process.exit(0);
    }
  })();
});
