"""What the autoencoder page draws (ConvNetJS's autoencoder demo): the code every eval image gets at
the net's bottleneck, and a few reconstructions beside their originals. Everything runs the net at
inference, so nothing here changes training.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from app.visuals.images import display_image
from engine import Net
from engine.datasets import Dataset
from engine.evaluation import EVAL_BATCH
from engine.layers import Layer

MAX_CODES = 2000  # points in one code scatter: a plot shows no more, and the frame stays small


def bottleneck(layers: Sequence[Layer]) -> int:
    """Index of the narrowest hidden layer (the code). Among equally narrow neighbours the last one,
    so ``fc 2`` followed by its ``tanh`` shows the activated code."""
    hidden = range(1, len(layers) - 1)
    if not hidden:
        return 0
    sizes = [int(np.prod(layers[index].out_shape)) for index in hidden]
    index = 1 + sizes.index(min(sizes))
    while index + 1 < len(layers) - 1 and int(np.prod(layers[index + 1].out_shape)) == min(sizes):
        index += 1
    return index


def codes(net: Net, X: np.ndarray, layer: int) -> np.ndarray:
    """The first two outputs of `layer` for the first `MAX_CODES` images of X (N, depth, sy, sx):
    (min(N, MAX_CODES), min(2, width)) float32."""
    shown = X[:MAX_CODES]
    parts = [
        net.layer_output(batch, layer).reshape(len(batch), -1)
        for batch in (shown[start : start + EVAL_BATCH] for start in range(0, len(shown), EVAL_BATCH))
    ]
    values = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
    # A diverged net's NaN codes are drawn at 0 rather than breaking the plot's range.
    return np.nan_to_num(values[:, :2].astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)


def reconstructions(net: Net, data: Dataset, X: np.ndarray) -> np.ndarray:
    """The net's outputs for images X (P, depth, sy, sx), reshaped to images and shown as RGB pixels
    (P, sy, sx, 3) uint8 (normalisation undone, clipped to [0, 1], as `display_image` does)."""
    out = net.forward(X).astype(np.float64).reshape(X.shape)
    return display_image(data, np.nan_to_num(out, nan=0.0))
