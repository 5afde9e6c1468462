/**
 * Small copies of the environments' dynamics for the live policy view (the page imports nothing
 * of envs/: it only talks to the coordinator). Constants and equations are Gymnasium's
 * (classic_control/cartpole.py, mountain_car.py, acrobot.py, pendulum.py; toy_text), as in envs/;
 * resets use Math.random — this is a viewer, not a benchmark. Each sim also draws itself.
 */

export interface StepResult {
  obs: number[];
  reward: number;
  terminated: boolean;
}

export interface Sim {
  readonly id: string;
  readonly discrete: boolean;
  readonly obsDim: number;
  readonly maxSteps: number;
  /** Steps per second shown (Gymnasium's render_fps). */
  readonly fps: number;
  reset(): number[];
  step(action: number | number[]): StepResult;
  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void;
}

const uniform = (lo: number, hi: number) => lo + (hi - lo) * Math.random();
const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const wrap = (v: number) => ((((v + Math.PI) % (2 * Math.PI)) + 2 * Math.PI) % (2 * Math.PI)) - Math.PI;

function clear(ctx: CanvasRenderingContext2D, w: number, h: number): void {
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, w, h);
}

// ---- CartPole-v1 ------------------------------------------------------------------------------

export class CartPole implements Sim {
  readonly id = 'CartPole-v1';
  readonly discrete = true;
  readonly obsDim = 4;
  readonly maxSteps = 500;
  readonly fps = 50;
  static readonly gravity = 9.8;
  static readonly massCart = 1.0;
  static readonly massPole = 0.1;
  static readonly totalMass = CartPole.massCart + CartPole.massPole;
  /** Half the pole's length. */
  static readonly length = 0.5;
  static readonly poleMassLength = CartPole.massPole * CartPole.length;
  static readonly forceMag = 10.0;
  static readonly tau = 0.02;
  static readonly thetaThreshold = (12 * 2 * Math.PI) / 360;
  static readonly xThreshold = 2.4;
  x = 0;
  xDot = 0;
  theta = 0;
  thetaDot = 0;

  reset(): number[] {
    [this.x, this.xDot, this.theta, this.thetaDot] = [0, 0, 0, 0].map(() => uniform(-0.05, 0.05)) as [number, number, number, number];
    return [this.x, this.xDot, this.theta, this.thetaDot];
  }

  step(action: number | number[]): StepResult {
    const C = CartPole;
    const force = action === 1 ? C.forceMag : -C.forceMag;
    const cosTheta = Math.cos(this.theta);
    const sinTheta = Math.sin(this.theta);
    const temp = (force + C.poleMassLength * this.thetaDot ** 2 * sinTheta) / C.totalMass;
    const thetaAcc = (C.gravity * sinTheta - cosTheta * temp) / (C.length * (4 / 3 - (C.massPole * cosTheta ** 2) / C.totalMass));
    const xAcc = temp - (C.poleMassLength * thetaAcc * cosTheta) / C.totalMass;
    // explicit Euler, as Gymnasium's default kinematics_integrator
    this.x += C.tau * this.xDot;
    this.xDot += C.tau * xAcc;
    this.theta += C.tau * this.thetaDot;
    this.thetaDot += C.tau * thetaAcc;
    const terminated = Math.abs(this.x) > C.xThreshold || Math.abs(this.theta) > C.thetaThreshold;
    return { obs: [this.x, this.xDot, this.theta, this.thetaDot], reward: 1, terminated };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    clear(ctx, w, h);
    const scale = w / (2 * CartPole.xThreshold * 1.1);
    const trackY = h * 0.72;
    const cartX = w / 2 + this.x * scale;
    ctx.strokeStyle = '#999';
    ctx.beginPath();
    ctx.moveTo(0, trackY);
    ctx.lineTo(w, trackY);
    ctx.stroke();
    for (const edge of [-CartPole.xThreshold, CartPole.xThreshold]) {
      ctx.fillStyle = '#e88';
      ctx.fillRect(w / 2 + edge * scale - 1, trackY - 8, 2, 16);
    }
    const cartW = 50;
    const cartH = 30;
    ctx.fillStyle = '#333';
    ctx.fillRect(cartX - cartW / 2, trackY - cartH / 2, cartW, cartH);
    const poleLen = scale * 2 * CartPole.length;
    ctx.strokeStyle = '#ca9865';
    ctx.lineWidth = 9;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(cartX, trackY - cartH / 4);
    ctx.lineTo(cartX + poleLen * Math.sin(this.theta), trackY - cartH / 4 - poleLen * Math.cos(this.theta));
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = '#8184cb';
    ctx.beginPath();
    ctx.arc(cartX, trackY - cartH / 4, 4.5, 0, 2 * Math.PI);
    ctx.fill();
  }
}

