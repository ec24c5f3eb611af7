// The network diagram, TF Playground's centre piece for a net of any depth: the input features, each
// hidden layer's neurons and the outputs as columns of nodes, every node a heatmap of what it computes
// over the plane ("neurons" frames), every weight a link whose width follows its size and whose colour
// its sign, every bias a small square on its neuron ("weights" frames). Hovering a node, link or bias
// shows it large; clicking a link or bias opens a box to type its new value (`onEdit`). Buttons add
// and remove hidden layers and neurons (`onShape`). Layers with more weights than `MAX_LINKS` show
// their strongest links.

import { classColor, NEGATIVE_RGB, POSITIVE_RGB } from "./classcolors.js";
import { unpackWeights } from "./netforward.js";
import { paintNeuron } from "./neurons.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_LINKS = 200; // per layer
const NODE_MAX = 34; // px: a node's side when there is room
const NODE_MIN = 14;
const LINK_WIDTH = (weight) => 0.6 + 1.6 * Math.min(Math.abs(weight), 4); // px, the same scale always
const NEGATIVE = `rgb(${NEGATIVE_RGB})`;
const POSITIVE = `rgb(${POSITIVE_RGB})`;
const ACTIVATIONS = new Set(["relu", "leaky_relu", "sigmoid", "tanh", "maxout"]);

