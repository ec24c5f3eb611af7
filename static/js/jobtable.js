// The jobs table: one row per job, updated in place (so focus and ticks survive a refresh), with
// a compare checkbox, a link to watch the job live, the server's word on its status (paused because
// nobody watched, recovered after a worker died), the machine training it (a Ray cluster's node),
// pause/resume/stop/delete buttons and a keep box.
// A job this browser created is marked "yours"; the buttons work only on jobs the browser may change
// (its own, or every job with the teacher's token).

import { trainerDetail, trainerText } from "./catalogue.js";
import { measuredOn } from "./figures.js";
import { jobPage } from "./jobpages.js";
import { count, fixed, percent } from "./numbers.js";

const RUNNING = ["running", "queued"];
const RESUMABLE = ["paused", "interrupted"];
const COLUMNS = ["select", "job", "status", "dataset", "step", "loss", "train", "test", "speed", "trainer", "node", "actions"];

/** Where a job is watched live (jobpages.js); `kinds` maps data set names to their kinds. */
export function watchUrl(job, kinds) {
  return jobPage(kinds[job.dataset], job.id);
}

/** A job's name for people: its own, or its data set and id. */
export function jobLabel(job) {
  return job.name || `${job.dataset} ${job.id}`;
}

function button(action, text) {
  const element = document.createElement("button");
  element.type = "button";
  element.dataset.action = action;
  element.textContent = text;
  return element;
}

/** The gist of a status message, for the table (the whole message is the status's title): without
 * the status it repeats, up to its first colon ("recovered at step 1,234: its worker died..."). */
export function shortMessage(status, message) {
  const rest = message.startsWith(`${status}: `) ? message.slice(status.length + 2) : message;
  return rest.split(": ")[0];
}

export class JobTable {
  /**
   * @param {HTMLTableSectionElement} tbody
   * @param {{onSelect: (job: object, checked: boolean) => void, onAction: (id: string, action: string) => void,
   *   onKeep: (id: string, keep: boolean) => Promise, mine: (id: string) => boolean,
   *   mayChange: (id: string) => boolean}} handlers
   */
  constructor(tbody, handlers) {
    this.tbody = tbody;
    this.handlers = handlers;
    this.rows = new Map(); // id -> {row, cells, job}
    this.catalogue = null; // GET /api/catalogue: the trainer column fills in and bounds settings by it
    tbody.addEventListener("click", (event) => {
      const target = event.target.closest("button[data-action]");
      if (target) handlers.onAction(target.closest("tr").dataset.id, target.dataset.action);
    });
    tbody.addEventListener("change", (event) => {
      const role = event.target.dataset.role;
      const entry = this.rows.get(event.target.closest("tr")?.dataset.id);
      if (!entry) return;
      if (role === "compare") {
        entry.row.classList.toggle("selected", event.target.checked);
        handlers.onSelect(entry.job, event.target.checked);
      } else if (role === "keep") {
        // until the server answers, a refresh must not put back the old value
        entry.keeping = handlers.onKeep(entry.job.id, event.target.checked).finally(() => (entry.keeping = null));
      }
    });
  }

  /** Show one page of jobs (newest first); `selected` holds the ids ticked for comparison. */
  render(jobs, kinds, selected) {
    const ids = new Set(jobs.map((job) => job.id));
    for (const [id, entry] of this.rows) {
      if (!ids.has(id)) {
        entry.row.remove();
        this.rows.delete(id);
      }
    }
    for (const job of jobs) this.update(this.rows.get(job.id) || this.create(job), job, kinds, selected);
    const order = jobs.map((job) => job.id).join();
    if ([...this.tbody.rows].map((row) => row.dataset.id).join() !== order) {
      this.tbody.append(...jobs.map((job) => this.rows.get(job.id).row));
    }
  }

