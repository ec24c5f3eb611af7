// Number formatting shared by the ConvNet and jobs pages: "–" for a value not measured yet.

const NONE = "–";

function known(value) {
  return value !== null && value !== undefined && Number.isFinite(value);
}

/** `value` with `digits` decimals, or "–". */
export function fixed(value, digits = 3) {
  return known(value) ? value.toFixed(digits) : NONE;
}

/** A fraction in [0, 1] as a percentage with one decimal, or "–". */
export function percent(value) {
  return known(value) ? `${(100 * value).toFixed(1)}%` : NONE;
}

/** A count with thousands separators, rounded, or "–". */
export function count(value) {
  return known(value) ? Math.round(value).toLocaleString("en-US") : NONE;
}
