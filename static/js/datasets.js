// The dataset picker: one thumbnail per 2D classification set (drawn from its preview points), and the
// pure editing of a clicked point set (add a point of a class, remove the nearest one).

import { api } from "./api.js";
import { classColor } from "./classcolors.js";

const FIRST = ["quadrants", "rings", "three_mode"];
const THUMB_SIDE = 64;
const MAX_POINTS = 2000;
const EXTENT = 3;

/** The classify2d sets of the catalogue in picker order: ConvNetJS's three first, then the others. */
export async function pickerDatasets() {
  const catalogue = await api.get("/api/datasets");
  const sets = catalogue.filter((entry) => entry.kind === "classify2d" && entry.available);
  const rank = (entry) => (FIRST.includes(entry.name) ? FIRST.indexOf(entry.name) : FIRST.length);
  return sets.sort((a, b) => rank(a) - rank(b));
}

/** Draw labelled points ([[x, y, label], ...] inside [-3, 3]^2) on a small canvas. */
export function drawThumbnail(canvas, points) {
  const ctx = canvas.getContext("2d");
  const side = canvas.width;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, side, canvas.height);
  for (const [x, y, label] of points) {
    ctx.fillStyle = classColor(label);
    const px = ((x + EXTENT) / (2 * EXTENT)) * side;
    const py = ((EXTENT - y) / (2 * EXTENT)) * canvas.height;
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
      caption.textContent = entry.name === "points" ? "your points" : entry.name.replace("_", " ");
      button.append(canvas, caption);
      button.addEventListener("click", () => this.onPick(entry.name));
      this.container.append(button);
      this.buttons.set(entry.name, { button, canvas });
    }
    this.select(selected);
    await Promise.all(sets.filter((entry) => entry.name !== "points").map((entry) => this.preview(entry.name)));
  }

  async preview(name) {
    const preview = await api.get(`/api/datasets/${name}/preview?n_samples=200`);
    drawThumbnail(this.buttons.get(name).canvas, [...preview.points.train, ...preview.points.test]);
  }

  /** Mark the picked dataset (and redraw the "points" thumbnail from `points` when given). */
  select(name, points = null) {
    for (const [key, { button, canvas }] of this.buttons) {
      button.setAttribute("aria-checked", String(key === name));
      button.tabIndex = key === name ? 0 : -1;
      if (key === "points" && points) drawThumbnail(canvas, points);
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

/** A dataset's train and test points (from a stream snapshot) as one editable list, labels as ints. */
export function pointsOf(datasetView) {
  const all = [...datasetView.points.train, ...datasetView.points.test];
  return all
    .slice(0, MAX_POINTS - 1)
    .map(([x, y, label]) => [Math.round(x * 100) / 100, Math.round(y * 100) / 100, Math.round(label)]);
}
