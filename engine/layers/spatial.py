"""Convolution and pooling layers: shape inference, the checks that reject impossible geometry before
training, and the calls into the NCHW kernels."""

from __future__ import annotations

import numpy as np

from engine.definitions import LayerDef
from engine.errors import SpecError
from engine.kernels.spatial import (
    avg_pool_backward,
    avg_pool_forward,
    conv_backward,
    conv_forward,
    max_pool_backward,
    max_pool_forward,
    output_size,
)
from engine.layers.base import Layer, Shape, WeightedLayer, as_batch, as_images


class _Windowed:
    """Geometry shared by conv and pool: window sy x sx, stride, pad."""

    definition: LayerDef
    in_shape: Shape
    type: str

    def geometry_error(self, reason: str) -> SpecError:
        """An error naming the layer with its geometry: ``layer 4 (pool sx=3 stride=3): ...``."""
        d = self.definition
        size = f"sx={d['sx']}" if d["sx"] == d["sy"] else f"sx={d['sx']} sy={d['sy']}"
        pad = f" pad={d['pad']}" if d["pad"] else ""
        return SpecError(
            f"layer {d['source']} ({self.type} {size} stride={d['stride']}{pad}): {reason}",
            ("layers", d["source"]),
        )

    def spatial_out(self) -> tuple[int, int]:
        """Output (sy, sx), floored as ConvNetJS (and PyTorch) do: ``(in + 2 pad - window) // stride
        + 1``; input rows and columns past the last whole window are left out. Refuses a window that
        produces no output, and for pooling a pad as large as the window (a window of padding alone)."""
        d = self.definition
        _, in_y, in_x = self.in_shape
        pad, stride = d["pad"], d["stride"]
        if d["sy"] > in_y + 2 * pad or d["sx"] > in_x + 2 * pad:
            padded = f"{in_x + 2 * pad}x{in_y + 2 * pad}"
            raise self.geometry_error(f"window {d['sx']}x{d['sy']} is larger than the padded input {padded}")
        if self.type == "pool" and (pad >= d["sx"] or pad >= d["sy"]):
            raise self.geometry_error(f"pad {pad} must be smaller than the window")
        return output_size(in_y, d["sy"], stride, pad), output_size(in_x, d["sx"], stride, pad)


class Convolution(_Windowed, WeightedLayer):
    """`filters` filters of sy x sx x depth slid with `stride` over the zero-padded input."""

    type = "conv"

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        super().__init__(definition, in_shape)
        out_y, out_x = self.spatial_out()
        self.fan_in = definition["sx"] * definition["sy"] * in_shape[0]
        self.out_shape = (definition["filters"], out_y, out_x)

    def weight_shape(self) -> tuple[int, ...]:
        d = self.definition
        return (d["filters"], self.in_shape[0], d["sy"], d["sx"])

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        images = as_images(x, self.in_shape)
        d = self.definition
        out, self.cols = conv_forward(images, self.params["w"], self.params["b"], d["stride"], d["pad"])
        self.x_shape = images.shape
        return as_batch(out, self.out_shape)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        d = self.definition
        dx, dw, db = conv_backward(
            as_images(dout, self.out_shape),
            self.cols,
            self.params["w"],
            self.x_shape,
            d["stride"],
            d["pad"],
            self.need_dx,
        )
        self.grads["w"][...] = dw
        self.grads["b"][...] = db
        return None if dx is None else as_batch(dx, self.in_shape)


class Pooling(_Windowed, Layer):
    """Max (default) or average over sy x sx windows of each channel."""

    type = "pool"

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        super().__init__(definition, in_shape)
        out_y, out_x = self.spatial_out()
        self.out_shape = (in_shape[0], out_y, out_x)

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        images = as_images(x, self.in_shape)
        d = self.definition
        self.x_shape = images.shape
        if d["kind"] == "max":
            out, self.padded = max_pool_forward(images, d["sy"], d["sx"], d["stride"], d["pad"])
            self.out = out
        else:
            out = avg_pool_forward(images, d["sy"], d["sx"], d["stride"], d["pad"])
        return as_batch(out, self.out_shape)

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        if not self.need_dx:
            return None
        d = self.definition
        dout = as_images(dout, self.out_shape)
        window = (self.x_shape, d["sy"], d["sx"], d["stride"], d["pad"])
        if d["kind"] == "max":
            dx = max_pool_backward(dout, self.out, self.padded, *window)
        else:
            dx = avg_pool_backward(dout, *window)
        return as_batch(dx, self.in_shape)
