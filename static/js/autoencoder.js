// The autoencoder page's controller (ConvNetJS's autoencoder demo): one job of the server's
// "autoencoder" preset on the chosen image set, streamed live as the 2D codes of the test images, a
// few reconstructions beside their originals, and the loss. The URL hash holds #job=<id> or
// #dataset=<name>; starting again stops the job this tab started before (startedjobs.js).

import { api, JobStream, showConnection, toast } from "./api.js";
import { CodeScatter } from "./codescatter.js";
import { imageDatasets, preview } from "./convspec.js";
import { TrainingStats } from "./convstats.js";
import { snapshotFigures } from "./figures.js";
import { count } from "./numbers.js";
import { tokenFor } from "./owners.js";
import { jobPage } from "./jobpages.js";
import { imageCanvas } from "./predictions.js";
import { rememberStarted, stopStarted } from "./startedjobs.js";
import { pauseWhenUnwatched, PlayIntent } from "./unwatched.js";

const $ = (id) => document.getElementById(id);
const TERMINAL = ["completed", "stopped", "failed", "deleted"];
const RESUMABLE = ["paused", "interrupted"];
const KINDS = ["codes", "reconstructions"];

const state = { job: null, status: null, dataset: null };
const pending = {}; // newest undrawn frame of each kind
let stream = null;
let preset = null; // the server's "autoencoder" preset spec

const stats = new TrainingStats($("stats"), $("loss-chart"));
const scatter = new CodeScatter($("codes"), $("codes-legend"));
const intent = new PlayIntent(showError);

function showError(error) {
  toast(error.message);
}

function writeHash() {
  history.replaceState(null, "", `#${state.job ? `job=${state.job}` : `dataset=${state.dataset.name}`}`);
}

/** The autoencoder spec of a data set: the preset's net with its input and output fitted to the images. */
async function specFor(dataset) {
  const [sx, sy, depth] = (await preview(dataset)).input_shape;
  const layers = structuredClone(preset.layers);
  Object.assign(layers[0], { out_sx: sx, out_sy: sy, out_depth: depth });
  layers.at(-1).num_neurons = sx * sy * depth;
  return {
    ...preset,
    name: `autoencoder ${dataset.name}`,
    dataset,
    layers,
    pause_when_unwatched: pauseWhenUnwatched(),
  };
}

function describeNet(layers) {
  const widths = layers.slice(1).map((layer) => layer.num_neurons);
  const [first] = layers;
  $("net-info").textContent = `Net: ${first.out_sx}×${first.out_sy}×${first.out_depth} pixels → ${widths.join(" → ")} ` +
    "(regression onto the pixels themselves)";
}

/** Start a job of the chosen set: created paused, then this tab's earlier jobs stop, then it runs. */
async function start() {
  $("start").disabled = true;
  try {
    const job = await api.post("/api/jobs?paused=true", await specFor(state.dataset));
    (await stopStarted()).forEach(showError);
    rememberStarted(job.id);
    await api.post(`/api/jobs/${job.id}/resume`);
    attach(job.id, true);
  } catch (error) {
    showError(error);
  } finally {
    $("start").disabled = false;
  }
}

function attach(jobId, playing = null) {
  stream?.close();
  state.job = jobId;
  state.status = null;
  intent.follow(jobId, playing, Boolean(tokenFor("jobs", jobId)));
  writeHash();
  const handlers = { onSnapshot, onMessage, onFrame: queueFrame, onConnection: showConnection, onAccess: showAccess };
  stream = new JobStream(jobId, handlers, KINDS);
}

function onSnapshot({ job, spec, history, dataset }) {
  if (dataset.kind !== "autoencode") {
    location.replace(jobPage(dataset.kind, job.id)); // drawn by another page
    return;
  }
  state.dataset = spec.dataset;
  $("dataset").value = spec.dataset.name;
  describeNet(spec.layers ?? spec.model.layers);
  stats.setSplits({ test: dataset.n_test, val: dataset.n_val });
  stats.reset(history, snapshotFigures({ job, history }));
  setStatus(job);
}

