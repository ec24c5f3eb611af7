// The jobs page's controller: polls the job list, wires the table's buttons, and overlays the ticked
// jobs' curves (labels that tell them apart, the chart settings, a CSV of them). The URL hash holds the
// state: #offset=0&metric=loss&compare=<id>,<id>&x=examples&smoothing=0.9&logy=1.

import { api, request, showConnection, toast } from "./api.js";
import { loadCatalogue } from "./catalogue.js";
import { ChartControls } from "./chartcontrols.js";
import { CompareChart } from "./comparechart.js";
import { csvText } from "./csv.js";
import { JobTable } from "./jobtable.js";
import { downloadText } from "./modelfile.js";
import { owns, setTeacherToken, teacherToken, tokenFor } from "./owners.js";
import { distinctLabels } from "./runlabels.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 3000;
const PAGE_SIZE = 20;

const state = {
  offset: 0,
  metric: "loss",
  compare: new Set(), // ids of the jobs whose curves are shown, in the order they were ticked
};
const curves = new Map(); // id -> {step, points}: the last fetched metric history
const details = new Map(); // id -> {id, name, spec, trainer} of a compared job (its label tells it apart)
let datasets = []; // GET /api/datasets
let kinds = {}; // dataset name -> kind
let catalogue = null; // GET /api/catalogue
let online = true;
let timer = null;

const chart = new CompareChart($("compare-chart"), $("legend"));
const controls = new ChartControls({ x: "step" }, () => {
  writeHash();
  showCurves();
});
const table = new JobTable($("jobs-table").tBodies[0], {
  onSelect: select,
  onAction: act,
  onKeep: keep,
  mine: (id) => owns("jobs", id),
  mayChange: (id) => Boolean(tokenFor("jobs", id)),
});

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  state.offset = Math.max(0, Number(params.get("offset")) || 0);
  state.metric = params.get("metric") || "loss";
  for (const id of (params.get("compare") || "").split(",").filter(Boolean)) state.compare.add(id);
  controls.read(params);
}

function writeHash() {
  const params = new URLSearchParams({ offset: state.offset, metric: state.metric });
  if (state.compare.size) params.set("compare", [...state.compare].join(","));
  controls.write(params);
  history.replaceState(null, "", `#${params.toString().replaceAll("%2C", ",")}`);
}

function setOnline(ok, error) {
  if (ok !== online && !ok) toast(error.message);
  online = ok;
  showConnection(ok ? "open" : "lost");
}

async function refresh() {
  clearTimeout(timer);
  try {
    const page = await api.get(`/api/jobs?limit=${PAGE_SIZE}&offset=${state.offset}`);
    setOnline(true);
    table.render(page.items, kinds, state.compare);
    $("jobs-empty").hidden = page.total > 0;
    const last = Math.min(page.offset + page.items.length, page.total);
    $("page-info").textContent = page.total ? `${page.offset + 1}–${last} of ${page.total}` : "";
    $("page-prev").disabled = page.offset === 0;
    $("page-next").disabled = last >= page.total;
    for (const job of page.items) {
      const known = details.get(job.id);
      if (known) Object.assign(known, { name: job.name, trainer: job.trainer }); // renamed, a live change
    }
    await refreshCurves(page.items);
  } catch (error) {
    setOnline(false, error);
  }
  clearTimeout(timer); // a refresh started by a button may have finished meanwhile
  timer = setTimeout(refresh, REFRESH_MS);
}

/** Fetch the metric history of compared jobs that are new or have stepped since the last fetch, and
 * the setup of those new to the comparison. */
