/**
 * The streamed policy, run in the page with TensorFlow.js (tfjs-core + the cpu backend, bundled):
 * the dense layers of the published parameters become tensors, and each env step is
 * y = act(x W + b) layer by layer — DQN's Q network (greedy action: argmax Q), a policy-gradient
 * actor (`pi_*`: argmax of the logits, or the Gaussian mean for a Box action), or a Q-table.
 *
 * The hidden activation is the params message's `activation` (the agent's config), which every
 * network's message carries (protocol/messages.ts: absent only for a Q-table).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { HiddenActivation, TensorMap } from './types.js';
import { argmax } from '../../base/stats.js';
import { layerParam, POLICY_NET, Q_NET } from '../../agents/netNames.js';

/** Selects tfjs's cpu backend (tiny networks at batch 1: faster than webgl's round trips). */
export async function initTf(): Promise<string> {
  await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
}

interface Dense {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D;
}

export type Action = { discrete: number } | { continuous: number[] };

export class Policy {
  private readonly layers: Dense[] = [];
  private readonly table: { data: Float32Array; states: number; actions: number } | undefined;
  /** The network's hidden activation; undefined for a Q-table. */
  readonly hidden: HiddenActivation | undefined;
  readonly net: string;
  readonly inDim: number;
  readonly outDim: number;

  constructor(params: TensorMap, activation?: HiddenActivation) {
    const names = Object.keys(params);
    const layers = names.flatMap((n) => {
      const l = layerParam(n);
      return l === undefined ? [] : [{ name: n, ...l }];
    });
    const nets = new Set(layers.map((l) => l.net));
    this.net = nets.has(Q_NET) ? Q_NET : nets.has(POLICY_NET) ? POLICY_NET : ([...nets][0] ?? '');
    const kernels = layers.filter((l) => l.net === this.net && l.param === 'kernel').sort((a, b) => a.index - b.index).map((l) => l.name);
    if (kernels.length > 0 && activation === undefined) throw new Error(`the '${this.net}' network's parameters came without their activation`);
    this.hidden = activation;
    for (const k of kernels) {
      const kernel = params[k]!;
      const bias = params[k.replace(/\/kernel$/, '/bias')];
      if (kernel.shape.length !== 2 || bias === undefined) throw new Error(`'${k}' is not a dense layer`);
      this.layers.push({
        kernel: tf.tensor2d(kernel.data, kernel.shape as [number, number], 'float32'),
        bias: tf.tensor1d(bias.data, 'float32'),
      });
    }
    if (this.layers.length > 0) {
      this.table = undefined;
      this.inDim = this.layers[0]!.kernel.shape[0];
      this.outDim = this.layers[this.layers.length - 1]!.kernel.shape[1];
      return;
    }
    // a tabular agent: one [states, actions] table
    const t = Object.values(params).find((v) => v.shape.length === 2);
    if (t === undefined) throw new Error(`no dense layers or Q-table among ${names.join(', ') || 'no parameters'}`);
    this.table = { data: t.data, states: t.shape[0]!, actions: t.shape[1]! };
    this.net = 'table';
    this.inDim = 1;
    this.outDim = t.shape[1]!;
  }

  get isTable(): boolean {
    return this.table !== undefined;
  }

  /** The network's outputs for one observation (Q-values, logits or the Gaussian mean). */
  forward(obs: ArrayLike<number>): Float32Array {
    if (this.table !== undefined) {
      const s = Math.max(0, Math.min(this.table.states - 1, Math.round(obs[0]!)));
      return this.table.data.slice(s * this.table.actions, (s + 1) * this.table.actions);
    }
    return tf.tidy(() => {
      let x: tf.Tensor2D = tf.tensor2d(Array.from(obs), [1, obs.length]);
      this.layers.forEach((l, i) => {
        const y = tf.add(tf.matMul(x, l.kernel), l.bias) as tf.Tensor2D;
        x = i === this.layers.length - 1 ? y : this.hidden === 'relu' ? tf.relu(y) : tf.tanh(y);
      });
      return x.dataSync() as Float32Array;
    });
  }

  /** The greedy action: argmax for discrete actions, the mean (clipped by the env) for Box actions. */
  act(obs: ArrayLike<number>, discrete: boolean): Action {
    const y = this.forward(obs);
    if (!discrete) return { continuous: Array.from(y) };
    return { discrete: argmax(y) };
  }

  dispose(): void {
    for (const l of this.layers) {
      l.kernel.dispose();
      l.bias.dispose();
    }
    this.layers.length = 0;
  }
}

/** Live tensors (the page checks it stays flat while the policy runs). */
export function numTensors(): number {
  return tf.memory().numTensors;
}
