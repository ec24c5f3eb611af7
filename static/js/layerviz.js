// The network as ConvNetJS's demos draw it: one box per layer with its shape and parameter count,
// the activation maps of one sample image (a small greyscale canvas per channel) and conv filters.

import { fixed } from "./numbers.js";

const MAX_CHANNELS = 64;
const TARGET_SIDE = 48; // CSS pixels of a channel's canvas
const STRIP_CELL = 10; // CSS pixels per neuron of a 1x1xD layer
const FILTERS_WIDTH = 420; // most CSS pixels of a layer's filter grid

/** Greyscale ImageData of the w x h uint8 codes that start at `offset`. */
function greyImage(codes, offset, w, h) {
  const image = new ImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const v = codes[offset + i];
    image.data[4 * i] = v;
    image.data[4 * i + 1] = v;
    image.data[4 * i + 2] = v;
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

/** One box per layer of a net; draws "activations" and "filters" frames into them. */
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
    info.innerHTML = `<h3></h3><p class="muted"></p><p class="muted layer-range"></p>`;
    info.querySelector("h3").textContent = `${index} ${layer.type}`;
    info.querySelector("p").textContent = [`output ${shape}${params}`, settings(layer)].filter(Boolean).join("; ");
    const maps = document.createElement("div");
    maps.className = "layer-maps";
    const strip = layer.out_sx === 1 && layer.out_sy === 1;
    const channels = strip ? 1 : Math.min(layer.out_depth, MAX_CHANNELS);
    const canvases = [];
    for (let c = 0; c < channels; c++) {
      canvases.push(strip ? this.stripCanvas(layer) : this.channelCanvas(layer, c));
    }
    maps.append(...canvases);
    if (!strip && layer.out_depth > MAX_CHANNELS) maps.append(` (first ${MAX_CHANNELS} of ${layer.out_depth})`);
    const filters = document.createElement("div");
    filters.className = "layer-filters";
    box.append(info, maps, filters);
    this.container.append(box);
    return { box, canvases, strip, range: info.querySelector(".layer-range"), filters };
  }

  channelCanvas(layer, channel) {
    const scale = Math.max(1, Math.round(TARGET_SIDE / Math.max(layer.out_sx, layer.out_sy)));
    return makeCanvas(layer.out_sx, layer.out_sy, layer.out_sx * scale, layer.out_sy * scale, `channel ${channel}`);
  }

  stripCanvas(layer) {
    const width = Math.min(layer.out_depth * STRIP_CELL, 480);
    return makeCanvas(layer.out_depth, 1, width, STRIP_CELL, `${layer.out_depth} neurons`);
  }

  /** Draw an "activations" frame: arrays layer<i> (depth, sy, sx) uint8, quantised per layer. */
  drawActivations(frame) {
    for (const [index, entry] of this.boxes.entries()) {
      const array = frame.arrays[`layer${index}`];
      if (!array) continue;
      const [depth, sy, sx] = array.shape;
      if (entry.strip) {
        entry.canvases[0].getContext("2d").putImageData(greyImage(array.values, 0, depth, 1), 0, 0);
      } else {
        entry.canvases.forEach((canvas, c) => {
          canvas.getContext("2d").putImageData(greyImage(array.values, c * sx * sy, sx, sy), 0, 0);
        });
      }
      if (array.range) entry.range.textContent = `activations ${fixed(array.range[0])} … ${fixed(array.range[1])}`;
    }
  }

  /** Draw a "filters" frame: arrays layer<i> (F, C, sy, sx), one grid per conv layer (column = filter,
   * row = input channel, a blank pixel between cells). */
  drawFilters(frame) {
    for (const { layer } of frame.header.layers) {
      const entry = this.boxes[layer];
      const array = frame.arrays[`layer${layer}`];
      if (!entry || !array) continue;
      const [filters, channels, sy, sx] = array.shape;
      const width = filters * (sx + 1) - 1;
      const height = channels * (sy + 1) - 1;
      let canvas = entry.filters.querySelector("canvas");
      if (!canvas || canvas.width !== width || canvas.height !== height) {
        const scale = Math.max(2, Math.min(8, Math.floor(FILTERS_WIDTH / width)));
        canvas = makeCanvas(width, height, width * scale, height * scale, `${filters} filters of depth ${channels}`);
        entry.filters.replaceChildren(`filters (${filters} × depth ${channels})`, canvas);
      }
      const ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, width, height);
      for (let f = 0; f < filters; f++) {
        for (let c = 0; c < channels; c++) {
          const offset = (f * channels + c) * sx * sy;
          ctx.putImageData(greyImage(array.values, offset, sx, sy), f * (sx + 1), c * (sy + 1));
        }
      }
    }
  }
}
