// Several jobs' curves on one chart with a legend, as ConvNetJS's trainer comparison demo shows them.

import { LineChart } from "./linechart.js";
import { testStep } from "./figures.js";

const COLORS = ["#1f6feb", "#f59322", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

export class CompareChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLUListElement} legend
   */
  constructor(canvas, legend) {
    this.chart = new LineChart(canvas, []);
    this.legend = legend;
    this.colors = new Map(); // job id -> colour, kept while the job stays selected
  }

  colorOf(id) {
    if (!this.colors.has(id)) {
      const used = new Set(this.colors.values());
      this.colors.set(id, COLORS.find((color) => !used.has(color)) || COLORS[this.colors.size % COLORS.length]);
    }
    return this.colors.get(id);
  }

  /**
   * Show one curve per job: `curves` [{id, label, points}] where points are metric history rows
   * ({step, loss, ...}); `metric` is the row key to plot, test figures at the step they were measured.
   * `perStep`: the x axis is step x perStep (the batch size: examples seen), 1 for steps.
   */
  show(curves, metric, perStep = 1) {
    const stepOf = metric.startsWith("test_") ? (point) => testStep(point) * perStep : (point) => point.step * perStep;
    for (const id of this.colors.keys()) {
      if (!curves.some((curve) => curve.id === id)) this.colors.delete(id);
    }
    this.chart.series = curves.map(({ id, label }) => ({ key: id, label, color: this.colorOf(id) }));
    this.chart.clear();
    const byStep = new Map();
    for (const { id, points } of curves) {
      for (const point of points) {
        if (point[metric] === null || point[metric] === undefined) continue;
        const step = stepOf(point);
        if (!byStep.has(step)) byStep.set(step, {});
        byStep.get(step)[id] = point[metric];
      }
    }
    for (const step of [...byStep.keys()].sort((a, b) => a - b)) this.chart.add(step, byStep.get(step));
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

  /** Redraw if anything changed (call from requestAnimationFrame). */
  draw() {
    this.chart.draw();
  }
}
