// A line chart on canvas: several series against x (a step, examples seen, seconds), axes with ticks,
// a hover readout, and a bounded number of points (halved by keeping every second one when full, so
// memory stays flat). As TensorBoard's scalars dashboard, it can smooth each series with a debiased
// exponential moving average (the raw curve stays faintly behind it) and draw either axis on a log
// scale (values <= 0 are left out there).

const MAX_POINTS = 2000;
const PAD = { left: 48, right: 12, top: 10, bottom: 26 };
const RAW_ALPHA = 0.25; // the raw curve behind a smoothed one

/**
 * TensorBoard's smoothing: an exponential moving average started at 0 and divided by (1 - weight^n)
 * over the n finite values so far, so it does not lean towards 0 at the start. Non-finite values stay
 * as they are and a constant series is left unsmoothed (as TensorBoard does).
 * @param {number[]} values in x order
 * @param {number} weight in [0, 1): 0 leaves the values unchanged
 * @returns {number[]}
 */
export function smooth(values, weight) {
  if (!(weight > 0) || values.every((value) => value === values[0])) return [...values];
  let last = 0;
  let count = 0;
  return values.map((value) => {
    if (!Number.isFinite(value)) return value;
    last = last * weight + (1 - weight) * value;
    count += 1;
    return last / (1 - weight ** count);
  });
}

/** Tick positions (in log10 units) between `lo` and `hi` at `factors` times each power of ten. */
function decadeTicks(lo, hi, factors) {
  const ticks = [];
  for (let power = Math.floor(lo); power <= Math.ceil(hi); power++) {
    for (const factor of factors) {
      const tick = power + Math.log10(factor);
      if (tick >= lo - 1e-9 && tick <= hi + 1e-9) ticks.push(tick);
    }
  }
  return ticks;
}

/** Log-axis ticks: 1, 2 and 5 times each power of ten; only the powers over many decades; every
 * multiple (1..9) within less than one; the ends when not even two fall inside. */
