"""What the 2D pages draw, computed with the net at inference: the decision boundary or regression
surface over a grid, every hidden neuron's output over the plane (TensorFlow Playground's thumbnails)
and ConvNetJS's "hidden space" (the input plane's mesh seen through two neurons of a hidden layer).

Grids follow how a canvas is drawn: row 0 is the top (``ymax``), column 0 the left (``xmin``), and the
samples sit on the grid's nodes, ends included, so cell ``[0, 0]`` is the point ``(xmin, ymax)`` and
cell ``[size-1, size-1]`` is ``(xmax, ymin)``. A 1D regression set has no plane: its "grids" are one
row of ``size`` samples along x, from xmin to xmax.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from engine import Net, SpecError
from engine.datasets import Dataset, apply_features
from engine.definitions import ACTIVATIONS
from engine.kernels.losses import softmax
from engine.layers import Layer

Extent = tuple[float, float, float, float]
PLANE_KINDS = ("classify2d", "regress2d")
# Layers whose outputs are a neuron's value when no activation follows them.
LINEAR_TYPES = ("fc", "conv")


@lru_cache(maxsize=16)
def plane_grid(extent: Extent, size: int) -> np.ndarray:
    """Points of a size x size grid over extent (xmin, xmax, ymin, ymax): (size*size, 2) float32, row
    major, row 0 at y = ymax and column 0 at x = xmin (see the module docstring). Read-only: cached."""
    if size < 2:
        raise ValueError(f"size: a grid needs at least 2 points a side, got {size}")
    xmin, xmax, ymin, ymax = extent
    xs, ys = np.meshgrid(np.linspace(xmin, xmax, size), np.linspace(ymax, ymin, size))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    grid.flags.writeable = False
    return grid


def _line_xs(extent: Extent, size: int) -> np.ndarray:
    """size samples from xmin to xmax: (size,) float32."""
    return np.linspace(extent[0], extent[1], size, dtype=np.float32)


def net_inputs(data: Dataset, points: np.ndarray) -> np.ndarray:
    """Raw points as the net sees them: (N, 2) -> (N, F) features for 2D sets; (N, 1) x for regress1d."""
    if data.kind == "regress1d":
        return np.asarray(points, dtype=np.float32)
    if data.kind not in PLANE_KINDS:
        raise ValueError(f"dataset: {data.name} is {data.kind}, not a 2D or 1D set")
    return apply_features(points, data.features)


def _sample_inputs(data: Dataset, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Net inputs over the grid and the grid's (rows, columns): (size, size) for 2D, (1, size) for 1D."""
    xmin, xmax, ymin, ymax = (float(bound) for bound in data.extent)
    extent = (xmin, xmax, ymin, ymax)
    if data.kind == "regress1d":
        return _line_xs(extent, size)[:, None], (1, size)
    return net_inputs(data, plane_grid(extent, size)), (size, size)


