// The comparison charts' settings (templates/chartcontrols.html): the horizontal axis (steps, examples
// seen, wall time), TensorBoard's smoothing slider, log scales and the CSV download; kept in the URL.

import { X_AXES } from "./comparechart.js";

const $ = (id) => document.getElementById(id);

export class ChartControls {
  /**
   * @param {{x?: string, smoothing?: number}} defaults the page's horizontal axis and smoothing
   * @param {() => void} onChange called when a setting changes
   */
  constructor(defaults, onChange) {
    this.defaults = { x: "step", smoothing: 0.6, ...defaults };
    this.onChange = onChange;
    $("x-axis").replaceChildren(...Object.entries(X_AXES).map(([value, axis]) => new Option(axis.label, value)));
    this.set(this.defaults);
    for (const id of ["x-axis", "smoothing", "log-y", "log-x"]) {
      $(id).addEventListener("input", () => this.changed());
    }
  }

  /** {x, smoothing, logX, logY}: what CompareChart.show takes. */
  get view() {
    return {
      x: $("x-axis").value,
      smoothing: Number($("smoothing").value),
      logX: $("log-x").checked,
      logY: $("log-y").checked,
    };
  }

  set({ x, smoothing, logX, logY }) {
    if (x in X_AXES) $("x-axis").value = x;
    if (Number.isFinite(smoothing)) $("smoothing").value = String(smoothing);
    if (logX !== undefined) $("log-x").checked = logX;
    if (logY !== undefined) $("log-y").checked = logY;
    this.showState();
  }

  showState() {
    const { x, smoothing } = this.view;
    $("smoothing-value").value = smoothing.toFixed(3);
    const log = X_AXES[x].log;
    $("log-x").disabled = !log;
    $("log-x").closest("label").title = log ? "" : "Wall time starts at 0: no log scale";
  }

  changed() {
    this.showState();
    this.onChange();
  }

  /** Take the settings a URL's parameters hold (x, smoothing, logx, logy). */
  read(params) {
    const smoothing = params.get("smoothing");
    this.set({
      x: params.get("x") ?? this.defaults.x,
      smoothing: smoothing === null ? this.defaults.smoothing : Number(smoothing),
      logX: params.get("logx") === "1",
      logY: params.get("logy") === "1",
    });
  }

  /** Put the settings that differ from the page's defaults into `params`. */
  write(params) {
    const { x, smoothing, logX, logY } = this.view;
    if (x !== this.defaults.x) params.set("x", x);
    if (smoothing !== this.defaults.smoothing) params.set("smoothing", String(smoothing));
    if (logX) params.set("logx", "1");
    if (logY) params.set("logy", "1");
  }

  /** Call `handler` when the person asks for the CSV. */
  onDownload(handler) {
    $("download-csv").addEventListener("click", handler);
  }
}
