/**
 * Parameters and gradients as data: named Float32Arrays that cross threads and sockets (never
 * tensors), their exact msgpack encoding, and averaging of gradient sets from data-parallel workers.
 *
 * msgpack: always `packr`, built from base/msgpack.ts `MSGPACK_OPTIONS` — msgpackr's default `pack`
 * silently corrupts Float32Array. With moreTypes, typed arrays round-trip bit-exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { Packr } from 'msgpackr';
import { MSGPACK_OPTIONS } from '../base/msgpack.js';
import { sizeOf } from '../base/shape.js';

/** One tensor's values, row-major, with its shape. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

/** Named tensors in a fixed order (insertion order is the variable order). */
export type TensorMap = Record<string, TensorData>;

/** The one msgpack codec of nnlab (see module doc). */
export const packr = new Packr({ ...MSGPACK_OPTIONS });

export function encode(value: unknown): Uint8Array {
  return packr.pack(value);
}

/**
 * The value `bytes` encode, unchecked: whoever reads it checks it against the shape it expects
 * (core/stateFile.ts `checkData`, a message schema), never casts it.
 */
export function decode(bytes: Uint8Array): unknown {
  const value: unknown = packr.unpack(bytes);
  return value;
}

/** A model's trainable variables keyed by their stable layer-scoped name (`layer/kernel`). */
export function namedVariables(model: tf.LayersModel): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const w of model.trainableWeights) {
    if (out.has(w.originalName)) throw new Error(`duplicate weight name '${w.originalName}' in model ${model.name}`);
    // tfjs-layers declares read() as a Tensor; a trainable weight's value is its tf.Variable, which
    // the optimisers and gradients need by identity: checked, never assumed
    const value = w.read();
    if (!(value instanceof tf.Variable)) throw new Error(`weight '${w.originalName}' of model ${model.name} reads as a ${value.constructor.name}, not a tf.Variable`);
    out.set(w.originalName, value);
  }
  return out;
}

/** The trainable variables of one or more models, in order; names prefixed by model when several. */
export function trainableVariables(...models: tf.LayersModel[]): tf.Variable[] {
  return models.flatMap((m) => [...namedVariables(m).values()]);
}

/** Reads tensors into a TensorMap (one awaitable readback per tensor avoided: dataSync in order). */
export function readTensors(named: Map<string, tf.Tensor> | [string, tf.Tensor][]): TensorMap {
  const out: TensorMap = {};
  for (const [name, t] of named) {
    out[name] = { shape: t.shape.slice(), data: Float32Array.from(t.dataSync()) };
  }
  return out;
}

/** A model's trainable parameters as data. */
export function getParams(model: tf.LayersModel): TensorMap {
  return readTensors(namedVariables(model));
}

/**
 * Every weight of the models by name, batchnorm running averages included (`getParams` has the
 * trainable ones only); `nonTrainableOnly` keeps just the running averages and other state.
 */
export function readWeights(models: tf.LayersModel[], nonTrainableOnly = false): TensorMap {
  const weights = models.flatMap((m) => m.weights).filter((w) => !nonTrainableOnly || !w.trainable);
  // read() returns the variables themselves: nothing to free
  return readTensors(weights.map((w) => [w.originalName, w.read()] as [string, tf.Tensor]));
}

/**
 * Polyak averaging of one model's weights into a twin of the same architecture, position by
 * position: target ← τ·source + (1 − τ)·target (τ = 1 copies). A DQN's soft target update; a
 * generator's moving average θ̄ with τ = 1 − β.
 */
export function blendWeights(target: tf.LayerVariable[], source: tf.LayerVariable[], tau: number): void {
  if (target.length !== source.length) throw new Error(`blendWeights: ${target.length} target weights for ${source.length} source weights`);
  tf.tidy(() => {
    source.forEach((w, i) => {
      const t = target[i]!;
      t.write(tau === 1 ? w.read() : tf.add(tf.mul(tau, w.read()), tf.mul(1 - tau, t.read())));
    });
  });
}

/** Assigns parameters by name; every variable of the model must be present with the same shape. */
export function setParams(model: tf.LayersModel, params: TensorMap): void {
  for (const [name, v] of namedVariables(model)) {
    const p = params[name];
    if (p === undefined) throw new Error(`setParams: no value for '${name}' (model ${model.name})`);
    checkShape(name, v.shape, p);
    tf.tidy(() => v.assign(tf.tensor(p.data, p.shape)));
  }
}

