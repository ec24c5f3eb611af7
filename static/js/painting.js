// The painting page's controller (ConvNetJS's image_regression demo): a picture (drawn, a bundled photo
// or an upload) and ConvNetJS's net and trainer from the server's "painting" preset; the original and the
// net's picture side by side, the loss, and the counters with the step they belong to.
//
// One job at a time, driven by PlayJob as the playground drives its own: a new picture or size is a new
// job (the old one, if the page made it, is deleted), created paused at step 0 until the person presses
// Play; a job opened by its link (#job=<id>) is shown, driven only with its owner's token, never deleted.
// The original comes from the data set's preview (GET /api/datasets/painting/preview), not from the
// stream: it never changes, and it is shown before any job exists. The URL hash holds the setup.

import { api, showConnection, toast } from "./api.js";
import { classColor } from "./classcolors.js";
import { preview, uploadDataset } from "./convspec.js";
import { jobPage } from "./jobpages.js";
import { LineChart } from "./linechart.js";
import { FrameRate } from "./framerate.js";
import { count, fixed } from "./numbers.js";
import { base64Bytes, drawRgb, PaintingView } from "./picture.js";
import { PlayJob } from "./playjob.js";
import { pauseWhenUnwatched } from "./unwatched.js";
import { UploadList } from "./uploads.js";

const $ = (id) => document.getElementById(id);
// Frames per second of the net's picture: smooth to the eye, a small share of a worker's time (one
// forward pass over every pixel: about 3 ms for 128 x 85 pixels on one core).
const FPS = 20;
const DEFAULTS = { picture: "scene", file: null, size: 48, learning_rate: 0.01 };

const state = stateFromHash();
let preset = null; // the painting preset's spec: ConvNetJS's net and trainer
let shownOriginal = null; // the dataset spec whose original is (being) drawn, as JSON
let pictureOptions = []; // the catalogue's pictures, as the select's options

const painted = new PaintingView($("painted"), (step) => ($("painted-step").textContent = `(step ${count(step)})`));
const chart = new LineChart($("loss-chart"), [{ key: "loss", label: "loss", color: classColor(1) }], { yMin: 0 });
const job = new PlayJob(
  { onSnapshot, onMessage, onFrame, onConnection: showConnection, onAccess: showAccess },
  { kinds: ["painting"], hidden: false },
);
const uploads = new UploadList({ list: $("uploads-list"), summary: $("uploads-summary") }, {
  onUse: (spec) => changePicture({ file: spec.file }),
  onError: showError,
  accepts: (spec) => spec.name === "painting",
});

function showError(error) {
  toast(error.message);
}

/** The setup a link holds (#picture=china&size=64&learning_rate=0.003, or #file=<upload>). */
function stateFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  const number = (key) => (params.has(key) && Number(params.get(key)) > 0 ? Number(params.get(key)) : DEFAULTS[key]);
  return {
    picture: params.get("picture") || DEFAULTS.picture,
    file: params.get("file"),
    size: number("size"),
    learning_rate: number("learning_rate"),
  };
}

/** Keep the link true: `job=<id>` while the page shows a job opened by its link, else the setup. */
function saveHash() {
  const { file, picture, size, learning_rate: rate } = state;
  const setup = new URLSearchParams({ ...(file ? { file } : { picture }), size, learning_rate: rate });
  history.replaceState(null, "", `#${job.linked ? `job=${job.id}` : setup}`);
}

function datasetSpec() {
  const source = state.file ? { file: state.file } : { picture: state.picture };
  return { name: "painting", ...source, size: state.size };
}

function jobSpec() {
  return {
    ...preset,
    name: `painting ${state.file ?? state.picture}`,
    dataset: datasetSpec(),
    trainer: { ...preset.trainer, learning_rate: state.learning_rate },
    stream: { fps: FPS },
    pause_when_unwatched: pauseWhenUnwatched(),
  };
}

/** Paint another picture (or the same at another size): a new job; resolves once it exists. */
async function changePicture(changes) {
  Object.assign(state, changes);
  showForm();
  saveHash();
  showOriginal(datasetSpec());
  try {
    await job.replace(jobSpec());
    saveHash();
  } catch (error) {
    showError(error);
  }
}

/** Draw the original of a dataset spec (from its preview); a newer choice wins over a slow answer. */
async function showOriginal(spec) {
  const key = JSON.stringify(spec);
  if (key === shownOriginal) return;
  shownOriginal = key;
  try {
    const { picture } = await preview(spec);
    if (key !== shownOriginal) return;
    const [sy, sx] = picture.shape;
    drawRgb($("original"), base64Bytes(picture.pixels), sy, sx);
  } catch (error) {
    showError(error);
  }
}

function onSnapshot(snapshot) {
  if (snapshot.dataset.kind !== "painting") {
    location.replace(jobPage(snapshot.dataset.kind, snapshot.job.id)); // not a picture: its own page
    return;
  }
  if (job.linked) {
    const { picture, file, size } = snapshot.spec.dataset;
    const rate = snapshot.job.trainer.learning_rate;
    Object.assign(state, { picture: picture ?? DEFAULTS.picture, file: file ?? null, size: size ?? DEFAULTS.size });
    if (typeof rate === "number") state.learning_rate = rate;
    showForm();
    saveHash();
  }
  showOriginal(snapshot.spec.dataset);
  $("job-id").textContent = snapshot.job.id;
  showAccess();
  painted.clear();
  chart.clear();
  snapshot.history.forEach(addPoint);
  showCounters({ ...snapshot.job, loss: snapshot.history.at(-1)?.loss ?? null });
  showStatus(snapshot.job);
}

