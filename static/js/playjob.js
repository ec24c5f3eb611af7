// The playground's one job at a time: create it from a spec (or open an existing one by its link),
// replace it when the data or the net change (deleting the old one so the page does not pile up jobs),
// and play, pause, step and reset it.
//
// Lifecycle decision: a new job starts in the state the page is in. The first job of a page is
// created paused at step 0 (the person presses Play, as in TF Playground), so it shows its untrained
// boundary; a job that replaces another while the page plays keeps playing.
//
// Ownership decision: the page deletes only jobs it created. A job opened by its link (#job=<id>: from
// the jobs page, the ConvNet page or the REST API) belongs to whoever made it: the page drives it (play,
// pause, step, reset, live trainer changes) when this browser holds its owner token or the teacher's
// (the server answers the stream's auth message; `readOnly` otherwise), but never deletes it, neither
// when the person leaves nor when a change of data, features or net needs a new job. That new job is
// the page's own, and the linked one is left exactly as it was (not paused either: it may be someone's
// long run, and the jobs page can pause it).
//
// Playing decision: what the person wants (PlayIntent: Play pressed, or Pause or Step) is kept apart
// from the job's status, so a job that paused itself while nobody watched (the tab slept, the
// connection dropped) plays again when the page is back; see unwatched.js.

import { api, authHeaders, JobStream, toast } from "./api.js";
import { tokenFor } from "./owners.js";
import { PlayIntent } from "./unwatched.js";

// The frame kinds the playground always shows; "hidden" only while its view is open and on screen. A
// job whose net the page draws itself (netforward.js) needs only its weights, the hidden space included.
const KINDS = ["boundary", "neurons", "weights"];
const PAGE_DRAWN_KINDS = ["weights"];

// The painting page drives its one job the same way, with its own frame kinds and no hidden space.

/** The job the page shows, and the calls that drive it. */
export class PlayJob {
  /**
   * @param {object} handlers JobStream handlers (onSnapshot, onMessage, onFrame, onConnection);
   *   onMessage(message, jobId) hears which job the message is about
   * @param {{kinds?: string[], hidden?: boolean}} options the frame kinds the page always shows, and
   *   whether it can show the hidden space (the playground's defaults)
   */
  constructor(handlers, { kinds = KINDS, hidden = true, drawsInPage = null } = {}) {
    this.handlers = handlers;
    this.baseKinds = kinds;
    this.drawsInPage = drawsInPage; // (layers) => whether the page draws this net from its weights
    this.drawnInPage = false; // the page draws the current job's boundary and neurons itself
    this.id = null;
    this.owned = false; // created by this page (then deleted with it), not opened by its link
    this.mayChange = false; // this browser may change the job (the server's word once the stream has it)
    this.stream = null;
    this.status = null; // the job's last status ({status, pause_reason, ...})
    this.intent = new PlayIntent((error) => toast(error.message));
    this.hiddenShown = hidden;
    this.queue = Promise.resolve(); // replacements run one after another, in the order asked
    this.latest = null;
  }

  /**
   * Create a job from `spec` and make it the page's job; resolves to the new job, rejects with the
   * server's ApiError (a 422 names the bad field) and then keeps the current job.
   */
  replace(spec) {
    this.latest = spec;
    // a spec overtaken by a newer one while it waited is skipped (resolves to null)
    const run = this.queue.then(() => (spec === this.latest ? this.create(spec) : null));
    this.queue = run.catch(() => null);
    return run;
  }

  async create(spec) {
    const playing = this.intent.playing;
    const job = await api.post(playing ? "/api/jobs" : "/api/jobs?paused=true", spec);
    const wanted = this.intent.playing; // Play may have been pressed while the job was being made
    this.drawnInPage = Boolean(this.drawsInPage?.(job.layers)); // known before its stream opens
    this.switchTo(job.id, true, wanted);
    if (wanted && !playing) await api.post(`/api/jobs/${job.id}/resume`);
    return job;
  }

  /** Show an existing job (opened by its link) without creating one; the page never deletes it. */
  attach(jobId) {
    this.latest = null; // a replacement still waiting in the queue is overtaken
    this.drawnInPage = false; // until its snapshot shows its net
    this.switchTo(jobId, false);
  }

  /** Whether the page draws the job's boundary and neurons itself (from its snapshot's layers): the
   * stream then asks for the weights alone. */
  drawInPage(drawn) {
    if (drawn === this.drawnInPage) return;
    this.drawnInPage = drawn;
    this.stream?.setKinds(this.kinds);
  }

  /** True while the page shows a job it did not create. */
  get linked() {
    return this.id !== null && !this.owned;
  }

  /** True while the page shows a job it may only watch (someone else's, opened by its link). */
  get readOnly() {
    return this.id !== null && !this.mayChange;
  }

  /** True while the job trains or waits for room to (what Play/Pause shows). */
  get active() {
    return this.status?.status === "running" || this.status?.status === "queued";
  }

