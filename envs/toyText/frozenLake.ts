import { InvalidArgument, ResetNeeded } from '../errors.js';
import { Discrete } from '../spaces/fundamental.js';
import { is, validateKwargs, type KwargCheck } from '../utils/kwargs.js';
import { TransitionTableEnv } from './transitionTableEnv.js';
import { colorize, type Transition, type TransitionTable } from './utils.js';
import { npRandom } from '../utils/npGenerator.js';

const LEFT = 0;
const DOWN = 1;
const RIGHT = 2;
const UP = 3;

/** The preloaded maps (Gymnasium `MAPS`). */
export const FROZEN_LAKE_MAPS: Readonly<Record<'4x4' | '8x8', readonly string[]>> = {
  '4x4': ['SFFF', 'FHFH', 'FFFH', 'HFFG'],
  '8x8': ['SFFFFFFF', 'FFFFFFFF', 'FFFHFFFF', 'FFFFFHFF', 'FFFHFFFF', 'FHHFFFHF', 'FHFFHFHF', 'FFFHFFFG'],
};

/** DFS: whether the goal is reachable from (0, 0) without stepping on a hole (Gymnasium `is_valid`). */
export function isValidMap(board: readonly string[], maxSize: number): boolean {
  const frontier: [number, number][] = [[0, 0]];
  const discovered = new Set<number>();
  while (frontier.length) {
    const [r, c] = frontier.pop()!;
    if (discovered.has(r * maxSize + c)) continue;
    discovered.add(r * maxSize + c);
    for (const [x, y] of [
      [1, 0],
      [0, 1],
      [-1, 0],
      [0, -1],
    ] as const) {
      const rn = r + x;
      const cn = c + y;
      if (rn < 0 || rn >= maxSize || cn < 0 || cn >= maxSize) continue;
      if (board[rn]![cn] === 'G') return true;
      if (board[rn]![cn] !== 'H') frontier.push([rn, cn]);
    }
  }
  return false;
}

/**
 * A random valid map (one with a path from start to goal), each tile frozen with probability p
 * (Gymnasium `generate_random_map`, draw for draw: `np_random.choice(['F', 'H'], (size, size),
 * p=[p, 1 − p])` from `seeding.np_random(seed)` until the map is valid).
 */
export function generateRandomMap(size = 8, p = 0.8, seed?: number | null): string[] {
  const [rng] = npRandom(seed, 'generateRandomMap');
  p = Math.min(1, p);
  const tiles = new Int32Array(size * size);
  for (;;) {
    rng.choicePFill([p, 1 - p], tiles);
    const board: string[][] = [];
    for (let r = 0; r < size; r++) board.push(Array.from(tiles.subarray(r * size, (r + 1) * size), (t) => (t === 0 ? 'F' : 'H')));
    board[0]![0] = 'S';
    board[size - 1]![size - 1] = 'G';
    const rows = board.map((r) => r.join(''));
    if (isValidMap(rows, size)) return rows;
  }
}

export interface FrozenLakeKwargs {
  /** Custom map, e.g. `['SFFF', 'FHFH', 'FFFH', 'HFFG']` (S start, F frozen, H hole, G goal). */
  desc?: readonly string[] | null;
  /** `'4x4'` (default) or `'8x8'`; used when `desc` is null; both null → random 8x8 map. */
  mapName?: '4x4' | '8x8' | null;
  /** Default true: move in the intended direction with probability `successRate`, else perpendicular. */
  isSlippery?: boolean;
  /** Probability of moving in the intended direction when slippery. Default 1/3. */
  successRate?: number;
  /** Rewards for reaching [goal, hole, frozen]. Default [1, 0, 0]. */
  rewardSchedule?: readonly [number, number, number];
  renderMode?: 'ansi' | null;
}

