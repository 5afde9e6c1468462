/**
 * Optimisers of the course seed (001, "优化"), over tfjs's implementations, behind one factory
 * `makeOptimizer(spec)`, plus gradient clipping by global norm and by value.
 *
 * Update rules (g_t the gradient, α the learning rate, θ the parameters):
 * - sgd:       θ ← θ − α g
 * - momentum:  v ← μ v + g;            θ ← θ − α v                      (= the seed's Δθ_t = ρΔθ_{t−1} − αg_t)
 * - nesterov:  v ← μ v + g;            θ ← θ − α (g + μ v)              (Sutskever et al. 2013, PyTorch form)
 * - adagrad:   G ← G + g²;             θ ← θ − α g / √(G + ε)            (Duchi et al. 2011; G₀ = 0.1 as tfjs)
 * - adadelta:  E[g²] ← ρE[g²] + (1−ρ)g²;  Δ = √(E[Δ²]+ε)/√(E[g²]+ε) · g;  E[Δ²] ← ρE[Δ²] + (1−ρ)Δ²;  θ ← θ − αΔ   (Zeiler 2012; nnlab's own: tfjs 4.22 divides by the previous E[g²], see adadelta.ts)
 * - rmsprop:   E[g²] ← ρE[g²] + (1−ρ)g²;  m ← μm + α g / √(E[g²] + ε);  θ ← θ − m   (Tieleman & Hinton 2012; centered optional)
 * - adam:      m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  θ ← θ − α m̂ / (√v̂ + ε),  m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ)   (Kingma & Ba 2015)
 *
 * Clipping happens before the update: by global norm (PyTorch's clip_grad_norm_: every gradient
 * scaled by min(1, maxNorm / (‖g‖₂ + ε)), ε = CLIP_NORM_EPSILON = 1e-6, ‖g‖₂ over all tensors together) and/or by value
 * (each element clipped to [−clipValue, clipValue]).
 *
 * Gradients are always applied in the order of the variable list given, because tfjs keeps
 * optimiser slots by position; this is what makes `getState`/`setState` restore exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { AdadeltaOptimizer } from './adadelta.js';
import { gradientTensors, variableGradsOf, type TensorMap } from './tensors.js';
import { ADAM_UPDATE } from './native.js';
import { checkNumber, DECAY_RATE, POSITIVE } from '../base/configCheck.js';
import { describeValue } from '../base/plainData.js';
import { ADADELTA_DEFAULTS, ADAGRAD_DEFAULTS, ADAM_DEFAULTS, CLIP_NORM_EPSILON, MOMENTUM_DEFAULTS, RMSPROP_DEFAULTS } from './optimDefaults.js';

/** A slot variable of tfjs's Adam (first or second moment of one variable). */
interface AdamSlot {
  originalName: string;
  variable: tf.Variable;
}

/** The AdamOptimizer state tfjs declares private, read here to run the same update fused. */
interface AdamSlots {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: AdamSlot[];
  accumulatedSecondMoment: AdamSlot[];
}

/** Reads tfjs's private Adam state by name, checking each field's kind at run time. */
function adamSlots(opt: tf.AdamOptimizer): AdamSlots {
  const accBeta1: unknown = Reflect.get(opt, 'accBeta1');
  const accBeta2: unknown = Reflect.get(opt, 'accBeta2');
  const accumulatedFirstMoment: unknown = Reflect.get(opt, 'accumulatedFirstMoment');
  const accumulatedSecondMoment: unknown = Reflect.get(opt, 'accumulatedSecondMoment');
  if (!(accBeta1 instanceof tf.Variable) || !(accBeta2 instanceof tf.Variable) || !Array.isArray(accumulatedFirstMoment) || !Array.isArray(accumulatedSecondMoment)) {
    throw new Error(`FusedKernelAdam: tfjs ${tf.version_core}'s AdamOptimizer lacks the accBeta1/accBeta2 variables or the moment lists this update reads`);
  }
  return { accBeta1, accBeta2, accumulatedFirstMoment, accumulatedSecondMoment };
}

