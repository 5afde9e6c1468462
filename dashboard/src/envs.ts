/**
 * The live policy view's envs: the run's own environments from envs/ (bundled into the page),
 * made with the run's id and kwargs (`make(id, kwargs)`), so the page steps exactly what the run
 * steps: FrozenLake's slipperiness, a custom map, Taxi's rain, and the registered time limit
 * (`TimeLimit`: truncation where the env has one, none where it has not, as CliffWalking-v1).
 * Resets draw their seed from entropy: this is a viewer, not a benchmark. This module adds only the
 * drawing: each env is drawn from its observation (and its map, for the grid worlds).
 */
import { AcrobotEnv, angleNormalize, batchDim, Box, CartPoleEnv, CliffWalkingEnv, Discrete, FrozenLakeEnv, make, MountainCarEnv, PendulumEnv, TaxiEnv, type Env } from '../../envs/index.js';

export interface StepResult {
  obs: number[];
  reward: number;
  /** The MDP ended (a hole, the goal, the pole fell). */
  terminated: boolean;
  /** The env's time limit ended the episode. */
  truncated: boolean;
}

export interface Sim {
  readonly id: string;
  readonly discrete: boolean;
  readonly obsDim: number;
  /** Steps per second shown (the env's renderFps, Gymnasium's render_fps). */
  readonly fps: number;
  /** The time limit the env applies (its registration's maxEpisodeSteps), or null for none. */
  readonly maxEpisodeSteps: number | null;
  reset(): number[];
  step(action: number | number[]): StepResult;
  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void;
  /** Releases the env. */
  close(): void;
}

/** Draws an env's current frame from its last observation and action. */
type Painter = (ctx: CanvasRenderingContext2D, w: number, h: number, obs: readonly number[], action: number | number[] | undefined) => void;

function clear(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
}

/** A number or typed array observation as a plain array. */
function toArray(obs: unknown): number[] {
  if (typeof obs === 'number') return [obs];
  if (obs instanceof Float32Array || obs instanceof Float64Array || obs instanceof Int32Array || obs instanceof Int8Array || obs instanceof Uint8Array) return Array.from(obs);
  throw new Error(`the page cannot show observations of this kind (${typeof obs})`);
}

/** A registered env stepped for the page (see the module doc). */
class LiveEnv implements Sim {
  readonly discrete: boolean;
  readonly obsDim: number;
  readonly fps: number;
  readonly maxEpisodeSteps: number | null;
  private obs: number[] = [];
  private action: number | number[] | undefined;

  constructor(
    readonly id: string,
    private readonly env: Env<unknown, unknown>,
    private readonly paint: Painter,
  ) {
    const { actionSpace, observationSpace } = env;
    if (!(actionSpace instanceof Discrete) && !(actionSpace instanceof Box)) throw new Error(`${id}: the page runs Discrete or Box actions only`);
    this.discrete = actionSpace instanceof Discrete;
    if (!(observationSpace instanceof Discrete) && !(observationSpace instanceof Box)) throw new Error(`${id}: the page shows Discrete or Box observations only`);
    this.obsDim = batchDim(observationSpace);
    this.fps = env.metadata?.renderFps ?? 30;
    this.maxEpisodeSteps = env.spec?.maxEpisodeSteps ?? null;
  }

  reset(): number[] {
    const [obs] = this.env.reset();
    this.obs = toArray(obs);
    this.action = undefined;
    return this.obs;
  }

  step(action: number | number[]): StepResult {
    const [obs, reward, terminated, truncated] = this.env.step(typeof action === 'number' ? action : Float32Array.from(action));
    this.obs = toArray(obs);
    this.action = action;
    return { obs: this.obs, reward, terminated, truncated };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    this.paint(ctx, w, h, this.obs, this.action);
  }

  close(): void {
    this.env.close();
  }
}

/**
 * The page's live copy of the run's env: `make(id, kwargs)` from envs/. Throws with the reason when
 * the id is not registered in the page (a custom env module) or the page cannot draw it.
 */
export function makeSim(id: string, kwargs: Record<string, unknown> = {}): Sim {
  const env = make(id, kwargs);
  const paint = painterFor(env.unwrapped);
  if (paint === undefined) {
    env.close();
    throw new Error(`the page has no drawing for ${id}`);
  }
  return new LiveEnv(id, env, paint);
}

function painterFor(env: Env<unknown, unknown>): Painter | undefined {
  if (env instanceof CartPoleEnv) return cartPole(env);
  if (env instanceof MountainCarEnv) return mountainCar(env);
  if (env instanceof AcrobotEnv) return acrobot;
  if (env instanceof PendulumEnv) return pendulum(env);
  if (env instanceof FrozenLakeEnv) return grid(env.desc);
  if (env instanceof CliffWalkingEnv) return grid(cliffMap(env));
  if (env instanceof TaxiEnv) return taxi(env);
  return undefined;
}