const checkDesc: KwargCheck = (v) => {
  if (v === null) return undefined;
  if (!Array.isArray(v) || v.length === 0 || !v.every((r) => typeof r === 'string')) return 'expected an array of strings';
  const w = (v[0] as string).length;
  if (w === 0 || !v.every((r: string) => r.length === w)) return 'rows must be non-empty and of equal length';
  if (!v.every((r: string) => /^[SFHG]+$/.test(r))) return "tiles must be one of 'S', 'F', 'H', 'G'";
  if (!v.some((r: string) => r.includes('S'))) return "the map needs a start tile 'S'";
  return undefined;
};

export const FROZEN_LAKE_KWARGS = {
  desc: checkDesc,
  mapName: is.oneOf('4x4', '8x8', null),
  isSlippery: is.boolean,
  successRate: is.probability,
  rewardSchedule: ((v) =>
    Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))
      ? undefined
      : 'expected three finite numbers [goal, hole, frozen]') satisfies KwargCheck,
  renderMode: is.renderMode('ansi'),
} as const;

/**
 * Frozen Lake, ported from Gymnasium 1.x `gymnasium/envs/toy_text/frozen_lake.py`
 * (FrozenLake-v1, FrozenLake8x8-v1).
 *
 * ## Description
 * Cross a frozen lake from start to goal without falling into any holes by walking over the
 * frozen lake. The player may not always move in the intended direction due to the slippery
 * nature of the frozen lake. The game starts at [0, 0]; the goal is at the far corner
 * (e.g. [3, 3] for 4x4).
 *
 * ## Action Space
 * `Discrete(4)`: 0 move left, 1 move down, 2 move right, 3 move up.
 *
 * ## Observation Space
 * `Discrete(nrow·ncol)`: the position `row * ncol + col` (a number).
 *
 * | Observation | Meaning                  | Min | Max             |
 * |-------------|--------------------------|-----|-----------------|
 * | s           | `row * ncol + col`       | 0   | nrow·ncol − 1   |
 *
 * ## Rewards
 * Reach goal: +1; reach hole: 0; reach frozen: 0 (`rewardSchedule` changes them).
 *
 * ## Starting State
 * The start tile 'S' (state 0 on the preloaded maps).
 *
 * ## Episode End
 * - Termination: the player moves into a hole, or reaches the goal.
 * - Truncation: 100 steps (4x4), 200 steps (FrozenLake8x8-v1).
 *
 * Transitions are in `env.unwrapped.P[s][a] = [[prob, nextState, reward, terminated], ...]`;
 * `info.prob` is the probability of the sampled transition. Slippery: the intended direction with
 * probability `successRate` (1/3), each perpendicular direction with `(1 − successRate)/2`
 * (Gymnasium computes `(1.0 − 1/3)/2 = 0.33333333333333337`). Hole and goal states are absorbing
 * (`[1.0, s, 0, true]`).
 *
 * ## Arguments
 * `make('FrozenLake-v1', { desc: null, mapName: '4x4', isSlippery: true, successRate: 1/3,
 * rewardSchedule: [1, 0, 0], renderMode: 'ansi' })`.
 *
 * ## Version History
 * - v1: Bug fixes to rewards (Gymnasium 1.x adds `success_rate` and `reward_schedule`).
 * - v0: Initial version release.
 */
export class FrozenLakeEnv extends TransitionTableEnv {
  override metadata = { renderModes: ['ansi'] as string[], renderFps: 4 };
  readonly desc: readonly string[];
  readonly nrow: number;
  readonly ncol: number;
  readonly rewardRange: readonly [number, number];
  override readonly initialStateDistrib: Float64Array;
  /** Transition table `P[s][a]`. */
  override readonly P: TransitionTable;
  readonly observationSpace: Discrete;
  readonly actionSpace = new Discrete(4);

