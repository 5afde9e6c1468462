/** A uPlot line chart in a panel that follows its container's width, with its point count on `data-points`. */
import uPlot from 'uplot';

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export interface SeriesDef {
  label: string;
  stroke: string;
  width?: number;
  /** Draw points only (no line). */
  pointsOnly?: boolean;
}

export class LineChart {
  private plot: uPlot | undefined;
  private defs: SeriesDef[];
  private data: uPlot.AlignedData = [[]];

  constructor(
    readonly host: HTMLElement,
    defs: SeriesDef[],
    private xLabel = 'env steps',
    private readonly height = 220,
  ) {
    this.defs = defs;
    new ResizeObserver(() => this.plot?.setSize({ width: this.width(), height: this.height })).observe(host);
  }

  private width(): number {
    return Math.max(280, this.host.clientWidth - 4);
  }

  private build(): void {
    this.plot?.destroy();
    const series: uPlot.Series[] = [
      { label: this.xLabel },
      ...this.defs.map((d): uPlot.Series => ({
        label: d.label,
        stroke: d.stroke,
        width: d.pointsOnly ? 0 : (d.width ?? 1.5),
        spanGaps: true,
        points: d.pointsOnly ? { show: true, size: 3, stroke: d.stroke, fill: d.stroke } : { show: false },
        ...(d.pointsOnly ? { paths: () => null } : {}),
      })),
    ];
    this.plot = new uPlot(
      {
        width: this.width(),
        height: this.height,
        series,
        scales: { x: { time: false } },
        axes: [
          { label: this.xLabel, labelSize: 18, size: 36, values: (_u, splits) => splits.map(compact) },
          { size: 60, values: (_u, splits) => splits.map(compact) },
        ],
        legend: { live: true },
        cursor: { drag: { x: true, y: false } },
      },
      this.data,
      this.host,
    );
  }

  /** Replaces the series (when their set or the x axis label changed) and the data. */
  set(defs: SeriesDef[], data: uPlot.AlignedData, xLabel = this.xLabel): void {
    const changed = xLabel !== this.xLabel || defs.length !== this.defs.length || defs.some((d, i) => d.label !== this.defs[i]!.label);
    this.xLabel = xLabel;
    this.defs = defs;
    this.data = data;
    if (this.plot === undefined || changed) this.build();
    else this.plot.setData(data);
    const n = data[0]?.length ?? 0;
    this.host.dataset.points = String(n);
  }
}

/** Axis tick labels: 1.5k, 2.3M, 0.001. */
export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(4));
}

/** Aligns several (x, y) curves on one x axis (missing values are null). */
export function align(curves: [number[], number[]][]): uPlot.AlignedData {
  if (curves.length === 0) return [[]];
  if (curves.length === 1) return [curves[0]![0], curves[0]![1]];
  return uPlot.join(curves.map(([x, y]) => [x, y] as uPlot.AlignedData));
}
