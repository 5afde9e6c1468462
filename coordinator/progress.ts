/**
 * A terminal progress bar: one line redrawn in place on a TTY (steps/budget, return, losses,
 * steps/s, workers alive), or a plain line every few seconds when the output is a file or pipe.
 */
import { formatMetric } from '../base/format.js';

export class Progress {
  private last = 0;
  private readonly tty: boolean;
  private drawn = false;
  private totalValue: number;

  constructor(
    total: number,
    private readonly unit: string,
    private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stdout,
    private readonly everyMs = 3000,
  ) {
    this.tty = out.isTTY === true;
    this.totalValue = Progress.checkTotal(total);
  }

  /** The budget the bar fills towards (a run learns it after start-up, so it can change). */
  get total(): number {
    return this.totalValue;
  }

  set total(total: number) {
    this.totalValue = Progress.checkTotal(total);
  }

  private static checkTotal(total: number): number {
    if (!Number.isFinite(total) || total < 0) throw new RangeError(`Progress total must be a finite number >= 0, got ${total}`);
    return total;
  }

  update(done: number, fields: Record<string, string | number | undefined>, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < (this.tty ? 200 : this.everyMs)) return;
    this.last = now;
    const frac = this.totalValue > 0 ? Math.min(1, done / this.totalValue) : 0;
    const width = 20;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? formatMetric(v) : v}`);
    const line = `${bar} ${done}/${this.totalValue} ${this.unit}  ${parts.join('  ')}`;
    if (this.tty) {
      this.out.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else this.out.write(line + '\n');
  }

  /** Ends the in-place line before other output. */
  break(): void {
    if (this.tty && this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
