"""Layers that act on each value (or each group of channels) alone: activations, maxout, dropout."""

from __future__ import annotations

import numpy as np

from engine.definitions import LayerDef
from engine.kernels import activations as act
from engine.layers.base import Layer, Shape


class ReLU(Layer):
    """max(x, 0)."""

    type = "relu"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.out = act.relu_forward(x, x if self.may_overwrite_input else None)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        return act.relu_backward(dout, self.out) if self.need_dx else None


class LeakyReLU(Layer):
    """x for x > 0, alpha * x otherwise."""

    type = "leaky_relu"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        out = x if self.may_overwrite_input else None
        self.out = act.leaky_relu_forward(x, self.definition["alpha"], out)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        return act.leaky_relu_backward(dout, self.out, self.definition["alpha"]) if self.need_dx else None


class Sigmoid(Layer):
    """1 / (1 + exp(-x))."""

    type = "sigmoid"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.out = act.sigmoid_forward(x, x if self.may_overwrite_input else None)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        return act.sigmoid_backward(dout, self.out) if self.need_dx else None


class Tanh(Layer):
    """tanh(x)."""

    type = "tanh"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.out = act.tanh_forward(x, x if self.may_overwrite_input else None)
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        return act.tanh_backward(dout, self.out) if self.need_dx else None


class Maxout(Layer):
    """Maximum over consecutive groups of `group_size` channels. As in ConvNetJS, the output has
    depth // group_size channels; channels past the last whole group are left out (zero gradient)."""

    type = "maxout"

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        super().__init__(definition, in_shape)
        depth, sy, sx = in_shape
        group = definition["group_size"]
        if depth < group:
            raise self.fail(f"depth {depth} is smaller than one group of {group}", "group_size")
        self.out_shape = (depth // group, sy, sx)
        self.used = depth // group * group  # input channels in whole groups

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        out, self.winners = act.maxout_forward(x[:, : self.used], self.definition["group_size"])
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        if not self.need_dx:
            return None
        dx = act.maxout_backward(dout, self.winners, self.definition["group_size"])
        if self.used == self.in_shape[0]:
            return dx
        full = np.zeros((dx.shape[0], self.in_shape[0], *dx.shape[2:]), dtype=dx.dtype)
        full[:, : self.used] = dx
        return full


class Dropout(Layer):
    """Drops each value with probability `drop_prob` while training. ``scaling`` "inverted" (netplay's
    own): kept values are scaled by 1 / (1 - drop_prob) while training, the identity at inference.
    "convnetjs": as ConvNetJS computes it (nets imported from it), no scaling while training and
    outputs times `drop_prob` at inference (ConvNetJS's quirk: the expected value wants 1 - drop_prob)."""

    type = "dropout"

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        super().__init__(definition, in_shape)
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        drop_prob = self.definition["drop_prob"]
        convnetjs = self.definition["scaling"] == "convnetjs"
        self.mask = None
        if not training:
            return x * x.dtype.type(drop_prob) if convnetjs else x
        if drop_prob == 0.0:
            return x
        self.mask = act.dropout_mask(x.shape, drop_prob, self.rng, x.dtype, inverted=not convnetjs)
        return x * self.mask

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        if not self.need_dx:
            return None
        return dout if self.mask is None else dout * self.mask

    def inference_backward(self, dout: np.ndarray) -> np.ndarray | None:
        if not self.need_dx:
            return None
        convnetjs = self.definition["scaling"] == "convnetjs"
        return dout * dout.dtype.type(self.definition["drop_prob"]) if convnetjs else dout