async function refreshCurves(jobs) {
  const steps = new Map(jobs.map((job) => [job.id, job.step]));
  const stale = [...state.compare].filter((id) => !curves.has(id) || (steps.has(id) && steps.get(id) !== curves.get(id).step));
  const answers = await Promise.all(stale.map(async (id) => {
    try {
      if (!details.has(id)) {
        const { name, spec, trainer } = await api.get(`/api/jobs/${id}`);
        details.set(id, { id, name, spec, trainer });
      }
      return await api.get(`/api/jobs/${id}/metrics`);
    } catch (error) {
      toast(error.message);
      state.compare.delete(id);
      return null;
    }
  }));
  answers.forEach((answer, i) => answer && curves.set(stale[i], { step: steps.get(stale[i]), points: answer.points }));
  showCurves();
}

function showCurves() {
  const shown = [...state.compare].filter((id) => curves.has(id) && details.has(id));
  const labels = distinctLabels(shown.map((id) => details.get(id)), catalogue, datasets);
  chart.show(shown.map((id) => ({ id, label: labels.get(id), points: curves.get(id).points })), state.metric, controls.view);
}

function downloadCurves() {
  if (!chart.curves.length) {
    toast("Tick the jobs to compare first.");
    return;
  }
  downloadText(`netplay-jobs-${state.metric}.csv`, csvText(chart.rows()), "text/csv");
}

function select(job, checked) {
  if (checked) state.compare.add(job.id);
  else state.compare.delete(job.id);
  writeHash();
  refreshCurves([job]).catch((error) => toast(error.message));
}

async function act(id, action) {
  try {
    if (action === "delete") {
      if (!confirm(`Delete job ${id} and its history?`)) return;
      await api.del(`/api/jobs/${id}`);
      state.compare.delete(id);
      curves.delete(id);
      details.delete(id);
      writeHash();
    } else {
      await api.post(`/api/jobs/${id}/${action}`);
    }
  } catch (error) {
    toast(error.message);
  }
  refresh();
}

/** Mark a job kept (never deleted when the server makes room) or not; the next refresh shows it. */
async function keep(id, kept) {
  try {
    await api.patch(`/api/jobs/${id}`, { keep: kept });
  } catch (error) {
    toast(error.message);
  }
  await refresh();
}

/** Check a typed teacher's token with the server, keep it when it is the teacher's, and show what it
 * allows; an empty box forgets the token. */
async function useTeacherToken(token) {
  if (token) {
    try {
      const { teacher } = await request("GET", "/api/access", undefined, { authorization: `Bearer ${token}` });
      if (!teacher) {
        toast("That is not the teacher's token (NETPLAY_ADMIN_TOKEN on the server).");
        return;
      }
    } catch (error) {
      toast(error.message);
      return;
    }
  }
  setTeacherToken(token);
  showTeacher();
  await refresh();
}

function showTeacher() {
  const teacher = Boolean(teacherToken());
  $("teacher-state").textContent = teacher ? "Teacher: you may change every job." : "You may change the jobs marked yours.";
  $("teacher-token").value = "";
  $("teacher-forget").hidden = !teacher;
}

function turnPage(delta) {
  state.offset = Math.max(0, state.offset + delta);
  writeHash();
  refresh();
}

function drawLoop() {
  chart.draw();
  requestAnimationFrame(drawLoop);
}

async function init() {
  readHash();
  $("metric").value = state.metric;
  try {
    [datasets, catalogue] = await Promise.all([api.get("/api/datasets"), loadCatalogue()]);
    kinds = Object.fromEntries(datasets.map((entry) => [entry.name, entry.kind]));
    table.catalogue = catalogue;
  } catch (error) {
    toast(error.message);
  }
  await refresh();
}

$("metric").addEventListener("change", (event) => {
  state.metric = event.target.value;
  writeHash();
  showCurves();
});
$("teacher-form").addEventListener("submit", (event) => {
  event.preventDefault();
  useTeacherToken($("teacher-token").value.trim());
});
$("teacher-forget").addEventListener("click", () => useTeacherToken(""));
controls.onDownload(downloadCurves);
showTeacher();
$("page-prev").addEventListener("click", () => turnPage(-PAGE_SIZE));
$("page-next").addEventListener("click", () => turnPage(PAGE_SIZE));
requestAnimationFrame(drawLoop);
init();
