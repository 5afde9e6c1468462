/**
 * Entry of the learner worker process (the "GPU worker process"): started by the coordinator with
 * `child_process.fork` and IPC in 'advanced' serialization (structured clone: typed arrays cross
 * intact). It hosts one learner until told to shut down or its parent goes away: a DQN learner
 * answering training rounds (the fused update: it loads the GEMM and never tfjs), or a generative
 * run's model answering training iterations, parameter pulls and saves (on its own tensor backend,
 * NNLAB_BACKEND of this process). Each host's modules are imported when its init arrives. Every
 * message is checked on arrival (workers/learnerMessages.ts): a malformed one fails its request,
 * naming the bad field.
 */
import type { DqnLearnerHost } from './dqnLearnerHost.js';
import type { GenerativeLearnerHost } from './generativeLearnerHost.js';
import type { FromLearner, ToLearner } from '../protocol/messages.js';
import { parseToLearner } from './learnerMessages.js';
import { errorMessage, ownField } from '../base/plainData.js';

let host: { kind: 'dqn'; dqn: DqnLearnerHost } | { kind: 'generative'; generative: GenerativeLearnerHost } | undefined;

function send(msg: FromLearner): void {
  process.send?.(msg);
}

/** Requests are handled one after another, in arrival order (a save waits for the steps before it). */
let queue: Promise<void> = Promise.resolve();

process.on('disconnect', () => process.exit(0));
process.on('message', (raw) => {
  let msg: ToLearner;
  try {
    msg = parseToLearner(raw);
  } catch (e) {
    // refused, naming the bad field: the request fails (or, without a usable id, the learner: id -1)
    const id = ownField(raw, 'id');
    send({ type: 'failed', id: typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : -1, message: errorMessage(e) });
    return;
  }
  queue = queue.then(() => handle(msg));
});

function dispose(): void {
  if (host?.kind === 'dqn') host.dqn.dispose();
  else host?.generative.dispose();
  host = undefined;
}

async function handle(msg: ToLearner): Promise<void> {
  switch (msg.type) {
    case 'init':
    case 'init-generative': {
      dispose();
      let backend: string;
      try {
        if (msg.type === 'init') {
          // DQN trains on the fused path: the GEMM is all it needs, and tfjs is never loaded
          const [{ fusedGemm }, { DqnLearnerHost }] = await Promise.all([import('../core/fused.js'), import('./dqnLearnerHost.js')]);
          backend = `fused (${(await fusedGemm()).kind} GEMM)`;
          host = { kind: 'dqn', dqn: new DqnLearnerHost(msg) };
        } else {
          const [{ initBackend }, { GenerativeLearnerHost }] = await Promise.all([import('../core/backend.js'), import('./generativeLearnerHost.js')]);
          backend = (await initBackend()).name;
          host = { kind: 'generative', generative: await GenerativeLearnerHost.start(msg) };
        }
      } catch (e) {
        send({ type: 'failed', id: -1, message: errorMessage(e) });
        return;
      }
      send({ type: 'ready', backend, pid: process.pid });
      return;
    }
    case 'train':
      try {
        if (host?.kind !== 'dqn') throw new Error('train before a DQN learner was initialised');
        send(host.dqn.train(msg));
      } catch (e) {
        send({ type: 'failed', id: msg.id, message: errorMessage(e) });
      }
      return;
    case 'gen-step':
    case 'gen-pull':
    case 'gen-save':
      try {
        if (host?.kind !== 'generative') throw new Error(`${msg.type} before a generative learner was initialised`);
        send(await host.generative.handle(msg));
      } catch (e) {
        send({ type: 'failed', id: msg.id, message: errorMessage(e) });
      }
      return;
    case 'shutdown':
      dispose();
      process.exit(0);
  }
}
