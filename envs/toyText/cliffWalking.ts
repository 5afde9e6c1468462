import { Discrete } from '../spaces/fundamental.js';
import { is, validateKwargs } from '../utils/kwargs.js';
import { TransitionTableEnv } from './transitionTableEnv.js';
import type { Transition, TransitionTable } from './utils.js';

const UP = 0;
const RIGHT = 1;
const DOWN = 2;
const LEFT = 3;
const POSITION_MAPPING: Record<number, readonly [number, number]> = { [UP]: [-1, 0], [RIGHT]: [0, 1], [DOWN]: [1, 0], [LEFT]: [0, -1] };

export interface CliffWalkingKwargs {
  /** Move perpendicular to the intended direction with probability 1/3 each. Default false. */
  isSlippery?: boolean;
  renderMode?: 'ansi' | null;
}

export const CLIFF_WALKING_KWARGS = { isSlippery: is.boolean, renderMode: is.renderMode('ansi') } as const;

/**
 * Cliff walking, ported from Gymnasium 1.x `gymnasium/envs/toy_text/cliffwalking.py`
 * (CliffWalking-v1).
 *
 * ## Description
 * Cross a gridworld from start to goal while avoiding falling off a cliff. The game starts at
 * [3, 0] of the 4x12 grid with the goal at [3, 11]. A cliff runs along [3, 1..10]; moving into it
 * returns the player to the start. Adapted from Example 6.6 of Sutton & Barto (2020).
 *
 * ## Action Space
 * `Discrete(4)`: 0 move up, 1 move right, 2 move down, 3 move left.
 *
 * ## Observation Space
 * `Discrete(48)`: `row * 12 + col` (a number). Only 3·12 + 1 states are reachable (not the cliff,
 * and the goal ends the episode).
 *
 * | Observation | Meaning          | Min | Max |
 * |-------------|------------------|-----|-----|
 * | s           | `row * 12 + col` | 0   | 47  |
 *
 * ## Rewards
 * −1 per step; stepping into the cliff gives −100 and sends the player back to the start
 * (state 36) without ending the episode.
 *
 * ## Starting State
 * State 36 (location [3, 0]).
 *
 * ## Episode End
 * Termination when the player enters state 47 (location [3, 11]). No time limit is registered.
 *
 * `env.unwrapped.P[s][a] = [[prob, nextState, reward, terminated], ...]`; `info.prob` is the
 * probability of the sampled transition. Slippery: the intended move and the two perpendicular
 * moves each with probability 1/3 (in the order left-turn, intended, right-turn).
 *
 * ## Arguments
 * `make('CliffWalking-v1', { isSlippery: false, renderMode: 'ansi' })`.
 *
 * ## Version History
 * - v1: Add slippery version of cliffwalking.
 * - v0: Initial version release.
 */
export class CliffWalkingEnv extends TransitionTableEnv {
  override metadata = { renderModes: ['ansi'] as string[], renderFps: 4 };
  readonly shape = [4, 12] as const;
  readonly startStateIndex = 3 * 12 + 0;
  /** The goal's state, [3, 11]: entering it ends the episode (what a renderer marks as the goal). */
  readonly goalStateIndex = 3 * 12 + 11;
  readonly nS = 48;
  readonly nA = 4;
  readonly isSlippery: boolean;
  /** `cliff[row][col]`. */
  readonly cliff: readonly (readonly boolean[])[];
  override readonly P: TransitionTable;
  override readonly initialStateDistrib: Float64Array;
  readonly observationSpace = new Discrete(48);
  readonly actionSpace = new Discrete(4);

  constructor(kwargs: CliffWalkingKwargs = {}) {
    super('CliffWalking', '0 up, 1 right, 2 down, 3 left');
    validateKwargs('CliffWalking', kwargs, CLIFF_WALKING_KWARGS);
    this.isSlippery = kwargs.isSlippery ?? false;
    this.renderMode = kwargs.renderMode ?? null;
    this.cliff = Array.from({ length: 4 }, (_, r) => Array.from({ length: 12 }, (_, c) => r === 3 && c >= 1 && c <= 10));
    const P: TransitionTable = [];
    for (let s = 0; s < this.nS; s++) {
      const position: [number, number] = [Math.floor(s / 12), s % 12];
      P[s] = [UP, RIGHT, DOWN, LEFT].map((a) => this.calculateTransitionProb(position, a));
    }
    this.P = P;
    this.initialStateDistrib = new Float64Array(this.nS);
    this.initialStateDistrib[this.startStateIndex] = 1.0;
  }

  private limitCoordinates(coord: [number, number]): [number, number] {
    coord[0] = Math.max(Math.min(coord[0], this.shape[0] - 1), 0);
    coord[1] = Math.max(Math.min(coord[1], this.shape[1] - 1), 0);
    return coord;
  }

  private calculateTransitionProb(current: readonly [number, number], move: number): Transition[] {
    const deltas = !this.isSlippery ? [POSITION_MAPPING[move]!] : [(move + 3) % 4, move, (move + 1) % 4].map((a) => POSITION_MAPPING[a]!);
    const outcomes: Transition[] = [];
    for (const delta of deltas) {
      const [r, c] = this.limitCoordinates([current[0] + delta[0], current[1] + delta[1]]);
      const newState = r * 12 + c;
      if (this.cliff[r]![c]) outcomes.push([1 / deltas.length, this.startStateIndex, -100, false]);
      else outcomes.push([1 / deltas.length, newState, -1, newState === this.goalStateIndex]);
    }
    return outcomes;
  }


  /** `'ansi'`: ` x ` for the player, ` T ` goal, ` C ` cliff, ` o ` elsewhere (Gymnasium's text render). */
  override render(): string | undefined {
    if (this.renderMode !== 'ansi') return undefined;
    let out = '';
    for (let s = 0; s < this.nS; s++) {
      const row = Math.floor(s / 12);
      const col = s % 12;
      let output: string;
      if (this.s === s) output = ' x ';
      else if (s === this.goalStateIndex) output = ' T ';
      else if (this.cliff[row]![col]) output = ' C ';
      else output = ' o ';
      if (col === 0) output = output.trimStart();
      if (col === 11) output = output.trimEnd() + '\n';
      out += output;
    }
    return out + '\n';
  }
}
