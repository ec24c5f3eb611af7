// A weight typed by hand, which the server announces with a `weight` message before any new frame,
// set in a copy of the newest "weights" frame (format: app/visuals/producer.py; its blocks read by
// netforward.js's unpackWeights), so the page draws it at once.

import { unpackWeights } from "./netforward.js";

/**
 * A copy of `frame` with one weight or bias set, as a `weight` message says ({layer, param: "w" | "b",
 * index: [from, to] | [neuron], value, step}); null when the net (`layers`, the snapshot's desugared
 * layers) has no such value.
 */
export function withWeight(frame, layers, { layer, param, index, value, step }) {
  const values = Float32Array.from(frame.arrays.params.values);
  const header = { ...frame.header, step: step ?? frame.header.step };
  const copy = { header, arrays: { ...frame.arrays, params: { ...frame.arrays.params, values } } };
  const block = unpackWeights(copy, layers)[layer];
  if (!block) return null;
  const [inputs, neurons] = block.w.shape;
  const [first, second] = index;
  if (param === "w" && first < inputs && second < neurons) block.w.values[first * neurons + second] = value;
  else if (param === "b" && first < neurons) block.b.values[first] = value;
  else return null;
  return copy;
}
