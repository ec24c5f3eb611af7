// The ConvNet page's controller: wires the data/net/trainer forms, the job stream, the layer view,
// the predictions and the drawing pad. The URL hash holds the state: #job=<id> or #dataset=<name>.
// Nothing waits for a data set's preview but the words about it (and a net fitted to another set's
// images): the preset's net fills the editor at once, the pad answers with the ready digit net as soon
// as it exists, and a progress line says what is still loading.

import { api, JobStream, showConnection, toast } from "./api.js";
import { TrainingStats } from "./convstats.js";
import { snapshotFigures } from "./figures.js";
import { adaptNet, imageDatasets, preview, TrainerForm, trainerSummary, uploadDataset } from "./convspec.js";
import { DrawPad } from "./drawpad.js";
import { LayerView } from "./layerviz.js";
import { downloadJson, readJsonFile } from "./modelfile.js";
import { renderConfusion, renderProbabilities, renderSamples } from "./predictions.js";
import { tokenFor } from "./owners.js";
import { ProgressLine } from "./progressline.js";
import { ReadyNet } from "./readynet.js";
import { rememberStarted, startedJobs, stopStarted } from "./startedjobs.js";
import { UploadList } from "./uploads.js";
import { jobPage } from "./jobpages.js";
import { pauseWhenUnwatched, PlayIntent } from "./unwatched.js";

const $ = (id) => document.getElementById(id);
const TERMINAL = ["completed", "stopped", "failed", "deleted"];
const RESUMABLE = ["paused", "interrupted"];
// Everything this page draws: layer activations and filters, test predictions, the confusion matrix.
const KINDS = ["activations", "filters", "samples", "confusion"];

const state = {
  dataset: null, // the chosen dataset spec, {name, ...params}
  preview: null, // its GET /api/datasets/{name}/preview answer
  job: null, // id of the job on show
  formJob: null, // id of the job whose spec the forms show
  status: null,
  jobImage: null, // {sx, sy, depth}: the full image size the job's dataset has (its snapshot says)
  evalCount: 1, // images in the job's eval split (the sample control's range)
};
const pending = {}; // newest undrawn frame of each kind
let stream = null;
let preset = null; // the ConvNetJS MNIST preset's spec

const stats = new TrainingStats($("stats"), $("loss-chart"));
const layerView = new LayerView($("layers-view"));
const trainer = new TrainerForm($("trainer"));
const progress = new ProgressLine($("progress"));
const ready = new ReadyNet($("ready-note"), (text) => progress.set("ready", text)); // the pad's net until this page shows a job
const pad = new DrawPad($("pad"), () => predictDrawing());
const intent = new PlayIntent(showError); // resumes the job after an unwatched pause (unwatched.js)
const uploads = new UploadList({ list: $("uploads-list"), summary: $("uploads-summary") }, {
  onUse: (spec, label) => {
    datasetOption(spec, label);
    chooseDataset(spec).catch(showError);
  },
  onError: showError,
  accepts: (spec) => spec.name !== "painting", // pictures are the painting page's
});

function showError(error) {
  toast(error.message);
}

function writeHash() {
  const hash = state.job ? `job=${state.job}` : `dataset=${state.dataset?.name ?? ""}`;
  history.replaceState(null, "", `#${hash}`);
}

function formatLayers(layers) {
  return `[\n${layers.map((layer) => `  ${JSON.stringify(layer)}`).join(",\n")}\n]`;
}

/** The select's option for a dataset spec (its value is the spec as JSON), added when missing. */
function datasetOption(spec, label) {
  const select = $("dataset");
  const value = JSON.stringify(spec);
  let option = [...select.options].find((candidate) => candidate.value === value);
  if (!option) {
    option = new Option(label || spec.file || spec.images || spec.name, value);
    select.append(option);
  }
  return option;
}

/** Choose a data set: the preset's own takes the preset's net at once; another one gets the net
 * fitted to its images when its preview comes (`keepNet`: the editor keeps its net either way). */
