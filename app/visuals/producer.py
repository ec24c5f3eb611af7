"""The training worker's visual frames: what one job's live stream draws, encoded with `app.frames`.

Frame kinds (every header also has ``"step"``; quantised arrays carry their ``range``):

2D and 1D sets (kinds ``boundary``, ``neurons``, ``hidden``), all with ``"extent"`` and ``"classes"``
(class names, empty for regression):

- ``boundary`` (``"grid"``: side of the grid). classify2d: ``probs`` (C, grid, grid) uint8 quantised
  over [0, 1]; regress2d: ``values`` (1, grid, grid) uint8 quantised over the grid's own min..max;
  regress1d: ``curve`` (2, grid) float32, rows x and predicted y.
- ``neurons`` (``"grid"``: side of each thumbnail; ``"layers"``: ``[{"layer", "type", "shape"}]``):
  one array ``layer<i>`` per shown layer, the input features first (``layer0``), each (K, grid, grid)
  ((K, 1, grid) for regress1d) uint8 quantised over that layer's own range. Not sent when the hidden
  layers hold more than 64 neurons.
- ``weights`` (no other field: the snapshot's layers say how ``params`` splits, see `unpack_weights`):
  one float32 array ``params``, for every fc layer in order (the loss layer's own fc included) its
  weights and biases as an (inputs + 1, neurons) block, row-major: ``inputs`` rows of ``w`` then ``b``.
  Exact values: the network diagram draws and edits every weight, and the page draws the boundary and
  the neurons of a net of fc layers and activations from them (static/js/netforward.js) instead of
  asking for ``boundary`` and ``neurons`` frames. Kept this small on purpose (576 bytes for the
  playground's 2-8-8-2 net): it goes at the stream's fps.
- ``hidden`` (classify2d with a hidden layer; ``"layer"``, ``"neurons"``: [a, b]): ``mesh``
  (2 * 11, 50, 2) float32, ``points`` (N, 2) float32 and ``labels`` (N,) int32 (see
  `plane.hidden_space`).

Image sets (kinds ``activations``, ``filters``, ``samples``), all with ``"classes"``; "the eval split"
is the test split, or the validation split when there is no test split, or else the training split:

- ``activations`` (``"sample"``: index into the eval split, ``"label"``, ``"loss"``: the sample's loss
  for its label at inference, ``"layers"``: ``[{"layer", "type", "shape"}]``, ``"filter_grads"``:
  ``[{"layer", "shape"}]`` of the conv layers): ``image`` (sy, sx, 3) uint8 pixels of the sample, then
  per layer (input and loss layer included) ``layer<i>``, its output, and ``grad<i>``, the gradient of
  the sample's loss with respect to that output, both (depth, sy, sx) uint8; then per conv layer
  ``filter_grad<i>``, the gradient of that loss with respect to its filters, (F, C, sy, sx) uint8.
  Outputs are quantised over each array's own range, gradients over a range symmetric about 0
  (``[-m, m]``, m the largest magnitude) so that their sign can be read. A softmax's output gradient is
  -1 / p at the label and 0 elsewhere (see `engine.inspection`).
- ``filters`` (only for nets with conv layers; ``"layers"``: ``[{"layer", "shape"}]``): one array
  ``layer<i>`` per conv layer, (F, C, sy, sx) uint8 quantised per layer.
- ``samples`` (only when ``predictions`` > 0; ``"items"``: `images.top_predictions` rows, top 3):
  ``images`` (P, sy, sx, 3) uint8 pixels. Successive calls walk through the eval split.

Autoencode sets (kinds ``codes``, ``reconstructions``), with ``"classes"`` (the names of the labels):

- ``codes`` (``"layer"``: the bottleneck, `autoencoder.bottleneck`; ``"count"``: its width): ``codes``
  (P, min(2, width)) float32, the bottleneck's first two outputs for the first P (at most
  `autoencoder.MAX_CODES`) images of the eval split, and ``labels`` (P,) int32, their classes.
- ``reconstructions`` (only when ``predictions`` > 0; ``"items"``: ``[{"index", "label"}]``): the first
  ``predictions`` images of the eval split, always the same ones, as ``originals`` and the net's
  ``reconstructions``, both (P, sy, sx, 3) uint8 pixels.

Painting sets (kind ``painting``, ConvNetJS's image_regression demo):

- ``painting`` (``"shape"``: [sy, sx] of the picture): ``image`` (sy, sx, 3) uint8, the net's colour
  prediction at every pixel's coordinates (`engine.datasets.painting.pixel_coordinates`), clipped to
  [0, 1] and scaled to 0..255: the picture as the net paints it now. Sent at the stream's fps, as the
  boundary is. The original is not in the frame (it never changes): the dataset preview
  (``GET /api/datasets/painting/preview``) has it, so a page can draw it before any job exists.

`VisualProducer.confusion` is a plain JSON message (kind ``confusion``). Everything runs the net at
inference and `Net.inspect` restores the gradient buffer it borrows, so producing frames never changes
training (weights, gradients, optimizer state, the net's random generator).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from app.frames import QuantizedArray, encode_frame, quantize
from app.spec import StreamSpec
from app.visuals import autoencoder
from app.visuals.images import (
    confusion_matrix,
    conv_filters,
    display_image,
    layer_gradients,
    top_predictions,
)
from app.visuals.plane import (
    boundary,
    check_hidden_view,
    default_hidden_view,
    hidden_space,
    neuron_grids,
)
from engine import Net, SpecError
from engine.datasets import Dataset
from engine.datasets.painting import pixel_coordinates
from engine.layers import Layer
from engine.parameters import weights_with_bias

PLANE_FRAME_KINDS = ("classify2d", "regress2d", "regress1d")
# The frame kinds of each data kind, in the order a viewer is sent them.
FRAME_KINDS = {
    **dict.fromkeys(PLANE_FRAME_KINDS, ("boundary", "neurons", "weights", "hidden")),
    "image": ("activations", "filters", "samples"),
    "autoencode": ("codes", "reconstructions"),
    "painting": ("painting",),
}
# Inclusive bounds of the view's integer fields; `sample` is bounded by the eval split instead.
BOUNDS = {"grid": (8, 256), "neuron_grid": (8, 64), "predictions": (0, 64)}
TOP_K = 3


@dataclass(frozen=True)
class VisualView:
    """What a viewer chose to see. ``hidden_layer`` None means `plane.default_hidden_view`'s layer."""

    grid: int = 100
    neuron_grid: int = 24
    hidden_layer: int | None = None
    hidden_neurons: tuple[int, int] = (0, 1)
    sample: int = 0
    predictions: int = 8