function logTicks(lo, hi) {
  const ticks = decadeTicks(lo, hi, [1, 2, 5]);
  if (ticks.length > 7) return ticks.filter((tick) => Math.abs(tick - Math.round(tick)) < 1e-9);
  if (ticks.length >= 3) return ticks;
  const finer = decadeTicks(lo, hi, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return finer.length >= 2 ? finer : [lo, hi];
}

/** About `count` round tick positions between `lo` and `hi`: multiples of 1, 2 or 5 times a power of
 * ten (0, 0.2, 0.4... rather than 0.18, 0.31...); the ends themselves when no two fall inside. */
function linearTicks(lo, hi, count) {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = power * [1, 2, 5, 10].find((factor) => raw / power <= factor * 1.5 || factor === 10);
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(k * step);
  // k * step can carry float noise (0.30000000000000004): round to the step's decimals
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return ticks.length >= 2 ? ticks.map((tick) => Number(tick.toFixed(decimals))) : [lo, hi];
}

function defaultFormat(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)));
}

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{key: string, label: string, color: string}[]} series
   * @param {{yMin?: number, yMax?: number, format?: (v: number) => string, xName?: string,
   *   xFormat?: (x: number) => string, smoothing?: number, logX?: boolean, logY?: boolean,
   *   fitWidth?: boolean}} options `xName` names x in the readout ("step"), `smoothing` is the moving
   *   average's weight (0: none), `fitWidth` draws at the width the canvas is shown at (a phone's
   *   narrow chart keeps readable labels instead of a wide drawing scaled down)
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

  /** Change some options (smoothing, logX, logY, xName, xFormat...); the next draw shows them. */
  configure(changes) {
    Object.assign(this.options, changes);
    this.dirty = true;
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

  /** Each series' drawable points in x order: {key: [{x, raw, shown}]}, x and values in the axes'
   * units (log10 on a log axis); `shown` is the smoothed value when smoothing is on. */
  lines() {
    const { logX, logY, smoothing = 0 } = this.options;
    const lines = {};
    for (const { key } of this.series) {
      const kept = this.points.filter(({ x, values }) => {
        const v = values[key];
        return v !== null && v !== undefined && Number.isFinite(v) && (!logY || v > 0) && (!logX || x > 0);
      });
      const shown = smooth(kept.map(({ values }) => values[key]), smoothing);
      lines[key] = kept.map(({ x, values }, i) => ({
        x: logX ? Math.log10(x) : x,
        raw: logY ? Math.log10(values[key]) : values[key],
        shown: logY ? Math.log10(shown[i]) : shown[i],
        point: { x, raw: values[key], shown: shown[i] },
      }));
    }
    return lines;
  }

  bounds(lines) {
    const { logY } = this.options;
    let yMin = Infinity;
    let yMax = -Infinity;
    let xMin = Infinity;
    let xMax = -Infinity;
    for (const line of Object.values(lines)) {
      for (const { x, raw } of line) {
        yMin = Math.min(yMin, raw);
        yMax = Math.max(yMax, raw);
        xMin = Math.min(xMin, x);
        xMax = Math.max(xMax, x);
      }
    }
    // fixed ends are in the values' units; a log axis takes only positive ones
    const fixed = (value) => (logY ? (value > 0 ? Math.log10(value) : undefined) : value);
    if (this.options.yMin !== undefined && fixed(this.options.yMin) !== undefined) yMin = fixed(this.options.yMin);
    if (this.options.yMax !== undefined && fixed(this.options.yMax) !== undefined) yMax = fixed(this.options.yMax);
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) return null;
    if (yMax <= yMin) yMax = yMin + 1;
    if (xMax <= xMin) xMax = xMin + 1;
    return { xMin, xMax, yMin, yMax };
  }

  onHover(event) {
    const rect = this.canvas.getBoundingClientRect();
    this.hover = ((event.clientX - rect.left) / rect.width) * this.canvas.width;
    this.dirty = true;
  }

  /** Redraw if anything changed (call from requestAnimationFrame). */
  draw() {
    const shown = Math.round(this.canvas.clientWidth);
    if (this.options.fitWidth && shown > 0 && shown !== this.canvas.width) {
      this.canvas.width = shown;
      this.dirty = true;
    }
    if (!this.dirty) return;
    this.dirty = false;
    const { canvas } = this;
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const lines = this.lines();
    const b = this.bounds(lines);
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
    const smoothed = (this.options.smoothing ?? 0) > 0;
    for (const { key, color } of this.series) {
      ctx.strokeStyle = color;
      ctx.lineWidth = 1.5;
      if (smoothed) {
        ctx.globalAlpha = RAW_ALPHA;
        this.stroke(ctx, lines[key], "raw", sx, sy);
        ctx.globalAlpha = 1;
      }
      this.stroke(ctx, lines[key], "shown", sx, sy);
    }
    if (this.hover !== null) this.drawReadout(ctx, lines, sx, sy);
  }

  stroke(ctx, line, field, sx, sy) {
    ctx.beginPath();
    line.forEach((point, i) => (i ? ctx.lineTo(sx(point.x), sy(point[field])) : ctx.moveTo(sx(point.x), sy(point[field]))));
    ctx.stroke();
  }

  xText(x) {
    return (this.options.xFormat || ((v) => Math.round(v).toLocaleString()))(x);
  }

  drawAxes(ctx, b, sx, sy, w, h) {
    const { logX, logY } = this.options;
    const format = this.options.format || defaultFormat;
    ctx.strokeStyle = "#d8dde6";
    ctx.fillStyle = "#5b6577";
    ctx.font = "11px system-ui";
    ctx.lineWidth = 1;
    const yLabels = [];
    for (const y of logY ? logTicks(b.yMin, b.yMax) : linearTicks(b.yMin, b.yMax, 4)) {
      ctx.beginPath();
      ctx.moveTo(PAD.left, sy(y));
      ctx.lineTo(PAD.left + w, sy(y));
      ctx.stroke();
      yLabels.push(format(logY ? 10 ** y : y));
      ctx.fillText(yLabels.at(-1), 4, sy(y) + 4);
    }
    // a narrow chart (the playground's) gets fewer labels, so they do not overlap
    const ticks = logX ? logTicks(b.xMin, b.xMax) : linearTicks(b.xMin, b.xMax, w < 240 ? 2 : 4);
    const xLabels = ticks.map((x) => this.xText(logX ? 10 ** x : x));
    ticks.forEach((x, i) => {
      // the end labels align to the plot's edges so they stay whole on the canvas
      const first = i === 0 && sx(x) - PAD.left < 30;
      const last = i === ticks.length - 1 && PAD.left + w - sx(x) < 30;
      ctx.textAlign = first ? "left" : last ? "right" : "center";
      if (logX) {
        ctx.beginPath();
        ctx.moveTo(sx(x), PAD.top);
        ctx.lineTo(sx(x), PAD.top + h);
        ctx.stroke();
      }
      ctx.fillText(xLabels[i], sx(x), PAD.top + h + 16);
    });
    ctx.textAlign = "start";
    // what the axes say, for anyone who cannot read the canvas (and the tests)
    Object.assign(this.canvas.dataset, { xTicks: xLabels.join(" | "), yTicks: yLabels.join(" | ") });
  }

  /** The hover readout: a line at the drawn point nearest the pointer, and each series' value at its
   * own nearest point (runs are measured at different x), marked by a dot. */
  drawReadout(ctx, lines, sx, sy) {
    const distance = (point) => Math.abs(sx(point.x) - this.hover);
    const picks = this.series.map((series) => ({
      series,
      point: lines[series.key].reduce((best, point) => (best === null || distance(point) < distance(best) ? point : best), null),
    })).filter(({ point }) => point);
    if (!picks.length) return;
    const nearest = picks.reduce((best, pick) => (distance(pick.point) < distance(best.point) ? pick : best)).point;
    const x = sx(nearest.x);
    ctx.strokeStyle = "#1d2430";
    ctx.beginPath();
    ctx.moveTo(x, PAD.top);
    ctx.lineTo(x, this.canvas.height - PAD.bottom);
    ctx.stroke();
    const smoothed = (this.options.smoothing ?? 0) > 0;
    const texts = [`${this.options.xName ?? "step"} ${this.xText(nearest.point.x)}`];
    for (const { series, point } of picks) {
      ctx.fillStyle = series.color;
      ctx.beginPath();
      ctx.arc(sx(point.x), sy(point.shown), 3, 0, 2 * Math.PI);
      ctx.fill();
      const { shown, raw } = point.point;
      texts.push(smoothed ? `${series.label} ${shown.toPrecision(4)} (raw ${raw.toPrecision(4)})` : `${series.label} ${raw.toPrecision(4)}`);
    }
    ctx.font = "11px system-ui";
    const width = Math.max(...texts.map((line) => ctx.measureText(line).width)) + 8;
    const left = x + width + 10 > this.canvas.width ? x - width - 6 : x + 6;
    ctx.fillStyle = "rgba(255,255,255,.92)";
    ctx.fillRect(left, PAD.top, width, 14 * texts.length + 6);
    ctx.fillStyle = "#1d2430";
    texts.forEach((line, i) => ctx.fillText(line, left + 4, PAD.top + 14 * (i + 1)));
    this.readout = texts.join(", ");
    this.canvas.dataset.readout = this.readout;
  }
}