async function chooseDataset(spec, { keepNet = false } = {}) {
  datasetOption(spec).selected = true;
  state.dataset = spec;
  const presetSet = JSON.stringify(spec) === JSON.stringify(preset.dataset);
  if (!keepNet && presetSet) $("layers").value = formatLayers(preset.layers);
  if (!state.job) writeHash();
  $("dataset-info").textContent = "";
  progress.set("dataset", `loading the ${spec.name} data set…`);
  let body;
  try {
    body = await preview(spec);
  } finally {
    if (state.dataset === spec) progress.set("dataset", null);
  }
  if (state.dataset !== spec) return; // another choice came after this one
  state.preview = body;
  const [sx, sy, depth] = body.input_shape;
  $("dataset-info").textContent = `${body.num_classes} classes (${body.class_names.join(", ")}); input ${sx}×${sy}×${depth}; ` +
    `${body.sizes.train} train, ${body.sizes.val} validation, ${body.sizes.test} test images`;
  if (!keepNet && !presetSet) $("layers").value = formatLayers(adaptNet(preset.layers, body.input_shape, body.num_classes));
}

/** The job spec of the forms, with `net`: {layers} from the editor or {model} from a file. */
function formSpec(net) {
  return {
    name: `convnet ${state.dataset.name}`,
    dataset: state.dataset,
    ...net,
    trainer: trainer.read(),
    stream: { image_every: 1.0, sample: 0 },
    pause_when_unwatched: pauseWhenUnwatched(),
  };
}

async function start() {
  let layers;
  try {
    layers = JSON.parse($("layers").value);
  } catch (error) {
    $("layers-error").textContent = `not valid JSON: ${error.message}`;
    return;
  }
  await startFrom(formSpec({ layers }));
}

/** Start a job of `spec` (one start at a time: each stops the jobs the others started); resolves to
 * the job, or null when the server refused it (a 422 is shown under the net). */
async function startFrom(spec) {
  $("layers-error").textContent = "";
  $("start").disabled = true;
  try {
    return await startJob(spec);
  } catch (error) {
    if (error.status === 422) $("layers-error").textContent = error.message;
    else showError(error);
    return null;
  } finally {
    $("start").disabled = false;
  }
}

/** Train a saved net (netplay's or ConvNetJS's `net.toJSON()`) on the chosen data, from its weights;
 * the editor then shows its layers (a ConvNetJS net as the server converted it). */
async function loadModel() {
  const model = await readJsonFile($("load-model"));
  if (!model) return;
  if (!Array.isArray(model.layers)) throw new Error("not a saved netplay or ConvNetJS net (no layers)");
  const job = await startFrom(formSpec({ model }));
  if (job) $("layers").value = formatLayers(job.spec.model.layers);
}

/** Download the job's net: netplay's format, or ConvNetJS's (the server says why a net cannot be). */
async function saveModel(format) {
  if (!state.job) throw new Error("Start training (or open a job) first.");
  const model = await api.get(`/api/jobs/${state.job}/model?format=${format}`);
  downloadJson(`${format}-${state.dataset?.name ?? "net"}-${state.job}.json`, model);
}

/**
 * One job trains per page. The new job is created paused, so a spec the server refuses leaves the
 * running job alone; then the jobs this tab started stop (freeing their slots), and the new one runs.
 * A job on show that this tab did not start (opened by its link) is paused instead, when this browser
 * may change it (else it is someone else's, and is left alone); it stays resumable on the jobs page.
 */
async function startJob(spec) {
  const job = await api.post("/api/jobs?paused=true", spec);
  const linked = state.job && !startedJobs().includes(state.job);
  (await stopStarted()).forEach(showError);
  rememberStarted(job.id);
  if (linked && stream?.mayChange && !TERMINAL.includes(state.status) && !RESUMABLE.includes(state.status)) {
    await api.post(`/api/jobs/${state.job}/pause`).catch(showError);
  }
  await api.post(`/api/jobs/${job.id}/resume`);
  state.formJob = job.id;
  attach(job.id, true);
  return job;
}

/** Show `jobId` live; `playing`: whether the person wants it to play (null: not known, see unwatched.js). */
function attach(jobId, playing = null) {
  ready.stop();
  stream?.close();
  state.job = jobId;
  state.status = null;
  intent.follow(jobId, playing, Boolean(tokenFor("jobs", jobId)));
  writeHash();
  for (const id of ["predictions", "confusion"]) $(id).replaceChildren();
  for (const kind of Object.keys(pending)) delete pending[kind];
  progress.set("job", `opening job ${jobId}…`);
  const handlers = { onSnapshot, onMessage, onFrame: queueFrame, onConnection: showConnection, onAccess: showAccess };
  stream = new JobStream(jobId, handlers, KINDS);
}

