// The ConvNet page's job spec: the image data sets, the default net adapted to a data set, and the
// trainer form (whose input ids are the trainer's spec keys).

import { api } from "./api.js";

const LOSS_LAYERS = ["softmax", "svm"];
const TRAINER_KEYS = ["learning_rate", "momentum", "batch_size", "l1_decay", "l2_decay"];
// Data sets whose files come from an upload: the select lists them only once one is uploaded.
const FILE_SETS = ["idx", "npz", "image_zip"];

/** The catalogue's available image data sets that need no uploaded file: [{name, description}]. */
export async function imageDatasets() {
  const catalogue = await api.get("/api/datasets");
  return catalogue.filter((entry) => entry.kind === "image" && entry.available && !FILE_SETS.includes(entry.name));
}

/** Upload the chosen files (one .npz or .zip, or an IDX images file and its labels file) one by one;
 * resolves to the dataset spec that uses them, e.g. {name: "idx", images: "...", labels: "..."}. */
export async function uploadDataset(files) {
  const spec = {};
  for (const file of files) {
    const form = new FormData();
    form.append("file", file);
    Object.assign(spec, (await api.post("/api/datasets", form)).dataset);
  }
  return spec;
}

/** GET /api/datasets/{name}/preview with the spec's parameters as the query. */
export function preview(datasetSpec) {
  const { name, ...params } = datasetSpec;
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) query.set(key, JSON.stringify(value));
  const suffix = query.size ? `?${query}` : "";
  return api.get(`/api/datasets/${encodeURIComponent(name)}/preview${suffix}`);
}

/** The window (and stride) nearest `preferred` that tiles a w x h input exactly, or 0 for none. */
function fittingWindow(preferred, w, h) {
  const candidates = [preferred, 2, 3, 4].sort((a, b) => Math.abs(a - preferred) - Math.abs(b - preferred));
  return candidates.find((size) => size <= Math.min(w, h) && (w - size) % size === 0 && (h - size) % size === 0) || 0;
}

/**
 * A net's layer definitions fitted to a data set: the input takes `inputShape` ([sx, sy, depth]), the
 * loss layer `numClasses`, and each pool window changes to the nearest size that tiles its input
 * (a pool that fits no window is dropped), so a preset made for 24x24 digits runs on 9x9 images.
 */
export function adaptNet(layers, inputShape, numClasses) {
  const [sx, sy, depth] = inputShape;
  let w = sx;
  let h = sy;
  const adapted = [];
  for (const layer of structuredClone(layers)) {
    if (layer.type === "input") {
      Object.assign(layer, { out_sx: sx, out_sy: sy, out_depth: depth });
    } else if (layer.type === "conv") {
      const pad = layer.pad || 0;
      const stride = layer.stride || 1;
      w = Math.floor((w + 2 * pad - layer.sx) / stride) + 1;
      h = Math.floor((h + 2 * pad - (layer.sy || layer.sx)) / stride) + 1;
    } else if (layer.type === "pool") {
      const size = fittingWindow(layer.sx, w, h);
      if (!size) continue;
      Object.assign(layer, { sx: size, stride: size });
      w /= size;
      h /= size;
    } else if (LOSS_LAYERS.includes(layer.type)) {
      layer.num_classes = numClasses;
    }
    adapted.push(layer);
  }
  return adapted;
}

/** A trainer's settings in one line: "adadelta, batch_size 20, l2_decay 0.001". */
export function trainerSummary(trainer) {
  const settings = TRAINER_KEYS.filter((key) => trainer[key] !== undefined && trainer[key] !== null);
  return [trainer.method, ...settings.map((key) => `${key} ${trainer[key]}`)].join(", ");
}

/** The trainer form: read it as a spec's trainer, fill it from a job's trainer, react to changes. */
export class TrainerForm {
  /** @param {HTMLElement} root holds a select #method and number inputs whose ids are trainer keys. */
  constructor(root) {
    this.method = root.querySelector("#method");
    this.inputs = Object.fromEntries(TRAINER_KEYS.map((key) => [key, root.querySelector(`#${key}`)]));
    this.method.addEventListener("change", () => this.showMethodFields());
  }

  showMethodFields() {
    const uses = this.method.selectedOptions[0]?.dataset.hypers.split(",") ?? [];
    this.inputs.momentum.closest(".field").hidden = !uses.includes("momentum"); // the engine's list
  }

  /** The settings the chosen method takes, blank fields left to the method's default. */
  read() {
    const trainer = { method: this.method.value };
    for (const [key, input] of Object.entries(this.inputs)) {
      if (input.value !== "" && !input.closest(".field").hidden) trainer[key] = Number(input.value);
    }
    return trainer;
  }

  /** Show a trainer's settings; a key it lacks leaves its field blank (the method's default). */
  fill(trainer) {
    this.method.value = trainer.method === "windowgrad" ? "rmsprop" : trainer.method || "sgd";
    for (const [key, input] of Object.entries(this.inputs)) input.value = trainer[key] ?? "";
    this.showMethodFields();
  }

  /** Call `listener({key: value})` when one hyperparameter field changes to a valid number. */
  onChange(listener) {
    for (const [key, input] of Object.entries(this.inputs)) {
      input.addEventListener("change", () => {
        if (input.value !== "" && input.checkValidity()) listener({ [key]: Number(input.value) });
      });
    }
  }
}
