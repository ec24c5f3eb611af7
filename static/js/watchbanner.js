// The banner of a job watched read only (someone else's, opened by its link): at the top of the page,
// it names the job and its trainer, says who controls it, and holds the one control a watcher has,
// "Make my own copy".

/** How the banner names a watched job: its name and the start of its id, or the id alone. */
export function watchedName({ name, id }) {
  return name ? `“${name}” (job ${id.slice(0, 8)})` : `job ${id.slice(0, 8)}`;
}

/** A trainer in words: "adam, learning rate 0.02, batch 10". */
export function trainerText({ method, learning_rate: rate, batch_size: batch }) {
  return `${method}, learning rate ${rate}, batch ${batch}`;
}

export class WatchBanner {
  /**
   * @param {{box: HTMLElement, text: HTMLElement, copy: HTMLButtonElement}} elements
   * @param {() => void} onCopy the person asked for a copy of their own
   */
  constructor({ box, text, copy }, onCopy) {
    Object.assign(this, { box, text });
    copy.addEventListener("click", onCopy);
  }

  /** Show the banner for `job` ({name, id}) trained with `trainer` (the playground's state), or hide it
   * (null: the page's own job, or one this browser may change). */
  show(job, trainer) {
    this.box.hidden = !job;
    if (job) this.text.textContent = `Watching ${watchedName(job)} · ${trainerText(trainer)}`;
  }
}
