// A plane net's forward pass in the page: the boundary and the neuron thumbnails drawn from the job's
// "weights" frames (a few hundred numbers) instead of the server's grids (tens of kilobytes a frame).
// A net of fc layers and element-wise activations on a 2D or 1D set is evaluated here exactly as the
// engine evaluates it at inference (engine/kernels/activations.py, engine/layers/elementwise.py), over
// the same grids and with the same quantisation as the server's frames (app/visuals/plane.py,
// app/frames.py), so what it makes has the layout of a server frame and is drawn by the same code. Any
// other net (conv, pool, batchnorm: state the weights frame does not carry) keeps the server's grids.

import { hiddenLayers } from "./neurons.js";

const PLANE_KINDS = ["classify2d", "regress2d", "regress1d"];
const MAX_NEURONS = 64; // as the server: no thumbnails when the hidden layers hold more neurons together
const NEURONS_EVERY_MS = 100; // thumbnails change slowly: at most 10 a second, as the server sends them

// The input features (engine/datasets/features.py), by id; the page offers those GET /api/catalogue lists.
export const FEATURE_FUNCTIONS = {
  x1: (x1) => x1,
  x2: (x1, x2) => x2,
  x1sq: (x1) => x1 * x1,
  x2sq: (x1, x2) => x2 * x2,
  x1x2: (x1, x2) => x1 * x2,
  sinx1: (x1) => Math.sin(x1),
  sinx2: (x1, x2) => Math.sin(x2),
};

// Element-wise layers at inference, by layer type: (the layer's definition, its inputs) -> a new array.
// Each writes out its own loop (one loop calling a function per value is about 3x slower in V8, and
// these run over every grid point at the stream's fps); tanh and sigmoid through Math.exp, about twice
// as fast as Math.tanh and equal to it within 1e-15.
const ELEMENTWISE = {
  relu(_, x) {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : 0;
    return out;
  },
  leaky_relu({ alpha }, x) {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] > 0 ? x[i] : alpha * x[i];
    return out;
  },
  sigmoid(_, x) {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
    return out;
  },
  tanh(_, x) {
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = 1 - 2 / (Math.exp(2 * x[i]) + 1);
    return out;
  },
  dropout({ scaling, drop_prob: p }, x) {
    const scale = scaling === "convnetjs" ? p : 1;
    const out = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = x[i] * scale;
    return out;
  },
};
const DRAWN_TYPES = new Set(["input", "fc", "maxout", "softmax", "svm", "regression", ...Object.keys(ELEMENTWISE)]);

/** Whether the page draws this job itself: a plane set and a net of layers evaluated here (`layers`:
 * the snapshot's desugared layers). */
export function drawsInPage(layers, kind) {
  return PLANE_KINDS.includes(kind) && layers.every((layer) => DRAWN_TYPES.has(layer.type));
}

/**
 * The fc layers' weights in a decoded "weights" frame (app/visuals/producer.py: one float32 `params`
 * array of a [w; b] block per fc layer, in order): {layer index: {w: {values, shape: [inputs, neurons]},
 * b: {values, shape: [neurons]}}}, views into the frame. `layers`: the snapshot's desugared layers.
 */
export function unpackWeights(frame, layers) {
  const params = frame.arrays.params.values;
  const unpacked = {};
  let offset = 0;
  layers.forEach((layer, index) => {
    if (layer.type !== "fc") return;
    const before = layers[index - 1];
    const inputs = before.out_sx * before.out_sy * before.out_depth;
    const neurons = layer.out_depth;
    unpacked[index] = {
      w: { values: params.subarray(offset, offset + inputs * neurons), shape: [inputs, neurons] },
      b: { values: params.subarray(offset + inputs * neurons, offset + (inputs + 1) * neurons), shape: [neurons] },
    };
    offset += (inputs + 1) * neurons;
  });
  return unpacked;
}

/** float32 like the server's grids: `count` points from `start` to `stop`, ends included. */
function linspace(start, stop, count) {
  const step = (stop - start) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.fround(i === count - 1 ? stop : start + i * step));
}

const GRIDS = new WeakMap(); // a job's dataset -> {size: its gridInputs}: the same at every frame

/**
 * The net's inputs over the plot: (rows * columns) points, row-major, row 0 at the top (ymax) and
 * column 0 at the left (xmin) as app/visuals/plane.plane_grid; a 1D set's one row of x along the plot.
 * Made once per data set and size (read only).
 * @returns {{inputs: Float64Array, width: number, xs: number[], rows: number}}
 */
function gridInputs(dataset, size) {
  if (!GRIDS.has(dataset)) GRIDS.set(dataset, {});
  const made = GRIDS.get(dataset);
  made[size] ??= planeInputs(dataset, size);
  return made[size];
}

