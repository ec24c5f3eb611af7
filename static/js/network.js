// The network editor: a list of hidden layers (neurons and activation each) and the same net as
// ConvNetJS layer definitions in a JSON textarea; editing either rewrites the other. The activations
// offered are the engine's (GET /api/catalogue), and "none" (a linear layer).

const LINEAR = "none";
const LOSS_TYPES = new Set(["softmax", "svm", "regression"]);
const MAX_HIDDEN_NEURONS = 32; // the +/- buttons' limit (ConvNetJS's regression net has 20); JSON may say more

/**
 * The definitions with the input's depth set to the number of features and the loss layer fitted to
 * the data: softmax (or the given svm) over its `classes`, or, for a regression (`classes` 0), a
 * regression layer of one output. A missing input or loss layer is added.
 */
export function fitLayers(layers, featureCount, classes) {
  const body = layers.filter((layer) => layer.type !== "input" && !LOSS_TYPES.has(layer.type));
  const given = layers.find((layer) => LOSS_TYPES.has(layer.type));
  let loss;
  if (!classes) loss = { ...(given?.type === "regression" ? given : { type: "regression" }), num_neurons: 1 };
  else loss = { ...(given && given.type !== "regression" ? given : { type: "softmax" }), num_classes: classes };
  return [{ type: "input", out_sx: 1, out_sy: 1, out_depth: featureCount }, ...body, loss];
}

/**
 * Parse the textarea's text into layer definitions; throws an Error with a readable message when it
 * is not a JSON list of objects with a "type" (the server checks everything else and answers 422).
 */
export function parseLayers(text) {
  let layers;
  try {
    layers = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON: ${error.message}`);
  }
  if (!Array.isArray(layers)) throw new Error("the definition must be a JSON list of layers");
  layers.forEach((layer, index) => {
    if (typeof layer !== "object" || layer === null || typeof layer.type !== "string") {
      throw new Error(`layer ${index}: must be an object with a "type"`);
    }
  });
  return layers;
}

/** Layer definitions as the textarea shows them: one layer per line. */
export function formatLayers(layers) {
  return `[\n${layers.map((layer) => `  ${JSON.stringify(layer)}`).join(",\n")}\n]`;
}

/** The hidden-layer list and the JSON textarea over one list of definitions. */
export class NetworkEditor {
  /**
   * @param {{list: HTMLElement, add: HTMLButtonElement, text: HTMLTextAreaElement, error: HTMLElement}} elements
   * @param {(layers: object[]) => void} onChange called with the new definitions after an edit
   */
  constructor(elements, onChange) {
    Object.assign(this, elements);
    this.onChange = onChange;
    this.layers = [];
    this.activations = []; // the engine's activation names (setActivations)
    this.add.addEventListener("click", () => this.addLayer());
    this.text.addEventListener("change", () => this.applyText());
  }

  /** Offer the engine's activations (`activations` of GET /api/catalogue) for each hidden layer. */
  setActivations(activations) {
    this.activations = activations;
    this.renderList();
  }

  /** Show `layers` in both views (no onChange). */
  show(layers) {
    this.layers = layers;
    this.text.value = formatLayers(layers);
    this.renderList();
  }

  /** Show the server's (or the parser's) message next to the textarea; null clears it. */
  showError(message) {
    this.error.textContent = message || "";
    this.text.setAttribute("aria-invalid", String(Boolean(message)));
  }

  applyText() {
    try {
      const layers = parseLayers(this.text.value);
      if (JSON.stringify(layers) === JSON.stringify(this.layers)) return; // only reformatted
      this.showError(null);
      this.layers = layers;
      this.renderList();
      this.onChange(layers);
    } catch (error) {
      this.showError(error.message);
    }
  }

  commit(layers) {
    this.show(layers);
    this.showError(null);
    this.onChange(layers);
  }

  addLayer() {
    const at = this.layers.findIndex((layer) => LOSS_TYPES.has(layer.type));
    const index = at < 0 ? this.layers.length : at;
    const layers = [...this.layers];
    layers.splice(index, 0, { type: "fc", num_neurons: 4, activation: "tanh" });
    this.commit(layers);
  }

  /** A change from the network diagram: {op: "add-layer" | "remove-layer" | "add-neuron" |
   * "remove-neuron", hidden}, `hidden` the hidden fc layer's number (0 = the first). */
  reshape({ op, hidden }) {
    if (op === "add-layer") {
      this.addLayer();
      return;
    }
    const dense = this.layers.flatMap((layer, index) => (layer.type === "fc" ? [index] : []));
    const index = dense[hidden];
    if (index === undefined) return;
    if (op === "remove-layer") {
      this.remove(index);
      return;
    }
    const neurons = this.layers[index].num_neurons + (op === "add-neuron" ? 1 : -1);
    if (neurons >= 1 && (op === "remove-neuron" || neurons <= MAX_HIDDEN_NEURONS)) {
      this.update(index, { num_neurons: neurons });
    }
  }

  update(index, changes) {
    const layers = this.layers.map((layer, i) => (i === index ? { ...layer, ...changes } : layer));
    if (changes.activation === LINEAR) delete layers[index].activation;
    this.commit(layers);
  }

  remove(index) {
    this.commit(this.layers.filter((_, i) => i !== index));
  }

  renderList() {
    const rows = [];
    this.layers.forEach((layer, index) => {
      if (layer.type === "input" || LOSS_TYPES.has(layer.type)) return;
      rows.push(layer.type === "fc" ? this.fcRow(layer, index, rows.length + 1) : this.otherRow(layer, index));
    });
    this.list.replaceChildren(...rows);
  }

  fcRow(layer, index, ordinal) {
    const row = document.createElement("li");
    row.className = "layer-row";
    const neurons = document.createElement("input");
    neurons.type = "number";
    neurons.min = "1";
    neurons.max = String(MAX_HIDDEN_NEURONS);
    neurons.value = layer.num_neurons;
    neurons.setAttribute("aria-label", `hidden layer ${ordinal}: neurons`);
    neurons.className = "layer-neurons";
    neurons.addEventListener("change", () => this.update(index, { num_neurons: Number(neurons.value) }));
    const activation = document.createElement("select");
    activation.setAttribute("aria-label", `hidden layer ${ordinal}: activation`);
    const current = layer.activation || LINEAR; // offered even before the engine's list is known
    for (const name of new Set([...this.activations, current, LINEAR])) activation.add(new Option(name, name));
    activation.value = current;
    activation.addEventListener("change", () => this.update(index, { activation: activation.value }));
    const title = document.createElement("span");
    title.textContent = `fc ${ordinal}`;
    row.append(title, neurons, activation, this.removeButton(index, `hidden layer ${ordinal}`));
    return row;
  }

  otherRow(layer, index) {
    const row = document.createElement("li");
    row.className = "layer-row";
    const title = document.createElement("span");
    title.textContent = layer.type;
    row.append(title, this.removeButton(index, `${layer.type} layer`));
    return row;
  }

  removeButton(index, name) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "×";
    button.setAttribute("aria-label", `remove ${name}`);
    button.addEventListener("click", () => this.remove(index));
    return button;
  }
}
