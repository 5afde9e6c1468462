/**
 * AdaDelta (Zeiler 2012, "ADADELTA: an adaptive learning rate method", Algorithm 1), as PyTorch
 * and Keras implement it:
 *   E[g²]_t = ρ E[g²]_{t−1} + (1 − ρ) g_t²
 *   Δθ_t    = − √(E[Δθ²]_{t−1} + ε) / √(E[g²]_t + ε) · g_t
 *   E[Δθ²]_t = ρ E[Δθ²]_{t−1} + (1 − ρ) Δθ_t²
 *   θ_{t+1} = θ_t + α Δθ_t
 *
 * nnlab has its own because tfjs 4.22's AdadeltaOptimizer divides by √(E[g²]_{t−1} + ε), the
 * accumulator before this step's gradient is added (its first step is then α·g, not ≈ α√ε).
 */
import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

interface Slot {
  originalName: string;
  variable: tf.Variable;
}

export class AdadeltaOptimizer extends tf.Optimizer {
  static get className(): string {
    return 'Adadelta';
  }
  private accumulatedGrads: Slot[] = [];
  private accumulatedUpdates: Slot[] = [];

  constructor(
    protected learningRate: number,
    private readonly rho: number,
    private readonly epsilon: number,
  ) {
    super();
  }

  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    list.forEach(({ name, tensor: gradient }, i) => {
      const value = tf.engine().registeredVariables[name]!;
      const zeros = (suffix: string): Slot => ({ originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) });
      this.accumulatedGrads[i] ??= zeros('accum_grad');
      this.accumulatedUpdates[i] ??= zeros('accum_var');
      const accumGrad = this.accumulatedGrads[i]!.variable;
      const accumUpdate = this.accumulatedUpdates[i]!.variable;
      tf.tidy(() => {
        const newAccumGrad = tf.add(tf.mul(accumGrad, this.rho), tf.mul(tf.square(gradient), 1 - this.rho));
        const update = tf.mul(tf.div(tf.sqrt(tf.add(accumUpdate, this.epsilon)), tf.sqrt(tf.add(newAccumGrad, this.epsilon))), gradient);
        accumUpdate.assign(tf.add(tf.mul(accumUpdate, this.rho), tf.mul(tf.square(update), 1 - this.rho)));
        accumGrad.assign(newAccumGrad);
        value.assign(tf.sub(value, tf.mul(update, this.learningRate)));
      });
    });
    this.incrementIterations();
  }

  override dispose(): void {
    tf.dispose([...this.accumulatedGrads, ...this.accumulatedUpdates].map((s) => s.variable));
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const slots = [...this.accumulatedGrads, ...this.accumulatedUpdates];
    return [await this.saveIterations()].concat(slots.map((s) => ({ name: s.originalName, tensor: s.variable })));
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const values = await this.extractIterations(weightValues);
    const half = values.length / 2;
    const toSlot = (v: NamedTensor): Slot => ({ originalName: v.name, variable: v.tensor.variable(false) });
    this.accumulatedGrads = values.slice(0, half).map(toSlot);
    this.accumulatedUpdates = values.slice(half).map(toSlot);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }
}