  create(job) {
    const row = document.createElement("tr");
    row.dataset.id = job.id;
    const cells = Object.fromEntries(COLUMNS.map((name) => [name, row.insertCell()]));
    const box = document.createElement("input");
    box.type = "checkbox";
    box.dataset.role = "compare";
    cells.select.append(box);
    cells.job.innerHTML = `<a></a><br><span class="job-id"></span> <span class="mine" hidden>yours</span>`;
    cells.actions.className = "actions";
    const keep = document.createElement("label");
    keep.className = "keep";
    keep.title = "Kept: never deleted when the server makes room for new jobs";
    keep.innerHTML = `<input type="checkbox" data-role="keep"> keep`;
    cells.actions.append(button("pause", "Pause"), " ", button("stop", "Stop"), " ", button("delete", "Delete"), keep);
    const entry = { row, cells, job, keeping: null };
    this.rows.set(job.id, entry);
    return entry;
  }

  update(entry, job, kinds, selected) {
    const { cells, row } = entry;
    entry.job = job;
    const label = jobLabel(job);
    const box = cells.select.querySelector("[data-role='compare']");
    box.checked = selected.has(job.id);
    box.setAttribute("aria-label", `Compare ${label}`);
    row.classList.toggle("selected", box.checked);
    const link = cells.job.querySelector("a");
    link.textContent = label;
    link.href = watchUrl(job, kinds);
    link.title = "Watch it live";
    cells.job.querySelector(".job-id").textContent = job.id;
    const mine = this.handlers.mine(job.id);
    cells.job.querySelector(".mine").hidden = !mine;
    row.classList.toggle("mine", mine);
    const mayChange = this.handlers.mayChange(job.id);
    this.showStatus(cells.status, job);
    cells.dataset.textContent = job.dataset;
    cells.step.textContent = count(job.step);
    cells.loss.textContent = fixed(job.metrics.loss, 4);
    cells.train.textContent = percent(job.metrics.train_accuracy);
    cells.test.textContent = percent(job.metrics.test_accuracy);
    const measured = measuredOn(job.metrics.test_step, job.metrics.test_examples, null, "test examples");
    cells.test.title = measured ? `measured at ${measured}` : "";
    cells.speed.textContent = count(job.examples_per_second);
    cells.trainer.textContent = trainerText(job.trainer, this.catalogue);
    cells.trainer.title = trainerDetail(job.trainer, this.catalogue);
    cells.node.textContent = job.node || "—";
    cells.node.title = job.node ? "The machine training it now" : "On no worker now";
    const [toggle, stop, remove] = cells.actions.querySelectorAll("button");
    const resumable = RESUMABLE.includes(job.status);
    toggle.dataset.action = resumable ? "resume" : "pause";
    toggle.textContent = resumable ? "Resume" : "Pause";
    toggle.disabled = !mayChange || (!resumable && !RUNNING.includes(job.status));
    stop.disabled = !mayChange || (!resumable && !RUNNING.includes(job.status));
    remove.disabled = !mayChange;
    const keep = cells.actions.querySelector("[data-role='keep']");
    keep.disabled = !mayChange;
    if (!entry.keeping) keep.checked = job.keep;
    cells.actions.title = mayChange ? "" : "Only whoever created this job, or the teacher, can change it";
    for (const [element, verb] of [[toggle, toggle.textContent], [stop, "Stop"], [remove, "Delete"], [keep, "Keep"]]) {
      element.setAttribute("aria-label", `${verb} ${label}`);
    }
  }

  showStatus(cell, job) {
    const queued = job.status === "queued" && job.queue_position ? ` (#${job.queue_position})` : "";
    const reason = job.stop_reason ? ` (${job.stop_reason.replaceAll("_", " ")})` : "";
    cell.replaceChildren();
    const status = document.createElement("span");
    status.className = `status ${job.status}`;
    status.textContent = `${job.status}${queued}${job.status === "completed" ? reason : ""}`;
    cell.append(status);
    if (job.message) {
      status.title = job.message;
      const message = document.createElement("span");
      message.className = "message";
      message.title = job.message;
      message.textContent = shortMessage(job.status, job.message);
      cell.append(message);
    }
    if (job.error) {
      const error = document.createElement("span");
      error.className = "error";
      error.textContent = job.error;
      cell.append(error);
    }
  }
}