function onMessage(message) {
  if (message.type === "progress") {
    addPoint(message);
    showCounters(message);
  } else if (message.type === "status" && message.status === "deleted") {
    toast("This job was deleted elsewhere (the jobs page?); the page starts a new one.");
    changePicture({});
  } else if (message.type === "status") {
    showStatus(message);
  } else if (message.type === "reset") {
    chart.clear();
    showCounters({ step: 0, examples_seen: 0, loss: null, examples_per_second: null });
    // a reset keeps the live learning rate (each viewer that may change the job says it again)
    if (!job.readOnly) runAction(() => job.setTrainer({ learning_rate: state.learning_rate }));
  } else if (message.type === "trainer" && typeof message.trainer.learning_rate === "number") {
    state.learning_rate = message.trainer.learning_rate;
    showForm();
    saveHash();
  } else if (message.type === "lagged") {
    runAction(async () => {
      chart.clear();
      (await job.metrics()).points.forEach(addPoint);
    });
  } else if (message.type === "error") {
    toast(message.message);
  }
}

const frameRate = new FrameRate(); // pictures this page receives

function onFrame(frame) {
  if (frame.header.type !== "painting") return;
  painted.push(frame);
  frameRate.note(performance.now());
}

function addPoint(point) {
  chart.add(point.step, { loss: point.loss });
}

/** Step, loss and speed of a progress report (or a job), each said with the step it was measured at. */
function showCounters(progress) {
  const at = `at step ${count(progress.step)}`;
  $("count-step").textContent = count(progress.step);
  $("count-examples").textContent = count(progress.examples_seen);
  if (progress.loss !== null && progress.loss !== undefined) {
    $("count-loss").textContent = fixed(progress.loss, 4);
    $("loss-at").textContent = `loss ${at}`;
  }
  const rate = progress.examples_per_second;
  if (rate !== null && rate !== undefined) {
    $("count-rate").textContent = count(rate);
    $("rate-at").textContent = `examples/s ${at}`;
  }
}

function showAccess() {
  $("job-readonly").hidden = !job.readOnly;
}

function showStatus(update) {
  job.observe(update);
  $("play").textContent = job.active ? "Pause" : "Play";
  $("play").setAttribute("aria-pressed", String(job.active));
  const box = $("status");
  box.className = `status ${update.status}`;
  box.textContent = update.status === "failed" ? `failed: ${update.error}; lower the learning rate, then Reset` : update.status;
}

function showForm() {
  const select = $("picture");
  const uploaded = state.file ? [new Option(`upload: ${state.file}`, `file:${state.file}`)] : [];
  select.replaceChildren(...pictureOptions, ...uploaded);
  select.value = state.file ? `file:${state.file}` : state.picture;
  $("size").value = String(state.size);
  $("learning_rate").value = String(state.learning_rate);
}

async function runAction(action) {
  try {
    await action();
  } catch (error) {
    showError(error);
  }
}

/** Run `action` on the job, or on a job of the page's own when the one shown may only be watched. */
function drive(action, playing = false) {
  return runAction(() => {
    if (!job.readOnly) return action();
    job.intent.set(playing);
    return changePicture({});
  });
}

async function uploadChosen(files) {
  if (!files.length) return;
  try {
    const spec = await uploadDataset(files);
    await changePicture({ file: spec.file });
  } catch (error) {
    showError(error);
  }
  $("upload").value = "";
  await uploads.refresh().catch(showError);
}

function bindControls() {
  $("picture").addEventListener("change", () => {
    const value = $("picture").value;
    changePicture(value.startsWith("file:") ? { file: value.slice(5) } : { picture: value, file: null });
  });
  $("size").addEventListener("change", () => changePicture({ size: Number($("size").value) }));
  $("learning_rate").addEventListener("change", () => {
    const rate = Number($("learning_rate").value);
    if (!(rate > 0)) return showForm(); // the server would refuse it: keep the last good one
    state.learning_rate = rate;
    saveHash();
    drive(() => job.setTrainer({ learning_rate: rate }), job.active);
  });
  $("play").addEventListener("click", () => drive(() => job.toggle(), true));
  $("reset").addEventListener("click", () => drive(() => job.reset()));
  $("upload").addEventListener("change", (event) => uploadChosen(event.target.files));
  addEventListener("pagehide", () => job.discard());
}

function animate() {
  painted.draw();
  chart.draw();
  requestAnimationFrame(animate);
}

async function main() {
  bindControls();
  requestAnimationFrame(animate);
  setInterval(() => ($("count-fps").textContent = Math.round(frameRate.rate(performance.now())).toString()), 1000);
  const [presets, catalogue] = await Promise.all([api.get("/api/presets"), api.get("/api/datasets")]);
  preset = presets.find((entry) => entry.id === "painting").spec;
  const pictures = catalogue.find((entry) => entry.name === "painting").params.find((param) => param.name === "picture");
  pictureOptions = pictures.choices.map((name) => new Option(name, name));
  showForm();
  uploads.refresh().catch(showError);
  const linked = new URLSearchParams(location.hash.slice(1)).get("job");
  if (linked && (await exists(linked))) job.attach(linked);
  else await changePicture({});
}

/** Whether the job a link names is there (else the page says so and paints a job of its own). */
async function exists(jobId) {
  try {
    await api.get(`/api/jobs/${encodeURIComponent(jobId)}`);
    return true;
  } catch (error) {
    toast(`${error.message}: the page paints a new job instead.`);
    return false;
  }
}

main().catch(showError);
