// What the net says about images: test cards with top-3 bars, a confusion matrix, and class bars.

import { percent } from "./numbers.js";

const CARD_SIDE = 64; // CSS pixels of a card's image

/** A canvas showing an RGB uint8 image (sy, sx, 3) starting at `offset` of `pixels`. */
export function imageCanvas(pixels, offset, sx, sy, label) {
  const canvas = document.createElement("canvas");
  canvas.width = sx;
  canvas.height = sy;
  const scale = CARD_SIDE / Math.max(sx, sy);
  canvas.style.width = `${Math.round(sx * scale)}px`;
  canvas.style.height = `${Math.round(sy * scale)}px`;
  canvas.className = "pixelated";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  const image = new ImageData(sx, sy);
  for (let i = 0; i < sx * sy; i++) {
    image.data.set(pixels.subarray(offset + 3 * i, offset + 3 * i + 3), 4 * i);
    image.data[4 * i + 3] = 255;
  }
  canvas.getContext("2d").putImageData(image, 0, 0);
  return canvas;
}

/** A list of labelled probability bars: rows [[class, probability]...]; `highlight` marks a class. */
function bars(rows, classNames, highlight) {
  const list = document.createElement("ul");
  list.className = "prob-bars";
  for (const [cls, probability] of rows) {
    const item = document.createElement("li");
    item.classList.toggle("hit", cls === highlight);
    const name = document.createElement("span");
    name.textContent = classNames[cls] ?? cls;
    const track = document.createElement("span");
    track.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${(100 * probability).toFixed(1)}%`;
    track.append(fill);
    const value = document.createElement("span");
    value.textContent = percent(probability);
    item.append(name, track, value);
    list.append(item);
  }
  return list;
}

/** Replace `container`'s cards with a "samples" frame's: image, true label, top-3 bars; a card whose
 * best guess is right is green, a wrong one red. */
export function renderSamples(container, frame) {
  const { items, classes } = frame.header;
  const images = frame.arrays.images;
  const [, sy, sx] = images.shape;
  const cards = items.map((item, i) => {
    const card = document.createElement("figure");
    card.className = `prediction-card ${item.correct ? "correct" : "wrong"}`;
    const caption = document.createElement("figcaption");
    caption.textContent = `#${item.index}: ${classes[item.label] ?? item.label}`;
    card.append(imageCanvas(images.values, i * sx * sy * 3, sx, sy, `test image ${item.index}`), caption,
      bars(item.top, classes, item.label));
    return card;
  });
  container.replaceChildren(...cards);
}

/** Show a "confusion" message as a table (row = true class, column = predicted), cells shaded by their
 * share of the row. */
export function renderConfusion(container, message) {
  const names = message.class_names;
  const table = document.createElement("table");
  table.className = "confusion";
  const head = table.createTHead().insertRow();
  head.append(document.createElement("th"));
  for (const name of names) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = name;
    head.append(th);
  }
  const body = table.createTBody();
  message.matrix.forEach((row, r) => {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = names[r];
    tr.append(th);
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((n, c) => {
      const td = tr.insertCell();
      td.textContent = n;
      const alpha = (0.85 * n) / total;
      td.style.background = r === c ? `rgba(26,127,55,${alpha})` : `rgba(207,34,46,${alpha})`;
    });
  });
  const note = document.createElement("p");
  note.className = "muted small";
  note.textContent = `Test set at step ${message.step.toLocaleString("en-US")}: rows are true classes, columns predicted.`;
  container.replaceChildren(table, note);
}

/** One bar per class for a predict answer's outputs row, the most likely class highlighted. */
export function renderProbabilities(container, probabilities, classNames) {
  const best = probabilities.indexOf(Math.max(...probabilities));
  container.replaceChildren(bars(probabilities.map((p, cls) => [cls, p]), classNames, best));
}
