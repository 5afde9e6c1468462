/**
 * The typed-array engine for the convolutional nets of generative/dcgan.ts (DCGAN, CGAN, the
 * InfoGAN variant): forward and backward of a `SequentialSpec` network (core/nn.ts) on flat
 * Float32Arrays in NHWC layout, every product and element-wise pass on the native addon
 * (core/nativeAddon.ts), no tfjs. It is FusedNet's counterpart (core/fusedNet.ts) for convolutions:
 * the same parameters as the tfjs model `buildSequential(spec)` builds, in one flat `params` vector
 * with `grads` beside it (slices named and ordered as `getParams(model)`, so core/fused.ts
 * `FusedAdam` steps it), and the equations tfjs autograd computes for that model (tested against it,
 * test/core.fusedConv.test.ts).
 *
 * Layers (per sample shapes; N rows of the batch):
 * - dense: Z = A W + b, W [in, out] (needs a flat input: a `flatten` first);
 * - conv2d: Z = conv(A, W) + b, W [k, k, Cin, Cout], stride s, padding 'same' or 'valid' with tfjs's
 *   geometry (computeConv2DInfo): 'same' OH = ⌈H/s⌉, padding max(0, (OH − 1)s + k − H) split with
 *   ⌊·/2⌋ on top / left; 'valid' OH = ⌈(H − k + 1)/s⌉, no padding;
 * - conv2dTranspose: Z = convᵀ(A, W) + b, W [k, k, Cout, Cin] (tfjs-layers' layout), output side
 *   (tfjs-layers' deconvLength) H·s for 'same', H·s + max(k − s, 0) for 'valid'; it is the input
 *   gradient of the conv2d from that output side back to H, so it runs as the native
 *   conv2dBackpropInput on that conv2d's geometry;
 * - each of those optionally batch-normalised (no bias then; core/batchNorm.ts), then an activation
 *   (ConvActivation: linear, relu, leakyRelu with the spec's slope, tanh, sigmoid):
 *   A_out = act(Z) or act(γ Ẑ + β);
 * - reshape and flatten: the same row-major values under another shape (no copy);
 * - activation: A_out = act(A).
 * Backward from G = ∂loss/∂A_out, with act′ written from A_out (relu: [A > 0]; leakyRelu: A > 0 ? 1 : α;
 * tanh: 1 − A²; sigmoid: A(1 − A)):
 *   dZ = G ⊙ act′ (then through batchnorm, core/batchNorm.ts),  ∂b = Σ_{N·OH·OW} dZ,
 *   dense:            ∂W = Aᵀ dZ,                       ∂A = dZ Wᵀ
 *   conv2d:           ∂W = conv2dBackpropFilter(A, dZ),  ∂A = conv2dBackpropInput(dZ, W)
 *   conv2dTranspose:  ∂W = conv2dBackpropFilter(dZ, A),  ∂A = conv2d(dZ, W)   (the adjoints of the line above)
 * Native calls per layer: the product with bias and activation in its epilogue (dense `matmul`,
 * `conv2d`) or followed by `binary` add and `unary` act (conv2dTranspose, and after batchnorm);
 * act′ ⊙ G with `unary` step / `binary` mul, sub; ∂b with `denseDelta` (relu, linear) or `sum`.
 *
 * Second derivatives: `addInputGradientLoss` differentiates a loss of the input gradient (WGAN-GP's
 * penalty) for piecewise-linear nets without batchnorm. Not covered: dropout, softmax / ELU /
 * softplus activations, a dense layer on a non-flat input. The addon is required: the constructor
 * throws without it (there is no JavaScript fallback).
 */
import { CONV_ACTIVATIONS, LEAKY_RELU_ALPHA, type Activation, type ConvActivation } from './activation.js';
import { NativeBatchNorm } from './batchNorm.js';
import { fillFromMap, sizeOf, sliceMap } from './flatParams.js';
import { loadNativeAddon, NATIVE_ACT, NATIVE_BIAS, NATIVE_BINARY, NATIVE_BROADCAST, NATIVE_UNARY, type NativeAddon } from './nativeAddon.js';
import type { LayerSpec, SequentialSpec } from './nn.js';
import type { TensorMap } from './tensors.js';
import { errorMessage } from '../base/plainData.js';

export type { ConvActivation };

/** The layer types FusedConvNet runs (LayerSpec['type'] less dropout). */
const SUPPORTED = ['dense', 'conv2d', 'conv2dTranspose', 'reshape', 'flatten', 'activation'] as const;
type SupportedSpec = Extract<LayerSpec, { type: (typeof SUPPORTED)[number] }>;