def view_from_stream(stream: StreamSpec) -> VisualView:
    """The view choices a job's spec starts with."""
    return VisualView(
        grid=stream.grid,
        neuron_grid=stream.neuron_grid,
        hidden_layer=stream.hidden_layer,
        hidden_neurons=tuple(stream.hidden_neurons),
        sample=stream.sample,
        predictions=stream.predictions,
    )


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise SpecError(f"{name}: must be an integer in {lo}..{hi}, got {value!r}", (name,))


def _eval_split(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(X, labels) of the first non-empty split of test, validation, train; X as the net takes it,
    labels (N,) the classes (of an autoencode set too, whose targets are its images)."""
    labels = data.labels or (data.y_train, data.y_val, data.y_test)
    for X, y in ((data.X_test, labels[2]), (data.X_val, labels[1])):
        if len(X):
            return data.eval_inputs(X), y
    return data.eval_inputs(data.X_train), labels[0]


def check_view(view: VisualView, layers: Sequence[Layer], data: Dataset) -> None:
    """Check every field of `view` against the net's `layers` (built or planned: only their types and
    shapes are read) and the data's eval split. Raises SpecError naming the field."""
    for name, (lo, hi) in BOUNDS.items():
        _check_int(name, getattr(view, name), lo, hi)
    eval_split = next((split for split in (data.X_test, data.X_val) if len(split)), data.X_train)
    _check_int("sample", view.sample, 0, len(eval_split) - 1)
    hidden_view(view, layers)


def hidden_view(view: VisualView, layers: Sequence[Layer]) -> tuple[int, tuple[int, int]] | None:
    """The (layer, (a, b)) the hidden-space frame shows, or None when the net has no hidden layer."""
    layer = view.hidden_layer
    if layer is None:
        default = default_hidden_view(layers)
        if default is None:
            return None
        layer = default[0]
    return check_hidden_view(layers, layer, view.hidden_neurons, ("hidden_layer", "hidden_neurons"))


def weight_blocks(layers: Sequence[Mapping[str, Any]]) -> list[tuple[int, int, int]]:
    """(layer index, inputs, neurons) of every fc layer, in the order a ``weights`` frame holds them.
    `layers`: described layers (the snapshot's, `app.checks.describe_layers`) with their output shapes."""
    return [
        (
            index,
            math.prod(layers[index - 1][key] for key in ("out_sx", "out_sy", "out_depth")),
            layer["out_depth"],
        )
        for index, layer in enumerate(layers)
        if layer["type"] == "fc"
    ]