async function onSnapshot(snapshot) {
  const { job, spec, history } = snapshot;
  if (snapshot.dataset.kind !== "image") {
    location.replace(jobPage(snapshot.dataset.kind, job.id)); // a 2D job or a painting: its page draws it
    return;
  }
  progress.set("job", null);
  const { n_test: test, n_val: val, n_train: train, image_shape: [sx, sy, depth] } = snapshot.dataset;
  state.jobImage = { sx, sy, depth };
  layerView.build(snapshot.layers);
  stats.setSplits({ test, val });
  stats.reset(history, snapshotFigures(snapshot));
  setStatus(job);
  showTrainer(job.trainer);
  state.evalCount = test || val || train;
  $("sample").max = state.evalCount - 1;
  $("sample").value = snapshot.view.sample ?? spec.stream.sample;
  if (job.id !== state.formJob) {
    state.formJob = job.id;
    $("layers").value = formatLayers(spec.layers ?? spec.model.layers);
  }
  if (JSON.stringify(spec.dataset) !== JSON.stringify(state.dataset)) {
    await chooseDataset(spec.dataset, { keepNet: true }).catch(showError);
  }
}

function onMessage(message) {
  switch (message.type) {
    case "progress":
      stats.update(message);
      break;
    case "status":
      setStatus(message);
      break;
    case "trainer":
      showTrainer(message.trainer);
      break;
    case "view":
      $("sample").value = message.view.sample;
      break;
    case "reset":
      stats.reset([], {});
      break;
    case "confusion":
      renderConfusion($("confusion"), message);
      break;
    case "error":
      toast(message.message);
      break;
  }
}

function showTrainer(settings) {
  trainer.fill(settings);
  $("trainer-now").textContent = `Job trains with ${trainerSummary(settings)}`;
}

/** Show a job's status ({status, error, message, pause_reason}: a snapshot's job or a status message);
 * the page may resume the job here (an unwatched pause while the person wants it to play). */
function setStatus(update) {
  const { status, error, message } = update;
  state.status = status;
  intent.observe(update);
  const badge = $("job-status");
  badge.textContent = `· ${status}`;
  badge.className = `status ${status}`;
  $("job-error").hidden = !error;
  $("job-error").textContent = error ? `Failed: ${error}` : "";
  $("job-message").hidden = !message;
  $("job-message").textContent = message || "";
  $("viz-note").hidden = !TERMINAL.includes(status);
  const toggle = $("toggle");
  showAccess();
  toggle.textContent = RESUMABLE.includes(status) ? "Resume" : "Pause";
}

/** Whether this browser may change the job on show (the server's answer to the stream's token; until
 * then, whether it holds one). */
function mayChange() {
  return stream?.mayChange ?? Boolean(tokenFor("jobs", state.job));
}

/** Offer the job's controls only to whoever may use them; a job opened by someone else's link is
 * watched read-only (Start trains one of the person's own). */
function showAccess() {
  intent.allow(mayChange());
  $("job-readonly").hidden = mayChange();
  $("toggle").disabled = TERMINAL.includes(state.status) || !mayChange();
  for (const id of ["sample", "sample-prev", "sample-next"]) $(id).disabled = !mayChange();
}

function toggleRun() {
  const action = RESUMABLE.includes(state.status) ? "resume" : "pause";
  intent.set(action === "resume");
  if (!stream.send({ type: action })) api.post(`/api/jobs/${state.job}/${action}`).catch(showError);
}

function changeTrainer(change) {
  if (!state.job || TERMINAL.includes(state.status)) return;
  if (!mayChange()) {
    toast("This job is someone else's: Start trains one of your own with these settings.");
    return;
  }
  if (!stream.send({ type: "set_trainer", trainer: change })) {
    api.patch(`/api/jobs/${state.job}`, { trainer: change }).catch(showError);
  }
}

function setSample(index) {
  const sample = Math.min(Math.max(0, index), state.evalCount - 1);
  $("sample").value = sample;
  if (state.job) stream.send({ type: "set_view", view: { sample } });
}

