// The output plot's colour scale (TF Playground's bar under its output): the plot's own colours,
// painted by the same functions as the plot, with what they mean. Two classes: one bar from class A
// sure through white (undecided, 50%) to class B sure; more classes: a bar per class from a guess (1/C)
// to sure; a 2D regression: its values from -s (orange) through 0 (white) to s (blue).

import { divergingRgb, paintProbabilities } from "./boundary.js";

const STEPS = 101; // colours along a bar (CSS stretches its canvas)

/** A bar (a canvas of STEPS x 1 pixels) whose pixel i has the colour `rgbAt(i / (STEPS - 1))`. */
function bar(rgbAt) {
  const canvas = Object.assign(document.createElement("canvas"), { width: STEPS, height: 1 });
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(STEPS, 1);
  for (let i = 0; i < STEPS; i++) {
    image.data.set([...rgbAt(i / (STEPS - 1)), 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** The plot's colour of probabilities `probs` (one per class, 0..1) at one cell. */
function probabilityRgb(probs) {
  const image = new ImageData(1, 1);
  paintProbabilities(image, probs.map((p) => Math.round(255 * p)), probs.length, false);
  return [...image.data.slice(0, 3)];
}

/** A row: an optional name, a bar and the numbers under its left end, middle (when given) and right end. */
function row(name, canvas, [left, middle, right]) {
  const item = document.createElement("div");
  item.className = "scale-row";
  const ticks = document.createElement("div");
  ticks.className = "scale-ticks";
  for (const text of [left, middle ?? "", right]) {
    ticks.append(Object.assign(document.createElement("span"), { textContent: text }));
  }
  item.append(Object.assign(document.createElement("b"), { textContent: name }), canvas, ticks);
  return item;
}

/** A number for a tick: 2 significant digits, a minus sign. */
function tick(value) {
  return Number(value.toPrecision(2)).toString().replace("-", "−");
}

export class ColourScale {
  /** @param {HTMLElement} box where the scale goes (under the plot) */
  constructor(box) {
    this.box = box;
  }

  /**
   * Show the scale of a job's plot: `kind` classify2d (its `classNames`), regress2d (values of ±`scale`,
   * the data's largest |target|) or regress1d (a curve: no scale).
   */
  show(kind, classNames, scale) {
    const caption = document.createElement("p");
    caption.className = "scale-caption";
    let rows = [];
    if (kind === "classify2d" && classNames.length === 2) {
      const [a, b] = classNames;
      caption.textContent = "Colour: the more probable class, white where the net is undecided";
      rows = [row("", bar((p) => probabilityRgb([1 - p, p])), [`${a} sure`, "50%", `${b} sure`])];
    } else if (kind === "classify2d") {
      const count = classNames.length;
      const guess = 1 / count;
      caption.textContent = "Colour: the most probable class, from white (a guess) to sure";
      rows = classNames.map((name, c) => {
        const rgbAt = (t) => {
          const p = guess + (1 - guess) * t;
          return probabilityRgb(classNames.map((_, k) => (k === c ? p : (1 - p) / (count - 1))));
        };
        return row(name, bar(rgbAt), [`${Math.round(100 * guess)}%`, null, "100%"]);
      });
    } else if (kind === "regress2d") {
      caption.textContent = "Colour: the net's value (points: their targets)";
      rows = [row("", bar((t) => divergingRgb((2 * t - 1) * scale, scale)), [tick(-scale), "0", tick(scale)])];
    }
    this.box.replaceChildren(caption, ...rows);
    this.box.hidden = !rows.length;
  }
}
