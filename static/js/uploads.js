// A page's list of uploaded files (the ConvNet page's data sets, the painting page's pictures): each
// with its size, a Use button (a .npz, a .zip or a picture is a whole data set; IDX images need their
// labels file, so those are used as they are uploaded) and a Delete button where this browser may
// delete it (its own uploads, or all with the teacher's token), and how much of the server's uploads
// quota all of them take.

import { api } from "./api.js";
import { count } from "./numbers.js";
import { owns, tokenFor } from "./owners.js";

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 0)} MB`;
}

export class UploadList {
  /**
   * @param {{list: HTMLUListElement, summary: HTMLElement}} elements
   * @param {{onUse: (spec: object, label: string) => void, onError: (error: Error) => void,
   *   accepts?: (spec: object) => boolean}} handlers `accepts`: which uploads the page lists, by the
   *   dataset spec that uses them (default: all)
   */
  constructor(elements, handlers) {
    this.elements = elements;
    this.handlers = handlers;
  }

  /** Fetch the list again and show it. */
  async refresh() {
    const { items: all, used, limit } = await api.get("/api/datasets/uploads");
    const accepts = this.handlers.accepts ?? (() => true);
    const items = all.filter((item) => accepts(item.dataset));
    this.elements.summary.textContent = `Uploaded files (${count(items.length)}, ${megabytes(used)} of ${megabytes(limit)})`;
    this.elements.list.replaceChildren(...items.reverse().map((item) => this.row(item)));
  }

  row(item) {
    const line = document.createElement("li");
    line.dataset.file = item.file;
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = item.file;
    name.title = `uploaded ${new Date(item.created * 1000).toLocaleString()}`;
    const size = document.createElement("span");
    size.className = "muted small";
    size.textContent = ` ${megabytes(item.size)}${owns("uploads", item.file) ? " · yours" : ""} `;
    line.append(name, size);
    if (item.dataset.name !== "idx") {
      const use = document.createElement("button");
      use.type = "button";
      use.textContent = "Use";
      use.setAttribute("aria-label", `Use ${item.file}`);
      use.addEventListener("click", () => this.handlers.onUse(item.dataset, `upload: ${item.file}`));
      line.append(use, " ");
    }
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete ${item.file}`);
    remove.disabled = !tokenFor("uploads", item.file);
    remove.title = remove.disabled ? "Only whoever uploaded it, or the teacher, can delete it" : "";
    remove.addEventListener("click", () => this.remove(item.file));
    line.append(remove);
    return line;
  }

  async remove(file) {
    if (!confirm(`Delete the upload ${file}?`)) return;
    try {
      await api.del(`/api/datasets/uploads/${encodeURIComponent(file)}`);
    } catch (error) {
      this.handlers.onError(error);
    }
    await this.refresh().catch(this.handlers.onError);
  }
}
