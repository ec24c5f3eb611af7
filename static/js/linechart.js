// A line chart on canvas: several series against step, axes with ticks, a hover readout, and a
// bounded number of points (halved by keeping every second one when full, so memory stays flat).

const MAX_POINTS = 2000;
const PAD = { left: 48, right: 12, top: 10, bottom: 26 };

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{key: string, label: string, color: string}[]} series
   * @param {{yMin?: number, yMax?: number, format?: (v: number) => string}} options
   */
  constructor(canvas, series, options = {}) {
    this.canvas = canvas;
    this.series = series;
    this.options = options;
    this.points = []; // [{x, values: {key: number|null}}]
    this.hover = null;
    this.dirty = true;
    canvas.addEventListener("mousemove", (event) => this.onHover(event));
    canvas.addEventListener("mouseleave", () => {
      this.hover = null;
      this.dirty = true;
    });
  }

  clear() {
    this.points = [];
    this.dirty = true;
  }

  /**
   * Add values at `x`; `values` maps series keys to numbers (null or missing: no value). Values at an
   * x already charted join that point, and an x before the last goes in its place: a test figure is
   * charted at the step it was measured at, which can be older than the last training point.
   */
  add(x, values) {
    const given = Object.entries(values).filter(([, v]) => v !== null && v !== undefined);
    if (!given.length) return;
    let index = this.points.length;
    while (index > 0 && this.points[index - 1].x > x) index--;
    const at = this.points[index - 1];
    if (at && at.x === x) Object.assign(at.values, Object.fromEntries(given));
    else this.points.splice(index, 0, { x, values: Object.fromEntries(given) });
    if (this.points.length > MAX_POINTS) this.points = this.points.filter((_, i) => i % 2 === 0);
    this.dirty = true;
  }

  bounds() {
    let yMin = Infinity;
    let yMax = -Infinity;
    for (const point of this.points) {
      for (const { key } of this.series) {
        const v = point.values[key];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        yMin = Math.min(yMin, v);
        yMax = Math.max(yMax, v);
      }
    }
    if (this.options.yMin !== undefined) yMin = this.options.yMin;
    if (this.options.yMax !== undefined) yMax = this.options.yMax;
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) return null;
    if (yMax === yMin) yMax = yMin + 1;
    const xMin = this.points[0].x;
    const xMax = Math.max(this.points[this.points.length - 1].x, xMin + 1);
    return { xMin, xMax, yMin, yMax };
  }

  onHover(event) {
    const rect = this.canvas.getBoundingClientRect();
    this.hover = ((event.clientX - rect.left) / rect.width) * this.canvas.width;
    this.dirty = true;
  }

  /** Redraw if anything changed (call from requestAnimationFrame). */
  draw() {
    if (!this.dirty) return;
    this.dirty = false;
    const { canvas } = this;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const b = this.points.length ? this.bounds() : null;
    if (!b) {
      ctx.fillStyle = "#5b6577";
      ctx.font = "12px system-ui";
      ctx.fillText("no data yet", PAD.left, canvas.height / 2);
      return;
    }
    const w = canvas.width - PAD.left - PAD.right;
    const h = canvas.height - PAD.top - PAD.bottom;
    const sx = (x) => PAD.left + ((x - b.xMin) / (b.xMax - b.xMin)) * w;
    const sy = (y) => PAD.top + (1 - (y - b.yMin) / (b.yMax - b.yMin)) * h;
    this.drawAxes(ctx, b, sx, sy, w, h);
    for (const { key, color } of this.series) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      for (const point of this.points) {
        const v = point.values[key];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        if (started) ctx.lineTo(sx(point.x), sy(v));
        else ctx.moveTo(sx(point.x), sy(v));
        started = true;
      }
      ctx.stroke();
    }
    if (this.hover !== null) this.drawReadout(ctx, b, sx, sy);
  }

  drawAxes(ctx, b, sx, sy, w, h) {
    const format = this.options.format || ((v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(2)));
    ctx.strokeStyle = "#d8dde6";
    ctx.fillStyle = "#5b6577";
    ctx.font = "11px system-ui";
    ctx.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = b.yMin + ((b.yMax - b.yMin) * i) / 4;
      ctx.beginPath();
      ctx.moveTo(PAD.left, sy(y));
      ctx.lineTo(PAD.left + w, sy(y));
      ctx.stroke();
      ctx.fillText(format(y), 4, sy(y) + 4);
    }
    const ticks = w < 240 ? 2 : 4; // a narrow chart (the playground's) gets labels that do not overlap
    for (let i = 0; i <= ticks; i++) {
      const x = b.xMin + ((b.xMax - b.xMin) * i) / ticks;
      // the end labels align to the plot's edges so they stay whole on the canvas
      ctx.textAlign = i === 0 ? "left" : i === ticks ? "right" : "center";
      ctx.fillText(Math.round(x).toLocaleString(), sx(x), PAD.top + h + 16);
    }
    ctx.textAlign = "start";
  }

  drawReadout(ctx, b, sx, sy) {
    let nearest = this.points[0];
    for (const point of this.points) {
      if (Math.abs(sx(point.x) - this.hover) < Math.abs(sx(nearest.x) - this.hover)) nearest = point;
    }
    const x = sx(nearest.x);
    ctx.strokeStyle = "#1d2430";
    ctx.beginPath();
    ctx.moveTo(x, PAD.top);
    ctx.lineTo(x, this.canvas.height - PAD.bottom);
    ctx.stroke();
    const lines = [`step ${nearest.x.toLocaleString()}`];
    for (const { key, label } of this.series) {
      const v = nearest.values[key];
      if (v !== null && v !== undefined) lines.push(`${label} ${v.toPrecision(4)}`);
    }
    const left = x + 140 > this.canvas.width ? x - 136 : x + 6;
    ctx.fillStyle = "rgba(255,255,255,.92)";
    ctx.fillRect(left, PAD.top, 130, 14 * lines.length + 6);
    ctx.fillStyle = "#1d2430";
    lines.forEach((line, i) => ctx.fillText(line, left + 4, PAD.top + 14 * (i + 1)));
    this.readout = lines.join(", ");
    this.canvas.dataset.readout = this.readout;
  }
}