// ---- classic control ---------------------------------------------------------------------------

function cartPole(env: CartPoleEnv): Painter {
  return (ctx, w, h, obs) => {
    clear(ctx, w, h);
    const [x = 0, , theta = 0] = obs;
    const scale = w / (2 * env.xThreshold * 1.1);
    const trackY = h * 0.72;
    const cartX = w / 2 + x * scale;
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(0, trackY);
    ctx.lineTo(w, trackY);
    ctx.stroke();
    for (const edge of [-env.xThreshold, env.xThreshold]) {
      ctx.fillStyle = '#e88';
      ctx.fillRect(w / 2 + edge * scale - 1, trackY - 8, 2, 16);
    }
    const cartW = 50;
    const cartH = 30;
    ctx.fillStyle = '#333';
    ctx.fillRect(cartX - cartW / 2, trackY - cartH / 2, cartW, cartH);
    const poleLen = scale * 2 * env.length;
    ctx.strokeStyle = '#ca9865';
    ctx.lineWidth = 9;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(cartX, trackY - cartH / 4);
    ctx.lineTo(cartX + poleLen * Math.sin(theta), trackY - cartH / 4 - poleLen * Math.cos(theta));
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = '#8184cb';
    ctx.beginPath();
    ctx.arc(cartX, trackY - cartH / 4, 4.5, 0, 2 * Math.PI);
    ctx.fill();
  };
}

