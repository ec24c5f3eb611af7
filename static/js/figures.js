// Held-out figures with what they were measured on. The server measures test (and validation) figures
// less often than it trains, and a big test split on a rotating subset at a time; a progress report
// carries the latest figures with the step they belong to, so a page must not show them as if measured
// at the report's own step.

import { count } from "./numbers.js";

/** The step a progress point's test figures were measured at (older points without `test_step`: its
 * own step). */
export function testStep(point) {
  return point.test_step ?? point.step;
}

/**
 * Where a held-out figure comes from, in words: "step 4,200, 1,000 of 10,000 test images" ("" before
 * the first measurement). `examples` of `total` is said only for a subset.
 * @param {number|null|undefined} step the step it was measured at
 * @param {number|null|undefined} examples how many examples it was measured on
 * @param {number|null|undefined} total how many the split has
 * @param {string} noun what the examples are ("test images")
 */
export function measuredOn(step, examples, total, noun) {
  if (step === null || step === undefined) return "";
  const subset = examples && total && examples < total ? `, ${count(examples)} of ${count(total)} ${noun}` : "";
  return `step ${count(step)}${subset}`;
}

/**
 * A job's latest figures from a stream snapshot: its metrics, the last history point's measured
 * values (held-out figures come with the step they were measured at, which the job's own metrics do
 * not say), and the job's counters, newer than any point.
 * @param {{job: object, history: object[]}} snapshot
 */
export function snapshotFigures({ job, history }) {
  const last = Object.fromEntries(Object.entries(history.at(-1) || {}).filter(([, value]) => value !== null));
  return { ...job.metrics, ...last, step: job.step, examples_seen: job.examples_seen };
}
