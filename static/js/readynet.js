// The server's ready digit net (GET /api/ready/digits, app/ready.py): the job the ConvNet page's
// drawing pad predicts with until the visitor has a job of their own. Asking for it makes it the first
// time; while it trains, its measured test accuracy (with the step it was measured at) is shown.

import { api } from "./api.js";
import { fullImageSize, preview } from "./convspec.js";
import { count, percent } from "./numbers.js";

const POLL_MS = 1000;
const TRAINING = ["queued", "running", "interrupted"];

export class ReadyNet {
  /** @param {HTMLElement} note where its status is written */
  constructor(note) {
    this.note = note;
    this.job = null; // the ready job's id once known
    this.image = null; // {sx, sy, depth}: the full image size its data set has
    this.timer = null;
    this.stopped = false;
  }

  /** Ask for the ready net (made on the first ask) and follow it until it stops training. */
  async start() {
    this.stopped = false;
    const job = await api.get("/api/ready/digits");
    if (job.id !== this.job) {
      const detail = await api.get(`/api/jobs/${job.id}`);
      this.image = fullImageSize(await preview(detail.spec.dataset));
      this.job = job.id;
    }
    if (this.stopped) return;
    this.show(job);
    if (TRAINING.includes(job.status)) this.schedule();
  }

  /** Look again in a second; a failed look (the server restarting) is tried again, not shown. */
  schedule() {
    if (!this.stopped) this.timer = setTimeout(() => this.start().catch(() => this.schedule()), POLL_MS);
  }

  /** Stop following it (the visitor's own job answers now). */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.note.hidden = true;
  }

  /** Whether the pad can predict with it, and with what: {job, image} or null. */
  get target() {
    return this.job && this.image ? { job: this.job, image: this.image } : null;
  }

  show(job) {
    const { test_accuracy: accuracy, test_step: step } = job.metrics;
    const measured = accuracy === null || accuracy === undefined
      ? "not measured yet"
      : `${percent(accuracy)} test accuracy (step ${count(step)})`;
    const doing = TRAINING.includes(job.status) ? `training (${job.status}), ${measured}` : measured;
    this.note.hidden = false;
    this.note.textContent = `The pad answers with the server's ready digit net (MNIST), ${doing}, until you train your own.`;
  }
}
