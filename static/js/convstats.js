// Training figures as the ConvNetJS MNIST demo shows them, and a loss chart over steps. Held-out
// figures say which step (and how many images) they were measured on: they lag the training ones.

import { LineChart } from "./linechart.js";
import { count, fixed, percent } from "./numbers.js";
import { measuredOn, testStep } from "./figures.js";

const FIGURES = {
  ms_per_example: (v) => (v === null || v === undefined ? "–" : `${fixed(v, 3)} ms`),
  loss: (v) => fixed(v, 4),
  test_loss: (v) => fixed(v, 4),
  train_accuracy: percent,
  val_accuracy: percent,
  test_accuracy: percent,
  examples_seen: count,
  examples_per_second: count,
  step: count,
};

// Where each held-out figure was measured: [step key, examples key (or null), split, noun].
const NOTES = {
  test_loss: ["test_step", "test_examples", "test", "test images"],
  test_accuracy: ["test_step", "test_examples", "test", "test images"],
  val_accuracy: ["val_step", null, "val", "validation images"],
};

export class TrainingStats {
  /**
   * @param {HTMLElement} root holds one element [data-stat=key] per figure, and [data-note=key] for
   *   the held-out ones
   * @param {HTMLCanvasElement} canvas the loss chart
   */
  constructor(root, canvas) {
    this.root = root;
    this.splits = {}; // images per split ({test, val}), to say when a figure covers only some
    this.chart = new LineChart(canvas, [
      { key: "loss", label: "training loss", color: "#1f6feb" },
      { key: "test_loss", label: "test loss", color: "#f59322" },
    ]);
  }

  /** The job's split sizes ({test: 10000, val: 0}). */
  setSplits(splits) {
    this.splits = splits;
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

  /** Chart the point's training loss at its step and its test loss at the step it was measured. */
  addPoint(point) {
    if (point.loss !== null && point.loss !== undefined) {
      this.chart.add(point.step, { loss: point.loss });
      this.chart.add(testStep(point), { test_loss: point.test_loss });
    }
  }

  show(figures) {
    for (const [key, format] of Object.entries(FIGURES)) {
      const cell = this.root.querySelector(`[data-stat="${key}"]`);
      if (cell && key in figures) cell.textContent = format(figures[key]);
    }
    for (const [key, [stepKey, examplesKey, split, noun]] of Object.entries(NOTES)) {
      const note = this.root.querySelector(`[data-note="${key}"]`);
      if (!note || !(key in figures)) continue;
      const examples = examplesKey && figures[examplesKey];
      const text = measuredOn(figures[stepKey], examples, this.splits[split], noun);
      note.textContent = text && `(${text})`;
    }
  }

  /** Redraw the chart if it changed (call from requestAnimationFrame). */
  draw() {
    this.chart.draw();
  }
}
