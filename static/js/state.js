// The playground's whole configuration in one object, and its round trip through the URL hash, so a
// link reproduces a setup (data, features, net, trainer, seeds, view options).

import { pauseWhenUnwatched } from "./unwatched.js";

/** ConvNetJS classify2d's net: 6 and 2 tanh neurons, softmax over the classes. */
export const DEFAULT_LAYERS = [
  { type: "input", out_sx: 1, out_sy: 1, out_depth: 2 },
  { type: "fc", num_neurons: 6, activation: "tanh" },
  { type: "fc", num_neurons: 2, activation: "tanh" },
  { type: "softmax", num_classes: 2 },
];

export const DEFAULTS = Object.freeze({
  dataset: "quadrants",
  noise: 0,
  n_samples: 300,
  test_fraction: 0.5,
  classes: 0, // 0: the dataset's default (k-class sets only)
  data_seed: 0,
  points: null, // the clicked points of a user set: [[x, y, label], ...] ("points"), [[x, y], ...] ("line_points")
  features: ["x1", "x2"],
  layers: DEFAULT_LAYERS,
  method: "sgd",
  learning_rate: 0.01,
  momentum: 0.1,
  batch_size: 10,
  l1_decay: 0,
  l2_decay: 0.001,
  seed: 0,
  discretize: false,
  show_test: true,
  // Parts of the page a shared link hides (TF Playground's *_hide), comma-separated: see PARTS.
  hide: "",
});

/** The parts of the playground a link can hide with `hide=`: the elements marked data-part="...", and
 * "shape", the diagram's buttons that add and remove layers and neurons. */
const PARTS = ["run", "trainer", "data", "features", "shape", "editor", "hidden", "model"];

/** The known part names of a state's `hide` list. */
export function hiddenParts(state) {
  return state.hide.split(",").map((part) => part.trim()).filter((part) => PARTS.includes(part));
}

// The engine's (ConvNetJS's) trainer defaults, which a job uses for the keys its spec leaves out.
const ENGINE_TRAINER = { learning_rate: 0.01, momentum: 0.9, batch_size: 1, l1_decay: 0, l2_decay: 0 };

// The data sets of clicked points: classes on the plane, and (x, y) pairs of a 1D regression.
export const USER_SETS = ["points", "line_points"];

// Decision: a point the person clicks is a training point (as in ConvNetJS's demos, where all clicked
// data trains the net). A user set starts with no test share, the points carried over from the data
// shown before included; the person holds points out by moving Test share on it (a share of the
// points, drawn ringed, as on the generated sets).
export const CLICKED_TEST_FRACTION = 0;

// Keys whose values are JSON in the hash; the others are numbers, booleans or plain strings.
const JSON_KEYS = new Set(["points", "features", "layers"]);

// What a data set's starting setup (its preset's) sets: the data's size, noise and split, the
// features, the net and the trainer. The data set's seed, the weight seed and the view stay the person's.
const SETUP_KEYS = ["noise", "n_samples", "test_fraction", "features", "layers", "method", "learning_rate",
  "momentum", "batch_size", "l1_decay", "l2_decay"];

/** A fresh state with every default. */
export function defaultState() {
  return structuredClone({ ...DEFAULTS });
}

function parseValue(key, text) {
  if (JSON_KEYS.has(key)) return JSON.parse(text);
  const def = DEFAULTS[key];
  if (typeof def === "number") {
    const number = Number(text);
    if (!Number.isFinite(number)) throw new Error(`${key}: not a number`);
    return number;
  }
  if (typeof def === "boolean") return text === "true";
  return text;
}

/**
 * A data set's starting state: its entry of `starts` (the state of the preset made its default), or
 * the defaults on that data set.
 * @param {string} dataset @param {Object<string, object>} starts from `startingStates`
 */
