/** Metric series as they arrive: one (step, value) list per metric name, in arrival order. */
import type { MetricPoint } from './types.js';

export class Series {
  readonly steps: number[] = [];
  readonly values: number[] = [];
  /** False once a point arrived with a smaller step than the one before (sorted on read). */
  ordered = true;

  push(step: number, value: number): void {
    if (this.steps.length > 0 && step < this.steps[this.steps.length - 1]!) this.ordered = false;
    this.steps.push(step);
    this.values.push(value);
  }

  /** Steps and values sorted by step (uPlot needs an ascending x). */
  sorted(): [number[], number[]] {
    if (this.ordered) return [this.steps, this.values];
    const idx = this.steps.map((_, i) => i).sort((a, b) => this.steps[a]! - this.steps[b]! || a - b);
    return [idx.map((i) => this.steps[i]!), idx.map((i) => this.values[i]!)];
  }

  get last(): number | undefined {
    return this.values[this.values.length - 1];
  }
}

export class MetricStore {
  readonly series = new Map<string, Series>();
  /** Largest step seen (env steps for RL runs). */
  lastStep = 0;
  /** Bumped on every change (views redraw when it moved). */
  revision = 0;

  add(points: readonly MetricPoint[]): void {
    for (const p of points) {
      if (p.step > this.lastStep) this.lastStep = p.step;
      for (const [name, value] of Object.entries(p.metrics)) {
        if (typeof value !== 'number') continue;
        let s = this.series.get(name);
        if (s === undefined) this.series.set(name, (s = new Series()));
        s.push(p.step, value);
      }
    }
    if (points.length > 0) this.revision++;
  }

  get(name: string): Series | undefined {
    return this.series.get(name);
  }

  names(): string[] {
    return [...this.series.keys()];
  }

  clear(): void {
    this.series.clear();
    this.lastStep = 0;
    this.revision++;
  }
}

/** Trailing mean over the last `window` values (the smoothed return curve). */
export function movingAverage(values: readonly number[], window: number): number[] {
  const out = new Array<number>(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i]!;
    if (i >= window) sum -= values[i - window]!;
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}