/**
 * tfjs's Adam, with the per-variable update (~13 elementwise kernels, each a pass over the
 * variable) as one kernel where the backend has it (ADAM_UPDATE: the native backend). The same
 * equations, float32 op by op, the same slot variables and serialisation as tf.train.adam; other
 * backends run tfjs's own applyGradients.
 */
export class FusedKernelAdam extends tf.AdamOptimizer {
  /** Sets α for the next updates (a learning-rate schedule; tfjs keeps it protected). */
  setLearningRate(lr: number): void {
    this.learningRate = lr;
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // every name checked before any variable moves, on either path: a gradient of a name that is no
    // variable is an error naming it, not a TypeError from tfjs or a half-applied update
    const variables = names.map((name) => {
      const variable: tf.Variable | undefined = tf.engine().registeredVariables[name];
      if (variable === undefined) throw new Error(`adam: a gradient names '${name}', which is no variable (a gradient map's keys are its variables' names)`);
      return variable;
    });
    if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const slots = adamSlots(this);
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, slots.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, slots.accBeta2);
      names.forEach((name, i) => {
        const value = variables[i]!;
        slots.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        slots.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : (variableGradients as tf.NamedTensorMap)[name];
        if (gradient == null) return;
        const m = slots.accumulatedFirstMoment[i]!.variable;
        const v = slots.accumulatedSecondMoment[i]!.variable;
        if ([value, gradient, m, v].some((t) => t.dtype !== 'float32')) {
          throw new Error(`adam: variable '${name}' and its gradient must be float32`);
        }
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM_UPDATE,
          { value, gradient, m, v, oneMinusAccBeta1, oneMinusAccBeta2 },
          { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate },
        ) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      slots.accBeta1.assign(tf.mul(slots.accBeta1, this.beta1));
      slots.accBeta2.assign(tf.mul(slots.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /**
   * tfjs restores β^(t+1) with pow(); training reaches it by t float32 multiplications, which can
   * differ in the last bit (from t = 2 on with β₂ = 0.999): recomputed here as the product, so a
   * restored optimiser continues bit for bit.
   */
  override async setWeights(weightValues: Parameters<tf.AdamOptimizer['setWeights']>[0]): Promise<void> {
    await super.setWeights(weightValues);
    const slots = adamSlots(this);
    const [b1, b2] = [Math.fround(this.beta1), Math.fround(this.beta2)];
    let [acc1, acc2] = [b1, b2];
    for (let t = 0; t < this.iterations; t++) [acc1, acc2] = [Math.fround(acc1 * b1), Math.fround(acc2 * b2)];
    tf.tidy(() => {
      slots.accBeta1.assign(tf.scalar(acc1));
      slots.accBeta2.assign(tf.scalar(acc2));
    });
  }
}

export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** One saved slot of a tfjs optimiser (`Optimizer.getState`): tfjs's iteration count `iter` is int32, the slot variables float32. */
export interface OptimizerSlot {
  name: string;
  value: { shape: number[]; data: Float32Array | Int32Array };
}

export interface OptimizerSpec {
  name: OptimizerName;
  /** Learning rate α. */
  lr: number;
  /** μ of momentum / nesterov / rmsprop (default 0.9 for momentum and nesterov: MOMENTUM_DEFAULTS; 0 for rmsprop). */
  momentum?: number;
  /** Adam β₁ (default 0.9: ADAM_DEFAULTS, core/optimDefaults.ts). */
  beta1?: number;
  /** Adam β₂ (default 0.999). */
  beta2?: number;
  /** ρ, the decay of the squared-gradient average of adadelta / rmsprop (default 0.95 / 0.99: ADADELTA_DEFAULTS / RMSPROP_DEFAULTS). */
  rho?: number;
  /** ε added for numerical stability (default 1e-8, PyTorch's: ADAM_DEFAULTS / RMSPROP_DEFAULTS; adadelta 1e-6: ADADELTA_DEFAULTS). */
  epsilon?: number;
  /** RMSprop: normalise by the centred second moment (default false). */
  centered?: boolean;
  /** AdaGrad: initial accumulator value (default 0.1 as tfjs / TensorFlow: ADAGRAD_DEFAULTS). */
  initialAccumulator?: number;
  /** Clip gradients to this global L2 norm before the update. */
  clipNorm?: number;
  /** Clip each gradient element to [−clipValue, clipValue] before the update. */
  clipValue?: number;
}

/**
 * Throws a RangeError naming the first bad field, by the config checks' rules (base/configCheck.ts):
 * a rate, ε and a clip > 0; μ and AdaGrad's G₀ ≥ 0; β₁, β₂ and ρ decay rates in [0, 1) (`DECAY_RATE`,
 * the rule of a model's Adam settings too). A field left out takes its default (core/optimDefaults.ts).
 */
export function validateOptimizerSpec(spec: OptimizerSpec): void {
  if (spec === null || typeof spec !== 'object') throw new TypeError('optimizer spec must be an object');
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(spec.name)) {
    throw new RangeError(`optimizer 'name' must be one of ${OPTIMIZER_NAMES.join(', ')}, got ${describeValue(spec.name)}`);
  }
  const owner = `optimizer ${spec.name}`;
  if (spec.lr === undefined) throw new RangeError(`${owner}: 'lr' is required`);
  const nonNegative = { min: 0 };
  const optional = (field: keyof OptimizerSpec, v: unknown, opts: Parameters<typeof checkNumber>[3]): void => {
    if (v !== undefined) checkNumber(owner, field, v, opts);
  };
  checkNumber(owner, 'lr', spec.lr, POSITIVE);
  optional('momentum', spec.momentum, nonNegative);
  optional('epsilon', spec.epsilon, POSITIVE);
  optional('clipNorm', spec.clipNorm, POSITIVE);
  optional('clipValue', spec.clipValue, POSITIVE);
  optional('initialAccumulator', spec.initialAccumulator, nonNegative);
  optional('beta1', spec.beta1, DECAY_RATE);
  optional('beta2', spec.beta2, DECAY_RATE);
  optional('rho', spec.rho, DECAY_RATE);
}

function makeTfOptimizer(spec: OptimizerSpec): tf.Optimizer {
  switch (spec.name) {
    case 'sgd':
      return tf.train.sgd(spec.lr);
    case 'momentum':
      return tf.train.momentum(spec.lr, spec.momentum ?? MOMENTUM_DEFAULTS.momentum, false);
    case 'nesterov':
      return tf.train.momentum(spec.lr, spec.momentum ?? MOMENTUM_DEFAULTS.momentum, true);
    case 'adagrad':
      return tf.train.adagrad(spec.lr, spec.initialAccumulator ?? ADAGRAD_DEFAULTS.initialAccumulator);
    case 'adadelta':
      return new AdadeltaOptimizer(spec.lr, spec.rho ?? ADADELTA_DEFAULTS.rho, spec.epsilon ?? ADADELTA_DEFAULTS.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(spec.lr, spec.rho ?? RMSPROP_DEFAULTS.rho, spec.momentum ?? 0, spec.epsilon ?? RMSPROP_DEFAULTS.epsilon, spec.centered ?? false);
    case 'adam':
      return new FusedKernelAdam(spec.lr, spec.beta1 ?? ADAM_DEFAULTS.beta1, spec.beta2 ?? ADAM_DEFAULTS.beta2, spec.epsilon ?? ADAM_DEFAULTS.epsilon);
  }
}

/** Global L2 norm of a list of tensors, √Σ‖gᵢ‖². */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))) as tf.Scalar);
}

