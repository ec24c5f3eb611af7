// The jobs table: one row per job, updated in place (so focus and ticks survive a refresh), with
// a compare checkbox, a link to watch the job live, and pause/resume/stop/delete buttons.

import { count, fixed, percent } from "./numbers.js";

const RUNNING = ["running", "queued"];
const RESUMABLE = ["paused", "interrupted"];
const COLUMNS = ["select", "job", "status", "dataset", "step", "loss", "train", "test", "speed", "trainer", "actions"];

/** Where a job is watched live: image jobs on the ConvNet page, the others on the playground. */
export function watchUrl(job, kinds) {
  return kinds[job.dataset] === "image" ? `/convnet#job=${job.id}` : `/#job=${job.id}`;
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

function trainerText(trainer) {
  const rate = trainer.learning_rate !== undefined ? ` lr ${trainer.learning_rate}` : "";
  return `${trainer.method || "sgd"}${rate}`;
}

export class JobTable {
  /**
   * @param {HTMLTableSectionElement} tbody
   * @param {{onSelect: (job: object, checked: boolean) => void, onAction: (id: string, action: string) => void}} handlers
   */
  constructor(tbody, handlers) {
    this.tbody = tbody;
    this.rows = new Map(); // id -> {row, cells, job}
    tbody.addEventListener("click", (event) => {
      const target = event.target.closest("button[data-action]");
      if (target) handlers.onAction(target.closest("tr").dataset.id, target.dataset.action);
    });
    tbody.addEventListener("change", (event) => {
      if (event.target.type !== "checkbox") return;
      const entry = this.rows.get(event.target.closest("tr").dataset.id);
      entry.row.classList.toggle("selected", event.target.checked);
      handlers.onSelect(entry.job, event.target.checked);
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
    cells.select.append(box);
    cells.job.innerHTML = `<a></a><br><span class="job-id"></span>`;
    cells.actions.className = "actions";
    cells.actions.append(button("pause", "Pause"), " ", button("stop", "Stop"), " ", button("delete", "Delete"));
    const entry = { row, cells, job };
    this.rows.set(job.id, entry);
    return entry;
  }

  update(entry, job, kinds, selected) {
    const { cells, row } = entry;
    entry.job = job;
    const label = jobLabel(job);
    const box = cells.select.firstChild;
    box.checked = selected.has(job.id);
    box.setAttribute("aria-label", `Compare ${label}`);
    row.classList.toggle("selected", box.checked);
    const link = cells.job.querySelector("a");
    link.textContent = label;
    link.href = watchUrl(job, kinds);
    link.title = "Watch it live";
    cells.job.querySelector(".job-id").textContent = job.id;
    this.showStatus(cells.status, job);
    cells.dataset.textContent = job.dataset;
    cells.step.textContent = count(job.step);
    cells.loss.textContent = fixed(job.metrics.loss, 4);
    cells.train.textContent = percent(job.metrics.train_accuracy);
    cells.test.textContent = percent(job.metrics.test_accuracy);
    cells.speed.textContent = count(job.examples_per_second);
    cells.trainer.textContent = trainerText(job.trainer);
    const [toggle, stop, remove] = cells.actions.querySelectorAll("button");
    const resumable = RESUMABLE.includes(job.status);
    toggle.dataset.action = resumable ? "resume" : "pause";
    toggle.textContent = resumable ? "Resume" : "Pause";
    toggle.disabled = !resumable && !RUNNING.includes(job.status);
    stop.disabled = !resumable && !RUNNING.includes(job.status);
    for (const [element, verb] of [[toggle, toggle.textContent], [stop, "Stop"], [remove, "Delete"]]) {
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
    if (job.error) {
      const error = document.createElement("span");
      error.className = "error";
      error.textContent = job.error;
      cell.append(error);
    }
  }
}
