import { BaseEnv, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidAction, ResetNeeded } from '../errors.js';
import { describeValue } from '../../base/plainData.js';
import { categoricalSample, sampleTransition, type TransitionTable } from './utils.js';

/**
 * What the toy-text envs driven purely by their transition table share (Gymnasium's
 * `DiscreteEnv` pattern): `reset` draws s₀ from `initialStateDistrib`, `step(a)` samples one entry
 * of `P[s][a]` and returns `[s′, r, terminated, false, { prob }]`.
 */
export abstract class TransitionTableEnv extends BaseEnv<number, number> {
  /** Transition table `P[s][a] = [[prob, nextState, reward, terminated], ...]`. */
  abstract readonly P: TransitionTable;
  abstract readonly initialStateDistrib: Float64Array;
  /** Current state, or null before the first reset. */
  s: number | null = null;
  lastaction: number | null = null;

  /** `actionsHelp` names the actions in error messages, e.g. "0 left, 1 down, 2 right, 3 up". */
  constructor(
    private readonly envName: string,
    private readonly actionsHelp: string,
  ) {
    super();
  }

  step(a: number): StepReturn<number> {
    if (!this.actionSpace.contains(a)) {
      throw new InvalidAction(`${this.envName}: action ${describeValue(a)} is not in the action space ${this.actionSpace.toString()} (${this.actionsHelp})`);
    }
    if (this.s === null) throw new ResetNeeded(`${this.envName}: call reset before using step method.`);
    const [p, s, r, t] = sampleTransition(this.P[this.s]![a]!, this.npRandom);
    this.s = s;
    this.lastaction = a;
    return [s, r, t, false, { prob: p }];
  }

  reset(args: ResetArgs = {}): ResetReturn<number> {
    this.resetRng(args.seed);
    this.s = categoricalSample(this.initialStateDistrib, this.npRandom);
    this.lastaction = null;
    return [this.s, { prob: 1 }];
  }
}