function isSupported(l: LayerSpec): l is SupportedSpec {
  return SUPPORTED.some((t) => t === l.type);
}

/**
 * A dense, conv2d or conv2dTranspose layer with its optional batchnorm and activation: batch-normalised
 * layers have no bias (as buildSequential builds them), the others a bias and its gradient.
 */
type WeightedLayer = WeightedCore & (BiasTerm | BatchNormTerm);

interface BiasTerm {
  readonly bn: null;
  readonly bias: Float32Array;
  readonly dBias: Float32Array;
}

interface BatchNormTerm {
  readonly bn: NativeBatchNorm;
  readonly bias: null;
  readonly dBias: null;
}

interface WeightedCore {
  readonly kind: 'dense' | 'conv2d' | 'conv2dTranspose';
  readonly name: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /** Output channels (units of a dense layer). */
  readonly channels: number;
  readonly act: ConvActivation;
  readonly kernel: Float32Array;
  readonly dKernel: Float32Array;
  /**
   * Convolutions: [B, H, W, Ci, OH, OW, Co, fh, fw, sh, sw, pt, pl] of the conv2d (for a transpose,
   * of the conv2d whose input gradient it is); B is set at each call. Empty for dense.
   */
  readonly geom: Int32Array;
}

/** reshape / flatten: the values pass unchanged. */
interface ReshapeLayer {
  readonly kind: 'reshape';
  readonly name: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
}

interface ActivationLayer {
  readonly kind: 'activation';
  readonly name: string;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly act: ConvActivation;
}

type Layer = WeightedLayer | ReshapeLayer | ActivationLayer;

/** Per batch size: each layer's output (and pre-batchnorm Z), input gradients and scratch, exactly sized. */
interface Buffers {
  outs: Float32Array[];
  pres: Float32Array[];
  /** ∂loss/∂(input of layer i) for i ≥ 1 (empty where the layer passes its gradient through). */
  gradIns: Float32Array[];
  /** Two scratch views per layer, rows × outSize each. */
  work1: Float32Array[];
  work2: Float32Array[];
}

/** [OH, top padding] of a conv2d along one side, as tfjs's computeConv2DInfo resolves 'same' / 'valid'. */
export function convOutput(inSize: number, k: number, s: number, padding: 'same' | 'valid'): [number, number] {
  if (padding === 'same') {
    const out = Math.ceil(inSize / s);
    return [out, Math.floor(Math.max(0, (out - 1) * s + k - inSize) / 2)];
  }
  return [Math.ceil((inSize - k + 1) / s), 0];
}

/** Output side of a conv2dTranspose (tfjs-layers' deconvLength). */
export function deconvOutput(inSize: number, k: number, s: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? inSize * s : inSize * s + Math.max(k - s, 0);
}

/** A layer's batchnorm, or null. */
function batchNormOf(l: Layer): NativeBatchNorm | null {
  return l.kind === 'reshape' || l.kind === 'activation' ? null : l.bn;
}

function isConvActivation(a: Activation): a is ConvActivation {
  return CONV_ACTIVATIONS.some((c) => c === a);
}

/** A convolutional (or dense) network of a SequentialSpec over flat parameter and gradient vectors (module doc). */
export class FusedConvNet {
  readonly params: Float32Array;
  readonly grads: Float32Array;
  /** Weight names (tfjs's `originalName`s) and shapes, in the order of their slices of `params`. */
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  /** Shape of one input and one output, without the batch dimension (NHWC for maps). */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  readonly inSize: number;
  readonly outSize: number;
  /** LeakyReLU's slope (the spec's, default LEAKY_RELU_ALPHA). */
  readonly leakyAlpha: number;
  private readonly layers: Layer[];
  private readonly addon: NativeAddon;
  private readonly bufferSets = new Map<number, Buffers>();
  private buf: Buffers | undefined;
  private rows = 0;
  /** The array each layer read at the last forward (the input x for layer 0). */
  private inputs: Float32Array[] = [];
  private readonly one = new Float32Array([1]);

