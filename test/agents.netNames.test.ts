/**
 * agents/netNames.ts: the page finds the network it runs by these names, so they must be the ones
 * core/nn.ts's builders give the agents' networks; and the checkpoints saved so far name their
 * models by the checkpoint names, so those stay as they were.
 */
import path from 'node:path';
import * as assert from 'uvu/assert';
import { test } from './helpers.js';
import { buildMlp } from '../core/nn.js';
import { namedVariables } from '../core/tensors.js';
import { Rng } from '../base/rng.js';
import { layerParam, LOG_STD, POLICY_MODEL, POLICY_NET, Q_MODEL, Q_NET, Q_TARGET_MODEL, Q_TARGET_NET, VALUE_MODEL, VALUE_NET } from '../agents/netNames.js';
import { modelDir } from '../core/checkpoint.js';

test("layerParam reads every parameter name of a built network as that network's layers, in order", () => {
  for (const net of [Q_NET, Q_TARGET_NET, POLICY_NET, VALUE_NET]) {
    const model = buildMlp({ name: net, inputDim: 4, hidden: [8, 8], outputDim: 2, activation: 'tanh', init: 'torchDefault' }, new Rng(1));
    const names = [...namedVariables(model).keys()];
    const parsed = names.map((n) => layerParam(n));
    assert.equal(parsed, [0, 0, 1, 1, 2, 2].map((index, i) => ({ net, index, param: i % 2 === 0 ? 'kernel' : 'bias' })), names.join(', '));
    model.dispose();
  }
});

test('layerParam: undefined for names that are no layer (logStd, a Q-table, a bare prefix)', () => {
  for (const n of [LOG_STD, 'qtable', 'pi_0_dense', 'pi_x_dense/kernel', '_0_dense/kernel', 'pi_0_dense/kernel/extra']) assert.is(layerParam(n), undefined, n);
});

test("the checkpoint names are today's folder names (older checkpoints still load): DQN's its parameter prefixes, a policy's not 'pi'", () => {
  assert.equal([Q_MODEL, Q_TARGET_MODEL, POLICY_MODEL, VALUE_MODEL], ['q', 'qTarget', 'policy', 'value']);
  assert.is.not(POLICY_MODEL, POLICY_NET);
  assert.is(modelDir('checkpoints/ckpt-000000005', POLICY_MODEL), path.join('checkpoints', 'ckpt-000000005', 'models', 'policy'));
});

test.run();
