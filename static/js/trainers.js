// The trainer comparison page (ConvNetJS's trainers demo): one base setup from the server's presets,
// one job per ticked trainer row (the same net, data and seed; each row's own settings), each streamed
// live (progress only, no frames), drawn as loss and accuracy curves (against examples seen, steps or
// wall time, smoothed, on log axes if asked: chartcontrols.js) and as a table of their figures.
// Starting a comparison stops the page's previous one (startedjobs.js), so a class does not pile up
// jobs; the jobs pause themselves when nobody has watched them for a while (unwatched.js).
// The URL hash holds the chart settings: #x=step&smoothing=0.9&logy=1.

import { api, JobStream, showConnection, toast } from "./api.js";
import { effectiveTrainer, loadCatalogue, trainerDetail, trainerText } from "./catalogue.js";
import { ChartControls } from "./chartcontrols.js";
import { CompareChart } from "./comparechart.js";
import { csvText } from "./csv.js";
import { measuredOn, testStep } from "./figures.js";
import { downloadText } from "./modelfile.js";
import { count, fixed, percent } from "./numbers.js";
import { distinctLabels } from "./runlabels.js";
import { rememberStarted, startedJobs, stopStarted } from "./startedjobs.js";
import { TrainerRows } from "./trainerrows.js";
import { pauseWhenUnwatched } from "./unwatched.js";

const $ = (id) => document.getElementById(id);
const MAX_POINTS = 2000; // progress points kept per job (every second one dropped when full)
const REDRAW_MS = 250;
const RUNNING = ["running", "queued"];
const RESUMABLE = ["paused", "interrupted"];

let presets = [];
let catalogue = null; // GET /api/catalogue
let trainerRows = null; // the trainer rows (trainerrows.js)
const runs = new Map(); // job id -> {label, spec, trainer (its current one), stream, points, last, status}
let dirty = false;
let lastDraw = 0;

const charts = {
  loss: new CompareChart($("loss-chart"), $("legend")),
  test_accuracy: new CompareChart($("test-chart"), document.createElement("ul")),
  train_accuracy: new CompareChart($("train-chart"), document.createElement("ul")),
};
const controls = new ChartControls({ x: "examples" }, () => {
  writeHash();
  changed();
});

function writeHash() {
  const params = new URLSearchParams();
  controls.write(params);
  history.replaceState(null, "", params.size ? `#${params}` : location.pathname);
}

/** The preset the page compares trainers on. */
function setup() {
  return presets.find((preset) => preset.id === $("setup").value);
}

function buildControls() {
  const comparison = presets.find((preset) => preset.trainers);
  $("setup").replaceChildren(...presets.map((preset) => new Option(preset.title, preset.id)));
  $("setup").value = comparison ? comparison.id : presets[0]?.id;
  showSetup();
  trainerRows = new TrainerRows($("trainer-rows"), catalogue);
  trainerRows.setRows(comparison ? comparison.trainers : []);
  $("add-method").replaceChildren(...catalogue.trainers.map((entry) => new Option(entry.method, entry.method)));
}

function showSetup() {
  const preset = setup();
  $("setup-info").textContent = preset ? preset.description : "";
}

/** Stop the page's previous comparison, then create one paused job per ticked trainer row and start
 * them together, so none gets a head start. */
async function compare() {
  let picked;
  try {
    picked = trainerRows.chosen();
  } catch (error) {
    toast(error.message); // a setting out of its range: nothing starts
    return;
  }
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
      // the same number of examples for each: steps of its batch size (the method's default if blank)
      const batch = effectiveTrainer(trainer, catalogue).batch_size || 1;
      if (budget > 0) spec.stop = { max_steps: Math.ceil(budget / batch) };
      const job = await api.post("/api/jobs?paused=true", spec);
      rememberStarted(job.id);
      created.push({ id: job.id, label, spec: job.spec });
    }
    for (const { id, label, spec } of created) follow(id, label, spec);
    await Promise.all(created.map(({ id }) => api.post(`/api/jobs/${id}/resume`)));
  } catch (error) {
    toast(error.message);
  } finally {
    $("run").disabled = false;
  }
}