function onMessage(message) {
  if (message.type === "progress") stats.update(message);
  else if (message.type === "status") setStatus(message);
  else if (message.type === "reset") stats.reset([], {});
  else if (message.type === "error") toast(message.message);
}

function setStatus(update) {
  const { status, error, message } = update;
  state.status = status;
  intent.observe(update);
  $("job-status").textContent = `· ${status}`;
  $("job-status").className = `status ${status}`;
  $("job-error").hidden = !error;
  $("job-error").textContent = error ? `Failed: ${error}` : "";
  $("job-message").hidden = !message;
  $("job-message").textContent = message || "";
  $("toggle").textContent = RESUMABLE.includes(status) ? "Resume" : "Pause";
  showAccess();
}

function mayChange() {
  return stream?.mayChange ?? Boolean(tokenFor("jobs", state.job));
}

function showAccess() {
  intent.allow(mayChange());
  $("job-readonly").hidden = mayChange();
  $("toggle").disabled = !state.job || TERMINAL.includes(state.status) || !mayChange();
}

function toggleRun() {
  const action = RESUMABLE.includes(state.status) ? "resume" : "pause";
  intent.set(action === "resume");
  if (!stream.send({ type: action })) api.post(`/api/jobs/${state.job}/${action}`).catch(showError);
}

function queueFrame(frame) {
  pending[frame.header.type] = frame;
}

/** Originals above their reconstructions, one column per image. */
function drawReconstructions(frame) {
  const { originals, reconstructions } = frame.arrays;
  const [, sy, sx] = originals.shape;
  const { items, classes, step } = frame.header;
  $("reconstructions").replaceChildren(...items.map((item, i) => {
    const figure = document.createElement("figure");
    const offset = i * sx * sy * 3;
    const name = classes[item.label] ?? item.label;
    figure.append(
      imageCanvas(originals.values, offset, sx, sy, `test image ${item.index} (${name})`),
      imageCanvas(reconstructions.values, offset, sx, sy, `its reconstruction`),
      name,
    );
    return figure;
  }));
  $("rebuilt-note").textContent = `At step ${count(step)}.`;
}

function drawLoop() {
  const { codes, reconstructions } = pending;
  if (codes) {
    scatter.draw(codes);
    const { step, layer, count: width } = codes.header;
    const points = codes.arrays.labels.shape[0];
    const shown = width > 2 ? `its first 2 of ${width} numbers` : `${width === 1 ? "its one number" : "its 2 numbers"}`;
    $("codes-note").textContent = `${count(points)} test images at layer ${layer}, ${shown}, at step ${count(step)}.`;
  }
  if (reconstructions) drawReconstructions(reconstructions);
  for (const kind of Object.keys(pending)) delete pending[kind];
  stats.draw();
  requestAnimationFrame(drawLoop);
}

async function chooseDataset(name) {
  state.dataset = name === preset.dataset.name ? preset.dataset : { name, target: "input", normalize: false };
  $("dataset").value = name;
  describeNet((await specFor(state.dataset)).layers);
  if (!state.job) writeHash();
}

function openFromHash() {
  const job = new URLSearchParams(location.hash.slice(1)).get("job");
  if (job && job !== state.job) attach(job);
  return Boolean(job);
}

async function init() {
  const [datasets, presets] = await Promise.all([imageDatasets(), api.get("/api/presets")]);
  preset = presets.find((entry) => entry.id === "autoencoder").spec;
  $("dataset").replaceChildren(...datasets.map((entry) => {
    const option = new Option(entry.name, entry.name);
    option.title = entry.description;
    return option;
  }));
  if (!openFromHash()) {
    const wanted = new URLSearchParams(location.hash.slice(1)).get("dataset");
    const names = datasets.map((entry) => entry.name);
    await chooseDataset([wanted, preset.dataset.name].find((name) => names.includes(name)) ?? names[0]);
  }
}

$("dataset").addEventListener("change", (event) => chooseDataset(event.target.value).catch(showError));
$("start").addEventListener("click", start);
$("toggle").addEventListener("click", toggleRun);
window.addEventListener("hashchange", openFromHash);
requestAnimationFrame(drawLoop);
init().catch(showError);
