// The 2D playground's controller: wires the state, the picker, the editor, the views and the job.

import { api, toast, showConnection } from "./api.js";
import {
  stateFromHash, stateFromJob, hashFromState, hiddenParts, jobSpec, trainerSpec, liveTrainer,
  pickDataset, startingStates, stateFromPreset, USER_SETS,
} from "./state.js";
import { DatasetPicker, pickerDatasets, clickedData, startingPoints } from "./datasets.js";
import { BoundaryView } from "./boundary.js";
import { ColourScale } from "./colourscale.js";
import { showAxes } from "./plotaxes.js";
import { NetworkEditor, fitLayers } from "./network.js";
import { HiddenView, HiddenPicker } from "./neurons.js";
import { NetworkDiagram } from "./diagram.js";
import { drawsInPage } from "./netforward.js";
import { PlaneVisuals } from "./planevisuals.js";
import { snapshotFigures } from "./figures.js";
import { OutputPanel } from "./outputpanel.js";
import { PlayJob, statusText } from "./playjob.js";
import { downloadJson, readJsonFile } from "./modelfile.js";
import { watchShown } from "./onscreen.js";
import { jobPage } from "./jobpages.js";
import { PresetBar, playgroundPresets } from "./presetbar.js";
import { WatchBanner } from "./watchbanner.js";

const $ = (id) => document.getElementById(id);
const DATA_KEYS = ["noise", "n_samples", "test_fraction", "classes"];
const LIVE_TRAINER_KEYS = ["learning_rate", "momentum", "batch_size", "l1_decay", "l2_decay"];
const OWN_JOB_TITLE = $("job-line").title;
// What the diagram's squares show: a neuron over the plane, or along a 1D regression's x.
const SQUARES = {
  plane: "Each square shows what a neuron computes over the plane (orange low, blue high).",
  curve: "Each square draws what a neuron computes along x: its output (low at the bottom, high at the top) " +
    "from the plot's left edge to its right.",
};

const state = stateFromHash(location.hash);
let catalogue = [];
let starts = {}; // each seed problem's starting state, from its default preset (GET /api/presets)
let datasetView = null; // the current job's dataset (points, classes) from its snapshot
let watched = null; // the shown job as its snapshot had it (its name and id for the banner)
const replaced = new Set(); // jobs a new job is being made for: their progress is no longer shown

const boundary = new BoundaryView($("boundary"), $("boundary-overlay"), editAt);
const diagram = new NetworkDiagram($("diagram"), {
  onEdit: editWeight,
  onShape: (change) => network.reshape(change),
});
const hiddenView = new HiddenView($("hidden-space"), $("hidden-caption"));
const colourScale = new ColourScale($("colour-scale"));
const banner = new WatchBanner(
  { box: $("watching"), text: $("watching-text"), copy: $("own-copy") },
  () => runAction(ownCopy),
);
const output = new OutputPanel({
  panel: document.querySelector(".pg-output"),
  lossChart: $("loss-chart"),
  accuracyChart: $("accuracy-chart"),
  testLoss: $("figure-test-loss"),
  testAccuracy: $("figure-test-accuracy"),
  loss: $("figure-loss"),
  trainAccuracy: $("figure-train-accuracy"),
  steps: $("figure-steps"),
  legend: $("legend"),
});
const picker = new DatasetPicker($("dataset-picker"), (name) => changeData(pickDataset(state, name, starts)));
const presetBar = new PresetBar($("preset"), $("preset-description"), loadPreset);
const network = new NetworkEditor(
  { list: $("layer-list"), add: $("add-layer"), text: $("layers"), error: $("layers-error") },
  (layers) => changeData({ layers }),
);
const job = new PlayJob(
  { onSnapshot, onMessage, onFrame: (frame) => visuals.frame(frame), onConnection: showConnection, onAccess: showAccess },
  { drawsInPage: (layers) => drawsInPage(layers, kind()) },
);
const hiddenPicker = new HiddenPicker($("hidden_layer"), $("hidden-cycle"), (view) => job.setView(view));
const visuals = new PlaneVisuals({ boundary, diagram, hiddenView, hiddenPicker });

/** The catalogue entry of the picked dataset (GET /api/datasets). */
function entry() {
  return catalogue.find((item) => item.name === state.dataset);
}

/** The picked dataset's kind: classify2d, regress2d or regress1d. */
function kind() {
  return entry()?.kind ?? "classify2d";
}

/** The catalogue's "classes" parameter of the picked dataset (k-class sets), or undefined. */
function classesParam() {
  return entry()?.params.find((item) => item.name === "classes");
}