/** A signed value's colour: orange for negative, blue for positive, paler the closer to zero. */
function signColor(value, scale = 1) {
  const strength = Math.min(1, Math.abs(value) / scale);
  const [r, g, b] = value < 0 ? NEGATIVE_RGB : POSITIVE_RGB;
  const mix = (c) => Math.round(255 + (c - 255) * (0.25 + 0.75 * strength));
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

/**
 * The columns of a net's diagram, from the snapshot's desugared layers: the inputs, then one column
 * per fc layer (its neurons' picture is the activation after it, when there is one); the last fc is
 * the output column.
 * @param {{type: string, out_depth: number}[]} described
 * @returns {{kind: string, count: number, fc: number|null, shown: number|null, activation: string|null}[]}
 */
function diagramColumns(described) {
  const columns = [{ kind: "input", count: described[0].out_depth, fc: null, shown: 0, activation: null }];
  const dense = described.map((row, index) => (row.type === "fc" ? index : -1)).filter((index) => index >= 0);
  for (const index of dense) {
    const next = described[index + 1]?.type;
    const activation = ACTIVATIONS.has(next) ? next : null;
    const output = index === dense.at(-1);
    columns.push({
      kind: output ? "output" : "hidden",
      count: described[index].out_depth,
      fc: index,
      shown: output ? null : activation ? index + 1 : index,
      activation,
    });
  }
  return columns;
}

export class NetworkDiagram {
  /**
   * @param {HTMLElement} root the diagram's box (position: relative)
   * @param {{onEdit: (change: object) => void, onShape: (change: object) => void}} handlers
   *   onEdit({layer, param, index, value}); onShape({op: "add-layer"|"remove-layer"|"add-neuron"|
   *   "remove-neuron", hidden}) with `hidden` the hidden layer's number (0 = first)
   */
  constructor(root, handlers) {
    this.root = root;
    this.handlers = handlers;
    this.described = []; // the snapshot's desugared layers
    this.columns = [];
    this.names = { inputs: [], outputs: [] };
    this.weights = null; // newest "weights" frame
    this.neurons = null; // newest "neurons" frame
    this.dirty = { weights: false, neurons: false };
    this.editable = true;
    this.card = null;
  }

  /** Draw a new net: `described` the snapshot's desugared layers; names of its inputs and outputs. */
  build(described, inputNames, outputNames) {
    this.described = described;
    this.columns = diagramColumns(described);
    this.names = { inputs: inputNames, outputs: outputNames };
    this.weights = null;
    this.neurons = null;
    this.layout();
  }

  /** Lay the same net out again (the box changed size) and redraw its newest frames. */
  relayout() {
    if (!this.columns.length) return;
    this.layout();
    this.dirty = { weights: true, neurons: true };
  }

  /** Whether clicks may edit weights (false: someone else's job, watched read only). */
  setEditable(editable) {
    this.editable = editable;
    this.root.classList.toggle("read-only", !editable);
  }

  pushWeights(frame) {
    this.weights = frame;
    this.dirty.weights = true;
  }

  pushNeurons(frame) {
    this.neurons = frame;
    this.dirty.neurons = true;
  }

  /** Redraw what changed since the last call (call from requestAnimationFrame). */
  draw() {
    if (this.dirty.weights && this.weights) this.drawWeights();
    if (this.dirty.neurons && this.neurons) this.drawNeurons();
    this.dirty = { weights: false, neurons: false };
  }

  // ---- layout ------------------------------------------------------------------------------------

  layout() {
    const root = this.root;
    root.replaceChildren();
    const width = root.clientWidth || 600;
    const tallest = Math.max(...this.columns.map((column) => column.count));
    const node = Math.max(NODE_MIN, Math.min(NODE_MAX, Math.floor(300 / tallest) - 6));
    const step = node + Math.max(4, Math.round(node / 3));
    const top = 56; // room for the toolbar and the column headings
    const height = top + tallest * step + 8;
    root.style.height = `${height}px`;
    this.svg = document.createElementNS(SVG, "svg");
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);
    this.svg.classList.add("diagram-links");
    root.append(this.svg, this.toolbar());
    const gap = (width - node) / Math.max(1, this.columns.length - 1);
    this.nodes = this.columns.map((column, c) => {
      const x = Math.round(c * gap);
      const first = top + ((tallest - column.count) * step) / 2;
      root.append(this.heading(column, c, x, node));
      return Array.from({ length: column.count }, (_, k) => this.node(column, c, k, x, first + k * step, node));
    });
    this.links = this.columns.map((column, c) => (c ? this.linkPool(column, c) : []));
    this.card = document.createElement("div");
    this.card.className = "diagram-card";
    this.card.hidden = true;
    root.append(this.card);
  }

  toolbar() {
    const bar = document.createElement("div");
    bar.className = "diagram-toolbar";
    const hidden = this.columns.filter((column) => column.kind === "hidden").length;
    bar.append(
      this.button("+ layer", "Add a hidden layer", { op: "add-layer", hidden }),
      this.button("− layer", "Remove the last hidden layer", { op: "remove-layer", hidden: hidden - 1 }, !hidden),
      Object.assign(document.createElement("span"), { className: "muted", textContent: `${hidden} hidden` }),
    );
    return bar;
  }

  heading(column, c, x, node) {
    const box = document.createElement("div");
    box.className = "diagram-heading";
    // centred over its column, but the edge columns' headings align to the box's edges to stay inside
    const edge = c === 0 ? "first" : c === this.columns.length - 1 ? "last" : null;
    box.style.left = `${edge === "first" ? x : edge === "last" ? x + node : x + node / 2}px`;
    if (edge) box.classList.add(edge);
    if (column.kind === "hidden") {
      const hidden = c - 1;
      box.append(
        this.button("+", `Add a neuron to hidden layer ${c}`, { op: "add-neuron", hidden }),
        this.button("−", `Remove a neuron from hidden layer ${c}`, { op: "remove-neuron", hidden }, column.count < 2),
      );
      box.title = `${column.count} neuron${column.count > 1 ? "s" : ""}, ${column.activation ?? "linear"}`;
    } else {
      box.textContent = column.kind === "input" ? "inputs" : "output";
    }
    return box;
  }

  button(text, label, change, disabled = false) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.setAttribute("aria-label", label);
    button.title = label;
    button.disabled = disabled;
    button.addEventListener("click", () => this.handlers.onShape(change));
    return button;
  }

  node(column, c, k, x, y, size) {
    const box = document.createElement("div");
    box.className = `diagram-node ${column.kind}`;
    Object.assign(box.style, { left: `${x}px`, top: `${y}px`, width: `${size}px`, height: `${size}px` });
    const name = this.nodeName(column, c, k);
    box.setAttribute("aria-label", name);
    box.tabIndex = 0;
    let canvas = null;
    if (column.shown !== null) {
      canvas = document.createElement("canvas");
      box.append(canvas);
    } else {
      box.style.background = column.kind === "output" && this.names.outputs.length ? classColor(k) : "#ccc";
    }
    const show = () => this.showCard(box, name, canvas);
    box.addEventListener("mouseenter", show);
    box.addEventListener("focus", show);
    box.addEventListener("mouseleave", () => this.hideCard());
    let bias = null;
    if (column.fc !== null) {
      bias = document.createElement("div");
      bias.className = "diagram-bias";
      bias.setAttribute("aria-label", `bias of ${name}`);
      bias.addEventListener("mouseenter", (event) => {
        event.stopPropagation();
        this.showValue(bias, `bias of ${name}`, bias.dataset.value);
      });
      bias.addEventListener("click", (event) => this.edit(event, { layer: column.fc, param: "b", index: [k] }, bias));
      box.append(bias);
    }
    this.root.append(box);
    return { box, canvas, bias, x, y, size, name };
  }

  nodeName(column, c, k) {
    if (column.kind === "input") return this.names.inputs[k] ?? `input ${k}`;
    if (column.kind === "output") return `output ${this.names.outputs[k] ?? k}`;
    return `layer ${column.shown}, neuron ${k}`; // the net's own layer numbers, as the hidden space says
  }

  /** The SVG paths of the links into column `c` (one per weight, at most MAX_LINKS). */
  linkPool(column, c) {
    const inputs = this.columns[c - 1].count;
    const count = Math.min(MAX_LINKS, inputs * column.count);
    return Array.from({ length: count }, () => {
      const path = document.createElementNS(SVG, "path");
      path.classList.add("diagram-link");
      path.addEventListener("mouseenter", () => this.showValue(path, path.dataset.name, path.dataset.value));
      path.addEventListener("mouseleave", () => this.hideCard());
      path.addEventListener("click", (event) => {
        const [from, to] = path.dataset.index.split(",").map(Number);
        this.edit(event, { layer: column.fc, param: "w", index: [from, to] }, path);
      });
      this.svg.append(path);
      return path;
    });
  }

  // ---- drawing -----------------------------------------------------------------------------------

  drawWeights() {
    const layers = unpackWeights(this.weights, this.described);
    this.columns.forEach((column, c) => {
      if (!c || !layers[column.fc]) return;
      const { w, b } = layers[column.fc];
      const [inputs, outputs] = w.shape;
      const chosen = strongest(w.values, this.links[c].length);
      this.links[c].forEach((path, slot) => {
        const flat = chosen[slot];
        const from = Math.floor(flat / outputs);
        const to = flat % outputs;
        if (from >= inputs) return;
        const value = w.values[flat];
        const a = this.nodes[c - 1][from];
        const z = this.nodes[c][to];
        const x0 = a.x + a.size;
        const y0 = a.y + a.size / 2;
        const x1 = z.x;
        const y1 = z.y + z.size / 2;
        const mid = (x0 + x1) / 2;
        path.setAttribute("d", `M${x0},${y0} C${mid},${y0} ${mid},${y1} ${x1},${y1}`);
        path.setAttribute("stroke", value < 0 ? NEGATIVE : POSITIVE);
        path.setAttribute("stroke-width", LINK_WIDTH(value).toFixed(2));
        path.dataset.index = `${from},${to}`;
        path.dataset.value = String(value);
        path.dataset.name = `weight ${a.name} → ${z.name}`;
      });
      this.nodes[c].forEach((node, k) => {
        const value = b.values[k];
        node.bias.style.background = signColor(value, 2);
        node.bias.dataset.value = String(value);
      });
    });
  }

  drawNeurons() {
    const { arrays } = this.neurons;
    this.columns.forEach((column, c) => {
      const array = column.shown === null ? null : arrays[`layer${column.shown}`];
      if (!array) return;
      const [, rows, side] = array.shape; // (K, side, side) over the plane; (K, 1, side) along a 1D x
      this.nodes[c].forEach((node, k) => {
        if (node.canvas.width !== side) Object.assign(node.canvas, { width: side, height: side });
        if (rows === 1) paintCurve(node.canvas, array.values, k * side, side);
        else paintNeuron(node.canvas, array.values, k * side * side, side);
      });
    });
    if (this.card && !this.card.hidden && this.card.source) this.card.source();
  }

  // ---- hover and edit ----------------------------------------------------------------------------

  showCard(anchor, name, canvas) {
    const large = document.createElement("canvas");
    const copy = () => {
      if (!canvas || !canvas.width) return;
      Object.assign(large, { width: canvas.width, height: canvas.height });
      large.getContext("2d").drawImage(canvas, 0, 0);
    };
    copy();
    const caption = Object.assign(document.createElement("span"), { textContent: name });
    this.card.replaceChildren(...(canvas ? [large] : []), caption);
    this.card.source = canvas ? copy : null;
    this.place(anchor);
  }

  showValue(anchor, name, value) {
    if (value === undefined) return;
    const number = Object.assign(document.createElement("b"), { textContent: Number(value).toFixed(3) });
    const hint = this.editable ? "click to change it" : "read only";
    const caption = Object.assign(document.createElement("span"), { textContent: `${name} (${hint})` });
    this.card.replaceChildren(number, caption);
    this.card.source = null;
    this.place(anchor);
  }

  place(anchor) {
    const root = this.root.getBoundingClientRect();
    const box = anchor.getBoundingClientRect();
    this.card.hidden = false;
    const left = Math.min(box.right - root.left + 8, root.width - this.card.offsetWidth);
    this.card.style.left = `${Math.max(0, left)}px`;
    this.card.style.top = `${Math.max(0, box.top - root.top)}px`;
  }

  hideCard() {
    if (this.card) this.card.hidden = true;
  }

  /** Open a box at the click to type a new value for `target` ({layer, param, index}). */
  edit(event, target, anchor) {
    event.stopPropagation();
    if (!this.editable) return;
    this.root.querySelector(".diagram-edit")?.remove();
    const input = document.createElement("input");
    input.className = "diagram-edit";
    input.type = "text";
    input.inputMode = "decimal";
    input.value = Number(anchor.dataset.value ?? 0).toFixed(3);
    input.setAttribute("aria-label", `new value of the ${target.param === "b" ? "bias" : "weight"} (Enter to apply)`);
    const root = this.root.getBoundingClientRect();
    input.style.left = `${Math.max(0, event.clientX - root.left - 30)}px`;
    input.style.top = `${Math.max(0, event.clientY - root.top - 12)}px`;
    let open = true; // removing the box blurs it, and its blur handler must not remove it twice
    const close = () => {
      if (!open) return;
      open = false;
      input.remove();
    };
    input.addEventListener("keydown", (key) => {
      if (key.key === "Escape") close();
      if (key.key !== "Enter") return;
      close();
      // What was typed goes to the server as a number (null when it is not one): it says what is wrong.
      const value = input.value.trim() === "" ? null : Number(input.value);
      this.handlers.onEdit({ ...target, value: Number.isFinite(value) ? value : input.value });
    });
    input.addEventListener("blur", close);
    this.root.append(input);
    input.focus();
    input.select();
  }
}

/** A neuron of a 1D regression: its output over x (`side` quantised codes from `offset`) as a curve. */
function paintCurve(canvas, codes, offset, side) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, side, side);
  ctx.strokeStyle = POSITIVE;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  for (let i = 0; i < side; i++) {
    const y = side - 1 - (codes[offset + i] / 255) * (side - 2); // the layer's range, bottom to top
    if (i) ctx.lineTo(i, y);
    else ctx.moveTo(i, y);
  }
  ctx.stroke();
}

/** Flat indices of the `count` largest |values| (all of them, in order, when there are no more). */
function strongest(values, count) {
  const order = Array.from(values.keys());
  if (order.length <= count) return order;
  order.sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]));
  return order.slice(0, count);
}
