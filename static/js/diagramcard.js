// The network diagram's hover card (a node's picture large, or a weight's or bias's value) and the box
// a click opens to type a weight's or a bias's new value.

/** The card that follows the pointer over the diagram. */
export class HoverCard {
  /** @param {HTMLElement} root the diagram's box (position: relative); the card is put inside it */
  constructor(root) {
    this.root = root;
    this.element = document.createElement("div");
    this.element.className = "diagram-card";
    this.element.hidden = true;
    this.refresh = null; // copies a shown node's picture again (its neuron was redrawn)
    this.about = null; // what the card shows: a node's box, a bias, a link
    root.append(this.element);
  }

  /** A node's picture (`canvas`, large; none for an output) and its name, beside `anchor`. */
  showPicture(anchor, name, canvas) {
    const large = document.createElement("canvas");
    const copy = () => {
      if (!canvas || !canvas.width) return;
      Object.assign(large, { width: canvas.width, height: canvas.height });
      large.getContext("2d").drawImage(canvas, 0, 0);
    };
    copy();
    const caption = Object.assign(document.createElement("span"), { textContent: name });
    this.element.replaceChildren(...(canvas ? [large] : []), caption);
    this.refresh = canvas ? copy : null;
    this.about = anchor;
    this.place(anchor.getBoundingClientRect());
  }

  /** A value (a weight's, a bias's) with its name, beside `anchor` or by the pointer of `event`. */
  showValue(anchor, name, value, editable, event = null) {
    if (value === undefined) return;
    const number = Object.assign(document.createElement("b"), { textContent: Number(value).toFixed(3) });
    const hint = editable ? "click to change it" : "read only";
    const caption = Object.assign(document.createElement("span"), { textContent: `${name} (${hint})` });
    this.element.replaceChildren(number, caption);
    this.refresh = null;
    this.about = anchor;
    this.place(event ? { top: event.clientY, right: event.clientX + 8 } : anchor.getBoundingClientRect());
  }

  /** Put the card right of `box` (a client rectangle, or {top, right}), inside the diagram. */
  place(box) {
    const root = this.root.getBoundingClientRect();
    this.element.hidden = false;
    const left = Math.min(box.right - root.left + 8, root.width - this.element.offsetWidth);
    this.element.style.left = `${Math.max(0, left)}px`;
    this.element.style.top = `${Math.max(0, box.top - root.top)}px`;
  }

  /** Hide the card (only when it shows `about`, when given). */
  hide(about = null) {
    if (about && about !== this.about) return;
    this.element.hidden = true;
    this.about = null;
  }

  /** Copy a shown picture again (call after the node pictures were redrawn). */
  redraw() {
    if (!this.element.hidden) this.refresh?.();
  }
}

/**
 * Open a box at the click `event` in `root` to type a new value for a weight or a bias (`param` "w" or
 * "b"), starting from `value`; Enter gives `onValue(typed)`: a number, or what was typed when it is not
 * one (the server says what is wrong with it); Escape or leaving the box closes it.
 */
export function openEditBox(root, event, { param, value, onValue }) {
  root.querySelector(".diagram-edit")?.remove();
  const input = document.createElement("input");
  input.className = "diagram-edit";
  input.type = "text";
  input.inputMode = "decimal";
  input.value = Number(value ?? 0).toFixed(3);
  input.setAttribute("aria-label", `new value of the ${param === "b" ? "bias" : "weight"} (Enter to apply)`);
  const box = root.getBoundingClientRect();
  input.style.left = `${Math.max(0, event.clientX - box.left - 30)}px`;
  input.style.top = `${Math.max(0, event.clientY - box.top - 12)}px`;
  let open = true; // removing the box blurs it, and its blur handler must not remove it twice
  const close = () => {
    if (!open) return;
    open = false;
    input.remove();
  };
  input.addEventListener("keydown", (key) => {
    if (key.key === "Escape") close();
    if (key.key !== "Enter") return;
    close();
    const typed = input.value.trim() === "" ? null : Number(input.value);
    onValue(Number.isFinite(typed) ? typed : input.value);
  });
  input.addEventListener("blur", close);
  root.append(input);
  input.focus();
  input.select();
}