  constructor(kwargs: FrozenLakeKwargs = {}) {
    super('FrozenLake', '0 left, 1 down, 2 right, 3 up');
    validateKwargs('FrozenLake', kwargs, FROZEN_LAKE_KWARGS);
    const mapName = kwargs.mapName === undefined ? '4x4' : kwargs.mapName;
    let desc = kwargs.desc ?? null;
    if (desc === null && mapName === null) desc = generateRandomMap();
    else if (desc === null) desc = FROZEN_LAKE_MAPS[mapName!];
    const isSlippery = kwargs.isSlippery ?? true;
    const successRate = kwargs.successRate ?? 1.0 / 3.0;
    const rewardSchedule = kwargs.rewardSchedule ?? [1, 0, 0];
    this.renderMode = kwargs.renderMode ?? null;

    this.desc = [...desc];
    const nrow = (this.nrow = desc.length);
    const ncol = (this.ncol = desc[0]!.length);
    this.rewardRange = [Math.min(...rewardSchedule), Math.max(...rewardSchedule)];
    const nA = 4;
    const nS = nrow * ncol;

    const distrib = new Float64Array(nS);
    let starts = 0;
    for (let r = 0; r < nrow; r++) for (let c = 0; c < ncol; c++) if (desc[r]![c] === 'S') (distrib[r * ncol + c] = 1), starts++;
    for (let i = 0; i < nS; i++) distrib[i]! /= starts;
    this.initialStateDistrib = distrib;

    const failRate = (1.0 - successRate) / 2.0;
    const toS = (row: number, col: number) => row * ncol + col;
    const inc = (row: number, col: number, a: number): [number, number] => {
      if (a === LEFT) col = Math.max(col - 1, 0);
      else if (a === DOWN) row = Math.min(row + 1, nrow - 1);
      else if (a === RIGHT) col = Math.min(col + 1, ncol - 1);
      else if (a === UP) row = Math.max(row - 1, 0);
      return [row, col];
    };
    const updateProbabilityMatrix = (row: number, col: number, action: number): [number, number, boolean] => {
      const [newRow, newCol] = inc(row, col, action);
      const newState = toS(newRow, newCol);
      const newLetter = desc![newRow]![newCol]!;
      const terminated = newLetter === 'G' || newLetter === 'H';
      const reward = rewardSchedule['GHF'.indexOf('GHF'.includes(newLetter) ? newLetter : 'F')]!;
      return [newState, reward, terminated];
    };

    const P: TransitionTable = [];
    for (let row = 0; row < nrow; row++) {
      for (let col = 0; col < ncol; col++) {
        const s = toS(row, col);
        const perAction: Transition[][] = [];
        for (let a = 0; a < nA; a++) {
          const li: Transition[] = [];
          const letter = desc[row]![col]!;
          if (letter === 'G' || letter === 'H') li.push([1.0, s, 0, true]);
          else if (isSlippery) {
            for (const b of [(a + 3) % 4, a, (a + 1) % 4]) li.push([b === a ? successRate : failRate, ...updateProbabilityMatrix(row, col, b)]);
          } else li.push([1.0, ...updateProbabilityMatrix(row, col, a)]);
          perAction.push(li);
        }
        P[s] = perAction;
      }
    }
    this.P = P;
    this.observationSpace = new Discrete(nS);
  }


  /** `'ansi'`: the map with the player's tile highlighted in red, preceded by the last action. */
  override render(): string | undefined {
    if (this.renderMode !== 'ansi') return undefined;
    if (this.s === null) throw new ResetNeeded('FrozenLake: call reset before render.');
    const row = Math.floor(this.s / this.ncol);
    const col = this.s % this.ncol;
    const lines = this.desc.map((line) => line.split(''));
    lines[row]![col] = colorize(lines[row]![col]!, 'red', false, true);
    let out = this.lastaction !== null ? `  (${['Left', 'Down', 'Right', 'Up'][this.lastaction]})\n` : '\n';
    out += lines.map((l) => l.join('')).join('\n') + '\n';
    return out;
  }
}

/** Throws when `desc` is not a valid FrozenLake map (exported for custom-map tooling). */
export function assertFrozenLakeDesc(desc: unknown): asserts desc is string[] {
  const problem = checkDesc(desc);
  if (problem !== undefined) throw new InvalidArgument(`FrozenLake desc: ${problem}`);
}
