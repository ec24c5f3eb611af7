// Several runs' curves of one metric on one chart with a legend, as ConvNetJS's trainer comparison and
// TensorBoard's scalars dashboard show them: against steps, examples seen or wall time, smoothed or
// not, on linear or log axes; and the same curves as CSV rows.

import { LineChart, smooth } from "./linechart.js";
import { testStep } from "./figures.js";

const COLORS = ["#1f6feb", "#f59322", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/** "42 s", "3:05", "1:02:05": seconds since a run's first report. */
export function clock(seconds) {
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole} s`;
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  const two = (value) => String(value).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

const whole = (x) => Math.round(x).toLocaleString("en-US");

// The x axes a comparison can take: the measured point's field, its name in the readout and in the
// picker, and whether a log scale makes sense (a run's wall time starts at 0).
export const X_AXES = {
  step: { key: "step", name: "step", label: "steps", format: whole, log: true },
  examples: { key: "examples_seen", name: "examples", label: "examples seen", format: whole, log: true },
  time: { key: "seconds", name: "wall time", label: "wall time", format: clock, log: false },
};

/** The step a point's held-out `metric` was measured at (test_* at test_step, val_* at val_step). */
function measuredStep(point, metric) {
  if (metric.startsWith("test_")) return testStep(point);
  if (metric.startsWith("val_")) return point.val_step ?? point.step;
  return point.step;
}

/** `key` (examples_seen, time) at `step` of a run whose reports are `points` (step order): the
 * report's own at a reported step, else interpolated between the reports around it. */
function atStep(points, step, key) {
  const after = points.findIndex((point) => point.step >= step);
  if (after === -1) return points.at(-1)?.[key];
  const next = points[after];
  if (next.step === step) return next[key];
  if (after === 0) return key === "examples_seen" ? (next[key] * step) / next.step : next[key];
  const before = points[after - 1];
  const share = (step - before.step) / (next.step - before.step);
  return before[key] + share * (next[key] - before[key]);
}

/**
 * One run's curve of `metric` from its progress reports (oldest first): [{step, examples_seen, seconds,
 * wall_time, value}]. Training figures are at their report's step; a held-out figure (repeated by every
 * report until the next measurement) once, at the step it was measured at.
 */
export function curvePoints(points, metric) {
  const reports = points.filter((point) => Number.isFinite(point.step));
  const start = reports.find((point) => Number.isFinite(point.time))?.time;
  const measured = [];
  const seen = new Set();
  for (const point of reports) {
    const value = point[metric];
    if (value === null || value === undefined) continue;
    const step = measuredStep(point, metric);
    if (seen.has(step)) continue;
    seen.add(step);
    const own = step === point.step;
    const wallTime = own ? point.time : atStep(reports, step, "time");
    measured.push({
      step,
      examples_seen: own ? point.examples_seen : atStep(reports, step, "examples_seen"),
      seconds: Number.isFinite(wallTime) && start !== undefined ? wallTime - start : undefined,
      wall_time: wallTime,
      value,
    });
  }
  return measured.sort((a, b) => a.step - b.step);
}

export class CompareChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLUListElement} legend
   * @param {object} options the LineChart's (yMin, yMax, format)
   */
  constructor(canvas, legend, options = {}) {
    this.chart = new LineChart(canvas, [], { fitWidth: true, ...options });
    this.legend = legend;
    this.colors = new Map(); // job id -> colour, kept while the job stays selected
    this.curves = []; // [{id, label, measured}] as last shown
    this.metric = null;
    this.smoothing = 0;
  }

  colorOf(id) {
    if (!this.colors.has(id)) {
      const used = new Set(this.colors.values());
      this.colors.set(id, COLORS.find((color) => !used.has(color)) || COLORS[this.colors.size % COLORS.length]);
    }
    return this.colors.get(id);
  }

  /**
   * Show one curve per run: `curves` [{id, label, points}] where points are progress reports ({step,
   * examples_seen, time, loss, ...}); `metric` is the report key to plot. `view`: {x: "step" |
   * "examples" | "time", smoothing: the moving average's weight in [0, 1), logX, logY}.
   */
  show(curves, metric, view = {}) {
    const axis = X_AXES[view.x] ?? X_AXES.step;
    this.metric = metric;
    this.smoothing = view.smoothing ?? 0;
    this.chart.configure({
      smoothing: this.smoothing,
      logX: Boolean(view.logX && axis.log),
      logY: Boolean(view.logY),
      xName: axis.name,
      xFormat: axis.format,
    });
    for (const id of this.colors.keys()) {
      if (!curves.some((curve) => curve.id === id)) this.colors.delete(id);
    }
    this.curves = curves.map(({ id, label, points }) => ({ id, label, measured: curvePoints(points, metric) }));
    this.chart.series = this.curves.map(({ id, label }) => ({ key: id, label, color: this.colorOf(id) }));
    this.chart.clear();
    const byX = new Map();
    for (const { id, measured } of this.curves) {
      for (const point of measured) {
        const x = point[axis.key];
        if (!Number.isFinite(x)) continue;
        if (!byX.has(x)) byX.set(x, {});
        byX.get(x)[id] = point.value;
      }
    }
    for (const x of [...byX.keys()].sort((a, b) => a - b)) this.chart.add(x, byX.get(x));
    this.legend.replaceChildren(...this.chart.series.map(({ key, label, color }) => {
      const item = document.createElement("li");
      item.dataset.id = key;
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = color;
      item.append(swatch, label);
      return item;
    }));
  }

  /** The curves as last shown, one row per measured point (long format): {run, job, metric, step,
   * examples_seen, seconds, wall_time, value, smoothed} (smoothed as drawn). */
  rows() {
    return this.curves.flatMap(({ id, label, measured }) => {
      const smoothed = smooth(measured.map((point) => point.value), this.smoothing);
      return measured.map((point, i) => ({ run: label, job: id, metric: this.metric, ...point, smoothed: smoothed[i] }));
    });
  }

  /** Redraw if anything changed (call from requestAnimationFrame). */
  draw() {
    this.chart.draw();
  }
}
