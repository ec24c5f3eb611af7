// The trainer comparison page (ConvNetJS's trainers demo): one base setup from the server's presets,
// one job per ticked trainer (the same net, data and seed), each streamed live (progress only, no
// frames), drawn as loss and accuracy curves against examples seen and as a table of their figures.
// Starting a comparison stops the page's previous one (startedjobs.js), so a class does not pile up
// jobs; the jobs pause themselves when nobody has watched them for a while (unwatched.js).

import { api, JobStream, showConnection, toast } from "./api.js";
import { CompareChart } from "./comparechart.js";
import { measuredOn, testStep } from "./figures.js";
import { count, fixed, percent } from "./numbers.js";
import { rememberStarted, startedJobs, stopStarted } from "./startedjobs.js";
import { pauseWhenUnwatched } from "./unwatched.js";

const $ = (id) => document.getElementById(id);
const MAX_POINTS = 2000; // progress points kept per job (every second one dropped when full)
const REDRAW_MS = 250;
const RUNNING = ["running", "queued"];
const RESUMABLE = ["paused", "interrupted"];

let presets = [];
let trainers = []; // [{label, trainer}] from the "trainers" preset
const runs = new Map(); // job id -> {label, stream, points, last, status}
let dirty = false;
let lastDraw = 0;

const charts = {
  loss: new CompareChart($("loss-chart"), $("legend")),
  test_accuracy: new CompareChart($("test-chart"), document.createElement("ul")),
  train_accuracy: new CompareChart($("train-chart"), document.createElement("ul")),
};

/** The preset the page compares trainers on. */
function setup() {
  return presets.find((preset) => preset.id === $("setup").value);
}

function buildControls() {
  const comparison = presets.find((preset) => preset.trainers);
  trainers = comparison ? comparison.trainers : [];
  $("setup").replaceChildren(...presets.map((preset) => new Option(preset.title, preset.id)));
  $("setup").value = comparison ? comparison.id : presets[0]?.id;
  showSetup();
  $("trainer-boxes").replaceChildren(...trainers.map(({ label, trainer }) => {
    const box = document.createElement("label");
    box.className = "inline";
    box.title = Object.entries(trainer).map(([key, value]) => `${key} ${value}`).join(", ");
    box.innerHTML = `<input type="checkbox" checked> `;
    box.querySelector("input").value = label;
    box.append(label);
    return box;
  }));
}

function showSetup() {
  const preset = setup();
  $("setup-info").textContent = preset ? preset.description : "";
}

/** The ticked trainers, in the preset's order. */
function chosen() {
  const ticked = new Set([...$("trainer-boxes").querySelectorAll("input:checked")].map((box) => box.value));
  return trainers.filter(({ label }) => ticked.has(label));
}

/** Stop the page's previous comparison, then create one paused job per ticked trainer and start them
 * together, so none gets a head start. */
async function compare() {
  const picked = chosen();
  if (!picked.length) {
    toast("Tick at least one trainer.");
    return;
  }
  $("run").disabled = true;
  try {
    closeRuns();
    (await stopStarted()).forEach((error) => toast(error.message));
    const base = setup();
    const budget = Number($("budget").value) || 0;
    const created = [];
    for (const { label, trainer } of picked) {
      const spec = {
        ...base.spec,
        name: `${base.spec.name}: ${label}`,
        trainer,
        seed: base.spec.seed ?? 0,
        pause_when_unwatched: pauseWhenUnwatched(),
      };
      // the same number of examples for each: steps of its batch size
      if (budget > 0) spec.stop = { max_steps: Math.ceil(budget / (trainer.batch_size || 1)) };
      const job = await api.post("/api/jobs?paused=true", spec);
      rememberStarted(job.id);
      created.push({ id: job.id, label });
    }
    for (const { id, label } of created) follow(id, label);
    await Promise.all(created.map(({ id }) => api.post(`/api/jobs/${id}/resume`)));
  } catch (error) {
    toast(error.message);
  } finally {
    $("run").disabled = false;
  }
}

