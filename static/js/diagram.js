// The network diagram, TF Playground's centre piece for a net of any depth: the input features, each
// hidden layer's neurons and the outputs as columns of nodes, every node a heatmap of what it computes
// over the plane ("neurons" frames), every weight a link whose width follows its size and whose colour
// its sign, every bias a small square on its neuron ("weights" frames). A maxout layer gets a column of
// its own units, each joined to the neurons it takes the maximum of. Hovering a node, link or bias
// shows it large (the link nearest the pointer is highlighted); clicking a link or bias opens a box to
// type its new value (`onEdit`). Buttons add and remove hidden layers and neurons (`onShape`). Layers
// with more weights than `MAX_LINKS` show their strongest links.

import { classColor, NEGATIVE_RGB, POSITIVE_RGB } from "./classcolors.js";
import { HoverCard, openEditBox } from "./diagramcard.js";
import { linkPath, linkSamples, nearestLink, strongest } from "./diagramlinks.js";
import { unpackWeights } from "./netforward.js";
import { paintNeuron } from "./neurons.js";

const SVG = "http://www.w3.org/2000/svg";
const MAX_LINKS = 200; // per layer
const NODE_MAX = 34; // px: a node's side when there is room
const NODE_MIN = 14;
const LINK_WIDTH = (weight) => 0.6 + 1.6 * Math.min(Math.abs(weight), 4); // px, the same scale always
const REACH = 8; // px: a pointer this close to a link's curve points at it
const NEGATIVE = `rgb(${NEGATIVE_RGB})`;
const POSITIVE = `rgb(${POSITIVE_RGB})`;