/** Clips by global norm and/or value; returns new tensors (call inside tidy). */
export function clipGradients(grads: tf.Tensor[], clipNorm?: number, clipValue?: number): tf.Tensor[] {
  let out = grads;
  if (clipValue !== undefined) out = out.map((g) => tf.clipByValue(g, -clipValue, clipValue));
  if (clipNorm !== undefined) {
    const scale = tf.minimum(1, tf.div(clipNorm, tf.add(globalNorm(out), CLIP_NORM_EPSILON)));
    out = out.map((g) => tf.mul(g, scale));
  }
  return out;
}

/**
 * Whether α of `o` can change: nnlab's Adam, or tfjs's SGD and its subclass momentum (nesterov).
 * Read from the prototype chain, not with `instanceof`: tfjs's Optimizer answers `instanceof` by
 * duck typing (Symbol.hasInstance), which every optimiser passes for every optimiser class.
 */
function hasSettableRate(o: tf.Optimizer): o is FusedKernelAdam | tf.SGDOptimizer {
  return FusedKernelAdam.prototype.isPrototypeOf(o) || tf.SGDOptimizer.prototype.isPrototypeOf(o);
}

/** A tfjs optimiser with clipping, positional slots and serialisable state. */
export class Optimizer {
  readonly spec: Readonly<OptimizerSpec>;
  readonly tfOptimizer: tf.Optimizer;

