// What the hidden layers compute: the paint of a neuron's picture over the input plane (the network
// diagram draws one per neuron from "neurons" frames) and ConvNetJS's hidden-space view ("hidden"
// frames: the plane's mesh and the training points mapped into two neurons of one layer).

import { classColor, NEGATIVE_RGB, POSITIVE_RGB } from "./classcolors.js";

/** Paint one neuron's quantised outputs (side x side codes from `offset` of `values`) on `canvas`, in a
 * diverging map over the layer's range: low orange, high blue, the middle white. */
export function paintNeuron(canvas, values, offset, side) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const t = values[offset + i] / 255; // 0..1 over the layer's range
    const [target, weight] = t < 0.5 ? [NEGATIVE_RGB, 1 - 2 * t] : [POSITIVE_RGB, 2 * t - 1];
    for (let k = 0; k < 3; k++) image.data[4 * i + k] = 255 + (target[k] - 255) * weight;
    image.data[4 * i + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

/** The hidden-space plot: mesh lines and training points in two neurons' coordinates. */
export class HiddenView {
  /** @param {HTMLCanvasElement} canvas @param {HTMLElement} caption */
  constructor(canvas, caption) {
    this.canvas = canvas;
    this.caption = caption;
    this.pending = null;
    this.current = null; // {layer, neurons} of the last frame drawn
  }

  push(frame) {
    this.pending = frame;
  }

  draw() {
    const frame = this.pending;
    if (!frame) return;
    this.pending = null;
    this.current = { layer: frame.header.layer, neurons: frame.header.neurons };
    const [a, b] = frame.header.neurons;
    this.caption.textContent = `layer ${frame.header.layer}: neuron ${a} (x) against neuron ${b} (y)`;
    const { mesh, points, labels } = frame.arrays;
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    ctx.clearRect(0, 0, width, height);
    const [lo, hi] = bounds(mesh.values, points.values);
    const pad = 10;
    const sx = (v) => pad + ((v - lo[0]) / (hi[0] - lo[0] || 1)) * (width - 2 * pad);
    const sy = (v) => height - pad - ((v - lo[1]) / (hi[1] - lo[1] || 1)) * (height - 2 * pad);
    const [lines, perLine] = mesh.shape;
    ctx.strokeStyle = "rgba(29, 36, 48, .3)";
    ctx.lineWidth = 1;
    for (let line = 0; line < lines; line++) {
      ctx.beginPath();
      for (let p = 0; p < perLine; p++) {
        const i = 2 * (line * perLine + p);
        if (p) ctx.lineTo(sx(mesh.values[i]), sy(mesh.values[i + 1]));
        else ctx.moveTo(sx(mesh.values[i]), sy(mesh.values[i + 1]));
      }
      ctx.stroke();
    }
    for (let n = 0; n < labels.values.length; n++) {
      ctx.fillStyle = classColor(labels.values[n]);
      ctx.beginPath();
      ctx.arc(sx(points.values[2 * n]), sy(points.values[2 * n + 1]), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
}

/** [[xmin, ymin], [xmax, ymax]] over interleaved (x, y) arrays. */
function bounds(...arrays) {
  const lo = [Infinity, Infinity];
  const hi = [-Infinity, -Infinity];
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const axis = i % 2;
      if (values[i] < lo[axis]) lo[axis] = values[i];
      if (values[i] > hi[axis]) hi[axis] = values[i];
    }
  }
  return [lo, hi];
}

const ACTIVATION_TYPES = new Set(["relu", "leaky_relu", "sigmoid", "tanh", "maxout"]);
const LINEAR_TYPES = new Set(["fc", "conv"]);

/**
 * The hidden layers the server draws as neurons (mirrors app/visuals/plane.neuron_layers): every
 * activation layer, and every fc no activation follows; input, the loss's fc and the loss excluded.
 * @param {{type: string, out_depth: number}[]} described the snapshot's desugared layers
 * @returns {{layer: number, count: number, type: string}[]}
 */
export function hiddenLayers(described) {
  const types = described.map((row) => row.type);
  const shown = [];
  for (let index = 1; index < types.length - 2; index++) {
    const following = types.slice(index + 1, -2).filter((t) => LINEAR_TYPES.has(t) || ACTIVATION_TYPES.has(t));
    const linearAlone = LINEAR_TYPES.has(types[index]) && (!following.length || LINEAR_TYPES.has(following[0]));
    if (ACTIVATION_TYPES.has(types[index]) || linearAlone) {
      shown.push({ layer: index, count: described[index].out_depth, type: types[index] });
    }
  }
  return shown;
}

/** The neuron pair after (a, b) among `count` neurons: (0,1), (0,2), ..., (1,2), ... and round again. */
export function nextPair([a, b], count) {
  if (count < 2) return [0, 0];
  if (b + 1 < count) return [a, b + 1];
  if (a + 2 < count) return [a + 1, a + 2];
  return [0, 1];
}

/**
 * The hidden-space controls: a select of the hidden layers and a button that cycles the neuron pair;
 * `onChange({hidden_layer, hidden_neurons})` asks the job for that view.
 */
export class HiddenPicker {
  /** @param {HTMLSelectElement} select @param {HTMLButtonElement} cycle @param {(view: object) => void} onChange */
  constructor(select, cycle, onChange) {
    Object.assign(this, { select, cycle, onChange });
    this.layers = [];
    this.layer = null;
    this.neurons = [0, 1];
    select.addEventListener("change", () => this.choose(Number(select.value), [0, 1]));
    cycle.addEventListener("click", () => {
      const row = this.layers.find((item) => item.layer === this.layer);
      if (row) this.choose(this.layer, nextPair(this.neurons, row.count));
    });
  }

  /** Offer the hidden layers of a net (the snapshot's desugared layers) and show its current view. */
  show(described, view) {
    this.layers = hiddenLayers(described);
    // the server's default: the last hidden layer with two neurons or more, else the last one
    const wide = this.layers.filter((row) => row.count >= 2);
    this.layer = view.hidden_layer ?? (wide.at(-1) || this.layers.at(-1))?.layer ?? null;
    this.neurons = view.hidden_neurons || [0, 1];
    const label = (row) => `layer ${row.layer} (${row.type}, ${row.count})`;
    this.select.replaceChildren(...this.layers.map((row) => new Option(label(row), row.layer)));
    if (this.layer !== null) this.select.value = String(this.layer);
    this.select.disabled = !this.layers.length;
    this.cycle.disabled = !this.layers.length;
  }

  /** Follow the view a "hidden" frame was drawn with (another viewer, or a reset, may change it). */
  follow(header) {
    this.layer = header.layer;
    this.neurons = header.neurons;
    if (this.select.value !== String(header.layer)) this.select.value = String(header.layer);
  }

  choose(layer, neurons) {
    this.layer = layer;
    this.neurons = neurons;
    this.onChange({ hidden_layer: layer, hidden_neurons: neurons });
  }
}
