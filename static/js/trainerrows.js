// The trainer comparison's trainers, one editable row each: ticked or not, a name, a method, and a box
// for every hyperparameter the method uses (learning rate, batch size, decays, and its own: momentum for
// sgd, ro and eps for adadelta...). The columns, defaults and ranges come from the engine's catalogue
// (GET /api/catalogue); a blank box trains with the method's default.

import { methodEntry, settingText, usedHypers } from "./catalogue.js";

/** The range a hyperparameter must lie in, in words: "in [0, 1)", "≥ 1". */
function rangeText(hyper) {
  const low = hyper.low === null ? null : `${hyper.open_low ? "(" : "["}${hyper.low}`;
  const high = hyper.high === null ? null : `${hyper.high}${hyper.open_high ? ")" : "]"}`;
  if (low && high) return `in ${low}, ${high}`;
  if (low) return `${hyper.open_low ? ">" : "≥"} ${hyper.low}`;
  return high ? `${hyper.open_high ? "<" : "≤"} ${hyper.high}` : "any number";
}

/** Why `value` (a number) is not a valid `hyper`, or "" when it is. */
function invalid(hyper, value) {
  if (!Number.isFinite(value)) return "must be a number";
  if (hyper.integer && !Number.isInteger(value)) return "must be a whole number";
  const low = hyper.low !== null && (hyper.open_low ? value <= hyper.low : value < hyper.low);
  const high = hyper.high !== null && (hyper.open_high ? value >= hyper.high : value > hyper.high);
  return low || high ? `must be ${rangeText(hyper)}` : "";
}

/** The numbers typed in a row's hyperparameter boxes: {name: value}, blank ones left out. */
function typed(row) {
  const boxes = [...row.querySelectorAll("input[data-hyper]")].filter((input) => input.value !== "");
  return Object.fromEntries(boxes.map((input) => [input.dataset.hyper, Number(input.value)]));
}

export class TrainerRows {
  /**
   * @param {HTMLTableElement} table its thead and tbody are filled here
   * @param {object} catalogue GET /api/catalogue
   */
  constructor(table, catalogue) {
    this.table = table;
    this.catalogue = catalogue;
    // every hyperparameter any method uses, in the catalogue's order: one column each
    this.columns = [...new Set(catalogue.trainers.flatMap((entry) => usedHypers(entry).map((hyper) => hyper.name)))];
    const head = table.tHead.rows[0];
    head.replaceChildren(...["Train", "Name", "Method", ...this.columns, ""].map((text) => {
      const cell = document.createElement("th");
      cell.scope = "col";
      cell.textContent = text;
      return cell;
    }));
    table.tBodies[0].addEventListener("click", (event) => {
      if (event.target.closest("button[data-role='remove']")) event.target.closest("tr").remove();
    });
  }

  /** Show these trainers ([{label, trainer}], the settings as given), ticked. */
  setRows(trainers) {
    this.table.tBodies[0].replaceChildren(...trainers.map(({ label, trainer }) => this.row(label, trainer)));
  }

  /** Add a row for `method` at its defaults. */
  add(method) {
    const row = this.row(method, { method });
    this.table.tBodies[0].append(row);
    row.querySelector("[data-role='label']").focus();
  }

  row(label, trainer) {
    const row = document.createElement("tr");
    const tick = document.createElement("input");
    tick.type = "checkbox";
    tick.checked = true;
    tick.dataset.role = "train";
    const name = document.createElement("input");
    name.type = "text";
    name.value = label;
    name.dataset.role = "label";
    name.size = 12;
    const method = document.createElement("select");
    method.dataset.role = "method";
    method.append(...this.catalogue.trainers.map((entry) => new Option(entry.method, entry.method)));
    method.value = methodEntry(this.catalogue, trainer.method ?? "sgd")?.method ?? "sgd";
    const remove = document.createElement("button");
    remove.type = "button";
    remove.dataset.role = "remove";
    remove.textContent = "✕";
    for (const content of [tick, name, method, ...this.columns.map(() => null), remove]) {
      const cell = row.insertCell();
      if (content) cell.append(content);
    }
    const relabel = () => {
      row.dataset.label = name.value;
      tick.setAttribute("aria-label", `Train ${name.value}`);
      name.setAttribute("aria-label", `Name of ${name.value}`);
      method.setAttribute("aria-label", `Method of ${name.value}`);
      remove.setAttribute("aria-label", `Remove ${name.value}`);
      for (const input of row.querySelectorAll("input[data-hyper]")) input.setAttribute("aria-label", `${input.dataset.hyper} of ${name.value}`);
    };
    name.addEventListener("input", relabel);
    method.addEventListener("change", () => {
      this.fillHypers(row, typed(row)); // a setting the new method also takes keeps its value
      relabel();
    });
    this.fillHypers(row, trainer);
    relabel();
    return row;
  }

  /** The row's hyperparameter boxes for its method, holding `trainer`'s values (blank: the default). */
  fillHypers(row, trainer) {
    const entry = methodEntry(this.catalogue, row.querySelector("[data-role='method']").value);
    const used = new Map(usedHypers(entry).map((hyper) => [hyper.name, hyper]));
    this.columns.forEach((name, i) => {
      const cell = row.cells[3 + i];
      const hyper = used.get(name);
      cell.replaceChildren();
      cell.title = hyper ? `${name}: default ${hyper.default}, ${rangeText(hyper)}` : `${entry.method} takes no ${name}`;
      if (!hyper) {
        cell.textContent = "—";
        cell.className = "muted";
        return;
      }
      cell.className = "";
      const input = document.createElement("input");
      input.type = "number";
      input.step = hyper.integer ? "1" : "any";
      if (hyper.low !== null) input.min = String(hyper.low);
      if (hyper.high !== null) input.max = String(hyper.high);
      input.placeholder = settingText(hyper.default);
      input.dataset.hyper = name;
      input.value = settingText(trainer[name]);
      input.addEventListener("input", () => input.setCustomValidity(input.value === "" ? "" : invalid(hyper, Number(input.value))));
      cell.append(input);
    });
  }

  /** A row's {label, trainer} (blank boxes left out: the method's default); throws an Error naming
   * the row and the setting when a value is out of its range. */
  read(row) {
    const method = row.querySelector("[data-role='method']").value;
    const label = row.querySelector("[data-role='label']").value.trim() || method;
    const hypers = usedHypers(methodEntry(this.catalogue, method));
    for (const input of row.querySelectorAll("input[data-hyper]")) {
      const reason = input.value === "" ? "" : invalid(hypers.find((hyper) => hyper.name === input.dataset.hyper), Number(input.value));
      if (reason) {
        input.focus();
        throw new Error(`${label}: ${input.dataset.hyper} ${reason}, got ${input.value}`);
      }
    }
    return { label, trainer: { method, ...typed(row) } };
  }

  /** The ticked rows' {label, trainer}, in the table's order; throws naming a bad value. */
  chosen() {
    return [...this.table.tBodies[0].rows].filter((row) => row.querySelector("[data-role='train']").checked).map((row) => this.read(row));
  }
}
