/**
 * The shared shell of the policy-gradient learners — REINFORCE (reinforce.ts), one-step
 * Actor-Critic (actorCritic.ts) and A2C (a2c.ts). Each holds a PolicyValueNets (policy π_θ,
 * optional value V_φ, their optimisers) and the actor's Rng, and updates by
 *   (θ, φ) ← opt(∇ loss(b))            (update: one step on batch b)
 * or, data-parallel, by ∇ loss on each worker's shard (computeGradients) and one step on their
 * mean (applyGradients). A subclass resolves its config, chooses the nets' layout and step sizes,
 * and gives the loss of a batch through `withLoss` (which may free per-batch tensors after it).
 */
import { checkChoice, checkLayerSizes, checkMaxGradNorm, checkNumber, checkSeedField, clipNormOf, configFields, type ConfigFields, POSITIVE_INTEGER } from '../base/configCheck.js';
import { Rng } from '../base/rng.js';
import { z } from 'zod';
import { count, rngStateSchema } from '../base/schemas.js';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../core/activation.js';
import type { OptimizerName } from '../core/optim.js';
import type { TensorMap } from '../core/tensors.js';
import { PolicyActor, PolicyValueNets, type LossParts, type NetsSpec, type PolicyHead } from './policies.js';
import type { DataParallelLearner, Learner, VersionedParams } from './types.js';
import type { Metrics } from '../base/metrics.js';

/**
 * The config fields every policy-gradient learner has (each agent's config extends it): network
 * shape, optimiser, clipping, seed. Checked by `resolvePgConfig`.
 */
export interface PgLearnerConfig {
  /** Hidden layer sizes of the policy network and of the value network, if any (separate networks); [] is linear. */
  hidden: number[];
  /** Hidden activation of both networks. */
  activation: HiddenActivation;
  /** Optimiser of θ and φ: one of PG_OPTIMIZERS. */
  optimizer: OptimizerName;
  /** Clip each optimiser's gradients to this global L2 norm (0: no clipping; A2C's one optimiser clips θ and φ together). */
  maxGradNorm: number;
  /** Initial log σ of a Gaussian policy. */
  initLogStd: number;
  /** Seed of weights, action sampling and env resets. */
  seed: number;
}

/** The optimisers a policy-gradient config may name. */
export const PG_OPTIMIZERS = ['adam', 'rmsprop', 'sgd'] as const satisfies readonly OptimizerName[];

/**
 * The first half of a policy-gradient agent's config check, from an unchecked record (a spec's, a
 * task's) or a typed partial one: unknown keys refused, `config` over `defaults`, and the
 * PgLearnerConfig fields checked (`pg`, hidden copied); the agent checks its own `fields` after and
 * builds its config from `pg` and them. `agent` names it in errors.
 */
export function resolvePgConfig<C extends PgLearnerConfig>(agent: string, config: unknown, defaults: Readonly<C>): { pg: PgLearnerConfig; fields: ConfigFields<C> } {
  const c = configFields(agent, config, defaults);
  const { hidden, activation, optimizer, maxGradNorm, initLogStd, seed } = c;
  checkLayerSizes(agent, 'hidden', hidden, true);
  checkChoice(agent, 'activation', activation, HIDDEN_ACTIVATIONS);
  checkChoice(agent, 'optimizer', optimizer, PG_OPTIMIZERS);
  checkMaxGradNorm(agent, maxGradNorm);
  checkNumber(agent, 'initLogStd', initLogStd);
  checkSeedField(agent, 'seed', seed);
  return { pg: { hidden: [...hidden], activation, optimizer, maxGradNorm, initLogStd, seed }, fields: c };
}

/** The NetsSpec fields a learner chooses itself: a value network, one or two optimisers, α and β. */
export type PgNetsChoice = Pick<NetsSpec, 'withValue' | 'optimizers' | 'policyLr' | 'valueLr'>;

/** What a policy-gradient learner's load reads of the state its save wrote. */
const pgSavedState = z.object({ version: count, updates: count, rng: rngStateSchema });

/** Policy-gradient learner over batches `Batch`: the nets, the actor's Rng, update, checkpoints. */
export abstract class PolicyGradientLearner<Batch, Config extends PgLearnerConfig> implements Learner<Batch, TensorMap>, DataParallelLearner<Batch> {
  readonly config: Readonly<Config>;
  readonly nets: PolicyValueNets;
  /** The actor's Rng (action sampling), checkpointed with the learner. */
  readonly rng: Rng;
  private version = 0;
  /** Gradient steps taken. */
  updates = 0;

  /**
   * `agent` names the learner in errors and checkpoints; `config` is already resolved. The nets'
   * weights take the first split of Rng(seed), the actor the second.
   */
  protected constructor(
    protected readonly agent: string,
    readonly obsDim: number,
    readonly head: PolicyHead,
    config: Config,
    nets: PgNetsChoice,
  ) {
    this.config = Object.freeze(config);
    checkNumber(agent, 'obsDim', obsDim, POSITIVE_INTEGER);
    const c = this.config;
    const rng = new Rng(c.seed);
    this.nets = new PolicyValueNets(
      {
        obsDim,
        head,
        hidden: c.hidden,
        activation: c.activation,
        withValue: nets.withValue,
        initLogStd: c.initLogStd,
        optimizers: nets.optimizers,
        optimizer: c.optimizer,
        policyLr: nets.policyLr,
        valueLr: nets.valueLr,
        maxGradNorm: clipNormOf(c.maxGradNorm),
      },
      rng.split(),
    );
    this.rng = rng.split();
  }

  /** Runs `run` with the loss closure f = () → {loss(b), report} of batch b; returns its result. */
  protected abstract withLoss<T>(b: Batch, run: (f: () => LossParts) => T): T;

  update(b: Batch): Metrics {
    const metrics = this.withLoss(b, (f) => this.nets.step(f));
    this.updates++;
    this.version++;
    return metrics;
  }

  computeGradients(b: Batch): { grads: TensorMap; metrics: Metrics } {
    return this.withLoss(b, (f) => this.nets.computeGradients(f));
  }

  applyGradients(grads: TensorMap): Metrics {
    this.nets.applyGradients(grads);
    this.updates++;
    this.version++;
    return {};
  }

  getPolicyParams(): VersionedParams<TensorMap> {
    return { version: this.version, params: this.nets.getParams() };
  }

  /** An actor for the current parameters. */
  actor(): PolicyActor {
    return new PolicyActor(this.nets.getParams(), this.head, this.config.activation);
  }

  async save(dir: string): Promise<void> {
    await this.saveCheckpoint(dir);
  }

  /** Saves a checkpoint under `dir` (its meta.json names the policy version it holds); returns its directory. */
  saveCheckpoint(dir: string): Promise<string> {
    return this.nets.save(dir, { version: this.version, updates: this.updates, rng: this.rng.getState(), config: this.config }, this.updates, { agent: this.agent, policyVersion: this.version, updates: this.updates });
  }

  async load(dir: string): Promise<void> {
    const s = await this.nets.load(dir, pgSavedState);
    this.version = s.version;
    this.updates = s.updates;
    this.rng.setState(s.rng);
  }

  dispose(): void {
    this.nets.dispose();
  }
}
