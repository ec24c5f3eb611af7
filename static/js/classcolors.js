// Class colours from the stylesheet's --class-0..9 variables (ten: a digit each), as CSS strings and RGB triples.

const COUNT = 10;
let cache = null;

function parseHex(text) {
  const hex = text.trim().replace("#", "");
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function palette() {
  if (!cache) {
    const style = getComputedStyle(document.documentElement);
    cache = Array.from({ length: COUNT }, (_, i) => style.getPropertyValue(`--class-${i}`).trim());
  }
  return cache;
}

/** The CSS colour of class `label` (labels past 9 wrap around). */
export function classColor(label) {
  return palette()[Math.round(label) % COUNT];
}

/** The [r, g, b] of class `label`, 0..255. */
export function classRgb(label) {
  return parseHex(classColor(label));
}

// The colours of a signed value (a neuron's output, a weight, a regression's target), TF Playground's:
// orange below zero, blue above, white at zero.
export const NEGATIVE_RGB = [245, 147, 34];
export const POSITIVE_RGB = [8, 119, 189];