/** A signed value's colour: orange for negative, blue for positive, paler the closer to zero. */
function signColor(value, scale = 1) {
  const strength = Math.min(1, Math.abs(value) / scale);
  const [r, g, b] = value < 0 ? NEGATIVE_RGB : POSITIVE_RGB;
  const mix = (c) => Math.round(255 + (c - 255) * (0.25 + 0.75 * strength));
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

/**
 * The columns of a net's diagram, from the snapshot's desugared layers: the inputs, then a column of
 * neurons per fc layer (the last fc's are the outputs). The layers after an fc that keep its width (an
 * activation, dropout) belong to its column: its pictures are the last of them a "neurons" frame
 * draws. A layer that narrows it (maxout) starts a column of its own units, each the maximum of
 * `group` neurons of the column before; the next fc's weights start from those units. No list of
 * layer types is needed: the widths say it.
 * @param {{type: string, out_depth: number, group_size?: number}[]} described
 * @returns {{kind: "input"|"hidden"|"group"|"output", count: number, fc: number|null, layers: number[],
 *   types: string[], hidden: number|null, group: number|null}[]} `hidden`: the hidden fc layer's number
 *   (0 = the first) the +/- buttons change
 */
function diagramColumns(described) {
  const lastFc = described.findLastIndex((row) => row.type === "fc");
  const column = (kind, row, index, more = {}) => ({
    kind, count: row.out_depth, fc: null, layers: [index], types: [], hidden: null, group: null, ...more,
  });
  const columns = [column("input", described[0], 0)];
  let hidden = 0;
  described.forEach((row, index) => {
    const last = columns.at(-1);
    if (index === 0) return;
    if (row.type === "fc" && index === lastFc) columns.push(column("output", row, index, { fc: index }));
    else if (row.type === "fc") columns.push(column("hidden", row, index, { fc: index, hidden: hidden++ }));
    else if (row.out_depth === last.count) {
      last.layers.push(index);
      last.types.push(row.type);
    } else {
      columns.push(column("group", row, index, { types: [row.type], group: row.group_size ?? null }));
    }
  });
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
    this.card = null; // HoverCard
    this.hits = []; // [{samples, link}] of every drawn link, for the pointer
    this.hot = null; // the link under the pointer
    root.addEventListener("pointermove", (event) => this.pointAt(this.linkAt(event), event));
    root.addEventListener("pointerleave", () => this.pointAt(null));
    root.addEventListener("click", (event) => {
      const link = this.linkAt(event);
      if (!link) return;
      const [from, to] = link.dataset.index.split(",").map(Number);
      this.edit(event, { layer: Number(link.dataset.layer), param: "w", index: [from, to] }, link);
    });
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

  /** Keep the newest decoded "weights" frame ({header, arrays}) to draw at the next animation frame. */
  pushWeights(frame) {
    this.weights = frame;
    this.dirty.weights = true;
  }

  /** Keep the newest decoded "neurons" frame ({header, arrays}) to draw at the next animation frame. */
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
    this.hits = [];
    this.hot = null;
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
    this.links = this.columns.map((column, c) => (column.fc !== null && c ? this.linkPool(column, c) : []));
    this.columns.forEach((column, c) => column.kind === "group" && this.groupLinks(column, c));
    this.hotPath = document.createElementNS(SVG, "path");
    this.hotPath.classList.add("diagram-hot");
    this.svg.append(this.hotPath);
    this.card = new HoverCard(root);
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
      const { hidden } = column;
      box.append(
        this.button("+", `Add a neuron to hidden layer ${hidden + 1}`, { op: "add-neuron", hidden }),
        this.button("−", `Remove a neuron from hidden layer ${hidden + 1}`, { op: "remove-neuron", hidden }, column.count < 2),
      );
      const then = this.columns[c + 1]?.kind === "group" ? `, then ${this.columns[c + 1].types[0]}` : "";
      const neurons = `${column.count} neuron${column.count > 1 ? "s" : ""}`;
      box.title = `${neurons}, ${column.types.join(", ") || "linear"}${then}`;
    } else if (column.kind === "group") {
      box.textContent = column.group ? `max of ${column.group}` : column.types[0];
      box.title = `${column.count} ${column.types[0]} units` +
        (column.group ? `, each the largest of ${column.group} neurons of the layer before` : "");
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
    const name = this.nodeName(column, k);
    box.setAttribute("aria-label", name);
    box.tabIndex = 0;
    let canvas = null;
    if (column.kind !== "output") {
      canvas = document.createElement("canvas");
      box.append(canvas);
    } else {
      box.style.background = this.names.outputs.length ? classColor(k) : "#ccc";
    }
    const show = () => this.card.showPicture(box, name, canvas);
    box.addEventListener("mouseenter", show);
    box.addEventListener("focus", show);
    box.addEventListener("mouseleave", () => this.card.hide());
    let bias = null;
    if (column.fc !== null) {
      bias = document.createElement("div");
      bias.className = "diagram-bias";
      bias.setAttribute("aria-label", `bias of ${name}`);
      bias.addEventListener("mouseenter", (event) => {
        event.stopPropagation();
        this.card.showValue(bias, `bias of ${name}`, bias.dataset.value, this.editable);
      });
      bias.addEventListener("click", (event) => this.edit(event, { layer: column.fc, param: "b", index: [k] }, bias));
      box.append(bias);
    }
    this.root.append(box);
    return { box, canvas, bias, x, y, size, name };
  }

  nodeName(column, k) {
    if (column.kind === "input") return this.names.inputs[k] ?? `input ${k}`;
    if (column.kind === "output") return `output ${this.names.outputs[k] ?? k}`;
    return `layer ${column.layers.at(-1)}, neuron ${k}`; // the net's own layer numbers, as the hidden space says
  }

  /** The SVG paths of the links into column `c` (one per weight, at most MAX_LINKS). */
  linkPool(column, c) {
    const inputs = this.columns[c - 1].count;
    const count = Math.min(MAX_LINKS, inputs * column.count);
    return Array.from({ length: count }, () => {
      const path = document.createElementNS(SVG, "path");
      path.classList.add("diagram-link");
      path.dataset.layer = String(column.fc);
      this.svg.append(path);
      return path;
    });
  }

  /** The fixed lines of a maxout column: each unit joined to the neurons it takes the maximum of. */
  groupLinks(column, c) {
    if (!column.group) return;
    this.nodes[c].forEach((unit, u) => {
      for (let j = u * column.group; j < (u + 1) * column.group; j++) {
        const source = this.nodes[c - 1][j];
        if (!source) continue;
        const path = document.createElementNS(SVG, "path");
        path.classList.add("diagram-group-link");
        const [x0, y0, x1, y1] = ends(source, unit);
        path.setAttribute("d", linkPath(x0, y0, x1, y1));
        this.svg.append(path);
      }
    });
  }

  // ---- drawing -----------------------------------------------------------------------------------

  drawWeights() {
    const layers = unpackWeights(this.weights, this.described);
    this.hits = [];
    this.columns.forEach((column, c) => {
      const block = column.fc === null ? undefined : layers[column.fc];
      // an fc fed by more values than the column before it has nodes (a conv or pool net) gets no links
      if (!block || block.w.shape[0] !== this.nodes[c - 1].length) return;
      const { w, b } = block;
      const neurons = w.shape[1];
      const chosen = strongest(w.values, this.links[c].length);
      this.links[c].forEach((path, slot) => {
        const flat = chosen[slot];
        const [from, to] = [Math.floor(flat / neurons), flat % neurons];
        const value = w.values[flat];
        const a = this.nodes[c - 1][from];
        const z = this.nodes[c][to];
        const [x0, y0, x1, y1] = ends(a, z);
        path.setAttribute("d", linkPath(x0, y0, x1, y1));
        path.setAttribute("stroke", value < 0 ? NEGATIVE : POSITIVE);
        path.setAttribute("stroke-width", LINK_WIDTH(value).toFixed(2));
        path.dataset.index = `${from},${to}`;
        path.dataset.value = String(value);
        path.dataset.name = `weight ${a.name} → ${z.name}`;
        this.hits.push({ samples: linkSamples(x0, y0, x1, y1), link: path });
      });
      this.nodes[c].forEach((node, k) => {
        node.bias.style.background = signColor(b.values[k], 2);
        node.bias.dataset.value = String(b.values[k]);
      });
    });
    if (this.hot) this.highlight(this.hot);
  }

  drawNeurons() {
    const { arrays } = this.neurons;
    this.columns.forEach((column, c) => {
      // the last of the column's layers the frame draws (an activation after its fc, or the fc itself)
      const array = column.layers.map((layer) => arrays[`layer${layer}`])
        .findLast((found) => found && found.shape[0] === column.count);
      if (!array || !this.nodes[c][0]?.canvas) return;
      const [, rows, side] = array.shape; // (K, side, side) over the plane; (K, 1, side) along a 1D x
      this.nodes[c].forEach((node, k) => {
        if (node.canvas.width !== side) Object.assign(node.canvas, { width: side, height: side });
        if (rows === 1) paintCurve(node.canvas, array.values, k * side, side);
        else paintNeuron(node.canvas, array.values, k * side * side, side);
      });
    });
    this.card?.redraw();
  }

  // ---- hover and edit ----------------------------------------------------------------------------

  /** The link a pointer event points at: the one whose curve is nearest, within REACH px (none over a
   * node, a heading or the edit box); an event sent to a link itself (a script's click) is its own. */
  linkAt(event) {
    if (event.target.classList?.contains("diagram-link")) return event.target;
    if (event.target !== this.root && event.target !== this.svg) return null;
    const box = this.root.getBoundingClientRect();
    return nearestLink(this.hits, event.clientX - box.left, event.clientY - box.top, REACH);
  }

  /** Highlight `link` (null: none) and show its value by the pointer. */
  pointAt(link, event = null) {
    if (link === this.hot) return;
    this.hot?.classList.remove("hot");
    if (this.hot) this.card.hide(this.hot);
    this.hot = link;
    this.root.classList.toggle("pointing", Boolean(link));
    if (!link) {
      this.hotPath?.removeAttribute("d");
      return;
    }
    this.highlight(link);
    this.card.showValue(link, link.dataset.name, link.dataset.value, this.editable, event);
  }

  /** Draw the highlight over `link` (the link itself stays in its place among the others). */
  highlight(link) {
    link.classList.add("hot");
    this.hotPath.setAttribute("d", link.getAttribute("d"));
    this.hotPath.setAttribute("stroke", link.getAttribute("stroke"));
    this.hotPath.setAttribute("stroke-width", (Number(link.getAttribute("stroke-width")) + 2).toFixed(2));
  }

  /** Open a box at the click to type a new value for `target` ({layer, param, index}) of `anchor`. */
  edit(event, target, anchor) {
    event.stopPropagation();
    if (!this.editable) return;
    const onValue = (value) => this.handlers.onEdit({ ...target, value });
    openEditBox(this.root, event, { param: target.param, value: anchor.dataset.value, onValue });
  }
}

/** Where a link from node `a` to node `z` starts and ends: [x0, y0, x1, y1] in the diagram's px. */
function ends(a, z) {
  return [a.x + a.size, a.y + a.size / 2, z.x, z.y + z.size / 2];
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
