/**
 * An example custom env: a small grid maze, written the way a user writes their own env. Importing
 * this module registers `GridMaze-v0`, so it works through
 * `await makeAsync('./dist/experiments/gridmaze.js:GridMaze-v0')` (a relative path, an absolute
 * path or a `file:` URL before the colon), through `make('GridMaze-v0')` once imported, and
 * through `register({ id, entryPoint: GridMazeEnv })` under another id.
 */
import {
  BaseEnv,
  Discrete,
  InvalidAction,
  ResetNeeded,
  kwargCheck,
  register,
  validateKwargs,
  type KwargCheck,
  type ResetArgs,
  type ResetReturn,
  type StepReturn,
  type Transition,
} from 'nnlab/envs';

/** The default 5x5 maze: S start, G goal, # wall, . floor. */
export const DEFAULT_MAZE: readonly string[] = ['S.#..', '.#..#', '...#.', '#.#..', '....G'];

const UP = 0;
const RIGHT = 1;
const DOWN = 2;
const LEFT = 3;
const MOVES: readonly (readonly [number, number])[] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

export interface GridMazeKwargs {
  /** Rows of the maze: 'S' start (exactly one), 'G' goal (at least one), '#' wall, '.' floor. */
  maze?: readonly string[];
  /** Probability of slipping to one of the two perpendicular moves (each half of it). Default 0. */
  slipProbability?: number;
  /** Reward per step that does not reach the goal. Default −0.01. */
  stepReward?: number;
  /** Reward for reaching the goal. Default 1. */
  goalReward?: number;
  renderMode?: 'ansi' | null;
}