function planeInputs(dataset, size) {
  const [xmin, xmax, ymin, ymax] = dataset.extent;
  const xs = linspace(xmin, xmax, size);
  if (dataset.kind === "regress1d") return { inputs: Float64Array.from(xs), width: 1, xs, rows: 1 };
  const ys = linspace(ymax, ymin, size);
  const features = dataset.features.map((id) => FEATURE_FUNCTIONS[id]);
  const inputs = new Float64Array(size * size * features.length);
  let at = 0;
  for (const y of ys) {
    for (const x of xs) for (const feature of features) inputs[at++] = Math.fround(feature(x, y));
  }
  return { inputs, width: features.length, xs, rows: size };
}

/** x (N, D) @ w (D, M) + b -> (N, M), row-major. */
function dense(x, count, w, b) {
  const [inputs, neurons] = w.shape;
  const weights = w.values;
  const bias = b.values;
  const out = new Float64Array(count * neurons);
  for (let n = 0, row = 0, at = 0; n < count; n++, row += neurons, at += inputs) {
    for (let j = 0; j < neurons; j++) out[row + j] = bias[j];
    for (let i = 0; i < inputs; i++) {
      const value = x[at + i];
      if (value === 0) continue;
      for (let j = 0, k = i * neurons; j < neurons; j++, k++) out[row + j] += value * weights[k];
    }
  }
  return out;
}

/** Maximum over consecutive groups of `size` values of each point (ConvNetJS's grouping). */
function maxout(x, count, depth, size) {
  const groups = depth / size;
  const out = new Float64Array(count * groups);
  for (let n = 0; n < count; n++) {
    for (let g = 0; g < groups; g++) {
      let best = -Infinity;
      for (let k = 0; k < size; k++) best = Math.max(best, x[n * depth + g * size + k]);
      out[n * groups + g] = best;
    }
  }
  return out;
}

/** Class probabilities of each point's scores (N, C), in place (an svm's scores too: a distribution). */
function softmax(x, count, classes) {
  for (let n = 0; n < count; n++) {
    const row = n * classes;
    let peak = -Infinity;
    for (let c = 0; c < classes; c++) peak = Math.max(peak, x[row + c]);
    let total = 0;
    for (let c = 0; c < classes; c++) total += (x[row + c] = Math.exp(x[row + c] - peak));
    for (let c = 0; c < classes; c++) x[row + c] /= total;
  }
  return x;
}

/**
 * Every layer's output for `count` points of `inputs` (count x width), at inference.
 * @returns {Float64Array[]} one (count x out_depth) array per layer, the input layer's first
 */
export function forward(layers, weights, inputs, count) {
  const outputs = [inputs];
  let x = inputs;
  for (let index = 1; index < layers.length; index++) {
    const layer = layers[index];
    const depth = layers[index - 1].out_depth;
    if (layer.type === "fc") x = dense(x, count, weights[index].w, weights[index].b);
    else if (layer.type === "maxout") x = maxout(x, count, depth, layer.group_size);
    else if (layer.type === "softmax" || layer.type === "svm") x = softmax(x.slice(), count, depth);
    else if (layer.type in ELEMENTWISE) x = ELEMENTWISE[layer.type](layer, x);
    // regression: its fc's outputs are the prediction
    outputs.push(x);
  }
  return outputs;
}

/** uint8 codes over [lo, hi] as app/frames.quantize (default: the finite values' own range). */
export function quantize(values, lo = null, hi = null) {
  let low = Infinity;
  let high = -Infinity;
  for (const value of values) {
    if (Number.isFinite(value)) {
      low = Math.min(low, value);
      high = Math.max(high, value);
    }
  }
  if (low > high) [low, high] = [0, 0];
  const range = [lo ?? low, hi ?? high];
  const width = range[1] - range[0];
  const codes = new Uint8Array(values.length); // all 0 (the low end) for an empty range
  if (width > 0) {
    for (let i = 0; i < values.length; i++) {
      const value = Number.isNaN(values[i]) ? range[0] : Math.min(range[1], Math.max(range[0], values[i]));
      codes[i] = Math.round(((value - range[0]) / width) * 255); // divided: 255 / a tiny width overflows
    }
  }
  return { values: codes, range };
}

/** Per-point outputs (N x K, row-major) as one grid per unit: (K x N). */
function unitMajor(values, count) {
  const units = values.length / count;
  const grids = new Float64Array(values.length);
  for (let n = 0; n < count; n++) for (let k = 0; k < units; k++) grids[k * count + n] = values[n * units + k];
  return grids;
}