/** Number of classes the data will have, so the loss layer can match before the job exists (0: a
 * regression). */
function classCount() {
  if (kind() !== "classify2d") return 0;
  if (state.dataset === "points") return Math.max(2, ...state.points.map((point) => point[2] + 1));
  const param = classesParam();
  return param ? state.classes || param.default : 2;
}

/** Keep the link true: `job=<id>` while the page shows a job opened by its link, else the setup; and
 * the preset picker, which names the preset the setup is. */
function saveHash() {
  const hide = state.hide ? `&hide=${encodeURIComponent(state.hide)}` : "";
  history.replaceState(null, "", `#${job.linked ? `job=${job.id}${hide}` : hashFromState(state, starts)}`);
  presetBar.follow(state);
}

/** Set up a preset (its data set, features, net and trainer) and train it at once. */
function loadPreset(preset) {
  const entry = catalogue.find((item) => item.name === preset.spec.dataset.name);
  const { discretize, show_test: showTest, hide } = state; // how the page looks stays
  Object.assign(state, stateFromPreset(preset, entry.params), { discretize, show_test: showTest, hide });
  job.intent.set(true);
  return changeData({});
}

/** The job a link names (`#job=<id>`), or null. */
function linkedJobId() {
  return new URLSearchParams(location.hash.slice(1)).get("job");
}

/**
 * Show the job a link names, with its setup in every control, without creating a job; image and
 * painting jobs go to their own pages. Resolves to false (after saying why) when there is no such job.
 */
async function openLinked(jobId) {
  let detail;
  try {
    detail = await api.get(`/api/jobs/${encodeURIComponent(jobId)}`);
  } catch (error) {
    toast(`${error.message}: the playground trains a new job instead.`);
    return false;
  }
  const entry = catalogue.find((item) => item.name === detail.dataset)
    ?? (await api.get("/api/datasets").catch(() => [])).find((item) => item.name === detail.dataset);
  const page = jobPage(entry?.kind, detail.id);
  if (!page.startsWith("/#")) {
    location.replace(page);
    return true;
  }
  const { discretize, show_test: showTest, hide } = state; // how the page looks stays the link's
  Object.assign(state, stateFromJob(detail, entry?.params), { discretize, show_test: showTest, hide });
  network.show(state.layers);
  network.showError(null);
  picker.select(state.dataset, state.points);
  showForm();
  job.attach(detail.id);
  watched = detail;
  showAccess();
  saveHash();
  return true;
}

/** Apply changes to the data, features or net, and train a new job on them; resolves to the new job
 * (null when the server refused it: the page says why). */
async function changeData(changes, model = null) {
  Object.assign(state, changes);
  const width = state.dataset === "line_points" ? 2 : 3; // [x, y] pairs, or [x, y, label]
  if (USER_SETS.includes(state.dataset) && state.points?.[0]?.length !== width) {
    state.points = startingPoints(state.dataset, datasetView);
  }
  if (state.dataset === "points" || !classesParam()) state.classes = 0; // only k-class sets take it
  const inputs = kind() === "regress1d" ? 1 : state.features.length; // a curve's net takes x alone
  state.layers = fitLayers(state.layers, inputs, classCount());
  network.show(state.layers);
  picker.select(state.dataset, state.points);
  showForm();
  saveHash();
  clearFigures(); // the job shown until now is not the one these figures will be about
  const previous = job.id;
  replaced.add(previous);
  try {
    const created = await job.replace(jobSpec(state, model, entry()?.params.map((param) => param.name)));
    network.showError(null);
    saveHash(); // a linked job was shown until now: the link describes the page's own job again
    return created;
  } catch (error) {
    showSpecError(error);
    if (job.id) runAction(restoreFigures); // the job shown stays: its figures come back
    return null;
  } finally {
    replaced.delete(previous);
  }
}

/** Blank the counters, figures and charts (a new job, or a reset, starts from step 0). */
function clearFigures() {
  output.clear();
  showCounters({ step: 0, epoch: 0, examples_seen: 0, examples_per_second: null });
  $("count-rate").textContent = "–";
  output.showFigures({ step: 0, loss: null, train_accuracy: null, test_loss: null, test_accuracy: null, test_step: null });
}

/** Show the current job's counters, figures and charts again (a new job for it was refused). */
async function restoreFigures() {
  const [detail, { points }] = await Promise.all([api.get(`/api/jobs/${job.id}`), job.metrics()]);
  points.forEach((point) => output.addPoint(point));
  showCounters(detail);
  output.showFigures(snapshotFigures({ job: detail, history: points }));
}