function checkShape(name: string, shape: number[], d: TensorData): void {
  const size = sizeOf(shape);
  if (d.shape.length !== shape.length || d.shape.some((s, i) => s !== shape[i]) || d.data.length !== size) {
    throw new Error(`'${name}': expected shape [${shape}], got [${d.shape}] with ${d.data.length} values`);
  }
}

/**
 * `tf.variableGrads` of a scalar loss, its gradients in the order of `vars`. tfjs leaves out a
 * variable the loss does not reach and gives null for a non-trainable one: either is refused here,
 * naming the variable (`names[i]`, else its tfjs name), with every tensor freed, so no
 * optimiser or reader ever gets an undefined gradient. The caller disposes what is returned.
 */
export function variableGradsOf(
  lossFn: () => tf.Scalar,
  vars: readonly tf.Variable[],
  names?: readonly string[],
): { value: tf.Scalar; grads: tf.Tensor[] } {
  const { value, grads } = tf.variableGrads(lossFn, [...vars]);
  const out: tf.Tensor[] = [];
  for (const [i, v] of vars.entries()) {
    const g: tf.Tensor | null | undefined = grads[v.name];
    if (g === undefined || g === null) {
      tf.dispose([value, ...Object.values(grads).filter((t): t is tf.Tensor => t !== null)]);
      const why = v.trainable ? 'the loss does not depend on it' : 'it is not trainable';
      throw new Error(`no gradient for variable '${names?.[i] ?? v.name}': ${why}`);
    }
    out.push(g);
  }
  return { value, grads: out };
}

/**
 * Gradients of a scalar loss with respect to named variables, read back as data.
 * Returns the loss value too. No tensor survives the call.
 */
export function computeGradients(
  lossFn: () => tf.Scalar,
  vars: Map<string, tf.Variable>,
): { loss: number; grads: TensorMap } {
  const names = [...vars.keys()];
  const { value, grads } = variableGradsOf(lossFn, [...vars.values()], names);
  const out = readTensors(names.map((n, i) => [n, grads[i]!]));
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...grads]);
  return { loss, grads: out };
}

/** Converts named gradient data into tensors in the order of `vars` (caller disposes). */
export function gradientTensors(vars: Map<string, tf.Variable>, grads: TensorMap): tf.Tensor[] {
  return [...vars].map(([name, v]) => {
    const g = grads[name];
    if (g === undefined) throw new Error(`gradient for '${name}' is missing`);
    checkShape(name, v.shape, g);
    return tf.tensor(g.data, g.shape);
  });
}

/**
 * Weighted average of gradient sets, Σ wᵢ gᵢ / Σ wᵢ (weights default to 1: the plain mean; pass
 * shard batch sizes to reproduce the full-batch mean gradient). Pure typed-array arithmetic.
 */
export function averageGradients(sets: TensorMap[], weights?: number[]): TensorMap {
  if (sets.length === 0) throw new Error('averageGradients: no gradient sets');
  const w = weights ?? sets.map(() => 1);
  if (w.length !== sets.length) throw new Error(`averageGradients: ${w.length} weights for ${sets.length} sets`);
  const total = w.reduce((a, b) => a + b, 0);
  const out: TensorMap = {};
  for (const name of Object.keys(sets[0]!)) {
    const first = sets[0]![name]!;
    const acc = new Float64Array(first.data.length);
    sets.forEach((set, k) => {
      const g = set[name];
      if (g === undefined || g.data.length !== acc.length) throw new Error(`averageGradients: set ${k} lacks '${name}' or has another shape`);
      const wk = w[k]!;
      for (let i = 0; i < acc.length; i++) acc[i] += wk * g.data[i]!;
    });
    const data = new Float32Array(acc.length);
    for (let i = 0; i < acc.length; i++) data[i] = acc[i]! / total;
    out[name] = { shape: first.shape.slice(), data };
  }
  return out;
}

/** True if every value of every tensor is finite. */
export function allFinite(map: TensorMap): boolean {
  for (const { data } of Object.values(map)) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  }
  return true;
}