function queueFrame(frame) {
  pending[frame.header.type] = frame;
}

function drawLoop() {
  const { activations, filters, samples } = pending;
  if (activations) {
    layerView.drawActivations(activations);
    const { label, classes, sample } = activations.header;
    $("sample-label").textContent = `image ${sample}: class ${classes[label] ?? label}`;
  }
  if (filters) layerView.drawFilters(filters);
  if (samples) renderSamples($("predictions"), samples);
  for (const kind of Object.keys(pending)) delete pending[kind];
  stats.draw();
  requestAnimationFrame(drawLoop);
}

/** The job the pad predicts with: the one on show, else the server's ready digit net; null: none yet. */
function padTarget() {
  if (state.job) return state.jobImage ? { job: state.job, image: state.jobImage } : null;
  return ready.target;
}

async function predictDrawing() {
  const target = padTarget();
  if (!target) {
    $("pad-result").textContent = state.job
      ? "The job is still opening: draw again in a moment."
      : "The server's ready digit net is on its way: draw again in a moment, or start training.";
    return;
  }
  const { sx, sy, depth } = target.image;
  try {
    const answer = await api.post(`/api/jobs/${target.job}/predict`, { images: [pad.pixels(sx, sy, depth)] });
    renderProbabilities($("pad-result"), answer.outputs[0], answer.class_names);
  } catch (error) {
    showError(error);
  }
}

async function uploadChosen(files) {
  if (!files.length) return;
  try {
    const spec = await uploadDataset(files);
    datasetOption(spec, `upload: ${[...files].map((file) => file.name).join(" + ")}`);
    await chooseDataset(spec);
  } catch (error) {
    showError(error);
  }
  await uploads.refresh().catch(showError);
}

function openFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const job = params.get("job");
  if (job && job !== state.job) attach(job);
  return Boolean(job);
}

async function init() {
  progress.set("setup", "loading the data sets and presets…");
  const [datasets, presets] = await Promise.all([imageDatasets(), api.get("/api/presets")])
    .finally(() => progress.set("setup", null));
  preset = presets.find((entry) => entry.id === "mnist").spec;
  for (const entry of datasets) {
    const spec = entry.name === preset.dataset.name ? preset.dataset : { name: entry.name };
    const crop = spec.crop ? ` (${spec.crop}×${spec.crop} crops)` : "";
    datasetOption(spec, `${entry.name}${crop}`).title = entry.description;
  }
  trainer.fill(preset.trainer);
  uploads.refresh().catch(showError);
  if (!openFromHash()) {
    ready.start().catch((error) => {
      ready.stop();
      showError(error);
    });
    const name = new URLSearchParams(location.hash.slice(1)).get("dataset");
    const entry = datasets.find((candidate) => candidate.name === name);
    await chooseDataset(entry && entry.name !== preset.dataset.name ? { name } : preset.dataset);
  }
}

$("dataset").addEventListener("change", (event) => chooseDataset(JSON.parse(event.target.value)).catch(showError));
$("upload").addEventListener("change", (event) => uploadChosen(event.target.files));
$("reset-net").addEventListener("click", () => chooseDataset(state.dataset).catch(showError));
$("save-model").addEventListener("click", () => saveModel("netplay").catch(showError));
$("save-convnetjs").addEventListener("click", () => saveModel("convnetjs").catch(showError));
$("load-model").addEventListener("change", () => loadModel().catch(showError));
$("start").addEventListener("click", start);
$("toggle").addEventListener("click", toggleRun);
trainer.onChange(changeTrainer);
$("sample").addEventListener("change", (event) => setSample(Number(event.target.value)));
$("sample-prev").addEventListener("click", () => setSample(Number($("sample").value) - 1));
$("sample-next").addEventListener("click", () => setSample(Number($("sample").value) + 1));
$("pad-clear").addEventListener("click", () => pad.clear());
$("pad-predict").addEventListener("click", predictDrawing);
$("pad-file").addEventListener("change", async (event) => {
  if (!event.target.files.length) return;
  await pad.load(event.target.files[0]).catch(showError);
  predictDrawing();
});
window.addEventListener("hashchange", openFromHash);
requestAnimationFrame(drawLoop);
init().catch(showError);
