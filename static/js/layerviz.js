// The network as ConvNetJS's MNIST demo draws it: one box per layer with its shape and parameter count,
// the activation maps of one sample image (a small greyscale canvas per channel) and beside them the
// gradients of its loss (blue negative, white zero, red positive), the conv filters and their gradients.

import { fixed } from "./numbers.js";

const MAX_CHANNELS = 64;
const TARGET_SIDE = 48; // CSS pixels of a channel's canvas
const STRIP_CELL = 10; // CSS pixels per neuron of a 1x1xD layer
const FILTERS_WIDTH = 420; // most CSS pixels of a layer's filter grid

/** A code as grey: 0 black, 255 white. */
function grey(code, rgb) {
  rgb[0] = rgb[1] = rgb[2] = code;
}

/** A code of a range symmetric about 0 (the frames' gradients): blue below the middle, white at it,
 * red above, saturated at the largest magnitude. */
function diverging(code, rgb) {
  const t = (code - 127.5) / 127.5;
  const fade = Math.round(255 * (1 - Math.abs(t)));
  rgb[0] = t < 0 ? fade : 255;
  rgb[1] = fade;
  rgb[2] = t > 0 ? fade : 255;
}

/** ImageData of the w x h uint8 codes that start at `offset`, coloured by `colour` (grey, diverging). */
function codeImage(codes, offset, w, h, colour) {
  const image = new ImageData(w, h);
  const rgb = [0, 0, 0];
  for (let i = 0; i < w * h; i++) {
    colour(codes[offset + i], rgb);
    image.data.set(rgb, 4 * i);
    image.data[4 * i + 3] = 255;
  }
  return image;
}

function makeCanvas(w, h, cssWidth, cssHeight, label) {
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  canvas.style.width = `${cssWidth}px`;
  canvas.style.height = `${cssHeight}px`;
  canvas.className = "pixelated";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", label);
  return canvas;
}

function settings(layer) {
  const keys = { conv: ["sx", "filters", "stride", "pad"], pool: ["sx", "stride", "kind"], fc: ["num_neurons"], dropout: ["drop_prob"] };
  return (keys[layer.type] || []).map((key) => `${key} ${layer[key]}`).join(", ");
}

/** Fill `canvases` (one per channel, or one strip for a 1x1xD layer) from a (depth, sy, sx) array. */
function drawChannels(canvases, strip, array, colour) {
  const [depth, sy, sx] = array.shape;
  if (strip) {
    canvases[0].getContext("2d").putImageData(codeImage(array.values, 0, depth, 1, colour), 0, 0);
    return;
  }
  canvases.forEach((canvas, c) => {
    canvas.getContext("2d").putImageData(codeImage(array.values, c * sx * sy, sx, sy, colour), 0, 0);
  });
}

/** Draw an (F, C, sy, sx) array into `container` as one grid (column = filter, row = input channel, a
 * blank pixel between cells), under the words `title`; the canvas is made once per shape. */
function drawFilterGrid(container, title, array, colour) {
  const [filters, channels, sy, sx] = array.shape;
  const width = filters * (sx + 1) - 1;
  const height = channels * (sy + 1) - 1;
  let canvas = container.querySelector("canvas");
  if (!canvas || canvas.width !== width || canvas.height !== height) {
    const scale = Math.max(2, Math.min(8, Math.floor(FILTERS_WIDTH / width)));
    canvas = makeCanvas(width, height, width * scale, height * scale, `${filters} × depth ${channels}`);
    canvas.style.height = "auto"; // keeps its aspect when a narrow screen's max-width shrinks it
    container.replaceChildren(document.createElement("span"), canvas);
  }
  container.firstChild.textContent = `${title} (${filters} × depth ${channels})`;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  for (let f = 0; f < filters; f++) {
    for (let c = 0; c < channels; c++) {
      const offset = (f * channels + c) * sx * sy;
      ctx.putImageData(codeImage(array.values, offset, sx, sy, colour), f * (sx + 1), c * (sy + 1));
    }
  }
}

/** "±m" of a symmetric range [-m, m]. */
function magnitude(range) {
  return `±${fixed(range[1])}`;
}

/** One box per layer of a net; draws "activations" frames (outputs, their gradients, filter gradients)
 * and "filters" frames into them. */
export class LayerView {
  /** @param {HTMLElement} container */
  constructor(container) {
    this.container = container;
    this.boxes = [];
  }

