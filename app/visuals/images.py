"""What the image pages draw (ConvNetJS's MNIST and CIFAR-10 demos): one test image's activations in
every layer and the gradients of its loss, the conv filters, the top predictions for a few test images,
the confusion matrix, and images un-normalised for display. Everything runs the net at inference (no
dropout, running batchnorm statistics) and `Net.inspect` leaves training state alone, so nothing here
changes training.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine import Net
from engine.datasets import Dataset


def layer_gradients(net: Net, image: np.ndarray, label: int) -> dict[str, Any]:
    """One image's pass through the net with the gradients of its loss for `label`.

    image: (1, depth, sy, sx) -> ``{"loss": float, "layers": [{"layer": i, "type", "values": (depth_i,
    sy_i, sx_i) float32 output, "grads": like values, d loss / d output}], "filters": [{"layer": i,
    "values": (F, C, sy, sx) float32 d loss / d filters}] (conv layers in order)}``; fc-like outputs
    (1, K) come as (K, 1, 1).
    """
    inspection = net.inspect(image, np.array([label]))
    layers = [
        {
            "layer": index,
            "type": layer.type,
            "values": np.asarray(output[0], dtype=np.float32).reshape(layer.out_shape),
            "grads": np.asarray(grad[0], dtype=np.float32).reshape(layer.out_shape),
        }
        for index, (layer, output, grad) in enumerate(
            zip(net.layers, inspection.outputs, inspection.output_grads, strict=True)
        )
    ]
    filters = [
        {"layer": index, "values": grads.astype(np.float32)}
        for index, grads in sorted(inspection.filter_grads.items())
    ]
    return {"loss": inspection.loss, "layers": layers, "filters": filters}


def conv_filters(net: Net) -> list[dict[str, Any]]:
    """``[{"layer": i, "values": (F, C, sy, sx) float32}]`` for every conv layer, in order."""
    return [
        {"layer": index, "values": net.conv_filters(index).astype(np.float32, copy=False)}
        for index, layer in enumerate(net.layers)
        if layer.type == "conv"
    ]


def top_predictions(
    net: Net, X: np.ndarray, y: np.ndarray, indices: Sequence[int], k: int = 3
) -> list[dict[str, Any]]:
    """The k most likely classes of the chosen examples, JSON-able.

    X: (N, *input_shape) as the net takes it, y: (N,) labels -> per index ``{"index", "label",
    "top": [[class, probability], ...] (most likely first), "correct": top class == label}``.
    """
    chosen = np.asarray(indices, dtype=np.int64)
    # A diverged net's NaN outputs are shown as 0 rather than breaking the JSON they are sent in.
    probs = np.nan_to_num(net.forward(X[chosen]).astype(np.float64), nan=0.0)
    k = min(k, probs.shape[1])
    top = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    top_probs = np.take_along_axis(probs, top, axis=1)
    labels = np.asarray(y)[chosen]
    return [
        {
            "index": int(index),
            "label": int(label),
            "top": [[int(c), float(p)] for c, p in zip(classes, chances, strict=True)],
            "correct": bool(classes[0] == label),
        }
        for index, label, classes, chances in zip(chosen, labels, top, top_probs, strict=True)
    ]


def confusion_matrix(predicted: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """Counts of (true, predicted) pairs: predicted, y: (N,) ints in 0..C-1 -> (C, C) int64, row = true
    class, column = predicted class."""
    predicted = np.asarray(predicted, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    if predicted.shape != y.shape or predicted.ndim != 1:
        raise ValueError(f"predicted: shape {predicted.shape} does not match labels {y.shape}")
    for name, values in (("predicted", predicted), ("y", y)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name}: classes must be in 0..{num_classes - 1}")
    counts = np.bincount(y * num_classes + predicted, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def display_image(data: Dataset, x: np.ndarray) -> np.ndarray:
    """Images as stored (normalised) -> RGB pixels to show.

    x: (..., depth, sy, sx) float -> (..., sy, sx, 3) uint8. The data set's normalisation is undone and
    pixels clipped to [0, 1]; three channels are RGB, any other depth is shown as its channel mean in
    grey.
    """
    pixels = np.asarray(x, dtype=np.float64)
    if data.norm_mean is not None and data.norm_std is not None:
        mean = np.asarray(data.norm_mean)[:, None, None]
        std = np.asarray(data.norm_std)[:, None, None]
        pixels = pixels * std + mean
    pixels = np.moveaxis(pixels, -3, -1)
    if pixels.shape[-1] != 3:
        pixels = np.repeat(pixels.mean(axis=-1, keepdims=True), 3, axis=-1)
    return np.rint(np.clip(pixels, 0.0, 1.0) * 255.0).astype(np.uint8)