function mountainCar(env: MountainCarEnv): Painter {
  return (ctx, w, h, obs) => {
    clear(ctx, w, h);
    const [position = env.minPosition] = obs;
    const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
    const sx = w / (env.maxPosition - env.minPosition);
    const sy = h * 0.8;
    const px = (x: number) => (x - env.minPosition) * sx;
    const py = (x: number) => h - 10 - height(x) * sy;
    ctx.strokeStyle = '#333';
    ctx.beginPath();
    for (let i = 0; i <= 100; i++) {
      const x = env.minPosition + ((env.maxPosition - env.minPosition) * i) / 100;
      if (i === 0) ctx.moveTo(px(x), py(x));
      else ctx.lineTo(px(x), py(x));
    }
    ctx.stroke();
    ctx.fillStyle = '#cc0';
    ctx.fillRect(px(env.goalPosition) - 1, py(env.goalPosition) - 30, 2, 30);
    ctx.fillRect(px(env.goalPosition), py(env.goalPosition) - 30, 16, 9);
    const angle = Math.atan(Math.cos(3 * position) * 0.45 * 3 * (sy / sx));
    ctx.save();
    ctx.translate(px(position), py(position));
    ctx.rotate(-angle);
    ctx.fillStyle = '#333';
    ctx.fillRect(-20, -22, 40, 16);
    ctx.fillStyle = '#777';
    for (const wx of [-12, 12]) {
      ctx.beginPath();
      ctx.arc(wx, -5, 5, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.restore();
  };
}

/** Acrobot: obs = [cos θ1, sin θ1, cos θ2, sin θ2, θ1', θ2']. */
const acrobot: Painter = (ctx, w, h, obs) => {
  clear(ctx, w, h);
  const [c1 = 1, s1 = 0, c2 = 1, s2 = 0] = obs;
  const t1 = Math.atan2(s1, c1);
  const t2 = Math.atan2(s2, c2);
  const scale = Math.min(w, h) / 4.6;
  const cx = w / 2;
  const cy = h / 2;
  const p1 = [cx + scale * Math.sin(t1), cy + scale * Math.cos(t1)] as const;
  const p2 = [p1[0] + scale * Math.sin(t1 + t2), p1[1] + scale * Math.cos(t1 + t2)] as const;
  ctx.strokeStyle = '#aaa';
  ctx.beginPath();
  ctx.moveTo(cx - scale * 2.2, cy - scale);
  ctx.lineTo(cx + scale * 2.2, cy - scale);
  ctx.stroke();
  ctx.strokeStyle = '#008080';
  ctx.lineWidth = 8;
  ctx.lineCap = 'round';
  ctx.beginPath();
  ctx.moveTo(cx, cy);
  ctx.lineTo(p1[0], p1[1]);
  ctx.lineTo(p2[0], p2[1]);
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.fillStyle = '#cc0';
  for (const [x, y] of [[cx, cy], p1]) {
    ctx.beginPath();
    ctx.arc(x!, y!, 5, 0, 2 * Math.PI);
    ctx.fill();
  }
};

/** Pendulum: obs = [cos θ, sin θ, θ']; the arc shows the last torque. */
function pendulum(env: PendulumEnv): Painter {
  return (ctx, w, h, obs, action) => {
    clear(ctx, w, h);
    const [c = 1, s = 0] = obs;
    const th = angleNormalize(Math.atan2(s, c));
    const raw = action === undefined ? 0 : typeof action === 'number' ? action : (action[0] ?? 0);
    const u = Math.min(env.maxTorque, Math.max(-env.maxTorque, raw));
    const cx = w / 2;
    const cy = h / 2;
    const r = Math.min(w, h) * 0.38;
    ctx.strokeStyle = '#cc4c4c';
    ctx.lineWidth = 14;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(cx, cy);
    ctx.lineTo(cx + r * Math.sin(th), cy - r * Math.cos(th));
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.strokeStyle = '#333';
    ctx.beginPath();
    ctx.arc(cx, cy, 22, -Math.PI / 2, -Math.PI / 2 + (u / env.maxTorque) * Math.PI * 0.9, u < 0);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.arc(cx, cy, 4, 0, 2 * Math.PI);
    ctx.fill();
  };
}

// ---- toy text: grids drawn as tiles ------------------------------------------------------------

const TILE_COLOURS: Record<string, string> = { S: '#cfe8ff', F: '#e8f4fb', H: '#1d3557', G: '#8fd694', C: '#8b5a2b', '.': '#f4f4f4' };

/** FrozenLake (the env's own map: named, custom or random) and CliffWalking: obs = row * cols + col. */
function grid(map: readonly string[]): Painter {
  const cols = map[0]?.length ?? 1;
  return (ctx, w, h, obs) => {
    clear(ctx, w, h);
    drawTiles(ctx, w, h, map, (r, c) => r * cols + c === obs[0]);
  };
}

/** CliffWalking's grid as tiles: the cliff, the start and the goal, where the env says they are. */
function cliffMap(env: CliffWalkingEnv): string[] {
  const cols = env.shape[1];
  return env.cliff.map((row, r) => row.map((isCliff, c) => (isCliff ? 'C' : r * cols + c === env.startStateIndex ? 'S' : r * cols + c === env.goalStateIndex ? 'G' : '.')).join(''));
}

function drawTiles(ctx: CanvasRenderingContext2D, w: number, h: number, map: readonly string[], agentAt: (r: number, c: number) => boolean, label?: (r: number, c: number) => string | undefined): { size: number; ox: number; oy: number } {
  const rows = map.length;
  const cols = map[0]!.length;
  const size = Math.floor(Math.min((w - 10) / cols, (h - 10) / rows));
  const ox = (w - size * cols) / 2;
  const oy = (h - size * rows) / 2;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = map[r]![c]!;
      ctx.fillStyle = TILE_COLOURS[t] ?? '#eee';
      ctx.fillRect(ox + c * size, oy + r * size, size, size);
      ctx.strokeStyle = '#fff';
      ctx.strokeRect(ox + c * size, oy + r * size, size, size);
      const text = label?.(r, c);
      if (text !== undefined) {
        ctx.fillStyle = '#333';
        ctx.font = `${Math.floor(size * 0.4)}px sans-serif`;
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(text, ox + (c + 0.5) * size, oy + (r + 0.5) * size);
      }
      if (agentAt(r, c)) {
        ctx.fillStyle = '#e63946';
        ctx.beginPath();
        ctx.arc(ox + (c + 0.5) * size, oy + (r + 0.5) * size, size * 0.3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }
  return { size, ox, oy };
}

/** Taxi: the state as the env decodes it (taxi's row and column, passenger, destination); walls from the env's map. */
function taxi(env: TaxiEnv): Painter {
  const names = ['R', 'G', 'Y', 'B'];
  const rows = env.maxRow + 1;
  const cols = env.maxCol + 1;
  const blank = Array.from({ length: rows }, () => '.'.repeat(cols));
  return (ctx, w, h, obs) => {
    clear(ctx, w, h);
    const [row, col, passenger, destination] = env.decode(obs[0] ?? 0);
    const { size, ox, oy } = drawTiles(ctx, w, h, blank, (r, c) => r === row && c === col, (r, c) => {
      const i = env.locs.findIndex(([lr, lc]) => lr === r && lc === c);
      if (i < 0) return undefined;
      return names[i]! + (i === passenger ? '·p' : '') + (i === destination ? '·d' : '');
    });
    // walls: a '|' between columns in the map
    ctx.strokeStyle = '#333';
    ctx.lineWidth = 3;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols - 1; c++) {
        if (env.desc[1 + r]![2 * c + 2] === '|') {
          ctx.beginPath();
          ctx.moveTo(ox + (c + 1) * size, oy + r * size);
          ctx.lineTo(ox + (c + 1) * size, oy + (r + 1) * size);
          ctx.stroke();
        }
      }
    }
    ctx.lineWidth = 1;
    if (passenger === 4) {
      ctx.fillStyle = '#ffd166';
      ctx.beginPath();
      ctx.arc(ox + (col + 0.5) * size, oy + (row + 0.5) * size, size * 0.12, 0, 2 * Math.PI);
      ctx.fill();
    }
  };
}