  /**
   * The network of `spec` with the weights of `params`, a map with the tfjs names
   * (`getParams(buildSequential(spec, rng))`; `readWeights` also works: running averages present in
   * it are taken too, else they start at μ̄ = 0, σ̄² = 1 as tfjs's). Throws, naming the layer, on a
   * layer or activation it does not run, on shapes that do not chain, and on missing, mis-shaped or
   * unknown weights; and without the native addon.
   */
  constructor(spec: SequentialSpec, params: TensorMap) {
    try {
      this.addon = loadNativeAddon();
    } catch (e) {
      throw new Error(`FusedConvNet needs the native addon: ${errorMessage(e)}`);
    }
    this.leakyAlpha = spec.leakyAlpha ?? LEAKY_RELU_ALPHA;
    this.inShape = spec.inputShape.slice();
    this.inSize = sizeOf(this.inShape);
    const names: string[] = [];
    const shapes: number[][] = [];
    // pass 1: shapes and weight layout; pass 2 (below) takes the views once params exist
    type Plan = { spec: SupportedSpec; name: string; inShape: number[]; outShape: number[]; act: ConvActivation; geom: Int32Array; offsets: number[] };
    // offsets: where each of the layer's weights starts in params (kernel, then bias or gamma, beta)
    const plans: Plan[] = [];
    let shape = this.inShape.slice();
    let total = 0;
    const weight = (name: string, s: number[]): number => {
      names.push(name);
      shapes.push(s);
      const at = total;
      total += sizeOf(s);
      return at;
    };
    spec.layers.forEach((l, i) => {
      const name = `${spec.name}_${i}_${l.type}`;
      const where = `FusedConvNet: layer ${i} ('${name}')`;
      if (!isSupported(l)) {
        throw new Error(`${where} is a ${l.type} layer, which FusedConvNet does not run (it runs ${SUPPORTED.join(', ')})`);
      }
      const activation = (a: Activation | undefined): ConvActivation => {
        const act = a ?? 'linear';
        if (!isConvActivation(act)) throw new Error(`${where}: activation '${act}' is not one FusedConvNet runs (${CONV_ACTIVATIONS.join(', ')})`);
        return act;
      };
      const inShape = shape;
      switch (l.type) {
        case 'dense': {
          if (shape.length !== 1) throw new Error(`${where}: a dense layer needs a flat input, got [${shape}] (add a flatten)`);
          const act = activation(l.activation);
          const offsets = [weight(`${name}/kernel`, [shape[0]!, l.units])];
          if (l.batchNorm) offsets.push(weight(`${name}_bn/gamma`, [l.units]), weight(`${name}_bn/beta`, [l.units]));
          else offsets.push(weight(`${name}/bias`, [l.units]));
          shape = [l.units];
          plans.push({ spec: l, name, inShape, outShape: shape, act, geom: new Int32Array(0), offsets });
          break;
        }
        case 'conv2d':
        case 'conv2dTranspose': {
          if (shape.length !== 3) throw new Error(`${where}: a ${l.type} layer needs an [H, W, C] input, got [${shape}] (add a reshape)`);
          const act = activation(l.activation);
          const [H, W, C] = shape as [number, number, number];
          const k = l.kernelSize;
          const s = l.strides ?? 1;
          const padding = l.padding ?? 'same';
          // g: the conv2d [B, H, W, Ci, OH, OW, Co, ...]; a transpose runs its input gradient (OH → H)
          let g: number[];
          if (l.type === 'conv2d') {
            const [OH, pt] = convOutput(H, k, s, padding);
            const [OW, pl] = convOutput(W, k, s, padding);
            if (OH < 1 || OW < 1) throw new Error(`${where}: a ${k}×${k} '${padding}' kernel does not fit the ${H}×${W} input`);
            g = [0, H, W, C, OH, OW, l.filters, k, k, s, s, pt, pl];
            shape = [OH, OW, l.filters];
          } else {
            const TH = deconvOutput(H, k, s, padding);
            const TW = deconvOutput(W, k, s, padding);
            const [OH, pt] = convOutput(TH, k, s, padding);
            const [OW, pl] = convOutput(TW, k, s, padding);
            if (OH !== H || OW !== W) throw new Error(`${where}: the ${TH}×${TW} output does not map back onto the ${H}×${W} input`);
            g = [0, TH, TW, l.filters, H, W, C, k, k, s, s, pt, pl];
            shape = [TH, TW, l.filters];
          }
          const kernelShape = l.type === 'conv2d' ? [k, k, C, l.filters] : [k, k, l.filters, C];
          const offsets = [weight(`${name}/kernel`, kernelShape)];
          if (l.batchNorm) offsets.push(weight(`${name}_bn/gamma`, [l.filters]), weight(`${name}_bn/beta`, [l.filters]));
          else offsets.push(weight(`${name}/bias`, [l.filters]));
          plans.push({ spec: l, name, inShape, outShape: shape, act, geom: Int32Array.from(g), offsets });
          break;
        }
        case 'reshape':
        case 'flatten': {
          const target = l.type === 'flatten' ? [sizeOf(shape)] : l.targetShape.slice();
          if (sizeOf(target) !== sizeOf(shape)) throw new Error(`${where}: cannot reshape [${shape}] (${sizeOf(shape)} values) to [${target}]`);
          shape = target;
          plans.push({ spec: l, name, inShape, outShape: shape, act: 'linear', geom: new Int32Array(0), offsets: [] });
          break;
        }
        case 'activation':
          plans.push({ spec: l, name, inShape, outShape: shape, act: activation(l.activation), geom: new Int32Array(0), offsets: [] });
          break;
      }
    });
    if (plans.length === 0) throw new Error(`FusedConvNet: spec '${spec.name}' has no layers`);
    this.outShape = shape;
    this.outSize = sizeOf(shape);
    this.names = names;
    this.shapes = shapes;
    this.params = new Float32Array(total);
    this.grads = new Float32Array(total);

    const statsNames = new Set<string>();
    this.layers = plans.map((p): Layer => {
      const l = p.spec;
      if (l.type === 'reshape' || l.type === 'flatten') return { kind: 'reshape', name: p.name, inShape: p.inShape, outShape: p.outShape };
      if (l.type === 'activation') return { kind: 'activation', name: p.name, inShape: p.inShape, outShape: p.outShape, act: p.act };
      const channels = p.outShape[p.outShape.length - 1]!;
      const view = (k: number, n: number): [Float32Array, Float32Array] => [
        this.params.subarray(p.offsets[k]!, p.offsets[k]! + n),
        this.grads.subarray(p.offsets[k]!, p.offsets[k]! + n),
      ];
      const [kernel, dKernel] = view(0, p.offsets[1]! - p.offsets[0]!);
      const core = { kind: l.type, name: p.name, inShape: p.inShape, outShape: p.outShape, channels, act: p.act, kernel, dKernel, geom: p.geom };
      if (l.batchNorm) {
        const [gamma, dGamma] = view(1, channels);
        const [beta, dBeta] = view(2, channels);
        const bn = new NativeBatchNorm(this.addon, channels, `${p.name}_bn`, gamma, dGamma, beta, dBeta);
        statsNames.add(bn.meanName).add(bn.varianceName);
        return { ...core, bn, bias: null, dBias: null };
      }
      const [bias, dBias] = view(1, channels);
      return { ...core, bn: null, bias, dBias };
    });
    const known = new Set(names);
    for (const name of Object.keys(params)) {
      if (!known.has(name) && !statsNames.has(name)) throw new Error(`FusedConvNet: '${name}' is not a weight of spec '${spec.name}' (its weights: ${names.join(', ')})`);
    }
    for (const [name, t] of Object.entries(params)) {
      const i = names.indexOf(name);
      if (i >= 0 && t.shape.join(',') !== shapes[i]!.join(',')) throw new Error(`FusedConvNet: '${name}' has shape [${t.shape}], expected [${shapes[i]}]`);
    }
    this.flatten(params);
  }

