"""The fully connected layer."""

from __future__ import annotations

import numpy as np

from engine.definitions import LayerDef
from engine.kernels.dense import fc_backward, fc_forward
from engine.layers.base import Shape, WeightedLayer, batch_shape


class FullyConnected(WeightedLayer):
    """Every output neuron sees every input value. w: (D, M) so a batch maps as x @ w."""

    type = "fc"

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        super().__init__(definition, in_shape)
        self.fan_in = in_shape[0] * in_shape[1] * in_shape[2]
        self.out_shape = (definition["num_neurons"], 1, 1)

    def weight_shape(self) -> tuple[int, ...]:
        return (self.fan_in, self.out_shape[0])

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.x = x if x.ndim == 2 else x.reshape(x.shape[0], self.fan_in)
        return fc_forward(self.x, self.params["w"], self.params["b"])

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        grads = self.grads
        dx, _, _ = fc_backward(dout, self.x, self.params["w"], self.need_dx, grads["w"], grads["b"])
        if dx is None or self.in_shape[1] == self.in_shape[2] == 1:
            return dx
        return dx.reshape(dx.shape[0], *batch_shape(self.in_shape))
