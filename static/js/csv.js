// Compared curves as CSV, in long format: one row per measured point of each run and metric, so runs
// measured at different steps need no empty cells (a column per run would be mostly empty), and a
// spreadsheet or pandas pivots it as wanted. TensorBoard's CSV has Wall time, Step, Value; these
// rows add the run, its job, the metric, examples seen and the smoothed value as drawn.

export const CURVE_COLUMNS = ["run", "job", "metric", "step", "examples_seen", "seconds", "wall_time", "value", "smoothed"];

function cell(value) {
  if (value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value))) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** `rows` (objects) as CSV text with a header of `columns`, lines ended by CRLF (RFC 4180). */
export function csvText(rows, columns = CURVE_COLUMNS) {
  return [columns, ...rows.map((row) => columns.map((column) => row[column]))]
    .map((values) => values.map(cell).join(","))
    .join("\r\n") + "\r\n";
}
