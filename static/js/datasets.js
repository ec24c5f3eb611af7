// The dataset picker: one thumbnail per 2D classification set, then the regression sets (2D and 1D),
// each drawn from its preview points, and the pure editing of a clicked point set (add a point of a
// class, or an (x, y) pair of a 1D regression; remove the nearest one).

import { api } from "./api.js";
import { divergingRgb } from "./boundary.js";
import { classColor } from "./classcolors.js";
import { CLICKED_TEST_FRACTION } from "./state.js";

const FIRST = ["quadrants", "rings", "three_mode"];
const KINDS = ["classify2d", "regress2d", "regress1d"];
const THUMB_SIDE = 64;
const CAPTIONS = { points: "your points", line_points: "your curve", regress_plane: "plane", regress_gauss: "bumps" };
const MAX_POINTS = 2000;
const EXTENT = 3;

/** The playground's sets of the catalogue in picker order: the classify2d sets (ConvNetJS's three
 * first), then the 2D and the 1D regressions. */
export async function pickerDatasets() {
  const catalogue = await api.get("/api/datasets");
  const sets = catalogue.filter((entry) => KINDS.includes(entry.kind) && entry.available);
  const rank = (entry) => 10 * KINDS.indexOf(entry.kind) + (FIRST.includes(entry.name) ? FIRST.indexOf(entry.name) : FIRST.length);
  return sets.sort((a, b) => rank(a) - rank(b));
}

/**
 * Draw a set's points on a small canvas: classes ([[x, y, label]...]), 2D regression targets
 * ([[x, y, target]...], diverging colours) or a 1D regression's ([[x, target]...]) over its extent.
 */
export function drawThumbnail(canvas, points, kind = "classify2d", extent = [-EXTENT, EXTENT, -EXTENT, EXTENT]) {
  const ctx = canvas.getContext("2d");
  const side = canvas.width;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, side, canvas.height);
  const [xmin, xmax, ymin, ymax] = extent;
  const scale = Math.max(1e-9, ...points.map((row) => Math.abs(row.at(-1))));
  for (const row of points) {
    const [x, y] = row;
    if (kind === "classify2d") ctx.fillStyle = classColor(row[2]);
    else if (kind === "regress2d") ctx.fillStyle = `rgb(${divergingRgb(row[2], scale).join(",")})`;
    else ctx.fillStyle = "#1d2430";
    const px = ((x - xmin) / (xmax - xmin)) * side;
    const py = ((ymax - y) / (ymax - ymin)) * canvas.height;
    ctx.fillRect(px - 1, py - 1, 2.5, 2.5);
  }
}

/**
 * The picker: a radio group of thumbnails in `container`; `onPick(name)` when the person picks one.
 * The "points" set has no generator: its thumbnail shows the person's own points once there are some.
 */
export class DatasetPicker {
  constructor(container, onPick) {
    this.container = container;
    this.onPick = onPick;
    this.buttons = new Map();
    container.addEventListener("keydown", (event) => this.onKey(event));
  }

  /** Arrow keys move between thumbnails and pick, as in any radio group. */
  onKey(event) {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const names = [...this.buttons.keys()];
    const current = names.indexOf(document.activeElement?.dataset.name);
    const next = names[(current + step + names.length) % names.length];
    this.buttons.get(next).button.focus();
    this.onPick(next);
  }

  /** Build the thumbnails of `sets` (catalogue entries) and mark `selected`. */
  async build(sets, selected) {
    this.container.replaceChildren();
    for (const entry of sets) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dataset-thumb";
      button.dataset.name = entry.name;
      button.title = entry.description;
      button.setAttribute("role", "radio");
      const canvas = document.createElement("canvas");
      canvas.width = THUMB_SIDE;
      canvas.height = THUMB_SIDE;
      const caption = document.createElement("span");
      caption.textContent = CAPTIONS[entry.name] ?? entry.name.replace("_", " ");
      button.append(canvas, caption);
      button.addEventListener("click", () => this.onPick(entry.name));
      this.container.append(button);
      this.buttons.set(entry.name, { button, canvas });
    }
    this.kinds = Object.fromEntries(sets.map((entry) => [entry.name, entry]));
    this.select(selected);
    await Promise.all(sets.filter((entry) => entry.source !== "user").map((entry) => this.preview(entry)));
  }

  async preview(entry) {
    const preview = await api.get(`/api/datasets/${entry.name}/preview?n_samples=200`);
    const points = [...preview.points.train, ...preview.points.test];
    drawThumbnail(this.buttons.get(entry.name).canvas, points, entry.kind, preview.extent ?? entry.extent);
  }

  /** Mark the picked dataset (and redraw a user set's thumbnail from its `points` when given). */
  select(name, points = null) {
    for (const [key, { button, canvas }] of this.buttons) {
      button.setAttribute("aria-checked", String(key === name));
      button.tabIndex = key === name ? 0 : -1;
      const entry = this.kinds?.[key];
      if (key === name && entry?.source === "user" && points) drawThumbnail(canvas, points, entry.kind, entry.extent);
    }
  }
}

