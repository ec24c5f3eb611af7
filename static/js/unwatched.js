// Jobs the pages create pause themselves when nobody has watched them for a while (a closed tab must
// not train for ever); this module holds the value the pages ask for and the one rule by which a page
// that comes back resumes its job.
//
// Intent decision: the person's intent ("I pressed Play") is kept apart from the job's status. Most
// statuses say what a person wants (running or queued: play; a pause, a finished job: not), so the
// intent follows them, whoever caused them (this page, another tab, the jobs page). Two statuses say
// nothing about what anyone wants: a pause because nobody watched, and `interrupted` (the server
// restarted under the job). They leave the intent as it was, and a page that still wants its job to
// play resumes it: when a (re)connection's snapshot or a status message shows one, and when the tab
// becomes visible again. The intent is kept per tab (sessionStorage), so a reload keeps it too.

import { api } from "./api.js";

/** The `pause_when_unwatched` the server asks the pages to give their jobs (seconds), or null when
 * the page does not say (then the job never pauses itself). */
export function pauseWhenUnwatched() {
  const seconds = Number(document.body?.dataset.pauseWhenUnwatched);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

/** Whether a page whose person wants the job to play should resume it: the job paused itself because
 * nobody watched it, or a server restart interrupted it. A person's pause stays a pause. */
export function shouldResume(wantsPlay, { status, pause_reason: reason }) {
  return wantsPlay && ((status === "paused" && reason === "unwatched") || status === "interrupted");
}

/** What a status says about what people want: true (play), false (not), or null (nothing: nobody
 * chose an unwatched pause or an interruption). */
export function intentOf({ status, pause_reason: reason }) {
  if (status === "running" || status === "queued") return true;
  if (status === "interrupted" || (status === "paused" && reason === "unwatched")) return null;
  return false;
}

/** The intent a tab last had for a job of this page ({job, playing} in sessionStorage). */
function stored(page) {
  try {
    return JSON.parse(sessionStorage.getItem(`netplay.intent.${page}`)) || {};
  } catch {
    return {};
  }
}

/** A page's intent for the job it shows, and the resumes it calls for. */
export class PlayIntent {
  /** @param {(error: Error) => void} onError told when a resume fails (the job finished meanwhile...) */
  constructor(onError) {
    this.onError = onError;
    this.page = document.body.dataset.page || "page";
    this.jobId = null;
    this.playing = false;
    this.mayChange = true; // false: the job is someone else's, and this page never resumes it
    this.resuming = null; // the job id a resume request is on its way for
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.refresh();
    });
  }

  /**
   * Follow another job. `playing`: what the page wants of it (true for a job it started playing);
   * null when the page does not know (a job opened by its link): this tab's last intent for it, else
   * not playing until its first status says otherwise. `mayChange`: whether this page may resume it.
   */
  follow(jobId, playing = null, mayChange = true) {
    this.jobId = jobId;
    this.mayChange = mayChange;
    const last = stored(this.page);
    this.set(playing ?? (last.job === jobId && last.playing));
  }

  /** Whether this page may change the job (the server's answer); a page that may not never resumes it. */
  allow(mayChange) {
    this.mayChange = mayChange;
  }

  /** The person pressed Play (true), or Pause or Step (false). */
  set(playing) {
    this.playing = Boolean(playing);
    try {
      sessionStorage.setItem(`netplay.intent.${this.page}`, JSON.stringify({ job: this.jobId, playing: this.playing }));
    } catch {
      // storage refused (private mode quota): the intent still holds for this page's life
    }
  }

  /** A status of the followed job (a snapshot's job, a status message or a GET answer): the intent
   * follows it, and the job is resumed when the rule says so. */
  observe(update) {
    const intent = intentOf(update);
    if (intent !== null) this.set(intent);
    if (this.mayChange && shouldResume(this.playing, update)) this.resume();
  }

  async resume() {
    const jobId = this.jobId;
    if (this.resuming === jobId) return; // one request at a time; its status messages follow
    this.resuming = jobId;
    try {
      await api.post(`/api/jobs/${jobId}/resume`);
    } catch (error) {
      if (jobId === this.jobId) this.onError(error);
    } finally {
      if (this.resuming === jobId) this.resuming = null;
    }
  }

  /** The tab is visible again: ask where the job stands (a sleeping tab's socket may have missed it). */
  async refresh() {
    const jobId = this.jobId;
    if (!jobId) return;
    try {
      const job = await api.get(`/api/jobs/${jobId}`);
      if (jobId === this.jobId) this.observe(job);
    } catch {
      // the stream shows the connection's state and says when the job is gone
    }
  }
}