/**
 * The frames the server would send for this net and these weights: a "boundary" frame, and a "neurons"
 * frame when `withNeurons` and the net has at most MAX_NEURONS hidden neurons (null otherwise).
 */
export function drawnFrames(layers, dataset, weightsFrame, { grid, neuronGrid, withNeurons }) {
  const weights = unpackWeights(weightsFrame, layers);
  const meta = frameMeta(dataset, weightsFrame);
  return {
    boundary: boundaryFrame(layers, dataset, weights, grid, meta),
    neurons: withNeurons ? neuronsFrame(layers, dataset, weights, neuronGrid, meta) : null,
  };
}

function frameMeta(dataset, weightsFrame) {
  return { step: weightsFrame.header.step, extent: dataset.extent, classes: dataset.class_names };
}

function boundaryFrame(layers, dataset, weights, grid, meta) {
  return { header: { type: "boundary", ...meta, grid }, arrays: boundaryArrays(layers, dataset, weights, grid) };
}

function boundaryArrays(layers, dataset, weights, size) {
  const { inputs, width, xs, rows } = gridInputs(dataset, size);
  const count = inputs.length / width;
  const outputs = forward(layers, weights, inputs, count).at(-1);
  const units = outputs.length / count;
  if (dataset.kind === "regress1d") {
    const ys = Array.from({ length: count }, (_, n) => outputs[n * units]); // the first output, as the server
    return { curve: { values: Float32Array.from([...xs, ...ys]), shape: [2, size], range: null } };
  }
  const grids = unitMajor(outputs, count);
  const shape = [units, rows, size];
  if (dataset.kind === "classify2d") return { probs: { ...quantize(grids, 0, 1), shape } };
  return { values: { ...quantize(grids), shape } };
}

function neuronsFrame(layers, dataset, weights, size, meta) {
  const hidden = hiddenLayers(layers);
  if (hidden.reduce((total, row) => total + row.count, 0) > MAX_NEURONS) return null;
  const { inputs, width, rows } = gridInputs(dataset, size);
  const count = inputs.length / width;
  const outputs = forward(layers, weights, inputs, count);
  const shown = [{ layer: 0, type: "input" }, ...hidden];
  const arrays = {};
  const described = shown.map(({ layer }) => {
    const units = outputs[layer].length / count;
    const shape = [units, rows, size];
    arrays[`layer${layer}`] = { ...quantize(unitMajor(outputs[layer], count)), shape };
    return { layer, type: layers[layer].type, shape };
  });
  return { header: { type: "neurons", ...meta, grid: size, layers: described }, arrays };
}

const MESH_LINES = 11; // as app/visuals/plane.hidden_space: 11 lines each way, 50 points a line
const MESH_POINTS = 50;

/** The input plane's mesh: MESH_LINES horizontal lines (bottom to top), then as many vertical ones (left
 * to right), each sampled along its length: (2 * lines * points) (x, y) pairs, as app/visuals/plane. */
function meshPoints([xmin, xmax, ymin, ymax]) {
  const pairs = [];
  const at = (t, count) => t / (count - 1);
  for (const vertical of [false, true]) {
    for (let line = 0; line < MESH_LINES; line++) {
      for (let point = 0; point < MESH_POINTS; point++) {
        const along = at(point, MESH_POINTS);
        const across = at(line, MESH_LINES);
        const [u, v] = vertical ? [across, along] : [along, across];
        pairs.push([Math.fround(xmin + u * (xmax - xmin)), Math.fround(ymin + v * (ymax - ymin))]);
      }
    }
  }
  return pairs;
}

/** The hidden-space view's layer and neurons: the chosen ones, else ConvNetJS's default (the last hidden
 * layer with two neurons or more, neurons 0 and 1; a one-neuron layer against itself); null without a
 * hidden layer. */
export function hiddenChoice(layers, view) {
  const hidden = hiddenLayers(layers);
  const wide = hidden.filter((row) => row.count >= 2);
  const layer = view?.hidden_layer ?? (wide.at(-1) || hidden.at(-1))?.layer;
  const row = hidden.find((item) => item.layer === layer);
  if (!row) return null;
  return { layer, neurons: row.count > 1 ? view?.hidden_neurons ?? [0, 1] : [0, 0] };
}

/**
 * ConvNetJS's hidden space as the server's "hidden" frame (app/visuals/producer.py): the plane's mesh
 * and the training points `points` ([[x, y, label], ...]) through the net to two neurons of a layer.
 */
