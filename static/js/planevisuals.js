// What the playground draws of a job's net, from whichever frames its stream carries: the boundary,
// the neurons and the hidden space drawn in the page from "weights" frames when it can evaluate the net
// (netforward.js), else the server's "boundary", "neurons" and "hidden" frames; the diagram's links from
// the weights either way; and the frames per second that redraw the boundary, as the page receives them.

import { FrameRate } from "./framerate.js";
import { drawsInPage, WeightsPainter } from "./netforward.js";
import { withWeight } from "./weights.js";

export class PlaneVisuals {
  /**
   * @param {{boundary: object, diagram: object, hiddenView: object, hiddenPicker: object}} views
   *   the BoundaryView, NetworkDiagram, HiddenView and HiddenPicker they feed
   */
  constructor(views) {
    Object.assign(this, views);
    this.painter = null; // draws from the weights when the page can evaluate the job's net
    this.frameRate = new FrameRate();
    this.hiddenShown = false;
  }

  /** A new job's snapshot: whether the page draws it from its weights (its stream then asks for them
   * alone). */
  start(snapshot) {
    const { layers, dataset } = snapshot;
    const drawn = drawsInPage(layers, dataset.kind);
    this.painter = drawn ? new WeightsPainter(layers, dataset, { ...snapshot.spec.stream, ...snapshot.view }) : null;
    this.painter?.showHidden(this.hiddenShown);
    return drawn;
  }

  /** A decoded binary frame of the job's stream. */
  frame(frame) {
    const type = frame.header.type;
    if (type === (this.painter ? "weights" : "boundary")) this.frameRate.note(performance.now());
    if (type === "boundary") this.boundary.push(frame);
    else if (type === "neurons") this.showNeurons(frame);
    else if (type === "weights") this.showWeights(frame);
    else if (type === "hidden") this.showHiddenFrame(frame);
  }

  /** A weight set by hand (here, by another viewer or through the API): drawn at once, in the diagram
   * and in all that is drawn from the weights, without waiting for the job's next frames. */
  weight(message) {
    const frame = this.diagram.weights && withWeight(this.diagram.weights, this.diagram.described, message);
    if (frame) this.showWeights(frame);
  }

  /** The job's view changed (a "view" message: the hidden space's layer and neurons). */
  view(view) {
    this.painter?.setView(view);
  }

  /** Whether the hidden space is open and on screen. */
  showHidden(shown) {
    this.hiddenShown = shown;
    this.painter?.showHidden(shown);
  }

  /** Frames that redraw the boundary received per second, over the last two seconds. */
  framesPerSecond(now) {
    return this.frameRate.rate(now);
  }

  /** Draw what changed (from requestAnimationFrame). */
  draw(now) {
    const drawn = this.painter?.take(now);
    if (drawn?.boundary) this.boundary.push(drawn.boundary);
    if (drawn?.neurons) this.showNeurons(drawn.neurons);
    if (drawn?.hidden) this.showHiddenFrame(drawn.hidden);
    this.boundary.draw();
    this.diagram.draw();
    this.hiddenView.draw();
  }

  showWeights(frame) {
    this.diagram.pushWeights(frame);
    this.painter?.push(frame);
  }

  showNeurons(frame) {
    this.diagram.pushNeurons(frame);
    this.boundary.pushNeurons(frame);
  }

  showHiddenFrame(frame) {
    this.hiddenView.push(frame);
    this.hiddenPicker.follow(frame.header);
  }
}
