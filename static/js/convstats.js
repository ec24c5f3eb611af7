// Training figures as the ConvNetJS MNIST demo shows them, and a loss chart over steps.

import { LineChart } from "./linechart.js";
import { count, fixed, percent } from "./numbers.js";

const FIGURES = {
  ms_per_example: (v) => (v === null || v === undefined ? "–" : `${fixed(v, 3)} ms`),
  loss: (v) => fixed(v, 4),
  train_accuracy: percent,
  val_accuracy: percent,
  test_accuracy: percent,
  examples_seen: count,
  examples_per_second: count,
  step: count,
};

export class TrainingStats {
  /**
   * @param {HTMLElement} root holds one element [data-stat=key] per figure
   * @param {HTMLCanvasElement} canvas the loss chart
   */
  constructor(root, canvas) {
    this.root = root;
    this.chart = new LineChart(canvas, [
      { key: "loss", label: "training loss", color: "#1f6feb" },
      { key: "test_loss", label: "test loss", color: "#f59322" },
    ]);
  }

  /** Start over from a snapshot's metric history (oldest first) and its latest figures. */
  reset(history, latest) {
    this.chart.clear();
    for (const point of history) this.addPoint(point);
    this.show(latest);
  }

  /** A progress message: a chart point, and the figures it measured (a paused job's progress has
   * no training figures; the last ones stay). */
  update(progress) {
    this.addPoint(progress);
    const measured = Object.entries(progress).filter(([, value]) => value !== null && value !== undefined);
    this.show(Object.fromEntries(measured));
  }

  addPoint(point) {
    if (point.loss !== null && point.loss !== undefined) {
      this.chart.add(point.step, { loss: point.loss, test_loss: point.test_loss });
    }
  }

  show(figures) {
    for (const [key, format] of Object.entries(FIGURES)) {
      const cell = this.root.querySelector(`[data-stat="${key}"]`);
      if (cell && key in figures) cell.textContent = format(figures[key]);
    }
  }

  /** Redraw the chart if it changed (call from requestAnimationFrame). */
  draw() {
    this.chart.draw();
  }
}