export function hiddenFrame(layers, dataset, weights, choice, points, step) {
  const mesh = meshPoints(dataset.extent);
  const all = [...mesh, ...points.map(([x, y]) => [x, y])];
  const features = dataset.features.map((id) => FEATURE_FUNCTIONS[id]);
  const inputs = new Float64Array(all.length * features.length);
  all.forEach(([x, y], n) => features.forEach((feature, f) => (inputs[n * features.length + f] = Math.fround(feature(x, y)))));
  const outputs = forward(layers.slice(0, choice.layer + 1), weights, inputs, all.length).at(-1);
  const units = outputs.length / all.length;
  const [a, b] = choice.neurons;
  const pairs = new Float32Array(2 * all.length);
  for (let n = 0; n < all.length; n++) {
    pairs[2 * n] = outputs[n * units + a];
    pairs[2 * n + 1] = outputs[n * units + b];
  }
  return {
    header: { type: "hidden", step, extent: dataset.extent, classes: dataset.class_names, layer: choice.layer, neurons: [a, b] },
    arrays: {
      mesh: { values: pairs.subarray(0, 2 * mesh.length), shape: [2 * MESH_LINES, MESH_POINTS, 2], range: null },
      points: { values: pairs.subarray(2 * mesh.length), shape: [points.length, 2], range: null },
      labels: { values: Int32Array.from(points, (row) => row[2]), shape: [points.length], range: null },
    },
  };
}

/**
 * Draws a job's boundary and neurons from its weights frames: `push` the newest frame as it arrives,
 * `take` what to draw at an animation frame (the newest frame only; thumbnails at most 10 a second).
 */
export class WeightsPainter {
  /**
   * @param {object[]} layers the snapshot's desugared layers
   * @param {{kind: string, extent: number[], features: string[], class_names: string[], points: object}}
   *   dataset the snapshot's dataset (its training points feed the hidden space)
   * @param {{grid: number, neuron_grid: number, hidden_layer?: number, hidden_neurons?: number[]}} view
   *   the job's stream settings and view
   */
  constructor(layers, dataset, view) {
    Object.assign(this, { layers, dataset, grid: view.grid, neuronGrid: view.neuron_grid });
    this.view = { hidden_layer: view.hidden_layer ?? null, hidden_neurons: view.hidden_neurons ?? [0, 1] };
    this.pending = null; // the newest weights frame, its boundary not drawn yet
    this.last = null; // the newest weights frame drawn
    this.secondary = null; // the newest weights frame whose neurons and hidden space wait to be drawn
    this.neuronsAt = -Infinity;
    this.hiddenShown = false;
  }

  push(frame) {
    this.pending = frame;
  }

  /** Follow the job's view (a "view" message: another viewer, or this one, chose a hidden layer). */
  setView(view) {
    this.view = { hidden_layer: view.hidden_layer ?? null, hidden_neurons: view.hidden_neurons ?? [0, 1] };
    this.secondary = this.secondary || this.last; // a paused job sends no new weights to draw it with
  }

  /** Draw the hidden space too (its view is open and on screen), or not. */
  showHidden(shown) {
    this.hiddenShown = shown;
    if (shown) this.secondary = this.secondary || this.last;
  }

  /**
   * What to draw now: {boundary, neurons, hidden}, each a frame or null (null altogether when there is
   * nothing new). The boundary from the newest weights; the neurons and the hidden space at most every
   * NEURONS_EVERY_MS, from the newest weights not yet drawn so (they wait, never dropped).
   */
  take(now) {
    const drawn = { boundary: null, neurons: null, hidden: null };
    if (this.pending) {
      this.last = this.secondary = this.pending;
      this.pending = null;
      const weights = unpackWeights(this.last, this.layers);
      drawn.boundary = boundaryFrame(this.layers, this.dataset, weights, this.grid, frameMeta(this.dataset, this.last));
    }
    if (this.secondary && now - this.neuronsAt >= NEURONS_EVERY_MS) {
      this.neuronsAt = now;
      Object.assign(drawn, this.secondaryFrames(this.secondary));
      this.secondary = null;
    }
    return drawn.boundary || drawn.neurons || drawn.hidden ? drawn : null;
  }

  /** The neuron thumbnails and (when shown, for a classifier) the hidden space of a weights frame. */
  secondaryFrames(frame) {
    const weights = unpackWeights(frame, this.layers);
    const meta = frameMeta(this.dataset, frame);
    const neurons = neuronsFrame(this.layers, this.dataset, weights, this.neuronGrid, meta);
    const choice = this.dataset.kind === "classify2d" ? hiddenChoice(this.layers, this.view) : null;
    if (!this.hiddenShown || !choice) return { neurons, hidden: null };
    const points = this.dataset.points?.train ?? [];
    return { neurons, hidden: hiddenFrame(this.layers, this.dataset, weights, choice, points, meta.step) };
  }
}
