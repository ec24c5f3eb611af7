// The engine's trainer catalogue (GET /api/catalogue, engine/catalogue.py): every method with each
// hyperparameter's default and range. The pages read it instead of keeping their own copies, so a
// trainer's settings are described, filled in and bounded the way the engine checks them.

import { api } from "./api.js";

// Shorter names for the two hyperparameters a table shows on every row.
const SHORT = { learning_rate: "lr", batch_size: "batch" };

let loading = null;

/** The catalogue, fetched once per page (a failed fetch is tried again on the next call). */
export function loadCatalogue() {
  loading ??= api.get("/api/catalogue").catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}

/** A setting's value as the pages show it: tiny values in exponent form ("1e-6", not "0.000001"), ""
 * for none. */
export function settingText(value) {
  if (value === null || value === undefined) return "";
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}

/** A hyperparameter's name as tables show it ("lr", "batch", "momentum"). */
export function shortName(name) {
  return SHORT[name] ?? name;
}

/** The catalogue's entry of `method` (or of a ConvNetJS alias of it, "windowgrad"); null if unknown. */
export function methodEntry(catalogue, method) {
  const trainers = catalogue?.trainers ?? [];
  return trainers.find((entry) => entry.method === method || entry.aliases.includes(method)) ?? null;
}

/** The hyperparameters `entry`'s method uses (one it accepts and ignores, adadelta's learning rate,
 * is left out): [{name, default, low, high, integer, open_low, open_high}]. */
export function usedHypers(entry) {
  return entry ? entry.hyper.filter((hyper) => hyper.used !== false) : [];
}

/** Names every method takes (learning rate, batch size, decays): the rest are a method's own. */
export function sharedNames(catalogue) {
  const [first, ...others] = catalogue?.trainers ?? [];
  if (!first) return new Set();
  return new Set(first.hyper.map((hyper) => hyper.name).filter(
    (name) => others.every((entry) => entry.hyper.some((hyper) => hyper.name === name)),
  ));
}

/** A trainer as it trains: {method, name: value} for every hyperparameter its method uses, the ones it
 * leaves out at their defaults. An unknown method (no catalogue yet) gives the settings as they are. */
export function effectiveTrainer(trainer, catalogue) {
  const entry = methodEntry(catalogue, trainer.method ?? "sgd");
  if (!entry) return { ...trainer };
  const settings = { method: entry.method };
  for (const hyper of usedHypers(entry)) settings[hyper.name] = trainer[hyper.name] ?? hyper.default;
  return settings;
}

/**
 * A trainer in a line that tells two apart: the method, its own hyperparameters (momentum, ro, eps...)
 * always, and the shared ones the trainer sets or that differ from their defaults:
 * "sgd · lr 0.01 · momentum 0 · batch 10".
 */
export function trainerText(trainer, catalogue) {
  const entry = methodEntry(catalogue, trainer.method ?? "sgd");
  if (!entry) return trainer.method ?? "sgd";
  const shared = sharedNames(catalogue);
  const parts = [entry.method];
  for (const hyper of usedHypers(entry)) {
    const given = trainer[hyper.name];
    const value = given ?? hyper.default;
    if (!shared.has(hyper.name) || (given !== null && given !== undefined) || value !== hyper.default) {
      parts.push(`${shortName(hyper.name)} ${settingText(value)}`);
    }
  }
  return parts.join(" · ");
}

/** Every setting a trainer trains with, defaults included, for a title: "sgd: learning_rate 0.01, ...". */
export function trainerDetail(trainer, catalogue) {
  const { method, ...settings } = effectiveTrainer(trainer, catalogue);
  const listed = Object.entries(settings).map(([name, value]) => `${name} ${settingText(value)}`).join(", ");
  return listed ? `${method}: ${listed}` : method;
}
