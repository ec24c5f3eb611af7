// Whether a collapsible part of a page is seen: a <details> that is open and on screen. A page asks the
// server for a view's frames only then, since every frame kind some viewer shows costs training time.

/**
 * Call `onChange(shown)` with whether `details` is open and (part of it) on screen, at the start and
 * whenever that changes (toggling, scrolling, resizing).
 * @param {HTMLDetailsElement} details
 * @param {(shown: boolean) => void} onChange
 */
export function watchShown(details, onChange) {
  const observing = "IntersectionObserver" in window;
  let onScreen = !observing; // until the observer's first report, which comes at once
  let last = null;
  const report = () => {
    const shown = details.open && onScreen;
    if (shown !== last) onChange((last = shown));
  };
  details.addEventListener("toggle", report);
  if (observing) {
    new IntersectionObserver((entries) => {
      onScreen = entries[entries.length - 1].isIntersecting;
      report();
    }).observe(details);
  } else {
    report();
  }
}