const checkMaze: KwargCheck = (v) => {
  if (!Array.isArray(v) || v.length === 0 || !v.every((r) => typeof r === 'string' && r.length > 0)) return 'expected a non-empty array of non-empty strings';
  if (!v.every((r: string) => r.length === (v[0] as string).length)) return 'rows must have equal length';
  if (!v.every((r: string) => /^[SG#.]+$/.test(r))) return "cells must be 'S', 'G', '#' or '.'";
  const joined = v.join('');
  if ((joined.match(/S/g) ?? []).length !== 1) return "the maze needs exactly one start 'S'";
  if (!joined.includes('G')) return "the maze needs a goal 'G'";
  return undefined;
};

export const GRID_MAZE_KWARGS = {
  maze: checkMaze,
  slipProbability: kwargCheck.probability,
  stepReward: kwargCheck.finiteNumber,
  goalReward: kwargCheck.finiteNumber,
  renderMode: kwargCheck.renderMode('ansi'),
} as const;

/**
 * A grid maze: walk from the start to a goal around walls.
 *
 * ## Description
 * The agent moves on a grid of floor cells ('.'), from the start 'S' to a goal 'G'; walls ('#')
 * and the border block moves (the agent stays put). With `slipProbability` p the agent moves
 * perpendicular to the intended direction instead (p/2 each side).
 *
 * ## Action Space
 * `Discrete(4)`: 0 up, 1 right, 2 down, 3 left.
 *
 * ## Observation Space
 * `Discrete(rows·cols)`: the position `row * cols + col` (a number).
 *
 * | Observation | Meaning            | Min | Max           |
 * |-------------|--------------------|-----|---------------|
 * | s           | `row * cols + col` | 0   | rows·cols − 1 |
 *
 * ## Rewards
 * `stepReward` (−0.01) per step, `goalReward` (+1) for the step that reaches a goal.
 *
 * ## Starting State
 * The 'S' cell (state 0 on the default maze).
 *
 * ## Episode End
 * - Termination: the agent reaches a goal.
 * - Truncation: 100 steps (registered `maxEpisodeSteps`).
 *
 * `env.unwrapped.P[s][a] = [[prob, nextState, reward, terminated], ...]` as the toy-text envs.
 *
 * ## Arguments
 * `make('GridMaze-v0', { maze: [...], slipProbability: 0, stepReward: -0.01, goalReward: 1,
 * renderMode: 'ansi' })`.
 *
 * ## Version History
 * - v0: Initial version (nnlab example).
 */
export class GridMazeEnv extends BaseEnv<number, number> {
  override metadata = { renderModes: ['ansi'] as string[], renderFps: 4 };
  readonly maze: readonly string[];
  readonly rows: number;
  readonly cols: number;
  readonly startState: number;
  readonly P: Transition[][][];
  readonly observationSpace: Discrete;
  readonly actionSpace = new Discrete(4);
  s: number | null = null;

  constructor(kwargs: GridMazeKwargs = {}) {
    super();
    validateKwargs('GridMaze', kwargs, GRID_MAZE_KWARGS);
    this.maze = [...(kwargs.maze ?? DEFAULT_MAZE)];
    this.rows = this.maze.length;
    this.cols = this.maze[0]!.length;
    this.renderMode = kwargs.renderMode ?? null;
    const slip = kwargs.slipProbability ?? 0;
    const stepReward = kwargs.stepReward ?? -0.01;
    const goalReward = kwargs.goalReward ?? 1;
    const joined = this.maze.join('');
    this.startState = joined.indexOf('S');
    this.observationSpace = new Discrete(this.rows * this.cols);

    const cell = (r: number, c: number) => this.maze[r]![c]!;
    const moveFrom = (s: number, a: number): [number, number, boolean] => {
      const r = Math.floor(s / this.cols);
      const c = s % this.cols;
      const nr = r + MOVES[a]![0];
      const nc = c + MOVES[a]![1];
      const blocked = nr < 0 || nr >= this.rows || nc < 0 || nc >= this.cols || cell(nr, nc) === '#';
      const ns = blocked ? s : nr * this.cols + nc;
      const atGoal = joined[ns] === 'G';
      return [ns, atGoal ? goalReward : stepReward, atGoal];
    };
    this.P = [];
    for (let s = 0; s < this.rows * this.cols; s++) {
      const perAction: Transition[][] = [];
      for (let a = 0; a < 4; a++) {
        if (joined[s] === 'G' || joined[s] === '#') perAction.push([[1.0, s, 0, joined[s] === 'G']]);
        else if (slip === 0) perAction.push([[1.0, ...moveFrom(s, a)]]);
        else perAction.push([[1 - slip, ...moveFrom(s, a)], [slip / 2, ...moveFrom(s, (a + 3) % 4)], [slip / 2, ...moveFrom(s, (a + 1) % 4)]]);
      }
      this.P.push(perAction);
    }
  }

  reset(args: ResetArgs = {}): ResetReturn<number> {
    this.resetRng(args.seed);
    this.s = this.startState;
    return [this.s, {}];
  }

  step(action: number): StepReturn<number> {
    if (!this.actionSpace.contains(action)) throw new InvalidAction(`GridMaze: action ${String(action)} is not in Discrete(4) (0 up, 1 right, 2 down, 3 left)`);
    if (this.s === null) throw new ResetNeeded('GridMaze: call reset before step');
    const transitions = this.P[this.s]![action]!;
    let i = 0;
    if (transitions.length > 1) {
      const u = this.npRandom.random();
      let c = 0;
      for (i = 0; i < transitions.length - 1; i++) if ((c += transitions[i]![0]) > u) break;
    }
    const [prob, s, r, t] = transitions[i]!;
    this.s = s;
    return [s, r, t, false, { prob }];
  }

  override render(): string | undefined {
    if (this.renderMode !== 'ansi' || this.s === null) return undefined;
    const rows = this.maze.map((r) => r.split(''));
    rows[Math.floor(this.s / this.cols)]![this.s % this.cols] = 'A';
    return rows.map((r) => r.join('')).join('\n') + '\n';
  }
}

export { UP, RIGHT, DOWN, LEFT };

register({ id: 'GridMaze-v0', entryPoint: GridMazeEnv, maxEpisodeSteps: 100, rewardThreshold: 0.9 });