// ---- MountainCar-v0 ---------------------------------------------------------------------------

export class MountainCar implements Sim {
  readonly id = 'MountainCar-v0';
  readonly discrete = true;
  readonly obsDim = 2;
  readonly maxSteps = 200;
  readonly fps = 30;
  static readonly minPosition = -1.2;
  static readonly maxPosition = 0.6;
  static readonly maxSpeed = 0.07;
  static readonly goalPosition = 0.5;
  static readonly force = 0.001;
  static readonly gravity = 0.0025;
  position = 0;
  velocity = 0;

  reset(): number[] {
    this.position = uniform(-0.6, -0.4);
    this.velocity = 0;
    return [this.position, this.velocity];
  }

  step(action: number | number[]): StepResult {
    const C = MountainCar;
    const a = action as number;
    this.velocity = clip(this.velocity + (a - 1) * C.force + Math.cos(3 * this.position) * -C.gravity, -C.maxSpeed, C.maxSpeed);
    this.position = clip(this.position + this.velocity, C.minPosition, C.maxPosition);
    if (this.position === C.minPosition && this.velocity < 0) this.velocity = 0;
    const terminated = this.position >= C.goalPosition && this.velocity >= 0;
    return { obs: [this.position, this.velocity], reward: -1, terminated };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    clear(ctx, w, h);
    const C = MountainCar;
    const height = (x: number) => Math.sin(3 * x) * 0.45 + 0.55;
    const sx = w / (C.maxPosition - C.minPosition);
    const sy = h * 0.8;
    const px = (x: number) => (x - C.minPosition) * sx;
    const py = (x: number) => h - 10 - height(x) * sy;
    ctx.strokeStyle = '#333';
    ctx.beginPath();
    for (let i = 0; i <= 100; i++) {
      const x = C.minPosition + ((C.maxPosition - C.minPosition) * i) / 100;
      if (i === 0) ctx.moveTo(px(x), py(x));
      else ctx.lineTo(px(x), py(x));
    }
    ctx.stroke();
    ctx.fillStyle = '#cc0';
    ctx.fillRect(px(C.goalPosition) - 1, py(C.goalPosition) - 30, 2, 30);
    ctx.fillRect(px(C.goalPosition), py(C.goalPosition) - 30, 16, 9);
    const angle = Math.atan(Math.cos(3 * this.position) * 0.45 * 3 * (sy / sx));
    ctx.save();
    ctx.translate(px(this.position), py(this.position));
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
  }
}

// ---- Acrobot-v1 ('book' dynamics, RK4 over dt) ------------------------------------------------

export class Acrobot implements Sim {
  readonly id = 'Acrobot-v1';
  readonly discrete = true;
  readonly obsDim = 6;
  readonly maxSteps = 500;
  readonly fps = 15;
  static readonly dt = 0.2;
  static readonly l1 = 1.0;
  static readonly m1 = 1.0;
  static readonly m2 = 1.0;
  static readonly lc1 = 0.5;
  static readonly lc2 = 0.5;
  static readonly moi = 1.0;
  static readonly maxVel1 = 4 * Math.PI;
  static readonly maxVel2 = 9 * Math.PI;
  static readonly torques = [-1, 0, 1];
  s = [0, 0, 0, 0];

  private obs(): number[] {
    const [t1, t2, d1, d2] = this.s as [number, number, number, number];
    return [Math.cos(t1), Math.sin(t1), Math.cos(t2), Math.sin(t2), d1, d2];
  }

  reset(): number[] {
    this.s = this.s.map(() => uniform(-0.1, 0.1));
    return this.obs();
  }

