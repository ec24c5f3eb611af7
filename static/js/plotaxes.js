// The output plot's axis numbers, beside it rather than on it (TF Playground's): x below the plot, y to
// its left, each at its place along the axis, so no number hides a point or the boundary.

const MAX_NUMBERS = 8; // per axis: whole numbers, every second or more when the extent is wide

/** The numbers an axis from `low` to `high` shows: whole multiples of a step, ends included. */
export function axisNumbers(low, high) {
  const step = Math.max(1, Math.ceil((high - low) / MAX_NUMBERS));
  const numbers = [];
  for (let v = Math.ceil(low / step) * step; v <= high; v += step) numbers.push(v);
  return numbers;
}

/**
 * Write the numbers of `extent` ([xmin, xmax, ymin, ymax]) into the plot's two margins: `xAxis` (a box as
 * wide as the plot, under it) and `yAxis` (as tall as the plot, left of it).
 * @param {HTMLElement} xAxis @param {HTMLElement} yAxis @param {number[]} extent
 */
export function showAxes(xAxis, yAxis, extent) {
  const [xmin, xmax, ymin, ymax] = extent;
  const label = (value, style) => {
    const span = document.createElement("span");
    span.textContent = String(value).replace("-", "−");
    Object.assign(span.style, style);
    return span;
  };
  xAxis.replaceChildren(...axisNumbers(xmin, xmax).map((v) => label(v, { left: `${(100 * (v - xmin)) / (xmax - xmin)}%` })));
  yAxis.replaceChildren(...axisNumbers(ymin, ymax).map((v) => label(v, { top: `${(100 * (ymax - v)) / (ymax - ymin)}%` })));
}
