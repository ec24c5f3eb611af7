// Makes fixtures.json: nets built and run by ConvNetJS itself, for netplay's importer to match.
// Run from this folder after `npm ci`: node make_fixtures.js > fixtures.json
// Each fixture: the layer definitions given to makeLayers, the net's toJSON() (weights from a seeded
// Math.random, so the file is the same every time), inputs as ConvNetJS volumes and the outputs
// ConvNetJS computed for them (prediction mode: forward(V, false)).

"use strict";

// mulberry32: ConvNetJS draws its initial weights from Math.random; seeded, the fixtures repeat.
let state = 20261129;
Math.random = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const convnetjs = require("convnetjs");

const NETS = {
  fc: [
    { type: "input", out_sx: 1, out_sy: 1, out_depth: 2 },
    { type: "fc", num_neurons: 6, activation: "tanh" },
    { type: "fc", num_neurons: 4, activation: "relu" },
    { type: "softmax", num_classes: 3 },
  ],
  conv_stride_pad_not_tiling: [
    { type: "input", out_sx: 8, out_sy: 8, out_depth: 2 },
    { type: "conv", sx: 3, filters: 3, stride: 2, pad: 1, activation: "relu" },
    { type: "pool", sx: 2, stride: 2 },
    { type: "fc", num_neurons: 4, activation: "maxout", group_size: 2 },
    { type: "dropout", drop_prob: 0.3 },
    { type: "softmax", num_classes: 3 },
  ],
  pool_not_tiling_rectangular: [
    { type: "input", out_sx: 7, out_sy: 5, out_depth: 1 },
    { type: "conv", sx: 3, filters: 2, stride: 2, activation: "sigmoid" },
    { type: "pool", sx: 2, stride: 2 },
    { type: "softmax", num_classes: 2 },
  ],
  conv_maxout: [
    { type: "input", out_sx: 6, out_sy: 6, out_depth: 1 },
    { type: "conv", sx: 3, filters: 4, stride: 1, pad: 1, activation: "maxout", group_size: 2 },
    { type: "pool", sx: 3, stride: 3 },
    { type: "softmax", num_classes: 2 },
  ],
  svm: [
    { type: "input", out_sx: 1, out_sy: 1, out_depth: 3 },
    { type: "fc", num_neurons: 5, activation: "sigmoid", drop_prob: 0.5 },
    { type: "svm", num_classes: 2 },
  ],
  regression: [
    { type: "input", out_sx: 1, out_sy: 1, out_depth: 2 },
    { type: "fc", num_neurons: 8, activation: "tanh" },
    { type: "regression", num_neurons: 3 },
  ],
  xo: [ // fits netplay's xo images (9x9, two classes): the ConvNet page's Load model test
    { type: "input", out_sx: 9, out_sy: 9, out_depth: 1 },
    { type: "conv", sx: 3, filters: 4, stride: 2, activation: "relu" },
    { type: "pool", sx: 2, stride: 2 },
    { type: "softmax", num_classes: 2 },
  ],
};

function randomVolume(sx, sy, depth) {
  const volume = new convnetjs.Vol(sx, sy, depth, 0.0);
  for (let i = 0; i < volume.w.length; i++) volume.w[i] = Math.random() * 2 - 1;
  return volume;
}

const fixtures = {};
for (const [name, defs] of Object.entries(NETS)) {
  const net = new convnetjs.Net();
  net.makeLayers(JSON.parse(JSON.stringify(defs)));
  // one SGD step, so the saved biases are not all ConvNetJS's initial constants
  const trainer = new convnetjs.SGDTrainer(net, { learning_rate: 0.1, batch_size: 1 });
  const input = net.layers[0];
  const target = name === "regression" ? [0.5, -0.25, 1] : 1;
  trainer.train(randomVolume(input.out_sx, input.out_sy, input.out_depth), target);
  const inputs = [];
  const outputs = [];
  for (let n = 0; n < 4; n++) {
    const volume = randomVolume(input.out_sx, input.out_sy, input.out_depth);
    inputs.push(volume.toJSON());
    outputs.push(Array.from(net.forward(volume, false).w));
  }
  fixtures[name] = { defs, net: net.toJSON(), inputs, outputs };
}
process.stdout.write(JSON.stringify(fixtures, null, 1) + "\n");
