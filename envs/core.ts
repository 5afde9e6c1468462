/**
 * The Env API of nnlab, named as Gymnasium 1.x (`gymnasium.Env`, `gymnasium.Wrapper`) in
 * camelCase:
 *
 * - `reset({ seed?, options? }) → [obs, info]`
 * - `step(action) → [obs, reward, terminated, truncated, info]` — `terminated`: the MDP reached a
 *   terminal state (stop bootstrapping); `truncated`: cut short (time limit), keep bootstrapping.
 * - `actionSpace`, `observationSpace`, `close()`, `unwrapped`, `spec`, `npRandom` (the env's own
 *   seeded generator, Gymnasium's `np_random`: numpy's `Generator(PCG64(SeedSequence(seed)))`,
 *   so a seeded env draws the same numbers as in Gymnasium; seeded by `reset({ seed })`).
 *
 * Box observations are Float32Arrays; Discrete observations are numbers. Envs never import tfjs.
 */
import { EnvError } from './errors.js';
import type { SpaceKind } from './spaces/kinds.js';
import type { Space } from './spaces/space.js';
import { npRandom, type NpGenerator } from './utils/npGenerator.js';

/** Auxiliary diagnostic information returned by reset and step. */
export type Info = Record<string, unknown>;

/** Arguments of `reset`. */
export interface ResetArgs {
  /** Re-seed the env's generator (a non-negative integer); omit to continue the current stream. */
  seed?: number | null;
  /** Env-specific options (e.g. `{ low, high }` for CartPole's starting-state bounds). */
  options?: Record<string, unknown> | null;
}

/** What `reset` returns. */
export type ResetReturn<O> = [obs: O, info: Info];
/** What `step` returns. */
export type StepReturn<O> = [obs: O, reward: number, terminated: boolean, truncated: boolean, info: Info];

/** Render metadata (Gymnasium `metadata`). */
export interface EnvMetadata {
  renderModes: readonly string[];
  renderFps?: number;
}

/** A registered environment's specification (Gymnasium `EnvSpec`). */
export interface EnvSpec {
  /** `[namespace/]Name-vN`. */
  readonly id: string;
  /** A constructor / factory, or `"module.js:ExportName"` (resolved by `makeAsync`). */
  entryPoint: EnvCreator | string;
  readonly namespace: string | null;
  readonly name: string;
  readonly version: number | null;
  readonly rewardThreshold: number | null;
  readonly nondeterministic: boolean;
  /** TimeLimit added by `make` (null: none). */
  readonly maxEpisodeSteps: number | null;
  readonly orderEnforce: boolean;
  readonly disableEnvChecker: boolean;
  /** Default keyword arguments passed to the entry point (merged under the user's). */
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** Optional batched implementation used by `makeVec` (Gymnasium `vector_entry_point`). */
  readonly vectorEntryPoint: VectorEnvCreator | null;
}

/** Options a batched (vector) entry point receives from `makeVec`. */
export interface VectorEntryOptions {
  numEnvs: number;
  autoresetMode: import('./vector/vectorEnv.js').BatchedAutoresetMode;
  maxEpisodeSteps: number | null;
  kwargs: Record<string, unknown>;
  /** The spec the vector env is made from, with these kwargs and maxEpisodeSteps: its `spec`. */
  spec: EnvSpec;
}

/** A factory of a batched vector env (see `vector/`). Returns a `VectorEnv`. */
export type VectorEnvCreator = (options: VectorEntryOptions) => import('./vector/vectorEnv.js').VectorEnv;

/** An env class (constructed with the kwargs object) or a factory function taking the kwargs. */
export type EnvCreator = (new (kwargs?: any) => Env<unknown, unknown>) | ((kwargs?: any) => Env<unknown, unknown>);