  /** Lay out a box per layer from a snapshot's layers (type, out_sx/out_sy/out_depth, num_params). */
  build(layers) {
    this.container.replaceChildren();
    this.boxes = layers.map((layer, index) => this.buildBox(layer, index));
  }

  buildBox(layer, index) {
    const box = document.createElement("section");
    box.className = "layer-box";
    box.dataset.layer = index;
    const shape = `${layer.out_sx}×${layer.out_sy}×${layer.out_depth}`;
    const params = layer.num_params ? `, ${layer.num_params.toLocaleString("en-US")} parameters` : "";
    const info = document.createElement("div");
    info.className = "layer-info";
    info.innerHTML = `<h3></h3><p class="muted"></p><p class="muted layer-range"></p><p class="muted grad-range"></p>`;
    info.querySelector("h3").textContent = `${index} ${layer.type}`;
    info.querySelector("p").textContent = [`output ${shape}${params}`, settings(layer)].filter(Boolean).join("; ");
    const strip = layer.out_sx === 1 && layer.out_sy === 1;
    const maps = this.mapRow(layer, strip, "layer-maps", "activations");
    const grads = this.mapRow(layer, strip, "layer-grads", "activation gradients");
    const filters = document.createElement("div");
    filters.className = "layer-filters";
    const filterGrads = document.createElement("div");
    filterGrads.className = "filter-grads";
    box.append(info, maps.row, grads.row, filters, filterGrads);
    this.container.append(box);
    return {
      box, strip, canvases: maps.canvases, gradCanvases: grads.canvases, filters, filterGrads,
      range: info.querySelector(".layer-range"), gradRange: info.querySelector(".grad-range"),
    };
  }

  /** A row of canvases, one per channel (the first MAX_CHANNELS) or one strip, named `title`. */
  mapRow(layer, strip, className, title) {
    const row = document.createElement("div");
    row.className = className;
    row.setAttribute("aria-label", title);
    const caption = document.createElement("span");
    caption.className = "map-title";
    caption.textContent = title;
    const channels = strip ? 1 : Math.min(layer.out_depth, MAX_CHANNELS);
    const canvases = [];
    for (let c = 0; c < channels; c++) {
      canvases.push(strip ? this.stripCanvas(layer, title) : this.channelCanvas(layer, c, title));
    }
    row.append(caption, ...canvases);
    if (!strip && layer.out_depth > MAX_CHANNELS) row.append(` (first ${MAX_CHANNELS} of ${layer.out_depth})`);
    return { row, canvases };
  }

  channelCanvas(layer, channel, title) {
    const scale = Math.max(1, Math.round(TARGET_SIDE / Math.max(layer.out_sx, layer.out_sy)));
    return makeCanvas(layer.out_sx, layer.out_sy, layer.out_sx * scale, layer.out_sy * scale, `${title}, channel ${channel}`);
  }

  stripCanvas(layer, title) {
    const width = Math.min(layer.out_depth * STRIP_CELL, 480);
    return makeCanvas(layer.out_depth, 1, width, STRIP_CELL, `${title} of ${layer.out_depth} neurons`);
  }

  /** Draw an "activations" frame: layer<i> and grad<i> (depth, sy, sx) uint8 per layer, the gradients
   * over a range symmetric about 0; filter_grad<i> (F, C, sy, sx) per conv layer. */
  drawActivations(frame) {
    for (const [index, entry] of this.boxes.entries()) {
      const array = frame.arrays[`layer${index}`];
      const grad = frame.arrays[`grad${index}`];
      if (array) {
        drawChannels(entry.canvases, entry.strip, array, grey);
        entry.range.textContent = `activations ${fixed(array.range[0])} … ${fixed(array.range[1])}`;
      }
      if (grad) {
        drawChannels(entry.gradCanvases, entry.strip, grad, diverging);
        entry.gradRange.textContent = `gradients ${magnitude(grad.range)}`;
      }
    }
    for (const { layer } of frame.header.filter_grads || []) {
      const array = frame.arrays[`filter_grad${layer}`];
      const entry = this.boxes[layer];
      if (entry && array) drawFilterGrid(entry.filterGrads, `filter gradients ${magnitude(array.range)}`, array, diverging);
    }
  }

  /** Draw a "filters" frame: arrays layer<i> (F, C, sy, sx), one grid per conv layer. */
  drawFilters(frame) {
    for (const { layer } of frame.header.layers) {
      const entry = this.boxes[layer];
      const array = frame.arrays[`layer${layer}`];
      if (entry && array) drawFilterGrid(entry.filters, "filters", array, grey);
    }
  }
}
