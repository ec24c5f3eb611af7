// A drawing pad: white strokes on black (as MNIST digits are), by mouse, pen or touch, or an image
// file drawn in; read back as greyscale or RGB pixels in [0, 1] at any image size.

const BACKGROUND = "#000";
const INK = "#fff";

export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas the pad (its width and height are the drawing resolution)
   * @param {() => void} onStroke called when a stroke ends
   */
  constructor(canvas, onStroke) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.onStroke = onStroke;
    this.last = null;
    canvas.addEventListener("pointerdown", (event) => this.down(event));
    canvas.addEventListener("pointermove", (event) => this.move(event));
    canvas.addEventListener("pointerup", () => this.up());
    canvas.addEventListener("pointercancel", () => this.up());
    this.clear();
  }

  clear() {
    this.ctx.fillStyle = BACKGROUND;
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  position(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [
      ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    ];
  }

  down(event) {
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.position(event);
    this.line(this.last, this.last);
  }

  move(event) {
    if (!this.last) return;
    const point = this.position(event);
    this.line(this.last, point);
    this.last = point;
  }

  up() {
    if (!this.last) return;
    this.last = null;
    this.onStroke();
  }

  line(from, to) {
    const { ctx } = this;
    ctx.strokeStyle = INK;
    ctx.lineWidth = this.canvas.width / 10;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(...from);
    ctx.lineTo(...to);
    ctx.stroke();
  }

  /** Draw an image file into the pad, fitted and centred on black. */
  async load(file) {
    const bitmap = await createImageBitmap(file);
    const { width, height } = this.canvas;
    const scale = Math.min(width / bitmap.width, height / bitmap.height);
    const w = bitmap.width * scale;
    const h = bitmap.height * scale;
    this.clear();
    this.ctx.drawImage(bitmap, (width - w) / 2, (height - h) / 2, w, h);
    bitmap.close();
  }

  /**
   * The pad scaled to sx x sy: rows [sy][sx] of grey values in [0, 1] for depth 1, or [3][sy][sx] of
   * RGB values for depth 3 (the layouts POST /api/jobs/{id}/predict takes for one image).
   */
  pixels(sx, sy, depth) {
    const small = document.createElement("canvas");
    small.width = sx;
    small.height = sy;
    const ctx = small.getContext("2d");
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.canvas, 0, 0, sx, sy);
    const rgba = ctx.getImageData(0, 0, sx, sy).data;
    const plane = (value) => Array.from({ length: sy }, (_, y) => Array.from({ length: sx }, (_, x) => value(4 * (y * sx + x))));
    if (depth === 3) return [0, 1, 2].map((c) => plane((i) => rgba[i + c] / 255));
    return plane((i) => (rgba[i] + rgba[i + 1] + rgba[i + 2]) / 765);
  }
}