  /** ds/dt of (theta1, theta2, dtheta1, dtheta2) under torque a on the second joint. */
  static dsdt(s: number[], a: number): number[] {
    const { m1, m2, l1, lc1, lc2, moi: I1 } = Acrobot;
    const I2 = Acrobot.moi;
    const g = 9.8;
    const [theta1, theta2, dtheta1, dtheta2] = s as [number, number, number, number];
    const d1 = m1 * lc1 ** 2 + m2 * (l1 ** 2 + lc2 ** 2 + 2 * l1 * lc2 * Math.cos(theta2)) + I1 + I2;
    const d2 = m2 * (lc2 ** 2 + l1 * lc2 * Math.cos(theta2)) + I2;
    const phi2 = m2 * lc2 * g * Math.cos(theta1 + theta2 - Math.PI / 2);
    const phi1 = -m2 * l1 * lc2 * dtheta2 ** 2 * Math.sin(theta2) - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * Math.sin(theta2) + (m1 * lc1 + m2 * l1) * g * Math.cos(theta1 - Math.PI / 2) + phi2;
    const ddtheta2 = (a + (d2 / d1) * phi1 - m2 * l1 * lc2 * dtheta1 ** 2 * Math.sin(theta2) - phi2) / (m2 * lc2 ** 2 + I2 - d2 ** 2 / d1);
    const ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    return [dtheta1, dtheta2, ddtheta1, ddtheta2];
  }

  step(action: number | number[]): StepResult {
    const a = Acrobot.torques[action as number] ?? 0;
    const dt = Acrobot.dt;
    const add = (s: number[], k: number[], h: number) => s.map((v, i) => v + h * k[i]!);
    // one classical Runge–Kutta step over [0, dt], as Gymnasium's rk4
    const k1 = Acrobot.dsdt(this.s, a);
    const k2 = Acrobot.dsdt(add(this.s, k1, dt / 2), a);
    const k3 = Acrobot.dsdt(add(this.s, k2, dt / 2), a);
    const k4 = Acrobot.dsdt(add(this.s, k3, dt), a);
    const ns = this.s.map((v, i) => v + (dt / 6) * (k1[i]! + 2 * k2[i]! + 2 * k3[i]! + k4[i]!));
    this.s = [wrap(ns[0]!), wrap(ns[1]!), clip(ns[2]!, -Acrobot.maxVel1, Acrobot.maxVel1), clip(ns[3]!, -Acrobot.maxVel2, Acrobot.maxVel2)];
    const terminated = -Math.cos(this.s[0]!) - Math.cos(this.s[1]! + this.s[0]!) > 1.0;
    return { obs: this.obs(), reward: terminated ? 0 : -1, terminated };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    clear(ctx, w, h);
    const scale = Math.min(w, h) / 4.6;
    const cx = w / 2;
    const cy = h / 2;
    const [t1, t2] = this.s as [number, number];
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
  }
}

// ---- Pendulum-v1 (Box action: the torque) -----------------------------------------------------

export class Pendulum implements Sim {
  readonly id = 'Pendulum-v1';
  readonly discrete = false;
  readonly obsDim = 3;
  readonly maxSteps = 200;
  readonly fps = 30;
  static readonly maxSpeed = 8;
  static readonly maxTorque = 2;
  static readonly dt = 0.05;
  static readonly g = 10;
  static readonly m = 1;
  static readonly l = 1;
  th = 0;
  thDot = 0;
  lastU = 0;

  reset(): number[] {
    this.th = uniform(-Math.PI, Math.PI);
    this.thDot = uniform(-1, 1);
    return [Math.cos(this.th), Math.sin(this.th), this.thDot];
  }