export function startState(dataset, starts = {}) {
  const clicked = USER_SETS.includes(dataset) ? { test_fraction: CLICKED_TEST_FRACTION } : {};
  return structuredClone(starts[dataset] ?? { ...DEFAULTS, dataset, ...clicked });
}

/**
 * The state a hash describes: its data set's starting state overridden by the hash's known keys
 * (unparseable values are skipped, so an edited link still opens).
 * @param {string} hash location.hash, with or without the leading "#"
 * @param {Object<string, object>} starts each data set's starting state (`startingStates`)
 */
export function stateFromHash(hash, starts = {}) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const state = startState(params.get("dataset") ?? DEFAULTS.dataset, starts);
  for (const [key, text] of params) {
    if (!(key in DEFAULTS)) continue;
    try {
      state[key] = parseValue(key, text);
    } catch {
      // a hand-edited value that does not parse keeps its default
    }
  }
  return state;
}

/** The hash (without "#") that reproduces `state` with the same `starts`: the data set when it is not
 * the default one, the keys that differ from its starting state, and the clicked points only while
 * they are the dataset. */
export function hashFromState(state, starts = {}) {
  const params = new URLSearchParams();
  const start = { ...startState(state.dataset, starts), dataset: DEFAULTS.dataset };
  for (const key of Object.keys(DEFAULTS)) {
    if (key === "points" && !USER_SETS.includes(state.dataset)) continue; // kept on the page, not in the link
    const value = state[key];
    const text = JSON_KEYS.has(key) ? JSON.stringify(value) : String(value);
    const defaultText = JSON_KEYS.has(key) ? JSON.stringify(start[key]) : String(start[key]);
    if (text !== defaultText) params.set(key, text);
  }
  return params.toString();
}

/**
 * The state that shows an existing job's setup: its data set and parameters, features, layers (a saved
 * model's when it was made from one), trainer (the job's current one, live changes included) and
 * weight seed. Keys its spec leaves out show what the job really uses: the data set's defaults and
 * the engine's trainer defaults.
 * @param {{spec: object, trainer: object}} detail the job (GET /api/jobs/{id})
 * @param {{name: string, default: *}[]} params the data set's parameters from GET /api/datasets
 */
export function stateFromJob(detail, params = []) {
  const { dataset, layers, model, seed } = detail.spec;
  const given = (key, fallback) => dataset[key] ?? params.find((param) => param.name === key)?.default ?? fallback;
  const trainer = { ...ENGINE_TRAINER };
  for (const [key, value] of Object.entries(detail.trainer)) if (value !== null) trainer[key] = value;
  return {
    ...defaultState(),
    dataset: dataset.name,
    noise: given("noise", DEFAULTS.noise),
    n_samples: given("n_samples", DEFAULTS.n_samples),
    test_fraction: given("test_fraction", DEFAULTS.test_fraction),
    classes: dataset.name === "points" ? 0 : (dataset.classes ?? 0),
    data_seed: dataset.seed ?? 0,
    points: dataset.points ?? null,
    features: [...given("features", DEFAULTS.features)],
    layers: layers ?? model.layers,
    method: trainer.method ?? DEFAULTS.method,
    learning_rate: trainer.learning_rate,
    momentum: trainer.momentum,
    batch_size: trainer.batch_size,
    l1_decay: trainer.l1_decay,
    l2_decay: trainer.l2_decay,
    seed: seed ?? DEFAULTS.seed,
  };
}

/** The state a preset (GET /api/presets) sets up; keys its spec leaves out show what a job of it uses.
 * @param {{spec: object}} preset @param {{name: string, default: *}[]} params its data set's parameters */
export function stateFromPreset(preset, params = []) {
  return stateFromJob({ spec: preset.spec, trainer: preset.spec.trainer }, params);
}

/**
 * Each data set's starting state: the state of the preset whose `default_for` names it.
 * @param {object[]} presets GET /api/presets @param {{name: string, params: object[]}[]} catalogue the
 *   page's data sets (GET /api/datasets)
 * @returns {Object<string, object>} data set name -> state
 */
