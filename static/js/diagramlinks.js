// The network diagram's links as geometry: each link a cubic curve between two nodes, sampled into a
// polyline so a pointer finds the link nearest to it (by distance to the curve, not by which stroke is
// drawn on top: near the inputs, where an 8-8 net's links fan out of one point, the topmost stroke is
// often a neighbour of the link under the pointer).

const SAMPLES = 24; // segments per curve: under a pixel from the true curve at the diagram's sizes

/** The SVG path of the link from (x0, y0) to (x1, y1): a horizontal S-curve. */
export function linkPath(x0, y0, x1, y1) {
  const mid = (x0 + x1) / 2;
  return `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`;
}

/** Points along `linkPath(x0, y0, x1, y1)`: a Float32Array of SAMPLES + 1 (x, y) pairs. */
export function linkSamples(x0, y0, x1, y1) {
  const mid = (x0 + x1) / 2;
  const points = new Float32Array(2 * (SAMPLES + 1));
  for (let i = 0; i <= SAMPLES; i++) {
    const t = i / SAMPLES;
    const u = 1 - t;
    // Bernstein weights of the control points (x0, mid, mid, x1) and (y0, y0, y1, y1)
    const [a, b, c, d] = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
    points[2 * i] = a * x0 + (b + c) * mid + d * x1;
    points[2 * i + 1] = (a + b) * y0 + (c + d) * y1;
  }
  return points;
}

/** Distance from (x, y) to a polyline of (x, y) pairs. */
function polylineDistance(points, x, y) {
  let best = Infinity;
  for (let i = 0; i + 3 < points.length; i += 2) {
    const [ax, ay, bx, by] = [points[i], points[i + 1], points[i + 2], points[i + 3]];
    const dx = bx - ax;
    const dy = by - ay;
    const length = dx * dx + dy * dy;
    const t = length ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / length)) : 0;
    best = Math.min(best, Math.hypot(x - ax - t * dx, y - ay - t * dy));
  }
  return best;
}

/**
 * The link nearest to (x, y) within `reach` px of its curve, or null.
 * @template T
 * @param {{samples: Float32Array, link: T}[]} links
 * @returns {T|null}
 */
export function nearestLink(links, x, y, reach) {
  let best = null;
  let bestDistance = reach;
  for (const { samples, link } of links) {
    const distance = polylineDistance(samples, x, y);
    if (distance <= bestDistance) [best, bestDistance] = [link, distance];
  }
  return best;
}

/** Flat indices of the `count` largest |values| (all of them, in order, when there are no more). */
export function strongest(values, count) {
  const order = Array.from(values.keys());
  if (order.length <= count) return order;
  order.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]));
  return order.slice(0, count);
}
