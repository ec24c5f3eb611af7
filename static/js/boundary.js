// The decision boundary: class probabilities over the data's extent as one ImageData per frame on the
// stream's fixed grid (a small canvas scaled up by CSS), with the data points and axes on an overlay.

import { classRgb, classColor } from "./classcolors.js";

// How far a pixel goes from white towards its class colour at probability 1 (as in TF Playground,
// light enough for the points to stay visible).
const STRENGTH = 0.62;

/**
 * Fill `image` (grid x grid RGBA) from quantised probabilities (C, grid, grid): a blend of the class
 * colours weighted by probability, or the most probable class alone when `discretize`.
 */
export function paintProbabilities(image, probs, classes, discretize) {
  const cells = image.width * image.height;
  const colors = Array.from({ length: classes }, (_, c) => classRgb(c));
  const data = image.data;
  for (let i = 0; i < cells; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let best = 0;
    for (let c = 0; c < classes; c++) {
      const p = probs[c * cells + i] / 255;
      if (p > probs[best * cells + i] / 255) best = c;
      r += p * colors[c][0];
      g += p * colors[c][1];
      b += p * colors[c][2];
    }
    if (discretize) [r, g, b] = colors[best];
    data[4 * i] = 255 + (r - 255) * STRENGTH;
    data[4 * i + 1] = 255 + (g - 255) * STRENGTH;
    data[4 * i + 2] = 255 + (b - 255) * STRENGTH;
    data[4 * i + 3] = 255;
  }
}

/** The boundary plot: draws the newest boundary frame and the points; clicks give data coordinates. */
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

  /** The points to show: `{train: [[x, y, label]...], test: [...]}` in data coordinates. */
  setPoints(points, extent) {
    this.points = points;
    this.extent = extent;
    this.overlayDirty = true;
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
    const probs = frame.arrays.probs;
    if (!probs) return;
    const [classes, rows, cols] = probs.shape;
    if (this.gridCanvas.width !== cols || this.gridCanvas.height !== rows) {
      this.gridCanvas.width = cols;
      this.gridCanvas.height = rows;
    }
    const ctx = this.gridCanvas.getContext("2d");
    const image = ctx.createImageData(cols, rows);
    paintProbabilities(image, probs.values, classes, this.discretize);
    ctx.putImageData(image, 0, 0);
  }

  drawOverlay() {
    const canvas = this.overlay;
    const ctx = canvas.getContext("2d");
    const [xmin, xmax, ymin, ymax] = this.extent;
    const px = (x) => ((x - xmin) / (xmax - xmin)) * canvas.width;
    const py = (y) => ((ymax - y) / (ymax - ymin)) * canvas.height;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    drawAxes(ctx, canvas, this.extent, px, py);
    const radius = canvas.width / 110;
    for (const [split, rows] of Object.entries(this.points)) {
      if (split === "test" && !this.showTest) continue;
      for (const [x, y, label] of rows) {
        ctx.beginPath();
        ctx.arc(px(x), py(y), radius, 0, 2 * Math.PI);
        if (split === "test") {
          ctx.fillStyle = "#fff";
          ctx.fill();
          ctx.lineWidth = radius * 0.7;
          ctx.strokeStyle = classColor(label);
          ctx.stroke();
        } else {
          ctx.fillStyle = classColor(label);
          ctx.fill();
          ctx.lineWidth = 1;
          ctx.strokeStyle = "#fff";
          ctx.stroke();
        }
      }
    }
  }
}

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
  ctx.font = `${Math.round(canvas.width / 36)}px system-ui`;
  for (let v = Math.ceil(xmin); v <= Math.floor(xmax); v++) {
    ctx.fillRect(px(v) - 0.5, py(0) - 4, 1, 8);
    if (v !== 0 && v !== xmin && v !== xmax) ctx.fillText(String(v), px(v) - 4, py(0) + 18);
  }
  for (let v = Math.ceil(ymin); v <= Math.floor(ymax); v++) {
    ctx.fillRect(px(0) - 4, py(v) - 0.5, 8, 1);
    if (v !== 0 && v !== ymin && v !== ymax) ctx.fillText(String(v), px(0) + 8, py(v) + 5);
  }
}
