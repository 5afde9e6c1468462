import { BaseEnv, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';
import { InvalidAction, ResetNeeded } from '../errors.js';
import { Discrete } from '../spaces/fundamental.js';
import { describeValue } from '../../base/plainData.js';
import { is, validateKwargs } from '../utils/kwargs.js';
import { categoricalSample, colorize, sampleTransition, type Transition, type TransitionTable } from './utils.js';

/** The Taxi map (Gymnasium `MAP`). */
export const TAXI_MAP: readonly string[] = [
  '+---------+',
  '|R: | : :G|',
  '| : | : : |',
  '| : : : : |',
  '| | : | : |',
  '|Y| : |B: |',
  '+---------+',
];

const SOUTH = 0;
const NORTH = 1;
const EAST = 2;
const WEST = 3;
const PICKUP = 4;
const DROPOFF = 5;
const IN_TAXI = 4;

export interface TaxiKwargs {
  /** The cab moves in the intended direction with probability `rainyProbability`, else sideways. Default false. */
  isRainy?: boolean;
  /** Probability of the intended move when rainy. Default 0.8 (0.1 each sideways). */
  rainyProbability?: number;
  /** The passenger may change destination on the first move after pickup. Default false. */
  ficklePassenger?: boolean;
  /** Probability (drawn at reset) that the passenger is fickle this episode. Default 0.3. */
  fickleProbability?: number;
  renderMode?: 'ansi' | null;
}

export const TAXI_KWARGS = {
  isRainy: is.boolean,
  rainyProbability: is.probability,
  ficklePassenger: is.boolean,
  fickleProbability: is.probability,
  renderMode: is.renderMode('ansi'),
} as const;

/**
 * The Taxi Problem, ported from Gymnasium 1.x `gymnasium/envs/toy_text/taxi.py` (Taxi-v4).
 *
 * ## Description
 * Four designated pick-up and drop-off locations (Red, Green, Yellow, Blue) in a 5x5 grid. The
 * taxi starts at a random square and the passenger at one of the designated locations. Move to
 * the passenger, pick them up, drive to the destination and drop them off; the episode ends on a
 * successful drop-off (Dietterich, 2000, "Hierarchical Reinforcement Learning with the MAXQ Value
 * Function Decomposition").
 *
 *     +---------+
 *     |R: | : :G|
 *     | : | : : |
 *     | : : : : |
 *     | | : | : |
 *     |Y| : |B: |
 *     +---------+
 *
 * ## Action Space
 * `Discrete(6)`: 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 drop off.
 *
 * ## Observation Space
 * `Discrete(500)`: `((taxiRow * 5 + taxiCol) * 5 + passengerLocation) * 4 + destination`, with
 * passenger locations 0 Red, 1 Green, 2 Yellow, 3 Blue, 4 in taxi; destinations 0–3.
 *
 * | Component         | Min | Max |
 * |-------------------|-----|-----|
 * | taxi row          | 0   | 4   |
 * | taxi col          | 0   | 4   |
 * | passenger location| 0   | 4   |
 * | destination       | 0   | 3   |
 *
 * ## Rewards
 * −1 per step unless another reward is triggered; +20 delivering the passenger; −10 executing
 * "pickup" or "drop-off" illegally. Moving into a wall is a no-op costing −1; `info.actionMask`
 * (Int8Array of 6) marks the actions that change the state.
 *
 * ## Starting State
 * Uniform over the 300 states where the passenger is neither at the destination nor in the taxi.
 *
 * ## Episode End
 * - Termination: the taxi drops off the passenger at the destination.
 * - Truncation: episode length 200.
 *
 * `env.unwrapped.P[s][a] = [[prob, nextState, reward, terminated], ...]`; `info.prob` and
 * `info.actionMask` are returned by reset and step.
 *
 * ## Arguments
 * `make('Taxi-v4', { isRainy: false, rainyProbability: 0.8, ficklePassenger: false,
 * fickleProbability: 0.3, renderMode: 'ansi' })`. Rainy: a move that changes the position goes in
 * the intended direction with probability `rainyProbability`, else to either side
 * ((1 − p)/2 each; a blocked sideways move stays put); pickup and drop-off stay deterministic.
 * Fickle: with probability `fickleProbability` (drawn at reset) the passenger changes destination
 * (uniformly among the other three) on the first move after being picked up.
 *
 * ## Version History
 * - v4: fix `is_rainy=True` and `fickle_passenger=True`; add `rainy_probability` and
 *   `fickle_probability`.
 * - v3: Map Correction + Cleaner Domain Description; action masking (v0.25.0); `is_rainy`,
 *   `fickle_passenger` (1.2.0).
 * - v2: Disallow Taxi start location = goal location, update observations and reward threshold.
 * - v1: Remove (3,2) from locs, add passidx<4 check.
 * - v0: Initial version release.
 */
export class TaxiEnv extends BaseEnv<number, number> {
  override metadata = { renderModes: ['ansi'] as string[], renderFps: 4 };
  readonly desc = TAXI_MAP;
  readonly locs: readonly (readonly [number, number])[] = [
    [0, 0],
    [0, 4],
    [4, 0],
    [4, 3],
  ];
  readonly maxRow = 4;
  readonly maxCol = 4;
  readonly isRainy: boolean;
  readonly rainyProbability: number;
  readonly ficklePassenger: boolean;
  readonly fickleProbability: number;
  readonly P: TransitionTable;
  readonly initialStateDistrib: Float64Array;
  readonly observationSpace = new Discrete(500);
  readonly actionSpace = new Discrete(6);
  s: number | null = null;
  lastaction: number | null = null;
  /** Whether the passenger will change destination on the first move after pickup this episode. */
  fickleStep = false;

  constructor(kwargs: TaxiKwargs = {}) {
    super();
    validateKwargs('Taxi', kwargs, TAXI_KWARGS);
    this.isRainy = kwargs.isRainy ?? false;
    this.rainyProbability = kwargs.rainyProbability ?? 0.8;
    this.ficklePassenger = kwargs.ficklePassenger ?? false;
    this.fickleProbability = kwargs.fickleProbability ?? 0.3;
    this.renderMode = kwargs.renderMode ?? null;

    const numStates = 500;
    this.initialStateDistrib = new Float64Array(numStates);
    const P: TransitionTable = [];
    for (let row = 0; row < 5; row++) {
      for (let col = 0; col < 5; col++) {
        for (let passIdx = 0; passIdx < this.locs.length + 1; passIdx++) {
          for (let destIdx = 0; destIdx < this.locs.length; destIdx++) {
            const state = this.encode(row, col, passIdx, destIdx);
            if (passIdx < 4 && passIdx !== destIdx) this.initialStateDistrib[state]! += 1;
            const perAction: Transition[][] = [];
            for (let action = 0; action < 6; action++) perAction.push(this.buildTransitions(row, col, passIdx, destIdx, action));
            P[state] = perAction;
          }
        }
      }
    }
    let total = 0;
    for (const v of this.initialStateDistrib) total += v;
    for (let i = 0; i < numStates; i++) this.initialStateDistrib[i]! /= total;
    this.P = P;
  }

  /** Position after a move, staying put at the border or a wall (`|` between columns). */
  move(row: number, col: number, action: number): [number, number] {
    if (action === SOUTH) return [Math.min(row + 1, this.maxRow), col];
    if (action === NORTH) return [Math.max(row - 1, 0), col];
    if (action === EAST && this.desc[1 + row]![2 * col + 2] === ':') return [row, Math.min(col + 1, this.maxCol)];
    if (action === WEST && this.desc[1 + row]![2 * col] === ':') return [row, Math.max(col - 1, 0)];
    return [row, col];
  }

  private isLoc(row: number, col: number): number {
    return this.locs.findIndex(([r, c]) => r === row && c === col);
  }

  private buildTransitions(row: number, col: number, passIdx: number, destIdx: number, action: number): Transition[] {
    let newRow = row;
    let newCol = col;
    let newPassIdx = passIdx;
    let reward = -1; // default reward when there is no pickup/dropoff
    let terminated = false;
    const locIdx = this.isLoc(row, col);

    if (action <= WEST) [newRow, newCol] = this.move(row, col, action);
    else if (action === PICKUP) {
      if (passIdx < 4 && locIdx === passIdx) newPassIdx = IN_TAXI;
      else reward = -10; // passenger not at location
    } else if (action === DROPOFF) {
      if (locIdx === destIdx && passIdx === IN_TAXI) {
        newPassIdx = destIdx;
        terminated = true;
        reward = 20;
      } else if (locIdx >= 0 && passIdx === IN_TAXI) newPassIdx = locIdx;
      else reward = -10; // dropoff at wrong location
    }
    const newState = this.encode(newRow, newCol, newPassIdx, destIdx);
    if (this.isRainy && action <= WEST && (newRow !== row || newCol !== col)) {
      // Veering sideways is possible only when the intended move changes the position.
      const [left, right] = action === SOUTH ? [EAST, WEST] : action === NORTH ? [WEST, EAST] : action === EAST ? [NORTH, SOUTH] : [SOUTH, NORTH];
      const [lr, lc] = this.move(row, col, left);
      const [rr, rc] = this.move(row, col, right);
      const fail = (1 - this.rainyProbability) / 2;
      return [
        [this.rainyProbability, newState, -1, terminated],
        [fail, this.encode(lr, lc, newPassIdx, destIdx), -1, terminated],
        [fail, this.encode(rr, rc, newPassIdx, destIdx), -1, terminated],
      ];
    }
    return [[1.0, newState, reward, terminated]];
  }

  encode(taxiRow: number, taxiCol: number, passLoc: number, destIdx: number): number {
    return ((taxiRow * 5 + taxiCol) * 5 + passLoc) * 4 + destIdx;
  }

  /** `[taxiRow, taxiCol, passengerLocation, destination]`. */
  decode(i: number): [number, number, number, number] {
    const dest = i % 4;
    i = Math.floor(i / 4);
    const pass = i % 5;
    i = Math.floor(i / 5);
    const col = i % 5;
    const row = Math.floor(i / 5);
    return [row, col, pass, dest];
  }

  /** Gymnasium `action_mask`: 1 for the actions that change the state. */
  actionMask(state: number): Int8Array {
    const mask = new Int8Array(6);
    const [taxiRow, taxiCol, passLoc, destIdx] = this.decode(state);
    if (taxiRow < 4) mask[SOUTH] = 1;
    if (taxiRow > 0) mask[NORTH] = 1;
    if (taxiCol < 4 && this.desc[taxiRow + 1]![2 * taxiCol + 2] === ':') mask[EAST] = 1;
    if (taxiCol > 0 && this.desc[taxiRow + 1]![2 * taxiCol] === ':') mask[WEST] = 1;
    const loc = this.isLoc(taxiRow, taxiCol);
    if (passLoc < 4 && loc === passLoc) mask[PICKUP] = 1;
    if (passLoc === IN_TAXI && (loc === destIdx || loc >= 0)) mask[DROPOFF] = 1;
    return mask;
  }

  step(a: number): StepReturn<number> {
    if (!this.actionSpace.contains(a)) {
      throw new InvalidAction(`Taxi: action ${describeValue(a)} is not in the action space Discrete(6) (0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff)`);
    }
    if (this.s === null) throw new ResetNeeded('Taxi: call reset before using step method.');
    const [p, s0, r, t] = sampleTransition(this.P[this.s]![a]!, this.npRandom);
    let s = s0;
    this.lastaction = a;
    if (this.fickleStep) {
      const [prevRow, prevCol, prevPass, prevDest] = this.decode(this.s);
      const [row, col, pass] = this.decode(s);
      // The passenger is in the taxi and this step the taxi moved.
      if (prevPass === IN_TAXI && (row !== prevRow || col !== prevCol)) {
        this.fickleStep = false;
        const possible = [0, 1, 2, 3].filter((d) => d !== prevDest);
        s = this.encode(row, col, pass, this.npRandom.choice(possible));
      }
    }
    this.s = s;
    return [s, r, t, false, { prob: p, actionMask: this.actionMask(s) }];
  }

  reset(args: ResetArgs = {}): ResetReturn<number> {
    this.resetRng(args.seed);
    this.s = categoricalSample(this.initialStateDistrib, this.npRandom);
    this.lastaction = null;
    this.fickleStep = this.ficklePassenger && this.npRandom.random() < this.fickleProbability;
    return [this.s, { prob: 1.0, actionMask: this.actionMask(this.s) }];
  }

  /** `'ansi'`: Gymnasium's colored text map (taxi yellow, or green with the passenger; passenger blue; destination magenta). */
  override render(): string | undefined {
    if (this.renderMode !== 'ansi') return undefined;
    if (this.s === null) throw new ResetNeeded('Taxi: call reset before render.');
    const out = this.desc.map((line) => line.split(''));
    const [taxiRow, taxiCol, passIdx, destIdx] = this.decode(this.s);
    const ul = (x: string) => (x === ' ' ? '_' : x);
    if (passIdx < 4) {
      out[1 + taxiRow]![2 * taxiCol + 1] = colorize(out[1 + taxiRow]![2 * taxiCol + 1]!, 'yellow', false, true);
      const [pi, pj] = this.locs[passIdx]!;
      out[1 + pi]![2 * pj + 1] = colorize(out[1 + pi]![2 * pj + 1]!, 'blue', true);
    } else {
      out[1 + taxiRow]![2 * taxiCol + 1] = colorize(ul(out[1 + taxiRow]![2 * taxiCol + 1]!), 'green', false, true);
    }
    const [di, dj] = this.locs[destIdx]!;
    out[1 + di]![2 * dj + 1] = colorize(out[1 + di]![2 * dj + 1]!, 'magenta');
    let text = out.map((row) => row.join('')).join('\n') + '\n';
    text += this.lastaction !== null ? `  (${['South', 'North', 'East', 'West', 'Pickup', 'Dropoff'][this.lastaction]})\n` : '\n';
    return text;
  }
}
