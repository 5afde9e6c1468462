/**
 * The live policy view: the latest streamed parameters drive the page's copy of the env, one
 * greedy action per step at the env's own frame rate, drawn on a canvas. The canvas carries what
 * the tests read: data-version (parameters in use), data-steps, data-episodes, data-backend.
 */
import { makeSim, type Sim } from './envs.js';
import { Policy, initTf, numTensors } from './policy.js';
import type { ParamsMessage } from './types.js';
import { metricText } from './views.js';
import { errorMessage } from '../../base/plainData.js';

export class PolicyView {
  private sim: Sim | undefined;
  private envId: string | undefined;
  /** id and kwargs of the env in use, to notice a change. */
  private envKey: string | undefined;
  /** Why the page has no live copy of the run's env (e.g. a custom env module). */
  private simError = '';
  private envKnown = false;
  private policy: Policy | undefined;
  private version = 0;
  private obs: number[] = [];
  private steps = 0;
  private episodes = 0;
  private episodeReturn = 0;
  private episodeSteps = 0;
  private lastReturn: number | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private backend = '';
  private error = '';

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly caption: HTMLElement,
  ) {
    void initTf().then(
      (b) => {
        this.backend = b;
        canvas.dataset.backend = b;
        this.describe();
      },
      (e: unknown) => {
        this.error = `tfjs failed to start: ${errorMessage(e)}`;
        this.describe();
      },
    );
  }

  /** The run's env and its kwargs (from run_state): the page makes the same env (dashboard/src/envs.ts). */
  setEnv(id: string | undefined, kwargs: Record<string, unknown>): void {
    const first = !this.envKnown;
    this.envKnown = true;
    const key = id === undefined ? undefined : `${id} ${JSON.stringify(kwargs)}`;
    if (key === this.envKey && !first) return;
    this.envKey = key;
    this.envId = id;
    this.sim?.close();
    this.sim = undefined;
    this.simError = '';
    if (id !== undefined) {
      try {
        this.sim = makeSim(id, kwargs);
      } catch (e) {
        this.simError = errorMessage(e);
      }
    }
    this.restart();
  }

  setParams(m: ParamsMessage): void {
    let next: Policy;
    try {
      next = new Policy(m.params, m.activation);
    } catch (e) {
      this.error = `cannot run these parameters: ${errorMessage(e)}`;
      this.describe();
      return;
    }
    if (this.sim !== undefined && next.inDim !== this.sim.obsDim) {
      next.dispose();
      this.error = `the network takes ${next.inDim} inputs but ${this.sim.id} observations have ${this.sim.obsDim}`;
      this.describe();
      return;
    }
    this.policy?.dispose();
    this.policy = next;
    this.version = m.version;
    this.error = '';
    this.canvas.dataset.version = String(m.version);
    if (this.timer === undefined) this.restart();
  }

  private restart(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const sim = this.sim;
    if (sim === undefined) {
      const ctx = this.canvas.getContext('2d')!;
      ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
      this.describe();
      return;
    }
    this.obs = sim.reset();
    this.episodeReturn = 0;
    this.episodeSteps = 0;
    sim.draw(this.canvas.getContext('2d')!, this.canvas.width, this.canvas.height);
    this.describe();
    if (this.policy === undefined) return;
    this.timer = setInterval(() => this.tick(), 1000 / sim.fps);
  }

  private tick(): void {
    const sim = this.sim;
    const policy = this.policy;
    if (sim === undefined || policy === undefined) return;
    const a = policy.act(this.obs, sim.discrete);
    const r = sim.step('discrete' in a ? a.discrete : a.continuous);
    this.obs = r.obs;
    this.episodeReturn += r.reward;
    this.episodeSteps++;
    this.steps++;
    if (r.terminated || r.truncated) {
      this.episodes++;
      this.lastReturn = this.episodeReturn;
      this.obs = sim.reset();
      this.episodeReturn = 0;
      this.episodeSteps = 0;
    }
    sim.draw(this.canvas.getContext('2d')!, this.canvas.width, this.canvas.height);
    this.canvas.dataset.steps = String(this.steps);
    this.canvas.dataset.episodes = String(this.episodes);
    if (this.steps % 10 === 0) this.describe();
  }

  private describe(): void {
    let text: string;
    if (this.error !== '') text = this.error;
    else if (!this.envKnown) text = 'waiting for the run state…';
    else if (this.envId === undefined) text = 'this run has no env to show';
    else if (this.sim === undefined) text = `no live view for ${this.envId}${this.simError !== '' ? `: ${this.simError}` : ''}`;
    else if (this.policy === undefined) text = `${this.sim.id}: waiting for policy parameters…`;
    else {
      const what = this.policy.isTable ? 'greedy on the Q-table' : `greedy ${this.policy.net} network (${this.policy.inDim}→${this.policy.outDim}, ${this.policy.hidden})`;
      text = `${this.sim.id} · parameters v${this.version} · ${what} on tfjs ${this.backend || '…'} in this page · episode ${this.episodes + 1}, step ${this.episodeSteps}, return ${metricText(this.episodeReturn)} · last episode ${metricText(this.lastReturn)} · ${numTensors()} tensors`;
    }
    this.caption.textContent = text;
  }
}
