// One line saying what a page is still waiting for ("Loading the mnist data set · the pad's ready digit
// net is running: 62.3% test accuracy (step 300)"), so a first visit is never silent; hidden when
// nothing is pending.

export class ProgressLine {
  /** @param {HTMLElement} element a role="status" element */
  constructor(element) {
    this.element = element;
    this.items = new Map(); // what is pending -> its words, in the order they started
  }

  /** Say `text` for `key` (a data set loading, a job opening...); null: it is done. */
  set(key, text) {
    if (text) this.items.set(key, text);
    else this.items.delete(key);
    const words = [...this.items.values()].join(" · ");
    this.element.hidden = !words;
    this.element.textContent = words && `${words[0].toUpperCase()}${words.slice(1)}`;
  }
}
