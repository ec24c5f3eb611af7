// A picture on a canvas: (sy, sx, 3) uint8 RGB pixels (a painting frame's image, or the data set's
// original from its preview) drawn as one ImageData at the picture's own size; CSS scales it up.

/** Draw RGB `pixels` ((sy * sx * 3) uint8, row-major) on `canvas`, resized to sx x sy. */
export function drawRgb(canvas, pixels, sy, sx) {
  if (canvas.width !== sx || canvas.height !== sy) {
    canvas.width = sx;
    canvas.height = sy;
  }
  const image = new ImageData(sx, sy);
  for (let i = 0, j = 0; i < sx * sy; i++, j += 3) {
    image.data[4 * i] = pixels[j];
    image.data[4 * i + 1] = pixels[j + 1];
    image.data[4 * i + 2] = pixels[j + 2];
    image.data[4 * i + 3] = 255;
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
}

/** The bytes of a base64 string (a preview's picture). */
export function base64Bytes(text) {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

/** The net's picture: keeps only the newest painting frame and draws it on the next animation frame
 * (a frame arriving faster than the screen shows them is dropped). */
export class PaintingView {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(step: number) => void} onDrawn told the step of each picture drawn
   */
  constructor(canvas, onDrawn) {
    this.canvas = canvas;
    this.onDrawn = onDrawn;
    this.pending = null;
  }

  push(frame) {
    this.pending = frame;
  }

  /** Forget an undrawn frame (the page switched to another job). */
  clear() {
    this.pending = null;
  }

  /** Draw the newest frame, if a new one came (call from requestAnimationFrame). */
  draw() {
    if (!this.pending) return;
    const { header, arrays } = this.pending;
    this.pending = null;
    const [sy, sx] = header.shape;
    drawRgb(this.canvas, arrays.image.values, sy, sx);
    this.canvas.dataset.step = String(header.step);
    this.onDrawn(header.step);
  }
}
