// The jobs page's controller: polls the job list, wires the table's buttons, and overlays the ticked
// jobs' curves. The URL hash holds the state: #offset=0&metric=loss&compare=<id>,<id>.

import { api, request, showConnection, toast } from "./api.js";
import { CompareChart } from "./comparechart.js";
import { JobTable, jobLabel } from "./jobtable.js";
import { owns, setTeacherToken, teacherToken, tokenFor } from "./owners.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 3000;
const PAGE_SIZE = 20;

const state = {
  offset: 0,
  metric: "loss",
  compare: new Map(), // id -> label of the jobs whose curves are shown
};
const curves = new Map(); // id -> {step, points}: the last fetched metric history
let kinds = {}; // dataset name -> kind
let online = true;
let timer = null;

const chart = new CompareChart($("compare-chart"), $("legend"));
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
  for (const id of (params.get("compare") || "").split(",").filter(Boolean)) state.compare.set(id, id);
}

function writeHash() {
  const params = new URLSearchParams({ offset: state.offset, metric: state.metric });
  if (state.compare.size) params.set("compare", [...state.compare.keys()].join(","));
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
      if (state.compare.has(job.id)) state.compare.set(job.id, jobLabel(job));
    }
    await refreshCurves(page.items);
  } catch (error) {
    setOnline(false, error);
  }
  clearTimeout(timer); // a refresh started by a button may have finished meanwhile
  timer = setTimeout(refresh, REFRESH_MS);
}

/** Fetch the metric history of compared jobs that are new or have stepped since the last fetch. */
async function refreshCurves(jobs) {
  const steps = new Map(jobs.map((job) => [job.id, job.step]));
  const stale = [...state.compare.keys()].filter((id) => !curves.has(id) || (steps.has(id) && steps.get(id) !== curves.get(id).step));
  const answers = await Promise.all(stale.map((id) => api.get(`/api/jobs/${id}/metrics`).catch((error) => {
    toast(error.message);
    state.compare.delete(id);
    return null;
  })));
  answers.forEach((answer, i) => answer && curves.set(stale[i], { step: steps.get(stale[i]), points: answer.points }));
  showCurves();
}

function showCurves() {
  const shown = [...state.compare].filter(([id]) => curves.has(id));
  chart.show(shown.map(([id, label]) => ({ id, label, points: curves.get(id).points })), state.metric);
}

function select(job, checked) {
  if (checked) state.compare.set(job.id, jobLabel(job));
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
    const catalogue = await api.get("/api/datasets");
    kinds = Object.fromEntries(catalogue.map((entry) => [entry.name, entry.kind]));
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
showTeacher();
$("page-prev").addEventListener("click", () => turnPage(-PAGE_SIZE));
$("page-next").addEventListener("click", () => turnPage(PAGE_SIZE));
requestAnimationFrame(drawLoop);
init();