function showSpecError(error) {
  const layerFields = (error.fields || []).filter((field) => /^(layers|model)\b/.test(field.loc));
  if (layerFields.length) network.showError(layerFields.map((field) => field.msg).join("\n"));
  else toast(error.message);
}

/** A click on the plot: the data it makes (datasets.js `clickedData`), trained at once. */
function editAt({ x, y, event }) {
  if (job.readOnly) return; // someone else's data: "Make my own copy" first
  const remove = $("remove-mode").getAttribute("aria-pressed") === "true" || event.ctrlKey || event.metaKey;
  try {
    changeData(clickedData(state, datasetView, { x, y, label: event.shiftKey ? 1 : 0, remove }));
  } catch (error) {
    toast(error.message);
  }
}

function onSnapshot(snapshot) {
  datasetView = snapshot.dataset;
  $("job-id").textContent = snapshot.job.id;
  $("job-id").dataset.jobId = snapshot.job.id;
  $("job-linked").hidden = !job.linked;
  $("job-line").title = job.linked ? $("job-line").dataset.linkedTitle : OWN_JOB_TITLE;
  watched = snapshot.job;
  showAccess();
  const { dataset } = snapshot;
  boundary.setPoints(dataset.points, dataset.extent, dataset.kind);
  showAxes($("axis-x"), $("axis-y"), dataset.extent);
  colourScale.show(dataset.kind, dataset.class_names, boundary.valueScale);
  $("diagram-squares").textContent = SQUARES[dataset.kind === "regress1d" ? "curve" : "plane"];
  job.drawInPage(visuals.start(snapshot));
  diagram.build(snapshot.layers, dataset.features || state.features, dataset.class_names);
  hiddenPicker.show(snapshot.layers, snapshot.view);
  output.reset(dataset, snapshot.history);
  showCounters(snapshot.job);
  output.showFigures(snapshotFigures(snapshot));
  showStatus(snapshot.job);
}

/** A JSON message of the stream of job `from`. */
function onMessage(message, from) {
  if (message.type === "progress" && replaced.has(from)) return;
  if (message.type === "progress") {
    output.addPoint(message);
    showCounters(message);
    output.showFigures(message);
  } else if (message.type === "status" && message.status === "deleted") {
    toast("This job was deleted elsewhere (the jobs page?); the playground starts a new one.");
    changeData({});
  } else if (message.type === "status") {
    showStatus(message);
  } else if (message.type === "reset") {
    clearFigures();
    // a reset keeps the live hyperparameters (each viewer that may change the job says them again)
    if (!job.readOnly) runAction(() => job.setTrainer(liveTrainer(state)));
  } else if (message.type === "trainer") {
    showTrainer(message.trainer);
  } else if (message.type === "weight") {
    visuals.weight(message);
  } else if (message.type === "view") {
    visuals.view(message.view);
  } else if (message.type === "lagged") {
    runAction(reloadHistory);
  } else if (message.type === "error") {
    toast(message.message);
  }
}

/** Another viewer (or the API) changed the hyperparameters: show them and keep them in the link. */
function showTrainer(trainer) {
  for (const key of LIVE_TRAINER_KEYS) if (typeof trainer[key] === "number") state[key] = trainer[key];
  showForm();
  showAccess(); // a watcher's banner says the trainer
  saveHash();
}

/** This viewer fell behind and missed progress messages: redraw the charts from the stored history. */
async function reloadHistory() {
  const { points } = await job.metrics();
  output.clear();
  points.forEach((point) => output.addPoint(point));
}

/** A weight or bias typed into the diagram: sent to the job (the server checks it and says what is
 * wrong; the diagram takes no edit on a job watched read only). */
function editWeight(change) {
  runAction(() => job.setWeight(change));
}

function showCounters(progress) {
  $("count-step").textContent = progress.step.toLocaleString();
  $("count-epoch").textContent = progress.epoch.toLocaleString();
  $("count-examples").textContent = progress.examples_seen.toLocaleString();
  const rate = progress.examples_per_second;
  if (rate !== null && rate !== undefined) $("count-rate").textContent = Math.round(rate).toLocaleString();
}

/**
 * Say whether the person may change the job shown. Someone else's job (opened by its link, no token
 * for it here) is watched: a banner at the top names it, and the page shows no control that would
 * change it or silently leave it (run buttons, trainer, data, features, net editor, weight edits,
 * hidden-space choice, Load model): one button makes a copy of one's own instead.
 */
function showAccess() {
  banner.show(job.readOnly ? (watched ?? { name: "", id: job.id }) : null, state);
  diagram.setEditable(!job.readOnly);
  $("boundary-overlay").classList.toggle("read-only", job.readOnly);
  showParts();
}