  /** The frame kinds the page shows now. */
  get kinds() {
    if (this.drawnInPage) return PAGE_DRAWN_KINDS; // the hidden space is drawn from them too
    return this.hiddenShown ? [...this.baseKinds, "hidden"] : this.baseKinds;
  }

  /**
   * Stream `jobId` instead of the current job, deleting the current one only if the page made it.
   * `playing`: whether the person wants it to play (null: not known, for a job opened by its link).
   */
  switchTo(jobId, owned, playing = null) {
    const previous = this.owned ? this.id : null;
    this.stream?.close();
    this.id = jobId;
    this.owned = owned;
    this.mayChange = owned || Boolean(tokenFor("jobs", jobId)); // until the server says
    this.status = null;
    this.intent.follow(jobId, playing, this.mayChange);
    const onAccess = (mayChange) => {
      if (jobId !== this.id) return;
      this.mayChange = mayChange;
      this.intent.allow(mayChange);
      this.handlers.onAccess?.(mayChange);
    };
    // messages say which job they come from: a page may ignore the one it is replacing
    const onMessage = (message) => this.handlers.onMessage?.(message, jobId);
    this.stream = new JobStream(jobId, { ...this.handlers, onAccess, onMessage }, this.kinds);
    if (previous && previous !== jobId) api.del(`/api/jobs/${previous}`).catch(() => null);
  }

  /** A status of the job (its snapshot's job or a status message): Play/Pause follow it, and the
   * intent may resume the job. */
  observe(update) {
    this.status = update;
    this.intent.observe(update);
  }

  /** Run the job (resume), or pause it when it runs. Rejects with ApiError (409: it finished). */
  async toggle() {
    if (!this.id) {
      this.intent.set(!this.intent.playing); // before the first job exists: it plays once it does
      return;
    }
    const play = !this.active;
    this.intent.set(play);
    await api.post(`/api/jobs/${this.id}/${play ? "resume" : "pause"}`);
  }

  /** One training step of the paused job (pausing it first if it runs). */
  async step() {
    if (!this.id) return;
    this.intent.set(false);
    if (this.active) await api.post(`/api/jobs/${this.id}/pause`);
    await api.post(`/api/jobs/${this.id}/step`);
  }

  /** Start over from fresh weights; with `seed` the weights come from that seed instead. */
  async reset(seed = null) {
    if (!this.id) return;
    await api.post(`/api/jobs/${this.id}/reset`, seed === null ? {} : { seed });
  }

  /** Change hyperparameters live ({learning_rate: 0.003}). */
  async setTrainer(changes) {
    if (!this.id) return;
    await api.patch(`/api/jobs/${this.id}`, { trainer: changes });
  }

  /** Ask for hidden-space frames (true) or not (false): the server computes them only while some
   * viewer shows them. */
  showHidden(shown) {
    this.hiddenShown = shown;
    this.stream?.setKinds(this.kinds);
  }

  /** Set one weight or bias ({layer, param, index, value}) for every viewer of the job; the server
   * checks it (a bad one: an error message on the socket, or the REST answer's). */
  async setWeight(change) {
    if (!this.id) return;
    if (!this.stream?.send({ type: "set_weight", ...change })) await api.post(`/api/jobs/${this.id}/weights`, change);
  }

  /** Choose the hidden-space layer and neurons for every viewer of the job. */
  setView(view) {
    this.stream?.send({ type: "set_view", view });
  }

  /** The job's metric history, oldest first ({points: [...]}). */
  metrics() {
    return api.get(`/api/jobs/${this.id}/metrics`);
  }

  /** The job's saved net: format "netplay" (netplay.net) or "convnetjs" (ConvNetJS's toJSON()). */
  model(format = "netplay") {
    return api.get(`/api/jobs/${this.id}/model?format=${format}`);
  }

  /** Delete the page's own job as the page goes away (keepalive lets the request outlive the page);
   * a linked job stays. */
  discard() {
    if (!this.id || !this.owned) return;
    const path = `/api/jobs/${this.id}`;
    fetch(path, { method: "DELETE", keepalive: true, headers: authHeaders("DELETE", path) });
  }
}

/** A job's status in words; a failed job gives the server's reason (a diverged one names the step) and
 * what to do next; the server's message says what happened to it (nobody watched, its worker died). */
export function statusText({ status, error, stop_reason: stopReason, queue_position: position, message }) {
  if (status === "failed") {
    const advice = /learning rate/.test(error || "") ? "then press Reset" : "try a lower learning rate, then Reset";
    return `failed: ${error || "training stopped"}; ${advice}.`;
  }
  if (status === "completed") return `completed (${stopReason || "a stop condition"}): Reset to train again`;
  if (message) return message.startsWith(status) ? message : `${status}: ${message}`;
  if (status === "queued" && position) return `queued (number ${position} for a free slot)`;
  return status;
}