/** The environment interface. Implement it (or extend `BaseEnv`) to write a custom env. */
export interface Env<O = unknown, A = unknown> {
  readonly observationSpace: Space<O>;
  readonly actionSpace: Space<A>;
  readonly metadata?: EnvMetadata;
  readonly renderMode?: string | null;
  /** Set by `make` to the spec it was made from (null for envs constructed directly). */
  spec: EnvSpec | null;
  /** The innermost env (itself for a non-wrapper). */
  readonly unwrapped: Env<unknown, unknown>;
  /** The env's seeded generator (Gymnasium `np_random`). */
  readonly npRandom: NpGenerator;
  reset(args?: ResetArgs): ResetReturn<O>;
  step(action: A): StepReturn<O>;
  /** Render according to `renderMode` (toy-text envs: `'ansi'` returns a string). */
  render?(): unknown;
  close(): void;
}

/**
 * Whether `env`'s spaces are of the kinds `observation` and `action` (envs/spaces/kinds.ts), and
 * so its observations are `O` and its actions `A`: an env's observations lie in its observation
 * space (the Env contract; the PassiveEnvChecker `make` adds checks the first reset and step).
 */
export function hasSpaces<O, A>(env: Env<unknown, unknown>, observation: SpaceKind<O>, action: SpaceKind<A>): env is Env<O, A> {
  return observation.test(env.observationSpace) && action.test(env.actionSpace);
}

/**
 * `env` as an env of `O` observations and `A` actions, checked at run time: `make` returns
 * `Env<unknown, unknown>` (the caller names an id, and nothing at compile time knows its spaces),
 * and code that needs typed observations or actions narrows it here. An env whose spaces are not
 * of the kinds asked is an EnvError naming the env and each expected and actual space.
 */
export function withSpaces<O, A>(env: Env<unknown, unknown>, observation: SpaceKind<O>, action: SpaceKind<A>): Env<O, A> {
  if (hasSpaces(env, observation, action)) return env;
  const wrong: string[] = [];
  if (!observation.test(env.observationSpace)) wrong.push(`observation space: expected ${observation.expected}, got ${String(env.observationSpace)}`);
  if (!action.test(env.actionSpace)) wrong.push(`action space: expected ${action.expected}, got ${String(env.actionSpace)}`);
  throw new EnvError(`${env.spec?.id ?? String(env.unwrapped)} has the wrong spaces: ${wrong.join('; ')}`);
}

/**
 * Convenience base class with Gymnasium's seeding semantics: `resetRng(seed)` (call it first in
 * `reset`, like `super().reset(seed=seed)`) re-seeds `npRandom` when a seed is given; an env
 * used without ever being seeded draws its seed from entropy (at construction, where Gymnasium
 * waits for first use: the same draws, and a generator `restoreState` can write a checkpoint into).
 */
export abstract class BaseEnv<O = unknown, A = unknown> implements Env<O, A> {
  abstract readonly observationSpace: Space<O>;
  abstract readonly actionSpace: Space<A>;
  metadata: EnvMetadata = { renderModes: [] };
  renderMode: string | null = null;
  spec: EnvSpec | null = null;
  private _npRandom: NpGenerator;
  /** The seed of `npRandom` (Gymnasium `np_random_seed`): the last seed given to `reset`, the entropy seed, or -1 once replaced. */
  npRandomSeed: number;

  constructor() {
    [this._npRandom, this.npRandomSeed] = npRandom();
  }

  get npRandom(): NpGenerator {
    return this._npRandom;
  }

  /** Replace the generator (Gymnasium's setter: the seed becomes unknown, -1). */
  set npRandom(rng: NpGenerator) {
    this._npRandom = rng;
    this.npRandomSeed = -1;
  }

  get unwrapped(): Env<O, A> {
    return this;
  }

  /** Re-seed `npRandom` when `seed` is given (Gymnasium `Env.reset(seed=...)`: `seeding.np_random(seed)`). */
  protected resetRng(seed: number | null | undefined): void {
    if (seed === undefined || seed === null) return;
    [this._npRandom, this.npRandomSeed] = npRandom(seed, `${this.constructor.name}.reset`);
  }

