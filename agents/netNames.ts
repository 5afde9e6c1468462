/**
 * The networks' names inside published parameters, and how a layer's parameter names them. A
 * network's layers are named `${net}_${i}_${type}` by core/nn.ts's builders, so its parameters
 * are `q_0_dense/kernel`, `pi_1_dense/bias`, …; a Gaussian policy adds `logStd`. And the names the
 * networks are saved under in a checkpoint. Import-free (test/architecture.test.ts checks it), so
 * the page (dashboard/src/policy.ts), which runs the streamed network, finds it by the same names
 * as the agents that publish it.
 */

/** DQN's online Q network, the one its actors and evaluation run (agents/dqn.ts). */
export const Q_NET = 'q';
/** DQN's target network (never published to actors). */
export const Q_TARGET_NET = 'qTarget';
/** A policy-gradient agent's policy network (agents/policies.ts). */
export const POLICY_NET = 'pi';
/** Its value network. */
export const VALUE_NET = 'vf';
/** A Gaussian policy's state-independent log standard deviations. */
export const LOG_STD = 'logStd';

/**
 * The names the networks are saved under in a checkpoint (`models/<name>/`, core/checkpoint.ts
 * modelDir): what a run's result.json points its `model` at and `nnlab eval` loads. DQN saves its
 * networks under their parameter prefixes; a policy-gradient agent saves its own under `policy`
 * and `value`, not POLICY_NET's `pi` and VALUE_NET's `vf`: the checkpoints saved so far carry these
 * names, and renaming them would leave those unloadable.
 */
export const Q_MODEL = Q_NET;
export const Q_TARGET_MODEL = Q_TARGET_NET;
export const POLICY_MODEL = 'policy';
export const VALUE_MODEL = 'value';

/**
 * The network and layer index of a layer's parameter (`pi_0_dense/kernel` → pi, 0, kernel);
 * undefined for any other name (`logStd`, a Q-table's).
 */
export function layerParam(name: string): { net: string; index: number; param: 'kernel' | 'bias' } | undefined {
  const m = /^([A-Za-z]+)_(\d+)_[^/]*\/(kernel|bias)$/.exec(name);
  return m === null ? undefined : { net: m[1]!, index: Number(m[2]), param: m[3] === 'kernel' ? 'kernel' : 'bias' };
}
