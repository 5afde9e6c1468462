import { Wrapper, type Env, type Info, type ResetArgs, type ResetReturn, type StepReturn } from '../core.js';

/** Episode statistics added to `info.episode` at the end of an episode. */
export interface EpisodeStatistics {
  /** Cumulative reward. */
  r: number;
  /** Episode length (steps). */
  l: number;
  /** Elapsed wall-clock time in seconds since the episode started (6 decimals). */
  t: number;
}

/**
 * Gymnasium `RecordEpisodeStatistics`: when an episode ends (terminated or truncated) the step's
 * info gets `episode: { r, l, t }`; the last `bufferLength` returns, lengths and times are kept in
 * `returnQueue`, `lengthQueue`, `timeQueue`.
 */
export class RecordEpisodeStatistics<O = unknown, A = unknown> extends Wrapper<O, A> {
  episodeReturns = 0;
  episodeLengths = 0;
  episodeStartTime = 0;
  episodeCount = 0;
  readonly returnQueue: number[] = [];
  readonly lengthQueue: number[] = [];
  readonly timeQueue: number[] = [];

  constructor(
    env: Env<O, A>,
    readonly bufferLength = 100,
    readonly statsKey = 'episode',
  ) {
    super(env);
  }

  override step(action: A): StepReturn<O> {
    const [obs, reward, terminated, truncated, info] = this.env.step(action);
    this.episodeReturns += reward;
    this.episodeLengths += 1;
    if (terminated || truncated) {
      const t = Math.round((performance.now() - this.episodeStartTime) * 1e3) / 1e6;
      const stats: EpisodeStatistics = { r: this.episodeReturns, l: this.episodeLengths, t };
      if (this.statsKey in info) throw new Error(`RecordEpisodeStatistics: info already has a '${this.statsKey}' key`);
      const push = (q: number[], v: number) => {
        q.push(v);
        if (q.length > this.bufferLength) q.shift();
      };
      push(this.returnQueue, stats.r);
      push(this.lengthQueue, stats.l);
      push(this.timeQueue, stats.t);
      this.episodeCount += 1;
      this.episodeStartTime = performance.now();
      const withStats: Info = { ...info, [this.statsKey]: stats };
      return [obs, reward, terminated, truncated, withStats];
    }
    return [obs, reward, terminated, truncated, info];
  }

  override reset(args?: ResetArgs): ResetReturn<O> {
    const result = this.env.reset(args);
    this.episodeStartTime = performance.now();
    this.episodeReturns = 0;
    this.episodeLengths = 0;
    return result;
  }
}