  abstract reset(args?: ResetArgs): ResetReturn<O>;
  abstract step(action: A): StepReturn<O>;

  render(): unknown {
    return undefined;
  }

  close(): void {}

  toString(): string {
    return this.spec ? `${this.constructor.name}<${this.spec.id}>` : this.constructor.name;
  }
}

/**
 * What every wrapper shares (Gymnasium `Wrapper`): it holds `env` and forwards metadata, spec,
 * unwrapped, npRandom, render and close. `Wrapper` keeps the observation and action types;
 * `ObservationWrapper` maps observations to a new type with a space it is given.
 */
export abstract class WrapperBase<O, A, WO, WA> implements Env<WO, WA> {
  constructor(readonly env: Env<O, A>) {
    if (env === null || typeof env !== 'object' || typeof env.step !== 'function') {
      throw new TypeError(`${new.target.name}: expected an Env to wrap, got ${String(env)}`);
    }
  }

  abstract get observationSpace(): Space<WO>;
  abstract get actionSpace(): Space<WA>;
  abstract reset(args?: ResetArgs): ResetReturn<WO>;
  abstract step(action: WA): StepReturn<WO>;

  get metadata(): EnvMetadata | undefined {
    return this.env.metadata;
  }
  get renderMode(): string | null | undefined {
    return this.env.renderMode;
  }
  get spec(): EnvSpec | null {
    return this.env.spec;
  }
  set spec(spec: EnvSpec | null) {
    this.env.spec = spec;
  }
  get unwrapped(): Env<unknown, unknown> {
    return this.env.unwrapped;
  }
  get npRandom(): NpGenerator {
    return this.env.npRandom;
  }

  render(): unknown {
    return this.env.render?.();
  }

  close(): void {
    this.env.close();
  }

  toString(): string {
    return `${this.constructor.name}<${String(this.env)}>`;
  }
}

/**
 * A wrapper that keeps the observation and action types (Gymnasium `Wrapper`): forwards
 * everything to `env`; subclasses override `step` / `reset`, or set a space.
 */
export class Wrapper<O = unknown, A = unknown> extends WrapperBase<O, A, O, A> {
  private _observationSpace: Space<O> | null = null;
  private _actionSpace: Space<A> | null = null;

  get observationSpace(): Space<O> {
    return this._observationSpace ?? this.env.observationSpace;
  }
  set observationSpace(space: Space<O>) {
    this._observationSpace = space;
  }
  get actionSpace(): Space<A> {
    return this._actionSpace ?? this.env.actionSpace;
  }
  set actionSpace(space: Space<A>) {
    this._actionSpace = space;
  }

  reset(args?: ResetArgs): ResetReturn<O> {
    return this.env.reset(args);
  }

  step(action: A): StepReturn<O> {
    return this.env.step(action);
  }
}

/**
 * A wrapper that maps every observation with `observation(obs)` (Gymnasium
 * `ObservationWrapper`), in reset and step alike; its observation space is the one it is given.
 */
export abstract class ObservationWrapper<O, A, WO> extends WrapperBase<O, A, WO, A> {
  private _observationSpace: Space<WO>;

  constructor(env: Env<O, A>, observationSpace: Space<WO>) {
    super(env);
    this._observationSpace = observationSpace;
  }

  /** The wrapped observation of the inner env's `obs`. */
  abstract observation(obs: O): WO;

  get observationSpace(): Space<WO> {
    return this._observationSpace;
  }
  set observationSpace(space: Space<WO>) {
    this._observationSpace = space;
  }
  get actionSpace(): Space<A> {
    return this.env.actionSpace;
  }

  reset(args?: ResetArgs): ResetReturn<WO> {
    const [obs, info] = this.env.reset(args);
    return [this.observation(obs), info];
  }

  step(action: A): StepReturn<WO> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    return [this.observation(obs), reward, terminated, truncated, info];
  }
}
