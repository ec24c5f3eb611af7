// The server's ready digit net (GET /api/ready/digits, app/ready.py): the job the ConvNet page's
// drawing pad predicts with until the visitor has a job of their own. Asking for it makes it the first
// time; the pad answers with it as soon as the job exists (queued or training: its current weights),
// and while it trains its measured test accuracy (with the step it was measured at) is shown.

import { api } from "./api.js";
import { count, percent } from "./numbers.js";

const POLL_MS = 1000;
const TRAINING = ["queued", "running", "interrupted"];

export class ReadyNet {
  /**
   * @param {HTMLElement} note where its status is written (beside the pad)
   * @param {(text: string|null) => void} onProgress told what the ready net is doing while it is not
   *   ready yet (asked for, queued, training with its accuracy), and null once it is
   */
  constructor(note, onProgress = () => {}) {
    this.note = note;
    this.onProgress = onProgress;
    this.job = null; // the ready job's id once known
    this.image = null; // {sx, sy, depth}: the full image size its data set has
    this.timer = null;
    this.stopped = false;
  }

  /** Ask for the ready net (made on the first ask) and follow it until it stops training. */
  async start() {
    this.stopped = false;
    if (!this.job) this.onProgress("asking the server for its ready digit net…");
    const job = await api.get("/api/ready/digits");
    if (this.stopped) return;
    const [sx, sy, depth] = job.image_shape;
    Object.assign(this, { job: job.id, image: { sx, sy, depth } });
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
    this.onProgress(null);
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
    const training = TRAINING.includes(job.status);
    const doing = training ? `training (${job.status}), ${measured}` : measured;
    this.note.hidden = false;
    this.note.textContent = `The pad answers with the server's ready digit net (MNIST), ${doing}, until you train your own.`;
    const queued = job.status === "queued" && job.queue_position ? ` (#${job.queue_position})` : "";
    const state = { queued: `queued${queued}`, running: "training", interrupted: "resuming" }[job.status];
    this.onProgress(training ? `the pad's ready digit net is ${state}: ${measured}` : null);
  }
}