def unpack_weights(
    params: np.ndarray, layers: Sequence[Mapping[str, Any]]
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """A ``weights`` frame's ``params`` -> {fc layer index: (w (inputs, neurons), b (neurons,))}, views
    of it; `layers` as in `weight_blocks`. The reference reader of the frame for Python clients (the
    README's stream section; the page's is static/js/netforward.js's unpackWeights)."""
    unpacked, offset = {}, 0
    for index, inputs, neurons in weight_blocks(layers):
        block = params[offset : offset + (inputs + 1) * neurons].reshape(inputs + 1, neurons)
        unpacked[index] = (block[:inputs], block[inputs])
        offset += (inputs + 1) * neurons
    return unpacked


def _layer_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Header description of per-layer arrays: layer, type (when the rows have one) and shape."""
    described = []
    for row in rows:
        known = {key: row[key] for key in ("layer", "type") if key in row}
        described.append({**known, "shape": list(row["values"].shape)})
    return described


def _quantized_layers(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {f"layer{row['layer']}": quantize(row["values"]) for row in rows}


def quantize_signed(values: np.ndarray) -> QuantizedArray:
    """`quantize` over [-m, m], m the largest finite magnitude: 0 sits mid-range whatever the values."""
    finite = np.abs(values[np.isfinite(values)])
    bound = float(finite.max()) if finite.size else 0.0
    return quantize(values, -bound, bound)


def _signed_layers(rows: list[dict[str, Any]], prefix: str, key: str) -> dict[str, Any]:
    return {f"{prefix}{row['layer']}": quantize_signed(row[key]) for row in rows}


class VisualProducer:
    """Builds the visual frames of one job from its net and data set at a given step."""

    def __init__(self, net: Net, data: Dataset, view: VisualView | None = None) -> None:
        self.net = net
        self.data = data
        self.eval_X, self.eval_y = _eval_split(data)
        self._next_prediction = 0
        # every pixel's (x, y), (sy * sx, 2): made once, a painting frame only runs the net on it
        self._pixels = pixel_coordinates(*data.picture.shape[:2]) if data.picture is not None else None
        self.view = self._checked(view if view is not None else VisualView())

    def set_view(self, **changes: Any) -> VisualView:
        """Change some view fields; the whole new view is checked before it replaces the old one.
        Raises SpecError (a ValueError) naming the field."""
        known = {field.name for field in fields(VisualView)}
        for name in changes:
            if name not in known:
                raise SpecError(f"{name}: unknown view field (known: {', '.join(sorted(known))})", (name,))
        if isinstance(changes.get("hidden_neurons"), list):
            changes["hidden_neurons"] = tuple(changes["hidden_neurons"])
        self.view = self._checked(replace(self.view, **changes))
        return self.view

    def _checked(self, view: VisualView) -> VisualView:
        check_view(view, self.net.layers, self.data)
        return view

    @property
    def kinds(self) -> tuple[str, ...]:
        """The frame kinds this job's data can have (a kind may still give no frame: see `frame`)."""
        return FRAME_KINDS.get(self.data.kind, ())

    def frames(self, step: int, kinds: Iterable[str] | None = None) -> list[bytes]:
        """The frames of `kinds` (default: all of this data's kinds) that the job has, in that order."""
        made = (self.frame(kind, step) for kind in (self.kinds if kinds is None else kinds))
        return [frame for frame in made if frame is not None]

    def frame(self, kind: str, step: int) -> bytes | None:
        """One encoded frame of `kind` at `step`; None when the job has none of that kind (neurons of a
        net too wide to show, hidden space without a hidden layer, filters without conv layers, no
        predictions asked for, or a kind of another data kind)."""
        if kind not in self.kinds:
            return None
        if self.data.kind in PLANE_FRAME_KINDS:
            meta = {
                "step": int(step),
                "extent": list(self.data.extent),
                "classes": list(self.data.class_names),
            }
        else:
            meta = {"step": int(step), "classes": list(self.data.class_names)}
        return getattr(self, f"_{kind}_frame")(meta)

    def _boundary_frame(self, meta: dict[str, Any]) -> bytes:
        values = boundary(self.net, self.data, self.view.grid)
        if self.data.kind == "classify2d":
            arrays = {"probs": quantize(values, 0.0, 1.0)}
        elif self.data.kind == "regress2d":
            arrays = {"values": quantize(values)}
        else:
            arrays = {"curve": values}
        return encode_frame("boundary", {**meta, "grid": self.view.grid}, arrays)

    def _neurons_frame(self, meta: dict[str, Any]) -> bytes | None:
        neurons = neuron_grids(self.net, self.data, self.view.neuron_grid)
        if not neurons:
            return None
        neuron_meta = {**meta, "grid": self.view.neuron_grid, "layers": _layer_rows(neurons)}
        return encode_frame("neurons", neuron_meta, _quantized_layers(neurons))

    def _weights_frame(self, meta: dict[str, Any]) -> bytes | None:
        dense = [layer for layer in self.net.layers if layer.type == "fc"]
        if not dense:
            return None
        blocks = [weights_with_bias(self.net.flat, layer)[0].ravel() for layer in dense]
        params = np.concatenate(blocks).astype(np.float32, copy=False)
        return encode_frame("weights", {"step": meta["step"]}, {"params": params})

    def _hidden_frame(self, meta: dict[str, Any]) -> bytes | None:
        chosen = hidden_view(self.view, self.net.layers) if self.data.kind == "classify2d" else None
        if chosen is None:
            return None
        hidden = hidden_space(self.net, self.data, *chosen)
        arrays = {name: hidden[name] for name in ("mesh", "points", "labels")}
        return encode_frame(
            "hidden", {**meta, "layer": hidden["layer"], "neurons": hidden["neurons"]}, arrays
        )

    def _painting_frame(self, meta: dict[str, Any]) -> bytes:
        height, width, _ = self.data.picture.shape
        colours = np.clip(np.nan_to_num(self.net.forward(self._pixels), nan=0.0), 0.0, 1.0)
        image = np.rint(colours * 255.0).astype(np.uint8).reshape(height, width, 3)
        return encode_frame("painting", {**meta, "shape": [height, width]}, {"image": image})

    def _filters_frame(self, meta: dict[str, Any]) -> bytes | None:
        filters = conv_filters(self.net)
        if not filters:
            return None
        return encode_frame("filters", {**meta, "layers": _layer_rows(filters)}, _quantized_layers(filters))

    def _activations_frame(self, meta: dict[str, Any]) -> bytes:
        sample = self.view.sample
        label = int(self.eval_y[sample])
        traced = layer_gradients(self.net, self.eval_X[sample : sample + 1], label)
        rows, filters = traced["layers"], traced["filters"]
        frame_meta = {
            **meta,
            "sample": sample,
            "label": label,
            "loss": traced["loss"],
            "layers": _layer_rows(rows),
            "filter_grads": _layer_rows(filters),
        }
        arrays = {
            "image": display_image(self.data, self.eval_X[sample]),
            **_quantized_layers(rows),
            **_signed_layers(rows, "grad", "grads"),
            **_signed_layers(filters, "filter_grad", "values"),
        }
        return encode_frame("activations", frame_meta, arrays)

    def _samples_frame(self, meta: dict[str, Any]) -> bytes | None:
        if not self.view.predictions:
            return None
        count = len(self.eval_X)
        indices = (self._next_prediction + np.arange(self.view.predictions)) % count
        self._next_prediction = int(indices[-1] + 1) % count
        items = top_predictions(self.net, self.eval_X, self.eval_y, indices, TOP_K)
        images = display_image(self.data, self.eval_X[indices])
        return encode_frame("samples", {**meta, "items": items}, {"images": images})

    def _codes_frame(self, meta: dict[str, Any]) -> bytes:
        layer = autoencoder.bottleneck(self.net.layers)
        values = autoencoder.codes(self.net, self.eval_X, layer)
        labels = self.eval_y[: len(values)].astype(np.int32)
        width = int(np.prod(self.net.layers[layer].out_shape))
        return encode_frame(
            "codes", {**meta, "layer": layer, "count": width}, {"codes": values, "labels": labels}
        )

    def _reconstructions_frame(self, meta: dict[str, Any]) -> bytes | None:
        count = min(self.view.predictions, len(self.eval_X))
        if not count:
            return None
        shown = self.eval_X[:count]
        items = [{"index": index, "label": int(self.eval_y[index])} for index in range(count)]
        arrays = {
            "originals": display_image(self.data, shown),
            "reconstructions": autoencoder.reconstructions(self.net, self.data, shown),
        }
        return encode_frame("reconstructions", {**meta, "items": items}, arrays)

    def confusion(self, step: int, predicted: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        """JSON message ``{"type": "confusion", "step", "matrix": C x C counts (row = true class,
        column = predicted), "class_names"}``; examples not yet measured (predicted -1) are left out."""
        measured = predicted >= 0
        matrix = confusion_matrix(predicted[measured], y[measured], self.data.num_classes)
        return {
            "type": "confusion",
            "step": int(step),
            "matrix": matrix.tolist(),
            "class_names": list(self.data.class_names),
        }
