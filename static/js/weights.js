// The "weights" frame (format: app/visuals/producer.py): every fc layer's weights and biases, exact,
// in one float32 `params` array of [w; b] blocks, `header.layers` [[layer, inputs, neurons], ...] in
// order. Read it layer by layer, and set one value in a copy (a weight typed by hand, which the
// server announces with a `weight` message before any new frame).

/**
 * The fc layers of a weights frame as views of its `params`.
 * @param {{header: {layers: number[][]}, arrays: {params: {values: Float32Array}}}} frame
 * @returns {Map<number, {inputs: number, neurons: number, offset: number, w: Float32Array, b: Float32Array}>}
 *   layer index -> its block: `w` (inputs x neurons, row-major) and `b` (neurons)
 */
export function weightBlocks(frame) {
  const params = frame.arrays.params?.values;
  const blocks = new Map();
  if (!params) return blocks;
  let offset = 0;
  for (const [layer, inputs, neurons] of frame.header.layers) {
    const w = params.subarray(offset, offset + inputs * neurons);
    const b = params.subarray(offset + inputs * neurons, offset + (inputs + 1) * neurons);
    blocks.set(layer, { inputs, neurons, offset, w, b });
    offset += (inputs + 1) * neurons;
  }
  return blocks;
}

/**
 * A copy of `frame` with one weight or bias set, as a `weight` message says ({layer, param: "w" | "b",
 * index: [from, to] | [neuron], value, step}); null when the frame has no such value (a frame of
 * another net).
 */
export function withWeight(frame, { layer, param, index, value, step }) {
  const block = weightBlocks(frame).get(layer);
  if (!block) return null;
  const { inputs, neurons, offset } = block;
  const [first, second] = index;
  const inside = param === "w" ? first < inputs && second < neurons : param === "b" && first < neurons;
  if (!inside) return null;
  const values = Float32Array.from(frame.arrays.params.values);
  values[param === "w" ? offset + first * neurons + second : offset + inputs * neurons + first] = value;
  const header = { ...frame.header, step: step ?? frame.header.step };
  return { header, arrays: { ...frame.arrays, params: { ...frame.arrays.params, values } } };
}