/**
 * A new point list with one point added, or the point nearest to (x, y) removed.
 * @param {number[][]} points [[x, y, label], ...]
 * @param {{x: number, y: number, label: number, remove: boolean}} edit
 */
export function editPoints(points, { x, y, label, remove }) {
  if (remove) {
    if (!points.length) return points;
    let nearest = 0;
    points.forEach(([px, py], index) => {
      const [nx, ny] = points[nearest];
      if ((px - x) ** 2 + (py - y) ** 2 < (nx - x) ** 2 + (ny - y) ** 2) nearest = index;
    });
    return points.filter((_, index) => index !== nearest);
  }
  if (points.length >= MAX_POINTS) throw new Error(`at most ${MAX_POINTS} points`);
  const clamp = (v) => Math.round(Math.max(-EXTENT, Math.min(EXTENT, v)) * 100) / 100;
  return [...points, [clamp(x), clamp(y), label]];
}

// A 1D regression's own points to start from when none were clicked yet (ConvNetJS's demo starts
// with a handful too): a bump and two valleys inside the plot window.
const FIRST_PAIRS = [[-4, -2], [-2.5, 0.5], [-1, 2], [0, 1.5], [1.5, -0.5], [3, -3], [4.5, -1]];

/** The points user set `name` starts from: the shown data's own when it is of the set's kind (`view`:
 * a stream snapshot's dataset), else none on the plane, or `FIRST_PAIRS` on a curve. */
export function startingPoints(name, view) {
  if (name === "line_points") return view?.kind === "regress1d" ? pairsOf(view) : FIRST_PAIRS;
  return view?.kind === "classify2d" ? pointsOf(view) : [];
}

/**
 * The data a click on the plot makes, `{dataset, points}`: a point of class `label` added to the plane's
 * points (or the nearest removed), or on a curve the (x, y) pair clicked (ConvNetJS's regression demo).
 * Each starts from the user set's points, else from the shown data's, and then with no test share
 * (`test_fraction`: a clicked point trains). A 2D regression's targets come from its function: an
 * Error says so.
 * @param {{dataset: string, points: Array|null}} state @param {object} view the shown job's dataset
 */
export function clickedData(state, view, { x, y, label, remove }) {
  const kind = view?.kind ?? "classify2d";
  if (kind === "regress2d") {
    throw new Error("A 2D regression's targets come from its function: click points on a classification set or the curve.");
  }
  const name = kind === "regress1d" ? "line_points" : "points";
  const base = state.dataset === name && state.points ? state.points : startingPoints(name, view);
  const points = name === "line_points"
    ? editPairs(base, { x, y, remove }, view.extent)
    : editPoints(base, { x, y, label, remove });
  // entering a user set: every point trains (state.js, CLICKED_TEST_FRACTION)
  const entering = state.dataset !== name;
  return entering ? { dataset: name, points, test_fraction: CLICKED_TEST_FRACTION } : { dataset: name, points };
}

/**
 * A new list of a 1D regression's (x, y) pairs with the click at (x, y) added (kept inside `extent`),
 * or the pair nearest to it removed.
 */
function editPairs(pairs, { x, y, remove }, extent) {
  if (remove) return editPoints(pairs.map(([px, py]) => [px, py, 0]), { x, y, remove }).map(([px, py]) => [px, py]);
  if (pairs.length >= MAX_POINTS) throw new Error(`at most ${MAX_POINTS} points`);
  const [xmin, xmax, ymin, ymax] = extent;
  const clamp = (v, lo, hi) => Math.round(Math.max(lo, Math.min(hi, v)) * 100) / 100;
  return [...pairs, [clamp(x, xmin, xmax), clamp(y, ymin, ymax)]];
}

/** A 1D regression's train and test points (from a stream snapshot) as one editable list of (x, y). */
function pairsOf(datasetView) {
  const all = [...datasetView.points.train, ...datasetView.points.test];
  return all.slice(0, MAX_POINTS - 1).map(([x, y]) => [Math.round(x * 100) / 100, Math.round(y * 100) / 100]);
}

/** A dataset's train and test points (from a stream snapshot) as one editable list, labels as ints. */
export function pointsOf(datasetView) {
  const all = [...datasetView.points.train, ...datasetView.points.test];
  return all
    .slice(0, MAX_POINTS - 1)
    .map(([x, y, label]) => [Math.round(x * 100) / 100, Math.round(y * 100) / 100, Math.round(label)]);
}
