// The output plot. classify2d: class probabilities over the data's extent as one ImageData per frame on
// the stream's fixed grid (a small canvas scaled up by CSS), the points and axes on an overlay (the
// axes' numbers sit beside the plot, plotaxes.js; its colour scale below it, colourscale.js).
// regress2d: the predicted value over the plane in a diverging scale (orange below zero, blue above),
// the points coloured by their targets. regress1d (ConvNetJS's regression demo): the points and the
// fitted curve on the overlay, and on demand each hidden neuron's curve ("neurons" frames).

import { classRgb, classColor, NEGATIVE_RGB, POSITIVE_RGB } from "./classcolors.js";
import { dequantize } from "./frames.js";

/**
 * Fill `image` (grid x grid RGBA) from quantised probabilities (C, grid, grid), in TF Playground's
 * diverging scale: each cell takes the colour of its most probable class, from white where the net is
 * undecided (that class no more probable than a guess among the C, 1/C: 0.5 for two classes) to the
 * pure class colour at probability 1. Two classes: class A at p(B) = 0, white at 0.5, class B at 1.
 * `discretize`: the most probable class's pure colour everywhere. The page shows the canvas at TF's
 * alpha (160/255, playground.css), so the points drawn over it stay visible.
 */
export function paintProbabilities(image, probs, classes, discretize) {
  const cells = image.width * image.height;
  const colors = Array.from({ length: classes }, (_, c) => classRgb(c));
  const guess = 1 / classes;
  const data = image.data;
  for (let i = 0; i < cells; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[c * cells + i] > probs[best * cells + i]) best = c;
    const p = probs[best * cells + i] / 255;
    const t = discretize || classes < 2 ? 1 : Math.max(0, Math.min(1, (p - guess) / (1 - guess)));
    const [r, g, b] = colors[best];
    data[4 * i] = 255 + (r - 255) * t;
    data[4 * i + 1] = 255 + (g - 255) * t;
    data[4 * i + 2] = 255 + (b - 255) * t;
    data[4 * i + 3] = 255;
  }
}

/** The diverging colour of `value` on a scale of ±`scale`: white at 0, pure orange at -scale and pure
 * blue at +scale (TF Playground's). */
export function divergingRgb(value, scale) {
  const t = Math.max(-1, Math.min(1, scale > 0 ? value / scale : 0));
  const target = t < 0 ? NEGATIVE_RGB : POSITIVE_RGB;
  return target.map((c) => Math.round(255 + (c - 255) * Math.abs(t)));
}

/** Fill `image` from quantised values (grid x grid codes over `range`) in the diverging scale of
 * ±`scale` (the data's largest |target|, so a point whose colour matches the plot under it is fitted). */
function paintValues(image, codes, range, scale) {
  const data = image.data;
  for (let i = 0; i < image.width * image.height; i++) {
    const [r, g, b] = divergingRgb(dequantize(codes[i], range), scale);
    data[4 * i] = r;
    data[4 * i + 1] = g;
    data[4 * i + 2] = b;
    data[4 * i + 3] = 255;
  }
}

/** The output plot: draws the newest boundary frame and the points; clicks give data coordinates. */
export class BoundaryView {
  /**
   * @param {HTMLCanvasElement} gridCanvas the grid-sized canvas CSS scales up
   * @param {HTMLCanvasElement} overlay a full-resolution canvas on top of it (points, axes)
   * @param {(point: {x: number, y: number, event: MouseEvent}) => void} onClick data coordinates
   */
  constructor(gridCanvas, overlay, onClick) {
    this.gridCanvas = gridCanvas;
    this.overlay = overlay;
    this.extent = [-3, 3, -3, 3];
    this.points = { train: [], test: [] };
    this.discretize = false;
    this.showTest = true;
    this.kind = "classify2d";
    this.curve = null; // regress1d: the newest fitted curve {xs, ys}
    this.neuronCurves = null; // regress1d: [{xs, ys}] of every hidden neuron, when shown
    this.showNeurons = false;
    this.valueScale = 1; // regression targets: the largest |target|, where the diverging colours are pure
    this.pending = null; // newest undrawn boundary frame
    this.lastFrame = null;
    this.overlayDirty = true;
    overlay.addEventListener("click", (event) => onClick({ ...this.toData(event), event }));
  }

  toData(event) {
    const rect = this.overlay.getBoundingClientRect();
    const [xmin, xmax, ymin, ymax] = this.extent;
    return {
      x: xmin + ((event.clientX - rect.left) / rect.width) * (xmax - xmin),
      y: ymax - ((event.clientY - rect.top) / rect.height) * (ymax - ymin),
    };
  }

  /** Keep `frame` (a decoded boundary frame) to draw at the next animation frame; older ones drop. */
  push(frame) {
    this.pending = frame;
  }

  /**
   * The data to show: its kind, `{train: [[x, y, label or target]...], test: [...]}` (1D: [x, target])
   * and the extent the plot covers.
   */
  setPoints(points, extent, kind = "classify2d") {
    this.points = points;
    this.extent = extent;
    this.kind = kind;
    this.curve = null;
    this.neuronCurves = null;
    const targets = [...points.train, ...points.test].map((row) => Math.abs(row.at(-1)));
    this.valueScale = Math.max(1e-9, ...targets);
    if (kind === "regress1d") this.clearGrid();
    this.overlayDirty = true;
  }

  /** Draw each hidden neuron's curve (1D regression), or not. */
  setShowNeurons(on) {
    this.showNeurons = on;
    this.overlayDirty = true;
  }