/** Stream one job of the comparison (`spec`: its job spec, which its label is told apart by). */
function follow(id, label, spec) {
  const run = { label, spec, trainer: spec.trainer, points: [], last: null, status: null, stream: null };
  runs.set(id, run);
  run.stream = new JobStream(id, {
    onSnapshot: (snapshot) => {
      run.points = snapshot.history.slice(-MAX_POINTS);
      run.trainer = snapshot.job.trainer;
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
      } else if (message.type === "trainer") {
        run.trainer = message.trainer;
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

/** Each run's label, told apart from the others' by what differs in their setups (runlabels.js). */
function labels() {
  const described = [...runs].map(([id, run]) => ({ id, name: run.label, spec: run.spec, trainer: run.trainer }));
  return distinctLabels(described, catalogue, null, ["stop."]);
}

function draw(now) {
  if (dirty && now - lastDraw > REDRAW_MS) {
    dirty = false;
    lastDraw = now;
    const named = labels();
    const curves = [...runs].map(([id, run]) => ({ id, label: named.get(id), points: run.points }));
    for (const [metric, chart] of Object.entries(charts)) chart.show(curves, metric, controls.view);
    showTable(named);
  }
  for (const chart of Object.values(charts)) chart.draw();
  requestAnimationFrame(draw);
}

function showTable(named) {
  const lines = [...runs].map(([id, run]) => {
    const last = run.last || {};
    const row = document.createElement("tr");
    row.dataset.id = id;
    const name = document.createElement("th");
    name.scope = "row";
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = charts.loss.colorOf(id);
    name.append(swatch, named.get(id));
    const cells = [
      run.status || "…",
      count(last.examples_seen),
      count(last.examples_per_second),
      fixed(last.loss, 4),
      percent(last.train_accuracy),
      percent(last.test_accuracy),
      trainerText(run.trainer, catalogue),
    ].map((text) => {
      const cell = document.createElement("td");
      cell.textContent = text;
      return cell;
    });
    const measured = last.test_accuracy === undefined ? "" : measuredOn(testStep(last), last.test_examples, null, "test examples");
    cells[5].title = measured ? `measured at ${measured}` : "";
    cells[6].title = trainerDetail(run.trainer, catalogue);
    row.append(name, ...cells);
    return row;
  });
  $("results").tBodies[0].replaceChildren(...lines);
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

/** All three charts' curves as one CSV (long format: a metric column tells them apart). */
function downloadCurves() {
  const lines = Object.values(charts).flatMap((chart) => chart.rows());
  if (!lines.length) {
    toast("Nothing to download yet: press Compare.");
    return;
  }
  downloadText(`netplay-trainers-${setup()?.id ?? "comparison"}.csv`, csvText(lines), "text/csv");
}

/** A reload shows the comparison this tab started, if its jobs are still there. */
async function reattach() {
  for (const id of startedJobs()) {
    try {
      const job = await api.get(`/api/jobs/${id}`);
      follow(id, job.name?.split(": ").at(-1) || id, job.spec);
    } catch {
      // deleted meanwhile: nothing to show
    }
  }
}

async function init() {
  controls.read(new URLSearchParams(location.hash.slice(1)));
  try {
    [presets, catalogue] = await Promise.all([api.get("/api/presets"), loadCatalogue()]);
  } catch (error) {
    toast(error.message);
    return;
  }
  buildControls();
  await reattach();
}

$("setup").addEventListener("change", showSetup);
$("add-trainer").addEventListener("click", () => trainerRows?.add($("add-method").value));
controls.onDownload(downloadCurves);
$("run").addEventListener("click", compare);
$("toggle").addEventListener("click", () => toggleAll().catch((error) => toast(error.message)));
requestAnimationFrame(draw);
init();
