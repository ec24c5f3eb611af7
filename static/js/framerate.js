// Frames per second a page receives, as the person watching sees them: counted over the last two
// seconds, so the figure follows a change within a moment without jumping at every frame.

const WINDOW_MS = 2000;

export class FrameRate {
  constructor() {
    this.times = [];
  }

  /** One frame arrived at `now` (performance.now()). */
  note(now) {
    this.times.push(now);
    this.forget(now);
  }

  /** Frames per second over the last two seconds before `now`; 0 when none came. */
  rate(now) {
    this.forget(now);
    return (this.times.length * 1000) / WINDOW_MS;
  }

  forget(now) {
    let old = 0;
    while (old < this.times.length && this.times[old] <= now - WINDOW_MS) old++;
    if (old) this.times.splice(0, old);
  }
}
