/**
 * A typed-array forward pass of an MLP built by `buildMlp`, outside tfjs: what rollout workers run
 * every env step on parameters received as data (no tensors, no backend, no per-op dispatch).
 * It computes y = act(x W + b) layer by layer in float32 storage (as tfjs-cpu does), and
 * matches the tfjs model to float32 rounding (test/core.mlpForward.test.ts). From batch 8 on, the
 * layers run on the native SGEMM when the addon is loaded (the JS loops win below that).
 */
import type { ForwardActivation } from './activation.js';
import type { TensorMap } from './tensors.js';
import { currentGemm, currentGemmKind, type FusedActivation } from './fused.js';

/** From this batch size on, layers run on the native SGEMM when the addon is loaded. */
const NATIVE_MIN_BATCH = 8;

export type { ForwardActivation };

export interface DenseLayer {
  inDim: number;
  outDim: number;
  kernel: Float32Array;
  bias: Float32Array;
}

/** The dense layers of a parameter map, in order (kernel/bias pairs, as getParams returns them). */
export function denseLayers(params: TensorMap): DenseLayer[] {
  const entries = Object.entries(params);
  const layers: DenseLayer[] = [];
  for (let i = 0; i < entries.length; i += 2) {
    const [kName, kernel] = entries[i]!;
    const bias = entries[i + 1]?.[1];
    if (!kName.endsWith('/kernel') || kernel.shape.length !== 2 || bias === undefined || bias.shape.length !== 1) {
      throw new Error(`mlpForward: expected kernel/bias pairs of dense layers, got '${kName}' [${kernel.shape}]`);
    }
    const [inDim, outDim] = kernel.shape as [number, number];
    if (bias.shape[0] !== outDim) throw new Error(`mlpForward: bias of '${kName}' has ${bias.shape[0]} values, expected ${outDim}`);
    if (layers.length > 0 && layers[layers.length - 1]!.outDim !== inDim) throw new Error(`mlpForward: '${kName}' takes ${inDim} inputs after a layer of ${layers[layers.length - 1]!.outDim}`);
    layers.push({ inDim, outDim, kernel: kernel.data, bias: bias.data });
  }
  return layers;
}

function activate(v: number, act: ForwardActivation): number {
  switch (act) {
    case 'linear':
      return v;
    case 'relu':
      return v > 0 ? v : 0;
    case 'tanh':
      return Math.tanh(v);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'elu':
      return v > 0 ? v : Math.expm1(v);
    case 'softplus':
      return v > 20 ? v : Math.log1p(Math.exp(v));
  }
}

/** A reusable forward evaluator (scratch buffers kept between calls). */
export class MlpForward {
  readonly layers: DenseLayer[];
  private scratch: Float32Array[] = [];

  constructor(
    params: TensorMap,
    readonly hiddenActivation: ForwardActivation = 'relu',
    readonly outputActivation: ForwardActivation = 'linear',
  ) {
    this.layers = denseLayers(params);
    if (this.layers.length === 0) throw new Error('mlpForward: no layers');
  }

  get inDim(): number {
    return this.layers[0]!.inDim;
  }

  get outDim(): number {
    return this.layers[this.layers.length - 1]!.outDim;
  }

  /** Outputs for `batch` rows of `x` (batch × inDim); the returned array is reused by the next call. */
  forward(x: Float32Array, batch: number): Float32Array {
    if (x.length < batch * this.inDim) throw new RangeError(`mlpForward: input has ${x.length} numbers, need ${batch} × ${this.inDim}`);
    const gemmable = (a: ForwardActivation): a is FusedActivation => a === 'relu' || a === 'tanh' || a === 'linear';
    const useGemm = batch >= NATIVE_MIN_BATCH && currentGemmKind() === 'native' && gemmable(this.hiddenActivation) && gemmable(this.outputActivation);
    let input = x;
    this.layers.forEach((layer, li) => {
      const size = batch * layer.outDim;
      let out = this.scratch[li];
      if (out === undefined || out.length < size) {
        out = new Float32Array(size);
        this.scratch[li] = out;
      }
      const act = li === this.layers.length - 1 ? this.outputActivation : this.hiddenActivation;
      const { inDim, outDim, kernel, bias } = layer;
      if (useGemm) {
        // y = act(x W + b) in one native call (bias and activation fused in its epilogue)
        currentGemm()(input.length === batch * inDim ? input : input.subarray(0, batch * inDim), kernel, out.length === size ? out : out.subarray(0, size), batch, outDim, inDim, false, false, bias, act as FusedActivation);
        input = out;
        return;
      }
      for (let b = 0; b < batch; b++) {
        const xo = b * inDim;
        const yo = b * outDim;
        for (let j = 0; j < outDim; j++) out[yo + j] = bias[j]!;
        for (let i = 0; i < inDim; i++) {
          const xi = input[xo + i]!;
          if (xi === 0) continue;
          const ko = i * outDim;
          for (let j = 0; j < outDim; j++) out[yo + j]! += xi * kernel[ko + j]!;
        }
        if (act !== 'linear') for (let j = 0; j < outDim; j++) out[yo + j] = activate(out[yo + j]!, act);
      }
      input = out;
    });
    return input.length === batch * this.outDim ? input : input.subarray(0, batch * this.outDim);
  }
}