/**
 * "Make my own copy": a job of the page's own from the watched job's setup and its weights now (a
 * model anyone may download), paused at step 0 of its own, so it starts where the watched job is; the
 * watched job is left as it was.
 */
async function ownCopy() {
  const model = await job.model("netplay");
  job.intent.set(false);
  return changeData({}, model);
}

/** Show a job's status ({status, error, stop_reason, queue_position, message}) and what Play will do;
 * the job may resume itself here (an unwatched pause while the person wants it to play). */
function showStatus(update) {
  job.observe(update);
  $("play").textContent = job.active ? "Pause" : "Play";
  $("play").setAttribute("aria-pressed", String(job.active));
  const box = $("status");
  box.className = `status ${update.status}`;
  box.textContent = statusText(update);
}

/** Put the state's values into the form controls (ids match the state's keys). */
function showForm() {
  for (const key of [...DATA_KEYS, ...LIVE_TRAINER_KEYS, "method", "seed"]) $(key).value = state[key];
  $("noise-value").textContent = state.noise;
  $("test_fraction-value").textContent = state.test_fraction;
  $("discretize").checked = state.discretize;
  $("show-test").checked = state.show_test;
  boundary.setShowTest(state.show_test);
  showParts();
  $("momentum").disabled = !methodUses(state.method, "momentum");
  $("classes").disabled = state.dataset === "points" || !classesParam();
  const user = entry()?.source === "user";
  for (const id of ["noise", "n_samples", "regenerate"]) $(id).disabled = user; // no generator
  $("show-neurons-box").hidden = kind() !== "regress1d";
  for (const box of document.querySelectorAll("#features input")) box.checked = state.features.includes(box.value);
}

/** Whether the trainer `method` uses the setting `name` (the method options carry the engine's list). */
function methodUses(method, name) {
  const option = [...$("method").options].find((each) => each.value === method);
  return Boolean(option?.dataset.hypers.split(",").includes(name));
}

/** The feature boxes (the engine's features, rendered by the template): a change trains a new job. */
function bindFeatures() {
  const boxes = [...document.querySelectorAll("#features input")];
  for (const box of boxes) {
    box.addEventListener("change", () => {
      const features = boxes.filter((each) => each.checked).map((each) => each.value);
      if (features.length) changeData({ features });
      else box.checked = true; // the net needs at least one input
    });
  }
}

async function runAction(action) {
  try {
    await action();
  } catch (error) {
    toast(error.message);
  }
}

function bindControls() {
  for (const key of DATA_KEYS) $(key).addEventListener("change", () => changeData({ [key]: Number($(key).value) }));
  $("noise").addEventListener("input", () => ($("noise-value").textContent = $("noise").value));
  $("test_fraction").addEventListener("input", () => ($("test_fraction-value").textContent = $("test_fraction").value));
  $("regenerate").addEventListener("click", () => changeData({ data_seed: state.data_seed + 1 }));
  $("remove-mode").addEventListener("click", () => {
    const pressed = $("remove-mode").getAttribute("aria-pressed") !== "true";
    $("remove-mode").setAttribute("aria-pressed", String(pressed));
  });
  $("method").addEventListener("change", changeMethod);
  for (const key of LIVE_TRAINER_KEYS) {
    $(key).addEventListener("change", () => {
      state[key] = Number($(key).value);
      saveHash();
      // momentum means nothing to adaptive methods; the server would reject it
      if (key !== "momentum" || "momentum" in trainerSpec(state)) {
        runAction(() => job.setTrainer({ [key]: state[key] }));
      }
    });
  }
  $("seed").addEventListener("change", () => {
    state.seed = Number($("seed").value);
    saveHash();
    runAction(() => job.reset(state.seed));
  });
  $("play").addEventListener("click", () => runAction(() => job.toggle()));
  $("step").addEventListener("click", () => runAction(() => job.step()));
  $("reset").addEventListener("click", () => runAction(() => job.reset()));
  $("reset-new-seed").addEventListener("click", () => {
    state.seed = Math.floor(Math.random() * 2 ** 31);
    showForm();
    saveHash();
    runAction(() => job.reset(state.seed));
  });
  $("show-neurons").addEventListener("change", () => boundary.setShowNeurons($("show-neurons").checked));
  $("show-test").addEventListener("change", () => {
    state.show_test = $("show-test").checked;
    boundary.setShowTest(state.show_test);
    saveHash();
  });
  addEventListener("resize", () => diagram.relayout());
  $("discretize").addEventListener("change", () => {
    state.discretize = $("discretize").checked;
    boundary.setDiscretize(state.discretize);
    saveHash();
  });
  $("save-model").addEventListener("click", () => runAction(() => saveModel("netplay")));
  $("save-convnetjs").addEventListener("click", () => runAction(() => saveModel("convnetjs")));
  $("load-model").addEventListener("change", () => runAction(loadModel));
  addEventListener("pagehide", () => job.discard());
  addEventListener("hashchange", applyHash);
}

