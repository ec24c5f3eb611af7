// Labels that tell compared runs apart. A run is called by its name; where several share one (three
// "playground rings"), each also says the fields in which their setups differ: the trainer method and
// the hyperparameters that differ (defaults filled in from the engine's catalogue, so a left-out
// momentum and momentum 0.9 are the same), the seed, the data set's parameters, the layers, the stop
// condition. Runs whose setups are the same say their job id.

import { effectiveTrainer, methodEntry, settingText, shortName, usedHypers } from "./catalogue.js";

const LOSS_LAYERS = ["softmax", "svm", "regression"];

/** A net in a few words: its layers after the input, "8 tanh, 8 tanh" or "conv 5x5x8 relu, pool 2". */
export function netWords(layers) {
  return (layers ?? []).filter((layer) => layer.type !== "input" && !LOSS_LAYERS.includes(layer.type)).map((layer) => {
    const activation = layer.activation ? ` ${layer.activation}` : "";
    if (layer.type === "fc") return `${layer.num_neurons}${activation}`;
    if (layer.type === "conv") return `conv ${layer.sx}x${layer.sy ?? layer.sx}x${layer.filters}${activation}`;
    if (layer.type === "pool") return `pool ${layer.sx}`;
    return layer.type;
  }).join(", ") || "no hidden layer";
}

/** A data set's parameters with the catalogue's defaults for those left out. */
function datasetParams(dataset, datasets) {
  const entry = datasets?.find((candidate) => candidate.name === dataset.name);
  const params = Object.fromEntries((entry?.params ?? []).map((param) => [param.name, param.default]));
  return { ...params, ...dataset };
}

/**
 * What a run's setup is made of, as {field: {value, text}}: `value` compares two runs, `text` says it.
 * Trainer fields are "trainer.<name>" and appear only for the hyperparameters the run's method uses.
 */
function fields(run, catalogue, datasets) {
  const { spec } = run;
  const out = {};
  const put = (key, value, text) => (out[key] = { value: JSON.stringify(value), text });
  const trainer = effectiveTrainer({ ...spec.trainer, ...run.trainer }, catalogue);
  put("trainer.method", trainer.method, trainer.method);
  const used = usedHypers(methodEntry(catalogue, trainer.method)).map((hyper) => hyper.name);
  for (const name of used.length ? used : Object.keys(trainer).filter((key) => key !== "method")) {
    if (trainer[name] !== null && trainer[name] !== undefined) put(`trainer.${name}`, trainer[name], `${shortName(name)} ${settingText(trainer[name])}`);
  }
  for (const [name, value] of Object.entries(datasetParams(spec.dataset ?? {}, datasets))) {
    put(`dataset.${name}`, value, name === "name" ? String(value) : `${name} ${JSON.stringify(value)}`);
  }
  put("seed", spec.seed ?? 0, `seed ${spec.seed ?? 0}`);
  const layers = spec.layers ?? spec.model?.layers;
  put("layers", layers, spec.layers ? `layers ${netWords(layers)}` : `saved net ${netWords(layers)}`);
  for (const [name, value] of Object.entries(spec.stop ?? {})) {
    if (value !== null && value !== undefined) put(`stop.${name}`, value, `${name} ${value}`);
  }
  return out;
}

/** The fields in which `group`'s setups differ (a trainer hyperparameter only among the runs whose
 * methods use it, and only when two or more do: one method's own setting is implied by its name),
 * but for those starting with one of `ignore`. */
function differing(group, ignore) {
  const keys = new Set(group.flatMap((entry) => Object.keys(entry.fields)));
  for (const key of keys) if (ignore.some((prefix) => key.startsWith(prefix))) keys.delete(key);
  return [...keys].filter((key) => {
    const having = group.filter((entry) => key in entry.fields);
    if (key.startsWith("trainer.") && key !== "trainer.method") {
      return having.length > 1 && new Set(having.map((entry) => entry.fields[key].value)).size > 1;
    }
    return having.length < group.length || new Set(having.map((entry) => entry.fields[key].value)).size > 1;
  });
}

/**
 * A label per run that no other run has: Map id -> label.
 * @param {{id: string, name: string, spec: object, trainer?: object}[]} runs `trainer`: the job's
 *   current trainer (live changes), over the spec's
 * @param {object} catalogue GET /api/catalogue (null: hyperparameters compared as given)
 * @param {object[]} datasets GET /api/datasets (parameter defaults; null: compared as given)
 * @param {string[]} ignore fields never told ("stop.": the trainers page derives each run's steps from
 *   one budget of examples, so they differ with the batch size, which is told)
 */
export function distinctLabels(runs, catalogue, datasets, ignore = []) {
  const groups = new Map();
  for (const run of runs) {
    const base = run.name || `${run.spec?.dataset?.name ?? "job"} ${run.id}`;
    if (!groups.has(base)) groups.set(base, []);
    groups.get(base).push({ run, base, fields: run.spec ? fields(run, catalogue, datasets) : {} });
  }
  const labels = new Map();
  for (const [base, group] of groups) {
    const keys = group.length > 1 ? differing(group, ignore) : [];
    for (const { run, fields: own } of group) {
      const said = keys.filter((key) => key in own).map((key) => own[key].text);
      labels.set(run.id, group.length === 1 ? base : `${base} (${said.length ? said.join(", ") : `job ${run.id}`})`);
    }
  }
  const seen = new Map();
  for (const label of labels.values()) seen.set(label, (seen.get(label) ?? 0) + 1);
  for (const [id, label] of labels) if (seen.get(label) > 1) labels.set(id, `${label} · job ${id}`);
  return labels;
}
