"""All of a net's trainable values and gradients as views into one flat buffer each, so an optimizer
step is a handful of NumPy calls for the whole net however many layers it has."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.layers import Layer


@dataclass(frozen=True)
class FlatParameters:
    """values, grads: (P,) the live buffers; l1_mul, l2_mul: (P,) per-value weight-decay multipliers."""

    values: np.ndarray
    grads: np.ndarray
    l1_mul: np.ndarray
    l2_mul: np.ndarray

    @property
    def size(self) -> int:
        """P, the number of trainable values."""
        return int(self.values.size)


def bind_parameters(layers: list[Layer], rng: np.random.Generator, dtype: np.dtype) -> FlatParameters:
    """Initialise every layer's parameters in order and make ``layer.params``/``layer.grads`` views of
    one flat value buffer and one flat gradient buffer."""
    shapes = [(layer, name, shape) for layer in layers for name, shape in layer.param_shapes().items()]
    total = sum(int(np.prod(shape)) for _, _, shape in shapes)
    flat = FlatParameters(
        np.empty(total, dtype), np.zeros(total, dtype), np.zeros(total, dtype), np.zeros(total, dtype)
    )
    offset = 0
    for layer in layers:
        initial = layer.initial_params(rng)
        multipliers = layer.decay_multipliers()
        for name, shape in layer.param_shapes().items():
            size = int(np.prod(shape))
            span = slice(offset, offset + size)
            flat.values[span] = initial[name].ravel()
            flat.l1_mul[span], flat.l2_mul[span] = multipliers[name]
            layer.params[name] = flat.values[span].reshape(shape)
            layer.grads[name] = flat.grads[span].reshape(shape)
            offset += size
        layer.buffers = {name: value.astype(dtype) for name, value in layer.buffers.items()}
    return flat


def weights_with_bias(flat: FlatParameters, layer: Layer) -> tuple[np.ndarray, np.ndarray]:
    """A weighted layer's ``w`` (D, M) and ``b`` (M,) as one (D + 1, M) matrix ``[w; b]``, for the
    values and for the gradients: views of the flat buffers, where `bind_parameters` puts b right
    after w."""
    w, b = layer.params["w"], layer.params["b"]
    rows, columns = w.shape[0] + 1, w.shape[1]
    start = (w.ctypes.data - flat.values.ctypes.data) // flat.values.itemsize
    span = slice(start, start + rows * columns)
    values, grads = flat.values[span].reshape(rows, columns), flat.grads[span].reshape(rows, columns)
    if values[-1].ctypes.data != b.ctypes.data or w.shape[1] != b.shape[0]:
        raise ValueError(f"{layer.label}: b does not follow w in the flat buffer")
    return values, grads