/** Stream one job of the comparison. */
function follow(id, label) {
  const run = { label, points: [], last: null, status: null, batch: 1, stream: null };
  runs.set(id, run);
  run.stream = new JobStream(id, {
    onSnapshot: (snapshot) => {
      run.points = snapshot.history.slice(-MAX_POINTS);
      run.batch = snapshot.job.trainer.batch_size || 1;
      run.status = snapshot.job.status;
      run.last = { ...snapshot.job.metrics, ...(snapshot.history.at(-1) || {}), ...snapshot.job };
      changed();
    },
    onMessage: (message) => {
      if (message.type === "progress") {
        run.points.push(message);
        if (run.points.length > MAX_POINTS) run.points = run.points.filter((_, i) => i % 2 === 0);
        run.last = { ...run.last, ...message };
      } else if (message.type === "status") {
        run.status = message.status;
      } else if (message.type === "error") {
        toast(message.message);
      }
      changed();
    },
    onConnection: showConnection,
  }, []);
}

function closeRuns() {
  for (const run of runs.values()) run.stream.close();
  runs.clear();
  changed();
}

function changed() {
  dirty = true;
}

function draw(now) {
  if (dirty && now - lastDraw > REDRAW_MS) {
    dirty = false;
    lastDraw = now;
    const curves = [...runs].map(([id, run]) => ({ id, label: run.label, points: run.points }));
    const perStep = runs.size ? Math.max(...[...runs.values()].map((run) => run.batch)) : 1;
    for (const [metric, chart] of Object.entries(charts)) chart.show(curves, metric, perStep);
    showTable();
  }
  for (const chart of Object.values(charts)) chart.draw();
  requestAnimationFrame(draw);
}

function showTable() {
  const rows = [...runs].map(([id, run]) => {
    const last = run.last || {};
    const row = document.createElement("tr");
    row.dataset.id = id;
    const name = document.createElement("th");
    name.scope = "row";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = charts.loss.colorOf(id);
    name.append(swatch, run.label);
    const cells = [
      run.status || "…",
      count(last.examples_seen),
      count(last.examples_per_second),
      fixed(last.loss, 4),
      percent(last.train_accuracy),
      percent(last.test_accuracy),
    ].map((text) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      return cell;
    });
    const measured = last.test_accuracy === undefined ? "" : measuredOn(testStep(last), last.test_examples, null, "test examples");
    cells[5].title = measured ? `measured at ${measured}` : "";
    row.append(name, ...cells);
    return row;
  });
  $("results").tBodies[0].replaceChildren(...rows);
  $("results-empty").hidden = runs.size > 0;
  const active = [...runs.values()].some((run) => RUNNING.includes(run.status));
  const resumable = [...runs.values()].some((run) => RESUMABLE.includes(run.status));
  $("toggle").disabled = !active && !resumable;
  $("toggle").textContent = active ? "Pause all" : "Resume all";
}

/** Pause every job of the comparison, or resume them all. */
async function toggleAll() {
  const resume = $("toggle").textContent === "Resume all";
  const wanted = resume ? RESUMABLE : RUNNING;
  const ids = [...runs].filter(([, run]) => wanted.includes(run.status)).map(([id]) => id);
  const answers = await Promise.allSettled(ids.map((id) => api.post(`/api/jobs/${id}/${resume ? "resume" : "pause"}`)));
  for (const answer of answers) if (answer.status === "rejected") toast(answer.reason.message);
}

/** A reload shows the comparison this tab started, if its jobs are still there. */
async function reattach() {
  for (const id of startedJobs()) {
    try {
      const job = await api.get(`/api/jobs/${id}`);
      follow(id, job.name?.split(": ").at(-1) || id);
    } catch {
      // deleted meanwhile: nothing to show
    }
  }
}

async function init() {
  try {
    presets = await api.get("/api/presets");
  } catch (error) {
    toast(error.message);
    return;
  }
  buildControls();
  await reattach();
}

$("setup").addEventListener("change", showSetup);
$("run").addEventListener("click", compare);
$("toggle").addEventListener("click", () => toggleAll().catch((error) => toast(error.message)));
requestAnimationFrame(draw);
init();