  /** Whether any layer is batch-normalised (its output then depends on the whole batch). */
  get hasBatchNorm(): boolean {
    return this.layers.some((l) => batchNormOf(l) !== null);
  }

  private buffers(rows: number): Buffers {
    let set = this.bufferSets.get(rows);
    if (set === undefined) {
      const sizes = this.layers.map((l) => rows * sizeOf(l.outShape));
      const scratch = Math.max(...sizes);
      const work1 = new Float32Array(scratch);
      const work2 = new Float32Array(scratch);
      set = {
        outs: this.layers.map((l, i) => (l.kind === 'reshape' ? new Float32Array(0) : new Float32Array(sizes[i]!))),
        pres: this.layers.map((l, i) => new Float32Array(batchNormOf(l) !== null ? sizes[i]! : 0)),
        gradIns: this.layers.map((l, i) => (i > 0 && l.kind !== 'reshape' ? new Float32Array(rows * sizeOf(l.inShape)) : new Float32Array(0))),
        work1: sizes.map((n) => work1.subarray(0, n)),
        work2: sizes.map((n) => work2.subarray(0, n)),
      };
      // a GAN alternates a few batch shapes: keep them, within reason
      if (this.bufferSets.size >= 4) this.bufferSets.clear();
      this.bufferSets.set(rows, set);
    }
    return set;
  }