  step(action: number | number[]): StepResult {
    const P = Pendulum;
    const u = clip(Array.isArray(action) ? action[0]! : action, -P.maxTorque, P.maxTorque);
    this.lastU = u;
    const costs = wrap(this.th) ** 2 + 0.1 * this.thDot ** 2 + 0.001 * u ** 2;
    const newThDot = clip(this.thDot + ((3 * P.g) / (2 * P.l)) * Math.sin(this.th) * P.dt + (3 / (P.m * P.l ** 2)) * u * P.dt, -P.maxSpeed, P.maxSpeed);
    this.th += newThDot * P.dt;
    this.thDot = newThDot;
    return { obs: [Math.cos(this.th), Math.sin(this.th), this.thDot], reward: -costs, terminated: false };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    clear(ctx, w, h);
    const cx = w / 2;
    const cy = h / 2;
    const r = Math.min(w, h) * 0.38;
    ctx.strokeStyle = '#cc4c4c';
    ctx.lineWidth = 14;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(cx, cy);
    ctx.lineTo(cx + r * Math.sin(this.th), cy - r * Math.cos(this.th));
    ctx.stroke();
    ctx.lineWidth = 2;
    ctx.strokeStyle = '#333';
    ctx.beginPath();
    ctx.arc(cx, cy, 22, -Math.PI / 2, -Math.PI / 2 + (this.lastU / Pendulum.maxTorque) * Math.PI * 0.9, this.lastU < 0);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = '#000';
    ctx.beginPath();
    ctx.arc(cx, cy, 4, 0, 2 * Math.PI);
    ctx.fill();
  }
}

// ---- toy text: grids drawn as tiles (deterministic moves: the viewer does not know the kwargs) --

const FROZEN_LAKE_4 = ['SFFF', 'FHFH', 'FFFH', 'HFFG'];
const FROZEN_LAKE_8 = ['SFFFFFFF', 'FFFFFFFF', 'FFFHFFFF', 'FFFFFHFF', 'FFFHFFFF', 'FHHFFFHF', 'FHFFHFHF', 'FFFHFFFG'];
const CLIFF = ['............', '............', '............', 'SCCCCCCCCCCG'];
const TILE_COLOURS: Record<string, string> = { S: '#cfe8ff', F: '#e8f4fb', H: '#1d3557', G: '#8fd694', C: '#8b5a2b', '.': '#f4f4f4' };

const LAKE_MOVES: [number, number][] = [
  [0, -1],
  [1, 0],
  [0, 1],
  [-1, 0],
];
const CLIFF_MOVES: [number, number][] = [
  [-1, 0],
  [0, 1],
  [1, 0],
  [0, -1],
];

/** FrozenLake and CliffWalking: obs = row * cols + col. */
export class GridWorld implements Sim {
  readonly discrete = true;
  readonly obsDim = 1;
  readonly fps = 4;
  readonly rows: number;
  readonly cols: number;
  state = 0;

  constructor(
    readonly id: string,
    readonly map: string[],
    readonly maxSteps: number,
  ) {
    this.rows = map.length;
    this.cols = map[0]!.length;
  }

  private start(): number {
    const flat = this.map.join('');
    return flat.indexOf('S');
  }

  reset(): number[] {
    this.state = this.start();
    return [this.state];
  }

  step(action: number | number[]): StepResult {
    let r = Math.floor(this.state / this.cols);
    let c = this.state % this.cols;
    // FrozenLake: 0 left, 1 down, 2 right, 3 up; CliffWalking: 0 up, 1 right, 2 down, 3 left
    const [dr, dc] = (this.id.startsWith('CliffWalking') ? CLIFF_MOVES : LAKE_MOVES)[action as number] ?? [0, 0];
    r = clip(r + dr, 0, this.rows - 1);
    c = clip(c + dc, 0, this.cols - 1);
    this.state = r * this.cols + c;
    const tile = this.map[r]![c]!;
    if (this.id.startsWith('CliffWalking')) {
      if (tile === 'C') {
        this.state = this.start();
        return { obs: [this.state], reward: -100, terminated: false };
      }
      return { obs: [this.state], reward: -1, terminated: tile === 'G' };
    }
    return { obs: [this.state], reward: tile === 'G' ? 1 : 0, terminated: tile === 'G' || tile === 'H' };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    clear(ctx, w, h);
    drawTiles(ctx, w, h, this.map, (r, c) => r * this.cols + c === this.state);
  }
}