  /** A "neurons" frame of a 1D regression: every hidden neuron's output at evenly spaced x across the
   * plot (rows of (1, side) codes over each layer's range). */
  pushNeurons(frame) {
    if (this.kind !== "regress1d") return;
    const [xmin, xmax] = this.extent;
    this.neuronCurves = frame.header.layers.filter((row) => row.layer > 0).flatMap((row) => {
      const { values, range } = frame.arrays[`layer${row.layer}`];
      const [count, , side] = row.shape;
      const xs = Array.from({ length: side }, (_, i) => xmin + ((xmax - xmin) * i) / (side - 1));
      return Array.from({ length: count }, (_, k) => ({
        xs,
        ys: Array.from({ length: side }, (_, i) => dequantize(values[k * side + i], range)),
      }));
    });
    if (this.showNeurons) this.overlayDirty = true;
  }

  clearGrid() {
    const ctx = this.gridCanvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, this.gridCanvas.width, this.gridCanvas.height);
  }

  /** Draw the test points (ringed) or only the training points. */
  setShowTest(on) {
    this.showTest = on;
    this.overlayDirty = true;
  }

  setDiscretize(on) {
    this.discretize = on;
    if (this.lastFrame) this.pending = this.pending || this.lastFrame;
  }

  /** Draw what changed since the last call (from requestAnimationFrame). */
  draw() {
    if (this.pending) {
      this.drawGrid(this.pending);
      this.lastFrame = this.pending;
      this.pending = null;
    }
    if (this.overlayDirty) {
      this.drawOverlay();
      this.overlayDirty = false;
    }
  }

  drawGrid(frame) {
    const { curve, values } = frame.arrays;
    if (curve) {
      const side = curve.shape[1];
      this.curve = { xs: curve.values.subarray(0, side), ys: curve.values.subarray(side) };
      this.overlayDirty = true;
      return;
    }
    if (values) {
      const [, rows, cols] = values.shape;
      const image = this.gridImage(rows, cols);
      paintValues(image, values.values, values.range, this.valueScale);
      this.gridCanvas.getContext("2d").putImageData(image, 0, 0);
      return;
    }
    const probs = frame.arrays.probs;
    if (!probs) return;
    const [classes, rows, cols] = probs.shape;
    const image = this.gridImage(rows, cols);
    paintProbabilities(image, probs.values, classes, this.discretize);
    this.gridCanvas.getContext("2d").putImageData(image, 0, 0);
  }

  /** An ImageData of the grid's size (the canvas resized to it first). */
  gridImage(rows, cols) {
    if (this.gridCanvas.width !== cols || this.gridCanvas.height !== rows) {
      this.gridCanvas.width = cols;
      this.gridCanvas.height = rows;
    }
    return this.gridCanvas.getContext("2d").createImageData(cols, rows);
  }

  /** The colour of a point: its class, or its target on the diverging scale. */
  pointColor(value) {
    if (this.kind === "classify2d") return classColor(value);
    const [r, g, b] = divergingRgb(value, this.valueScale);
    return `rgb(${r}, ${g}, ${b})`;
  }

  drawOverlay() {
    const canvas = this.overlay;
    const ctx = canvas.getContext("2d");
    const [xmin, xmax, ymin, ymax] = this.extent;
    const px = (x) => ((x - xmin) / (xmax - xmin)) * canvas.width;
    const py = (y) => ((ymax - y) / (ymax - ymin)) * canvas.height;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawAxes(ctx, canvas, this.extent, px, py);
    if (this.kind === "regress1d") this.drawCurves(ctx, px, py);
    const radius = canvas.width / 110;
    for (const [split, rows] of Object.entries(this.points)) {
      if (split === "test" && !this.showTest) continue;
      for (const row of rows) {
        // 2D sets: [x, y, label or target]; a 1D regression: [x, target], drawn in black as ConvNetJS does
        const [x, y] = row;
        const color = this.kind === "regress1d" ? "#1d2430" : this.pointColor(row[2]);
        ctx.beginPath();
        ctx.arc(px(x), py(y), radius, 0, 2 * Math.PI);
        if (split === "test") {
          ctx.fillStyle = "#fff";
          ctx.fill();
          ctx.lineWidth = radius * 0.7;
          ctx.strokeStyle = color;
          ctx.stroke();
        } else {
          ctx.fillStyle = color;
          ctx.fill();
          ctx.lineWidth = 1;
          ctx.strokeStyle = "#fff";
          ctx.stroke();
        }
      }
    }
  }

  /** The fitted curve (and, when shown, every hidden neuron's) of a 1D regression. */
  drawCurves(ctx, px, py) {
    const line = ({ xs, ys }, color, width) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      xs.forEach((x, i) => (i ? ctx.lineTo(px(x), py(ys[i])) : ctx.moveTo(px(x), py(ys[i]))));
      ctx.stroke();
    };
    if (this.showNeurons) for (const curve of this.neuronCurves || []) line(curve, "rgba(8, 119, 189, .45)", 1.5);
    if (this.curve) line(this.curve, "#f59322", 3);
  }
}

/** The axes through 0 with a tick at every whole number (their numbers are beside the plot: plotaxes.js). */
function drawAxes(ctx, canvas, extent, px, py) {
  const [xmin, xmax, ymin, ymax] = extent;
  ctx.strokeStyle = "rgba(29, 36, 48, .35)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(px(0), 0);
  ctx.lineTo(px(0), canvas.height);
  ctx.moveTo(0, py(0));
  ctx.lineTo(canvas.width, py(0));
  ctx.stroke();
  ctx.fillStyle = "rgba(29, 36, 48, .8)";
  for (let v = Math.ceil(xmin); v <= Math.floor(xmax); v++) ctx.fillRect(px(v) - 0.5, py(0) - 4, 1, 8);
  for (let v = Math.ceil(ymin); v <= Math.floor(ymax); v++) ctx.fillRect(px(0) - 4, py(v) - 0.5, 8, 1);
}