/** The link was edited in the address bar: open the job it names, or apply the setup it describes. */
function applyHash() {
  const linked = linkedJobId();
  if (linked) {
    if (linked !== job.id) openLinked(linked).then((opened) => opened || saveHash());
    return;
  }
  const wanted = stateFromHash(location.hash, starts);
  if (hashFromState(wanted, starts) === hashFromState(state, starts)) return;
  const { discretize, show_test: showTest, hide } = wanted;
  Object.assign(state, { discretize, show_test: showTest, hide });
  boundary.setDiscretize(discretize);
  const setup = (s) => JSON.stringify({ ...s, discretize: null, show_test: null, hide: null });
  if (setup(wanted) === setup(state)) showForm(); // only how the page looks changed
  else changeData(wanted);
}

/** Hide the parts the link asks to hide (a teacher's link shows only what the lesson needs), and while
 * someone else's job is watched, the controls only its owner may use (marked data-owner). */
function showParts() {
  const hidden = hiddenParts(state);
  const watching = job.readOnly;
  for (const element of document.querySelectorAll("[data-part], [data-owner]")) {
    element.hidden = hidden.includes(element.dataset.part) || (watching && element.hasAttribute("data-owner"));
  }
  $("diagram").classList.toggle("no-shape", hidden.includes("shape") || watching);
  if (kind() === "regress1d") $("features").closest("fieldset").hidden = true; // a curve's input is x alone
}

/** A new method means new optimizer state: a new job from step 0, so the page asks first once the job
 * has trained (declined: the select goes back). */
function changeMethod() {
  const method = $("method").value;
  const trained = Number($("count-step").textContent.replace(/,/g, "")) > 0;
  const question = `Changing the method to ${method} restarts training from step 0 with fresh weights. Restart?`;
  if (trained && !window.confirm(question)) {
    $("method").value = state.method;
    return;
  }
  changeData({ method });
}

/** Download the job's net: netplay's format, or ConvNetJS's (the server says why a net cannot be). */
async function saveModel(format) {
  const name = format === "convnetjs" ? "convnetjs" : "netplay";
  downloadJson(`${name}-${state.dataset}-${job.id}.json`, await job.model(format));
}

/** Train the loaded net's weights on the current data (a new job; the link keeps only its layers). A
 * net saved by ConvNetJS (`net.toJSON()`) is converted by the server; the page then shows the layers
 * it became. */
async function loadModel() {
  const model = await readJsonFile($("load-model"));
  if (!model) return;
  if (!Array.isArray(model.layers)) throw new Error("not a saved netplay or ConvNetJS net (no layers)");
  const fromConvnetjs = model.layers[0]?.layer_type !== undefined;
  if (!fromConvnetjs) state.layers = model.layers;
  const created = await changeData({}, model);
  if (fromConvnetjs && created) {
    state.layers = created.spec.model.layers;
    network.show(state.layers);
    saveHash();
  }
}

function animate(now) {
  visuals.draw(now);
  output.draw();
  requestAnimationFrame(animate);
}

async function main() {
  bindFeatures();
  bindControls();
  // The hidden space only while that view is open and on screen (computed then, here or on the server).
  watchShown($("hidden-details"), (shown) => {
    job.showHidden(shown);
    visuals.showHidden(shown);
  });
  boundary.setDiscretize(state.discretize);
  requestAnimationFrame(animate);
  setInterval(() => ($("count-fps").textContent = Math.round(visuals.framesPerSecond(performance.now())).toString()), 1000);
  try {
    const [sets, engine] = await Promise.all([pickerDatasets(), api.get("/api/catalogue")]);
    catalogue = sets;
    network.setActivations(engine.activations);
    const presets = await playgroundPresets(catalogue);
    presetBar.build(presets, catalogue);
    starts = startingStates(presets, catalogue);
    Object.assign(state, stateFromHash(location.hash, starts));
  } catch (error) {
    toast(error.message);
  }
  // The job first: its boundary is what the person waits for; the thumbnails' previews come after.
  const linked = linkedJobId();
  if (!linked || !(await openLinked(linked))) await changeData({});
  await picker.build(catalogue, state.dataset).catch((error) => toast(error.message));
}

main();
