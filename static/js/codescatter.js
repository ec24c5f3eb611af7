// The autoencoder's code plot: every test image as a dot at its 2D code, coloured by its label, on
// axes that follow the codes' own range (a code has no fixed scale), with a legend of the labels.

import { classColor } from "./classcolors.js";

const MARGIN = 0.05; // of the range, on each side
const DOT = 2.5; // radius in canvas pixels

export class CodeScatter {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLUListElement} legend one item per label, rebuilt when the labels change
   */
  constructor(canvas, legend) {
    this.canvas = canvas;
    this.legend = legend;
    this.classes = null;
  }

  /** Draw a "codes" frame: codes (P, 1 or 2) float32, labels (P,) int32; a 1-wide code is drawn on a line. */
  draw(frame) {
    const { codes, labels } = frame.arrays;
    const [count, width] = codes.shape;
    this.showLegend(frame.header.classes);
    const xs = (i) => codes.values[i * width];
    const ys = (i) => (width > 1 ? codes.values[i * width + 1] : 0);
    const [x0, x1] = span(count, xs);
    const [y0, y1] = span(count, ys);
    const ctx = this.canvas.getContext("2d");
    const { width: w, height: h } = this.canvas;
    ctx.clearRect(0, 0, w, h);
    for (let i = 0; i < count; i++) {
      ctx.fillStyle = classColor(labels.values[i]);
      ctx.beginPath();
      ctx.arc(((xs(i) - x0) / (x1 - x0)) * w, h - ((ys(i) - y0) / (y1 - y0)) * h, DOT, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  showLegend(classes) {
    const key = JSON.stringify(classes);
    if (key === this.classes) return;
    this.classes = key;
    this.legend.replaceChildren(...classes.map((name, label) => {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = classColor(label);
      item.append(swatch, name);
      return item;
    }));
  }
}

/** [lo, hi] of `value(i)` over i < count, widened by the margin (and never empty). */
function span(count, value) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < count; i++) {
    lo = Math.min(lo, value(i));
    hi = Math.max(hi, value(i));
  }
  if (!(hi > lo)) return [(Number.isFinite(lo) ? lo : 0) - 1, (Number.isFinite(hi) ? hi : 0) + 1];
  const pad = (hi - lo) * MARGIN;
  return [lo - pad, hi + pad];
}