export function startingStates(presets, catalogue) {
  const starts = {};
  for (const preset of presets) {
    const entry = catalogue.find((item) => item.name === preset.default_for);
    if (entry) starts[entry.name] = stateFromPreset(preset, entry.params);
  }
  return starts;
}

/** Whether two states have the same data set and setup (features, net between its input and loss
 * layers, trainer; the data's size, noise and split). */
export function sameSetup(a, b) {
  const hidden = (layers) => layers.slice(1, -1); // the input and loss layers follow the data
  const same = (key) => (key === "layers" ? JSON.stringify(hidden(a.layers)) === JSON.stringify(hidden(b.layers))
    : JSON.stringify(a[key]) === JSON.stringify(b[key]));
  return a.dataset === b.dataset && SETUP_KEYS.every(same);
}

/** The changes that pick data set `name`: a setup still at the current data set's start moves to the
 * new one's start; a setup the person chose stays, but a user set entered starts with no test share
 * (CLICKED_TEST_FRACTION). */
export function pickDataset(state, name, starts = {}) {
  const entering = USER_SETS.includes(name) && name !== state.dataset;
  const split = entering ? { test_fraction: CLICKED_TEST_FRACTION } : {};
  if (!sameSetup(state, startState(state.dataset, starts))) return { dataset: name, ...split };
  const start = startState(name, starts);
  return Object.fromEntries(["dataset", ...SETUP_KEYS].map((key) => [key, start[key]]));
}

/**
 * The dataset part of a job spec. `accepted`: the names of the data set's parameters (GET
 * /api/datasets); the state's values for any other are left out (the sine set has no features...).
 */
export function datasetSpec(state, accepted = null) {
  const spec = { name: state.dataset, features: state.features, test_fraction: state.test_fraction };
  if (state.dataset === "points") {
    spec.points = state.points;
    spec.classes = Math.max(2, ...state.points.map((point) => point[2] + 1));
  } else if (state.dataset === "line_points") {
    spec.points = state.points;
  } else {
    Object.assign(spec, { noise: state.noise, n_samples: state.n_samples, seed: state.data_seed });
    if (state.classes > 0) spec.classes = state.classes;
  }
  if (accepted) for (const key of Object.keys(spec)) if (key !== "name" && !accepted.includes(key)) delete spec[key];
  return spec;
}

/** The trainer settings of a job spec. */
export function trainerSpec(state) {
  const trainer = { method: state.method, learning_rate: state.learning_rate, batch_size: state.batch_size };
  if (state.method === "sgd" || state.method === "nesterov") trainer.momentum = state.momentum;
  if (state.l1_decay) trainer.l1_decay = state.l1_decay;
  if (state.l2_decay) trainer.l2_decay = state.l2_decay;
  return trainer;
}

/** The hyperparameters a running job can change (PATCH), zero decays included. */
export function liveTrainer(state) {
  const trainer = { ...trainerSpec(state), l1_decay: state.l1_decay, l2_decay: state.l2_decay };
  delete trainer.method; // changing the method needs a new job
  return trainer;
}

/**
 * The complete job spec the page posts (`model`, when given, replaces the layer definitions;
 * `accepted`, the data set's parameter names: see `datasetSpec`). The job
 * pauses itself when no tab has watched it for the server's `pause_when_unwatched` (a setting of the
 * server, not of the setup: it is not in the link).
 */
export function jobSpec(state, model = null, accepted = null) {
  const spec = {
    name: `playground ${state.dataset}`,
    dataset: datasetSpec(state, accepted),
    trainer: trainerSpec(state),
    seed: state.seed,
    stream: { grid: 100, fps: 30 },
    pause_when_unwatched: pauseWhenUnwatched(),
  };
  if (model) spec.model = model;
  else spec.layers = state.layers;
  return spec;
}
