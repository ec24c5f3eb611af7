"""The interface every layer shares, and the shape conventions.

A shape is ConvNetJS's ``(depth, sy, sx)``. A batch of activations is ``(N, depth)`` when the shape is
1x1xdepth and ``(N, depth, sy, sx)`` otherwise.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from engine.definitions import LayerDef, layer_label
from engine.errors import SpecError

Shape = tuple[int, int, int]


def batch_shape(shape: Shape) -> tuple[int, ...]:
    """Per-example array shape of a layer shape: (depth,) or (depth, sy, sx)."""
    depth, sy, sx = shape
    return (depth,) if sy == sx == 1 else (depth, sy, sx)


def as_images(x: np.ndarray, shape: Shape) -> np.ndarray:
    """View a batch as (N, depth, sy, sx) whatever its stored form."""
    return x if x.ndim == 4 else x.reshape(x.shape[0], *shape)


def as_batch(x: np.ndarray, shape: Shape) -> np.ndarray:
    """View (N, depth, sy, sx) results in the stored form for `shape`."""
    return x.reshape(x.shape[0], *batch_shape(shape))


class Layer:
    """One layer: its output shape, parameters and gradients (same keys), and the cache of its last
    forward pass. `backward` fills ``grads`` in place (they are views into the net's flat buffer) and
    never touches ``params``: only an optimizer's step changes weights."""

    type: ClassVar[str]
    # The net's generator, assigned when the net is built: the only source of randomness a layer
    # (dropout) may draw from, so a seed reproduces a run.
    rng: np.random.Generator

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        self.definition = definition
        self.in_shape = in_shape
        self.out_shape: Shape = in_shape
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.need_dx = True
        # Set by the net when the input is a fresh array no other layer keeps (an fc, conv or
        # batchnorm output): an activation may then work in place and skip a large allocation.
        self.may_overwrite_input = False

    @property
    def label(self) -> str:
        """How errors name this layer: the user's layer index and this layer's type."""
        return layer_label(self.definition.get("source", 0), self.type)

    def fail(self, reason: str, field: str | None = None) -> SpecError:
        """An error about this layer, with the path of the user's field."""
        path: tuple[Any, ...] = ("layers", self.definition.get("source", 0))
        return SpecError(f"{self.label}: {reason}", (*path, field) if field else path)

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Shapes of the trainable arrays, in the order they sit in the flat buffer."""
        return {}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Fresh float64 values for every trainable array."""
        return {}

    def decay_multipliers(self) -> dict[str, tuple[float, float]]:
        """(l1, l2) weight-decay multipliers per trainable array; biases get none, as in ConvNetJS."""
        return {}

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        """x: (N, *batch_shape(in_shape)) -> (N, *batch_shape(out_shape))"""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        """dout: like the output -> dx like the input (None when no earlier layer needs it)."""
        raise NotImplementedError

    def inference_backward(self, dout: np.ndarray) -> np.ndarray | None:
        """`backward` of the last forward pass made at inference (``training=False``): the same for
        layers that compute the same function in both modes. Parameter gradients it leaves in
        ``grads`` are those of the inference function."""
        return self.backward(dout)


class WeightedLayer(Layer):
    """A layer with weights ``w`` and biases ``b`` initialised as ConvNetJS does."""

    fan_in: int

    def weight_shape(self) -> tuple[int, ...]:
        """Shape of ``w``."""
        raise NotImplementedError

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shape = self.weight_shape()
        return {"w": shape, "b": (self.out_shape[0],)}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        # ConvNetJS draws weights from N(0, 1 / fan_in) and fills biases with bias_pref.
        shapes = self.param_shapes()
        weights = rng.standard_normal(shapes["w"]) * np.sqrt(1.0 / self.fan_in)
        return {"w": weights, "b": np.full(shapes["b"], self.definition["bias_pref"])}

    def decay_multipliers(self) -> dict[str, tuple[float, float]]:
        return {"w": (self.definition["l1_decay_mul"], self.definition["l2_decay_mul"]), "b": (0.0, 0.0)}
