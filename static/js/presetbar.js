// The playground's preset picker: every preset of GET /api/presets on a data set the playground draws
// (the 2D ones; image presets belong to the ConvNet, trainers, autoencoder and painting pages, which
// start from them already), and the description of the preset the page's setup is, which says what to
// watch for. The setups come from the server; the page holds no copy of them.

import { api } from "./api.js";
import { sameSetup, stateFromPreset } from "./state.js";

/** The presets on the page's data sets, in the server's order.
 * @param {{name: string}[]} catalogue the picker's data sets (pickerDatasets) */
export async function playgroundPresets(catalogue) {
  const presets = await api.get("/api/presets");
  return presets.filter((preset) => catalogue.some((entry) => entry.name === preset.spec.dataset.name));
}

/** A select of presets and a line that describes the one shown; `onPick(preset)` when one is picked.
 * Where the browser lets a select be styled (appearance: base-select), its button shows the chosen
 * title whole, wrapped, and so does its list; elsewhere it is the browser's usual select. */
export class PresetBar {
  /** @param {HTMLSelectElement} select @param {HTMLElement} description @param {(preset: object) => void} onPick */
  constructor(select, description, onPick) {
    Object.assign(this, { select, description, onPick });
    this.presets = []; // [{preset, state}]
    select.addEventListener("change", () => {
      const picked = this.presets.find((item) => item.preset.id === select.value);
      if (picked) this.onPick(picked.preset);
    });
  }

  /** Offer `presets` (from playgroundPresets), each with the state it sets up on its data set. */
  build(presets, catalogue) {
    const params = (preset) => catalogue.find((entry) => entry.name === preset.spec.dataset.name).params;
    this.presets = presets.map((preset) => ({ preset, state: stateFromPreset(preset, params(preset)) }));
    const options = this.presets.map(({ preset }) => {
      const option = new Option(preset.title, preset.id);
      option.title = preset.description;
      return option;
    });
    // the options only: the select's own button (which shows the chosen title whole) stays
    for (const option of this.select.querySelectorAll("option")) option.remove();
    this.select.append(new Option("Choose a preset…", ""), ...options);
  }

  /** Show which preset `state` is set up as (its description says what to watch), or none. */
  follow(state) {
    const shown = this.presets.find((item) => sameSetup(item.state, state));
    this.select.value = shown ? shown.preset.id : "";
    this.description.textContent = shown ? shown.preset.description : "";
    this.description.hidden = !shown;
  }
}
