// The playground's output figures: the latest test and training loss and accuracy (a regression's loss
// as its RMSE) with the steps they belong to, their curves, and the legend of the plot's colours.

import { classColor } from "./classcolors.js";
import { measuredOn, testStep } from "./figures.js";
import { LineChart } from "./linechart.js";
import { count, fixed, percent } from "./numbers.js";

/** A regression's loss (ConvNetJS's: half the squared error, one output) as its RMSE. */
export function rmse(loss) {
  return loss === null || loss === undefined ? loss : Math.sqrt(2 * loss);
}

export class OutputPanel {
  /**
   * @param {{panel: HTMLElement, lossChart: HTMLCanvasElement, accuracyChart: HTMLCanvasElement,
   *   testLoss: HTMLElement, testAccuracy: HTMLElement, loss: HTMLElement, trainAccuracy: HTMLElement,
   *   steps: HTMLElement, legend: HTMLElement}} elements
   */
  constructor(elements) {
    this.elements = elements;
    this.kind = "classify2d";
    this.testCount = null; // the job's test points (0: none held out)
    this.charts = {
      loss: new LineChart(elements.lossChart, [
        { key: "loss", label: "train", color: classColor(0) },
        { key: "test_loss", label: "test", color: classColor(1) },
      ], { yMin: 0 }),
      accuracy: new LineChart(elements.accuracyChart, [
        { key: "train_accuracy", label: "train", color: classColor(0) },
        { key: "test_accuracy", label: "test", color: classColor(1) },
      ], { yMin: 0, yMax: 1 }),
    };
  }

  get regression() {
    return this.kind !== "classify2d";
  }

  /** A new job: its data's kind, class names and test split size, and its history so far. */
  reset(dataset, history) {
    this.kind = dataset.kind;
    this.testCount = dataset.n_test;
    this.elements.panel.classList.toggle("regression", this.regression);
    const name = this.regression ? "RMSE" : "loss";
    this.elements.testLoss.previousElementSibling.textContent = `Test ${name}`;
    this.elements.loss.previousElementSibling.textContent = `Training ${name}`;
    this.showLegend(dataset.class_names);
    this.clear();
    history.forEach((point) => this.addPoint(point));
  }

  clear() {
    for (const chart of Object.values(this.charts)) chart.clear();
  }

  /** Chart a progress point: training figures at its step, test figures at the step they were
   * measured at (measured less often, a progress report may carry an older test figure). */
  addPoint(point) {
    const loss = this.regression ? rmse : (value) => value;
    this.charts.loss.add(point.step, { loss: loss(point.loss) });
    this.charts.accuracy.add(point.step, { train_accuracy: point.train_accuracy });
    this.charts.loss.add(testStep(point), { test_loss: loss(point.test_loss) });
    this.charts.accuracy.add(testStep(point), { test_accuracy: point.test_accuracy });
  }

  /** The latest figures, each with the step it belongs to (test figures are measured less often than
   * the training ones, which are means over the steps since the last report). */
  showFigures(figures) {
    const loss = (value) => fixed(this.regression ? rmse(value) : value, 3);
    const { testLoss, testAccuracy, loss: trainLoss, trainAccuracy, steps } = this.elements;
    const shown = [[testLoss, "test_loss", loss], [testAccuracy, "test_accuracy", percent],
      [trainLoss, "loss", loss], [trainAccuracy, "train_accuracy", percent]];
    for (const [element, key, format] of shown) if (key in figures) element.textContent = format(figures[key]);
    const tested = measuredOn(figures.test_step, figures.test_examples, this.testCount, "test points");
    const test = this.testCount === 0 ? "No test points: every point trains (Test share holds some out)"
      : tested ? `Test figures at ${tested}` : "Not tested yet";
    steps.textContent = `${test}; training figures up to step ${count(figures.step)}.`;
  }

  /** The legend: each class's colour (a 1D regression: its curve), then training and test points; the
   * colour scale under it says what the shades mean (colourscale.js). */
  showLegend(classNames) {
    const key = (style, text, extra = "") => {
      const item = document.createElement("li");
      item.innerHTML = `<i class="key ${extra}"></i>`;
      item.firstChild.setAttribute("style", style);
      item.append(text);
      return item;
    };
    const point = { regress1d: "#1d2430", regress2d: "#0877bd" }[this.kind] ?? classColor(0);
    let items;
    if (this.kind === "classify2d") {
      items = classNames.map((name, c) => key(`background: ${classColor(c)}`, `class ${name}`));
    } else if (this.kind === "regress2d") {
      items = [];
    } else {
      items = [key("background: #f59322; height: .25rem", "the net's curve", "shade")];
    }
    items.push(
      key(`background: ${point}; border: 1px solid #fff`, "training point (filled)"),
      key(`background: #fff; border: 2px solid ${point}`, "test point (ringed)"),
    );
    this.elements.legend.replaceChildren(...items);
  }

  /** Redraw the charts that changed (call from requestAnimationFrame). */
  draw() {
    this.charts.loss.draw();
    this.charts.accuracy.draw();
  }
}