function drawTiles(ctx: CanvasRenderingContext2D, w: number, h: number, map: string[], agentAt: (r: number, c: number) => boolean, label?: (r: number, c: number) => string | undefined): { size: number; ox: number; oy: number } {
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

/** Taxi-v4: obs = ((taxiRow * 5 + taxiCol) * 5 + passenger) * 4 + destination. */
export class Taxi implements Sim {
  readonly id = 'Taxi-v4';
  readonly discrete = true;
  readonly obsDim = 1;
  readonly maxSteps = 200;
  readonly fps = 4;
  static readonly map = ['+---------+', '|R: | : :G|', '| : | : : |', '| : : : : |', '| | : | : |', '|Y| : |B: |', '+---------+'];
  static readonly locs: [number, number][] = [
    [0, 0],
    [0, 4],
    [4, 0],
    [4, 3],
  ];
  row = 0;
  col = 0;
  passenger = 0;
  destination = 1;

  private encode(): number {
    return ((this.row * 5 + this.col) * 5 + this.passenger) * 4 + this.destination;
  }

  reset(): number[] {
    this.row = Math.floor(Math.random() * 5);
    this.col = Math.floor(Math.random() * 5);
    this.passenger = Math.floor(Math.random() * 4);
    do this.destination = Math.floor(Math.random() * 4);
    while (this.destination === this.passenger);
    return [this.encode()];
  }

  step(action: number | number[]): StepResult {
    const a = action as number;
    let reward = -1;
    let terminated = false;
    const m = Taxi.map;
    if (a === 0) this.row = Math.min(this.row + 1, 4);
    else if (a === 1) this.row = Math.max(this.row - 1, 0);
    else if (a === 2 && m[1 + this.row]![2 * this.col + 2] === ':') this.col = Math.min(this.col + 1, 4);
    else if (a === 3 && m[1 + this.row]![2 * this.col] === ':') this.col = Math.max(this.col - 1, 0);
    else if (a === 4) {
      const at = Taxi.locs.findIndex(([r, c]) => r === this.row && c === this.col);
      if (this.passenger < 4 && at === this.passenger) this.passenger = 4;
      else reward = -10;
    } else if (a === 5) {
      const at = Taxi.locs.findIndex(([r, c]) => r === this.row && c === this.col);
      if (this.passenger === 4 && at === this.destination) {
        this.passenger = at;
        terminated = true;
        reward = 20;
      } else if (this.passenger === 4 && at >= 0) this.passenger = at;
      else reward = -10;
    }
    return { obs: [this.encode()], reward, terminated };
  }

  draw(ctx: CanvasRenderingContext2D, w: number, h: number): void {
    clear(ctx, w, h);
    const grid = ['.....', '.....', '.....', '.....', '.....'];
    const names = ['R', 'G', 'Y', 'B'];
    const { size, ox, oy } = drawTiles(ctx, w, h, grid, (r, c) => r === this.row && c === this.col, (r, c) => {
      const i = Taxi.locs.findIndex(([lr, lc]) => lr === r && lc === c);
      if (i < 0) return undefined;
      return names[i]! + (i === this.passenger ? '·p' : '') + (i === this.destination ? '·d' : '');
    });
    // walls: a '|' between columns in the map
    ctx.strokeStyle = '#333';
    ctx.lineWidth = 3;
    for (let r = 0; r < 5; r++) {
      for (let c = 0; c < 4; c++) {
        if (Taxi.map[1 + r]![2 * c + 2] === '|') {
          ctx.beginPath();
          ctx.moveTo(ox + (c + 1) * size, oy + r * size);
          ctx.lineTo(ox + (c + 1) * size, oy + (r + 1) * size);
          ctx.stroke();
        }
      }
    }
    ctx.lineWidth = 1;
    if (this.passenger === 4) {
      ctx.fillStyle = '#ffd166';
      ctx.beginPath();
      ctx.arc(ox + (this.col + 0.5) * size, oy + (this.row + 0.5) * size, size * 0.12, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/** The viewer's copy of an env, or undefined when the page cannot draw it. */
export function makeSim(id: string | undefined): Sim | undefined {
  switch (id) {
    case 'CartPole-v1':
      return new CartPole();
    case 'MountainCar-v0':
      return new MountainCar();
    case 'Acrobot-v1':
      return new Acrobot();
    case 'Pendulum-v1':
      return new Pendulum();
    case 'FrozenLake-v1':
      return new GridWorld(id, FROZEN_LAKE_4, 100);
    case 'FrozenLake8x8-v1':
      return new GridWorld(id, FROZEN_LAKE_8, 200);
    case 'CliffWalking-v1':
      return new GridWorld(id, CLIFF, 200);
    case 'Taxi-v4':
      return new Taxi();
    default:
      return undefined;
  }
}