  constructor(spec: OptimizerSpec) {
    validateOptimizerSpec(spec);
    this.spec = Object.freeze({ ...spec });
    this.tfOptimizer = makeTfOptimizer(spec);
  }

  /**
   * One step on `lossFn` over `vars`: gradients, clipping, update. Returns the loss tensor (a
   * scalar the caller disposes or reads); every intermediate is freed.
   */
  minimize(lossFn: () => tf.Scalar, vars: tf.Variable[]): tf.Scalar {
    const { value, grads } = variableGradsOf(lossFn, vars);
    this.applyGradients(vars, grads);
    tf.dispose(grads);
    return value;
  }

  /** Applies gradients (tensors, in the order of `vars`), clipping first. Does not dispose `grads`. */
  applyGradients(vars: tf.Variable[], grads: tf.Tensor[]): void {
    if (grads.length !== vars.length) throw new Error(`applyGradients: ${grads.length} gradients for ${vars.length} variables`);
    tf.tidy(() => {
      const clipped = clipGradients(grads, this.spec.clipNorm, this.spec.clipValue);
      this.tfOptimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: clipped[i]! })));
    });
  }

  /** Applies gradients given as data (e.g. averaged from workers) to named variables. */
  applyGradientMap(vars: Map<string, tf.Variable>, grads: TensorMap): void {
    const tensors = gradientTensors(vars, grads);
    try {
      this.applyGradients([...vars.values()], tensors);
    } finally {
      tf.dispose(tensors);
    }
  }

  /**
   * Sets the learning rate α of the next updates (a schedule). tfjs lets it change on its SGD and
   * momentum optimisers and nnlab's Adam; the others throw, naming the optimiser.
   */
  setLearningRate(lr: number): void {
    if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0)) throw new RangeError(`optimizer ${this.spec.name}: learning rate must be a number ≥ 0, got ${describeValue(lr)}`);
    const o = this.tfOptimizer;
    if (hasSettableRate(o)) o.setLearningRate(lr);
    else throw new Error(`optimizer ${this.spec.name}: its learning rate cannot change during training (only sgd, momentum, nesterov and adam's can)`);
  }

  /** Slot variables and iteration count as plain arrays (positional; names kept for reading). */
  async getState(): Promise<OptimizerSlot[]> {
    const weights = await this.tfOptimizer.getWeights();
    const out: OptimizerSlot[] = [];
    for (const w of weights) {
      const data = await w.tensor.data();
      if (!(data instanceof Float32Array || data instanceof Int32Array)) throw new Error(`optimizer ${this.spec.name}: slot '${w.name}' is ${w.tensor.dtype}, not float32 or int32`);
      out.push({ name: w.name, value: { shape: w.tensor.shape.slice(), data } });
    }
    // saveIterations() creates a fresh scalar tensor for the iteration count: free it.
    weights[0]?.tensor.dispose();
    return out;
  }

  async setState(state: OptimizerSlot[]): Promise<void> {
    // The old slot variables are replaced, not reused: free them first.
    const old = await this.tfOptimizer.getWeights();
    old[0]?.tensor.dispose();
    const slots = old.slice(1).map((w) => w.tensor);
    const named = state.map((s) => ({ name: s.name, tensor: tf.tensor(s.value.data, s.value.shape) }));
    await this.tfOptimizer.setWeights(named);
    tf.dispose(named.map((n) => n.tensor));
    tf.dispose(slots);
  }

  dispose(): void {
    this.tfOptimizer.dispose();
  }
}

export function makeOptimizer(spec: OptimizerSpec): Optimizer {
  return new Optimizer(spec);
}