def _as_grids(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Per-point outputs (N, ...) with N = rows * columns -> one grid per unit: (K, rows, columns)."""
    return np.ascontiguousarray(values.reshape(values.shape[0], -1).T, dtype=np.float32).reshape(-1, *shape)


def boundary(net: Net, data: Dataset, size: int) -> np.ndarray:
    """The net's output over the data's extent.

    classify2d: class probabilities (C, size, size) float32 (an svm's scores go through a softmax so
    the page always gets a distribution; the argmax is unchanged). regress2d: the predicted values
    (K, size, size), K = 1 for the bundled sets. regress1d: the curve (2, size), rows x and predicted y.
    """
    inputs, shape = _sample_inputs(data, size)
    outputs = net.forward(inputs)
    if data.kind == "regress1d":
        return np.stack([inputs[:, 0], outputs[:, 0]]).astype(np.float32)
    if net.loss_type == "svm":
        outputs = softmax(outputs)
    return _as_grids(outputs, shape)


def _neuron_count(layers: Sequence[Layer], index: int) -> int:
    return math.prod(layers[index].out_shape)


def neuron_layers(layers: Sequence[Layer]) -> list[int]:
    """Indices of the hidden layers whose outputs are drawn as neurons: every activation layer, and
    every fc/conv layer that no activation follows before the next fc/conv (ConvNetJS's linear layer).
    The input (0), the fc feeding the loss layer and the loss layer are not hidden. `layers` may be a
    net's or planned ones (engine.net.plan_layers): only their types and shapes are read."""
    types = [layer.type for layer in layers]
    shown = []
    for index in range(1, len(types) - 2):
        if types[index] in ACTIVATIONS:
            shown.append(index)
        elif types[index] in LINEAR_TYPES:
            following = [t for t in types[index + 1 : -2] if t in (*LINEAR_TYPES, *ACTIVATIONS)]
            if not following or following[0] in LINEAR_TYPES:
                shown.append(index)
    return shown


def neuron_grids(net: Net, data: Dataset, size: int, max_neurons: int = 64) -> list[dict[str, Any]]:
    """Every input feature and hidden neuron over a size x size grid, from one forward pass.

    Returns ``[{"layer": 0, "type": "input", "values": (F, size, size)}, {"layer": i, "type": ...,
    "values": (K, size, size)}, ...]`` (rows of (K, 1, size) for regress1d), float32; [] when the hidden
    layers hold more than `max_neurons` neurons together (too many thumbnails to be useful).
    """
    layers = neuron_layers(net.layers)
    if sum(_neuron_count(net.layers, index) for index in layers) > max_neurons:
        return []
    inputs, shape = _sample_inputs(data, size)
    outputs = net.activations(inputs)
    return [
        {"layer": index, "type": net.layers[index].type, "values": _as_grids(outputs[index], shape)}
        for index in (0, *layers)
    ]


def check_hidden_view(
    layers: Sequence[Layer], layer: Any, neurons: Any, fields: tuple[str, str] = ("layer", "neurons")
) -> tuple[int, tuple[int, int]]:
    """Validate a hidden-space choice -> (layer, (a, b)) to draw.

    `layer` must be one of `neuron_layers`, `neurons` two indices into its neurons. A one-neuron layer
    is drawn against itself (the diagonal): indices 0 and 1 are accepted and both mean neuron 0, so the
    default (0, 1) works on every layer. SpecError names `fields[0]` or `fields[1]`.
    """
    layer_field, neurons_field = fields
    last = len(layers) - 1
    if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer <= last:
        raise SpecError(f"{layer_field}: must be a layer index in 0..{last}, got {layer!r}", (layer_field,))
    hidden = neuron_layers(layers)
    if layer not in hidden:
        listed = ", ".join(map(str, hidden)) or "none"
        what = f"layer {layer} ({layers[layer].type})"
        raise SpecError(f"{layer_field}: {what} is not a hidden layer (hidden: {listed})", (layer_field,))
    if not isinstance(neurons, list | tuple) or len(neurons) != 2:
        raise SpecError(f"{neurons_field}: must be two neuron indices, got {neurons!r}", (neurons_field,))
    count = _neuron_count(layers, layer)
    limit = max(count, 2)
    for position, neuron in enumerate(neurons):
        if isinstance(neuron, bool) or not isinstance(neuron, int) or not 0 <= neuron < limit:
            expected = f"neuron indices in 0..{limit - 1} for layer {layer}"
            raise SpecError(f"{neurons_field}: must be {expected}, got {neuron!r}", (neurons_field, position))
    return layer, ((neurons[0], neurons[1]) if count > 1 else (0, 0))


def default_hidden_view(layers: Sequence[Layer]) -> tuple[int, tuple[int, int]] | None:
    """ConvNetJS's default hidden space: the last hidden layer with at least 2 neurons, neurons (0, 1);
    else the last hidden layer, drawn against itself; None for a net without hidden layers."""
    hidden = neuron_layers(layers)
    wide = [index for index in hidden if _neuron_count(layers, index) >= 2]
    if wide:
        return wide[-1], (0, 1)
    return (hidden[-1], (0, 0)) if hidden else None


def _mesh_points(extent: Extent, lines: int, points_per_line: int) -> np.ndarray:
    """`lines` horizontal lines (bottom to top) then `lines` vertical lines (left to right) over the
    extent, each sampled left to right or bottom to top: (2 * lines, points_per_line, 2) float32."""
    xmin, xmax, ymin, ymax = extent
    along = np.linspace(0.0, 1.0, points_per_line)
    across = np.linspace(0.0, 1.0, lines)
    along_grid, across_grid = np.meshgrid(along, across)
    horizontal = np.stack([xmin + along_grid * (xmax - xmin), ymin + across_grid * (ymax - ymin)], axis=-1)
    vertical = np.stack([xmin + across_grid * (xmax - xmin), ymin + along_grid * (ymax - ymin)], axis=-1)
    return np.concatenate([horizontal, vertical]).astype(np.float32)


def hidden_space(
    net: Net, data: Dataset, layer: int, neurons: tuple[int, int], lines: int = 11, points_per_line: int = 50
) -> dict[str, Any]:
    """ConvNetJS classify2d's hidden-space view: the input plane's mesh and the training points mapped
    through the net to `layer`, keeping neurons (a, b) as the (x, y) coordinates.

    Returns ``{"layer", "neurons": [a, b], "mesh": (2 * lines, points_per_line, 2) float32 (the first
    `lines` rows are the horizontal lines, bottom to top, then the vertical ones, left to right),
    "points": (N, 2) float32, "labels": (N,) int32}``. classify2d only; the layer and neurons are
    checked as in `check_hidden_view`.
    """
    if data.kind != "classify2d":
        raise ValueError(f"dataset: the hidden space is drawn for classify2d sets, not {data.kind}")
    layer, (a, b) = check_hidden_view(net.layers, layer, neurons)
    mesh = _mesh_points(data.extent, lines, points_per_line).reshape(-1, 2)
    points = np.concatenate([mesh, data.points_train.astype(np.float32)])
    hidden = net.layer_output(net_inputs(data, points), layer).reshape(len(points), -1)[:, [a, b]]
    return {
        "layer": layer,
        "neurons": [a, b],
        "mesh": hidden[: len(mesh)].reshape(2 * lines, points_per_line, 2).astype(np.float32),
        "points": hidden[len(mesh) :].astype(np.float32),
        "labels": data.y_train.astype(np.int32),
    }