  /**
   * The output for `rows` samples of x (rows × inSize values, NHWC; a longer x is read from its start).
   * The result is a buffer reused by the next forward with the same row count. `training` (default
   * true) normalises batchnorm layers with the batch's statistics and advances their running
   * averages; false uses the running averages (sampling, the saved generator). Activations are
   * kept for `backward`.
   */
  forward(x: Float32Array, rows: number, training = true): Float32Array {
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`FusedConvNet.forward: rows must be a positive integer, got ${rows}`);
    if (x.length < rows * this.inSize) {
      throw new RangeError(`FusedConvNet.forward: ${x.length} inputs for ${rows} rows of ${this.inSize} ([${this.inShape}])`);
    }
    const buf = this.buffers(rows);
    this.buf = buf;
    this.rows = rows;
    const addon = this.addon;
    let a = x.length === rows * this.inSize ? x : x.subarray(0, rows * this.inSize);
    this.inputs = [];
    for (let i = 0; i < this.layers.length; i++) {
      const l = this.layers[i]!;
      this.inputs.push(a);
      if (l.kind === 'reshape') continue; // same values, next shape
      const out = buf.outs[i]!;
      if (l.kind === 'activation') {
        this.activate(l.act, a, out);
        a = out;
        continue;
      }
      // Z (into `pre` under batchnorm), with bias and activation in the epilogue where the kernel has one
      const bn = l.bn;
      const z = bn ? buf.pres[i]! : out;
      const bias = l.bias;
      const biasMode = bn ? NATIVE_BIAS.none : NATIVE_BIAS.perColumn;
      const epilogueAct = bn ? NATIVE_ACT.linear : NATIVE_ACT[l.act];
      l.geom[0] = rows;
      switch (l.kind) {
        case 'dense':
          addon.matmul(a, l.kernel, z, 1, 1, 1, rows, l.channels, l.inShape[0]!, 0, 0, bias, biasMode, epilogueAct, this.leakyAlpha);
          break;
        case 'conv2d':
          addon.conv2d(a, l.kernel, z, l.geom, bias, biasMode, epilogueAct, this.leakyAlpha);
          break;
        case 'conv2dTranspose':
          addon.conv2dBackpropInput(a, l.kernel, z, l.geom);
          if (bias !== null) addon.binary(NATIVE_BINARY.add, z, bias, z, NATIVE_BROADCAST.bPeriodic);
          if (!bn) this.activate(l.act, z, z);
          break;
      }
      if (bn) {
        bn.forward(z, out, out.length / l.channels, training, buf.work1[i]!);
        this.activate(l.act, out, out);
      }
      a = out;
    }
    return a;
  }

  /** out = act(a) (a and out exactly as long; may be one array). */
  private activate(act: ConvActivation, a: Float32Array, out: Float32Array): void {
    const addon = this.addon;
    switch (act) {
      case 'linear':
        if (out !== a) out.set(a);
        break;
      case 'relu':
        addon.unary(NATIVE_UNARY.relu, a, out, 0);
        break;
      case 'leakyRelu':
        addon.unary(NATIVE_UNARY.leakyRelu, a, out, this.leakyAlpha);
        break;
      case 'tanh':
        addon.unary(NATIVE_UNARY.tanh, a, out, 0);
        break;
      case 'sigmoid':
        addon.unary(NATIVE_UNARY.sigmoid, a, out, 0);
        break;
    }
  }

  /** out = G ⊙ act′, act′ written from the activation's output A (module doc); A, G and out exactly as long, out ≠ A. */
  private activationDelta(act: ConvActivation, A: Float32Array, G: Float32Array, out: Float32Array): void {
    const { addon, one } = this;
    const { mul, sub } = NATIVE_BINARY;
    const { same, aScalar } = NATIVE_BROADCAST;
    switch (act) {
      case 'linear':
        if (out !== G) out.set(G);
        return;
      case 'relu':
        addon.unary(NATIVE_UNARY.step, A, out, 0); // [A > 0]
        break;
      case 'leakyRelu':
        addon.unary(NATIVE_UNARY.step, A, out, this.leakyAlpha); // A > 0 ? 1 : α
        break;
      case 'tanh':
        addon.binary(mul, A, A, out, same);
        addon.binary(sub, one, out, out, aScalar); // 1 − A²
        break;
      case 'sigmoid':
        addon.binary(sub, one, A, out, aScalar);
        addon.binary(mul, A, out, out, same); // A(1 − A)
        break;
    }
    addon.binary(mul, out, G, out, same);
  }

  /**
   * Writes ∂loss/∂θ into `grads` (returned) given gOut = ∂loss/∂output (rows × outSize) of the last
   * forward; with `gInput` (at least rows × inSize long), also ∂loss/∂x there (what a generator step
   * needs from the discriminator). Batchnorm layers differentiate the mode the forward ran in.
   * `rows` < the forward's rows runs the backward over its first `rows` rows only, the others'
   * output gradients being zero (WGAN-GP's x̂ rows, which only the penalty differentiates): the
   * same gradients for fewer FLOPs. Not with batchnorm, which couples the rows.
   */
  backward(gOut: Float32Array, gInput?: Float32Array, rows = this.rows): Float32Array {
    const buf = this.buf;
    if (buf === undefined) throw new Error('FusedConvNet.backward: call forward first');
    if (!Number.isInteger(rows) || rows < 1 || rows > this.rows) throw new RangeError(`FusedConvNet.backward: rows ${rows} is not within the ${this.rows} of the last forward`);
    const partial = rows < this.rows;
    if (partial && this.hasBatchNorm) throw new Error(`FusedConvNet.backward: ${rows} of ${this.rows} rows, but batchnorm couples the rows of a forward`);
    if (gOut.length < rows * this.outSize) throw new RangeError(`FusedConvNet.backward: ${gOut.length} output gradients for ${rows} rows of ${this.outSize}`);
    if (gInput !== undefined && gInput.length < rows * this.inSize) {
      throw new RangeError(`FusedConvNet.backward: gInput holds ${gInput.length} values for ${rows} rows of ${this.inSize}`);
    }
    const addon = this.addon;
    /** The first `rows` rows of a buffer of the forward's rows. */
    const head = (b: Float32Array): Float32Array => (partial ? b.subarray(0, (b.length / this.rows) * rows) : b);
    let g = gOut.length === rows * this.outSize ? gOut : gOut.subarray(0, rows * this.outSize);
    if (partial) this.setGeometryRows(rows);
    try {
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const l = this.layers[i]!;
        if (l.kind === 'reshape') continue; // ∂ passes unchanged
        // where ∂loss/∂(this layer's input) goes: the buffer the layer below reads, gInput, or nowhere
        const gradIn = i > 0 ? head(buf.gradIns[i]!) : gInput?.subarray(0, rows * this.inSize);
        const A = head(buf.outs[i]!);
        if (l.kind === 'activation') {
          if (gradIn === undefined) break;
          this.activationDelta(l.act, A, g, gradIn);
          g = gradIn;
          continue;
        }
        const n = A.length / l.channels; // rows × OH × OW
        let dZ: Float32Array;
        if (l.bn) {
          // dY = G ⊙ act′ (work1), then dZ through the normalisation (work2), ∂γ, ∂β
          const dY = buf.work1[i]!;
          this.activationDelta(l.act, A, g, dY);
          dZ = buf.work2[i]!;
          l.bn.backward(buf.pres[i]!, dY, dZ, n);
        } else if (l.act === 'relu' || l.act === 'linear') {
          // dZ = G ⊙ act′ and ∂b = Σ dZ in one pass
          dZ = head(buf.work1[i]!);
          addon.denseDelta(l.act === 'relu' ? 1 : 0, A, g, dZ, l.dBias, n, l.channels);
        } else {
          dZ = head(buf.work1[i]!);
          this.activationDelta(l.act, A, g, dZ);
          addon.sum(dZ, l.dBias, 1, n, l.channels);
        }
        const prev = head(this.inputs[i]!);
        switch (l.kind) {
          case 'dense': {
            const inDim = l.inShape[0]!;
            addon.matmul(prev, dZ, l.dKernel, 1, 1, 1, inDim, l.channels, rows, 1, 0, null, NATIVE_BIAS.none, NATIVE_ACT.linear, 0);
            if (gradIn !== undefined) addon.matmul(dZ, l.kernel, gradIn, 1, 1, 1, rows, inDim, l.channels, 0, 1, null, NATIVE_BIAS.none, NATIVE_ACT.linear, 0);
            break;
          }
          case 'conv2d':
            addon.conv2dBackpropFilter(prev, dZ, l.dKernel, l.geom);
            if (gradIn !== undefined) addon.conv2dBackpropInput(dZ, l.kernel, gradIn, l.geom);
            break;
          case 'conv2dTranspose':
            addon.conv2dBackpropFilter(dZ, prev, l.dKernel, l.geom);
            if (gradIn !== undefined) addon.conv2d(dZ, l.kernel, gradIn, l.geom, null, NATIVE_BIAS.none, NATIVE_ACT.linear, 0);
            break;
        }
        if (gradIn === undefined) break;
        g = gradIn;
      }
    } finally {
      if (partial) this.setGeometryRows(this.rows);
    }
    return this.grads;
  }

  /**
   * Double backward for a scalar net (one linear output unit, no batchnorm, activations relu,
   * leakyRelu or linear): at the rows [rowStart, rowStart + count) of the last forward, the input
   * gradient g = ∂f/∂x, then, with v̄ = outer(g) = ∂P/∂g for a loss P(g) of it (WGAN-GP's penalty:
   * generative/gradientPenalty.ts), adds ∂P/∂θ to `grads`. Given the activations' slopes s_l (constant
   * between kinks), g is linear in each kernel, so (u_l = ∂f/∂A_l, δ_l = ∂f/∂Z_l):
   *   u_L = 1;  δ_l = u_l ⊙ s_l;  u_{l−1} = B_l(δ_l, W_l)   with B_l the layer's input-gradient map
   *   (dense δWᵀ, conv2d conv2dBackpropInput(δ, W), conv2dTranspose conv2d(δ, W));  g = u_0.
   * B_l is bilinear; going back up with ū_0 = v̄: ∂W_l += ∂⟨B_l(δ_l, W_l), ū_{l−1}⟩/∂W_l (dense
   * ū_{l−1}ᵀ δ_l, conv2d conv2dBackpropFilter(ū_{l−1}, δ_l), conv2dTranspose conv2dBackpropFilter(δ_l, ū_{l−1})),
   * δ̄_l = ∂⟨B_l, ū_{l−1}⟩/∂δ_l (ū W, conv2d(ū, W), conv2dBackpropInput(ū, W)), ū_l = δ̄_l ⊙ s_l.
   * The slopes' own derivative is 0 almost everywhere, and so is the biases' gradient. Returns g.
   */
  addInputGradientLoss(rowStart: number, count: number, outer: (g: Float32Array) => Float32Array): Float32Array {
    const buf = this.buf;
    if (buf === undefined) throw new Error('FusedConvNet.addInputGradientLoss: call forward first');
    if (this.outSize !== 1) throw new Error(`FusedConvNet.addInputGradientLoss: needs one output unit, the net has ${this.outSize}`);
    if (!Number.isInteger(rowStart) || !Number.isInteger(count) || rowStart < 0 || count < 1 || rowStart + count > this.rows) {
      throw new RangeError(`FusedConvNet.addInputGradientLoss: rows [${rowStart}, ${rowStart + count}) are not within the ${this.rows} of the last forward`);
    }
    const layers = this.layers;
    const last = layers[layers.length - 1]!;
    if (last.kind === 'reshape' || last.act !== 'linear') throw new Error('FusedConvNet.addInputGradientLoss: the output must be linear');
    for (const l of layers) {
      if (batchNormOf(l) !== null) throw new Error(`FusedConvNet.addInputGradientLoss: '${l.name}' is batch-normalised, so a sample's input gradient depends on the others (WGAN-GP §4 drops critic batchnorm)`);
      if (l.kind !== 'reshape' && l.act !== 'relu' && l.act !== 'leakyRelu' && l.act !== 'linear') throw new Error(`FusedConvNet.addInputGradientLoss: '${l.name}' has activation '${l.act}', which is not piecewise linear`);
    }
    const addon = this.addon;
    const { none } = NATIVE_BIAS;
    const linear = NATIVE_ACT.linear;
    /** act′ of layer i's output at the chosen rows. */
    const slope = (i: number, act: ConvActivation): Float32Array => {
      const size = sizeOf(layers[i]!.outShape);
      const A = buf.outs[i]!.subarray(rowStart * size, (rowStart + count) * size);
      const s = new Float32Array(A.length);
      if (act === 'linear') s.fill(1);
      else addon.unary(NATIVE_UNARY.step, A, s, act === 'leakyRelu' ? this.leakyAlpha : 0);
      return s;
    };
    const slopes: (Float32Array | undefined)[] = [];
    const deltas: (Float32Array | undefined)[] = [];
    try {
      this.setGeometryRows(count);
      // down: u_L = 1, δ_l = u_l ⊙ s_l, u_{l−1} = B_l(δ_l, W_l)
      let u: Float32Array = new Float32Array(count).fill(1);
      for (let i = layers.length - 1; i >= 0; i--) {
        const l = layers[i]!;
        if (l.kind === 'reshape') continue;
        const s = slope(i, l.act);
        slopes[i] = s;
        const d = new Float32Array(u.length);
        addon.binary(NATIVE_BINARY.mul, u, s, d, NATIVE_BROADCAST.same);
        if (l.kind === 'activation') {
          u = d;
          continue;
        }
        deltas[i] = d;
        const v = new Float32Array(count * sizeOf(l.inShape));
        if (l.kind === 'dense') addon.matmul(d, l.kernel, v, 1, 1, 1, count, l.inShape[0]!, l.channels, 0, 1, null, none, linear, 0);
        else if (l.kind === 'conv2d') addon.conv2dBackpropInput(d, l.kernel, v, l.geom);
        else addon.conv2d(d, l.kernel, v, l.geom, null, none, linear, 0);
        u = v;
      }
      const g = u;
      // up: ∂W_l += ∂⟨B_l, ū_{l−1}⟩/∂W_l, δ̄_l, ū_l = δ̄_l ⊙ s_l
      let uBar = outer(g);
      if (uBar.length !== g.length) throw new RangeError(`FusedConvNet.addInputGradientLoss: outer returned ${uBar.length} values for ${g.length}`);
      for (let i = 0; i < layers.length; i++) {
        const l = layers[i]!;
        if (l.kind === 'reshape') continue;
        if (l.kind === 'activation') {
          addon.binary(NATIVE_BINARY.mul, uBar, slopes[i]!, uBar, NATIVE_BROADCAST.same);
          continue;
        }
        const d = deltas[i]!;
        const dW = new Float32Array(l.dKernel.length);
        const dBar = new Float32Array(d.length);
        if (l.kind === 'dense') {
          const inDim = l.inShape[0]!;
          addon.matmul(uBar, d, dW, 1, 1, 1, inDim, l.channels, count, 1, 0, null, none, linear, 0);
          addon.matmul(uBar, l.kernel, dBar, 1, 1, 1, count, l.channels, inDim, 0, 0, null, none, linear, 0);
        } else if (l.kind === 'conv2d') {
          addon.conv2dBackpropFilter(uBar, d, dW, l.geom);
          addon.conv2d(uBar, l.kernel, dBar, l.geom, null, none, linear, 0);
        } else {
          addon.conv2dBackpropFilter(d, uBar, dW, l.geom);
          addon.conv2dBackpropInput(uBar, l.kernel, dBar, l.geom);
        }
        addon.binary(NATIVE_BINARY.add, l.dKernel, dW, l.dKernel, NATIVE_BROADCAST.same);
        addon.binary(NATIVE_BINARY.mul, dBar, slopes[i]!, dBar, NATIVE_BROADCAST.same);
        uBar = dBar;
      }
      return g;
    } finally {
      this.setGeometryRows(this.rows);
    }
  }

  /** Sets the batch size of every dense and conv layer's geometry (geom[0]): a pass over part of the last forward's rows, then back. */
  private setGeometryRows(rows: number): void {
    for (const l of this.layers) if (l.kind !== 'reshape' && l.kind !== 'activation') l.geom[0] = rows;
  }

  /** θ ← clip(θ, −c, c) for every parameter (WGAN's weight clipping: kernels, biases and batchnorm's γ, β, as the paper's code). */
  clip(c: number): void {
    if (!(c > 0)) throw new RangeError(`FusedConvNet.clip: c must be > 0, got ${c}`);
    const p = this.params;
    for (let k = 0; k < p.length; k++) {
      const x = p[k]!;
      p[k] = x > c ? c : x < -c ? -c : x;
    }
  }

  /** The parameters as a TensorMap with the tfjs names (copies); the running averages are in `statsMap`. */
  toMap(): TensorMap {
    return sliceMap(this.names, this.shapes, this.params);
  }

  /** The gradient as a TensorMap with the parameter names (copies). */
  gradMap(): TensorMap {
    return sliceMap(this.names, this.shapes, this.grads);
  }

  private get norms(): NativeBatchNorm[] {
    return this.layers.flatMap((l) => batchNormOf(l) ?? []);
  }

  /** The batchnorm running averages by their tfjs names (`…_bn/moving_mean`, `…_bn/moving_variance`; copies). */
  statsMap(): TensorMap {
    const out: TensorMap = {};
    for (const bn of this.norms) {
      out[bn.meanName] = { shape: [bn.channels], data: bn.movingMean.slice() };
      out[bn.varianceName] = { shape: [bn.channels], data: bn.movingVariance.slice() };
    }
    return out;
  }

  /** Sets the running averages named in `stats` (others keep their values). */
  setStats(stats: TensorMap): void {
    for (const bn of this.norms) {
      for (const [name, target] of [[bn.meanName, bn.movingMean], [bn.varianceName, bn.movingVariance]] as const) {
        const t = stats[name];
        if (t === undefined) continue;
        if (t.data.length !== target.length) throw new Error(`FusedConvNet: '${name}' has ${t.data.length} values, expected ${target.length}`);
        target.set(t.data);
      }
    }
  }

  /**
   * Copies a named map (every weight name, right sizes) into `into` (default: the parameters, which
   * is how a net takes new weights; batchnorm running averages present in the map are copied too).
   * With `into` = a gradient vector, it lays a gradient map out for an optimiser.
   */
  flatten(map: TensorMap, into: Float32Array = this.params): Float32Array {
    if (into === this.params) this.setStats(map);
    return fillFromMap(this.names, this.shapes, map, into, 'FusedConvNet');
  }
}
