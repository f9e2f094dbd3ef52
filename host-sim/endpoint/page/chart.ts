// One variable's chart: its numeric readings kept in time order (readings mostly arrive in order;
// a late one is inserted where it belongs), cut to the chosen period and drawn with uPlot, sized to
// its container. The number of points drawn is put on the container as `data-points`, read from
// the chart's own data, for people and tests to check.

import uPlot from "uplot";
import type { Series } from "../view.js";

const HEIGHT = 150;
/** A range around a lone reading, so its point is not at the edge. */
const LONE_POINT_PAD_MS = 60_000;
/** Below this many readings in view, each is drawn as a dot too. */
const SPARSE_POINTS = 48;

const GRID = "#eceff3";

const AXIS_FONT = "12px system-ui, sans-serif";
/** Ticks, the gap to the labels, and a margin. */
const AXIS_EXTRA_PX = 18;

/** The y axis's width, from its longest label: a pressure in Pa needs more room than a percentage. */
function axisWidth(u: uPlot, values: string[] | null): number {
  if (values === null) return 40;
  u.ctx.font = AXIS_FONT;
  return Math.ceil(AXIS_EXTRA_PX + Math.max(0, ...values.map((v) => u.ctx.measureText(v).width)));
}

/** The first index whose time is `t` or later (`after`: later only). */
function search(times: readonly number[], t: number, after: boolean): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid] < t || (after && times[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class SeriesChart {
  private readonly times: number[] = [];
  private readonly values: number[] = [];
  /** The period shown; null: from the first reading to the last. */
  private range: [number, number] | null = null;
  private readonly plot: uPlot;
  private readonly resize: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    label: string,
    color: string,
  ) {
    this.plot = new uPlot(
      {
        width: Math.max(container.clientWidth, 200),
        height: HEIGHT,
        ms: 1,
        legend: { show: false },
        cursor: { y: false },
        scales: {
          x: {
            time: true,
            range: (_u, min, max) =>
              this.range ?? (min === max ? [min - LONE_POINT_PAD_MS, max + LONE_POINT_PAD_MS] : [min, max]),
          },
        },
        // Dots only where readings are few enough to tell apart: a lone one would draw no line at all.
        series: [{}, { label, stroke: color, fill: `${color}1f`, width: 1.5, points: { show: (_u, _s, i0, i1) => i1 - i0 < SPARSE_POINTS } }],
        axes: [
          { font: AXIS_FONT, space: 70, grid: { stroke: GRID } },
          { font: AXIS_FONT, size: axisWidth, grid: { stroke: GRID } },
        ],
      },
      [[], []],
      container,
    );
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(container.clientWidth, 200), height: HEIGHT }));
    this.resize.observe(container);
  }

  /** Adds readings (in the order they arrived) at their places in time. */
  add(series: Series): void {
    series.t.forEach((t, i) => {
      if (this.times.length === 0 || t >= this.times[this.times.length - 1]) {
        this.times.push(t);
        this.values.push(series.v[i]);
      } else {
        const at = search(this.times, t, true);
        this.times.splice(at, 0, t);
        this.values.splice(at, 0, series.v[i]);
      }
    });
  }

  /** Drops readings before `startMs` and draws the rest over [startMs, endMs] (everything when `startMs` is -Infinity). */
  show(startMs: number, endMs: number): void {
    const cut = search(this.times, startMs, false);
    this.times.splice(0, cut);
    this.values.splice(0, cut);
    this.range = Number.isFinite(startMs) ? [startMs, endMs] : null;
    this.plot.setData([this.times, this.values]);
    this.container.dataset.points = String(this.plot.data[0].length);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
