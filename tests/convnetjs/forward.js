// Loads a net with ConvNetJS's own Net.fromJSON and runs it (prediction mode) on volumes:
// stdin {"net": <toJSON object>, "inputs": [<Vol toJSON>...]} -> stdout [[outputs]...].
// tests/engine/test_convnetjs.py feeds it netplay's exports.

"use strict";

const convnetjs = require("convnetjs");

let text = "";
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  const { net: saved, inputs } = JSON.parse(text);
  const net = new convnetjs.Net();
  net.fromJSON(saved);
  const outputs = inputs.map((input) => {
    const volume = new convnetjs.Vol(0, 0, 0, 0);
    volume.fromJSON(input);
    return Array.from(net.forward(volume, false).w);
  });
  process.stdout.write(JSON.stringify(outputs));
});
