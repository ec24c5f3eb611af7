"""Layer classes by ConvNetJS type name, and the factory the net builds them with."""

from __future__ import annotations

import numpy as np

from engine.definitions import LayerDef
from engine.layers.base import Layer, Shape, WeightedLayer, as_batch, as_images, batch_shape
from engine.layers.dense import FullyConnected
from engine.layers.elementwise import Dropout, LeakyReLU, Maxout, ReLU, Sigmoid, Tanh
from engine.layers.losses import SVM, LossLayer, Regression, Softmax
from engine.layers.normalization import BatchNorm
from engine.layers.spatial import Convolution, Pooling


class Input(Layer):
    """The data as given; its shape is the net's input shape."""

    type = "input"

    def __init__(self, definition: LayerDef, in_shape: Shape) -> None:
        super().__init__(definition, in_shape)
        self.out_shape = (definition["out_depth"], definition["out_sy"], definition["out_sx"])

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        return None


LAYER_CLASSES: dict[str, type[Layer]] = {
    cls.type: cls
    for cls in (
        Input,
        FullyConnected,
        Convolution,
        Pooling,
        ReLU,
        LeakyReLU,
        Sigmoid,
        Tanh,
        Maxout,
        Dropout,
        BatchNorm,
        Softmax,
        SVM,
        Regression,
    )
}


def build_layer(definition: LayerDef, in_shape: Shape) -> Layer:
    """Instantiate a desugared definition on an input of `in_shape` (raises SpecError if it cannot work)."""
    return LAYER_CLASSES[definition["type"]](definition, in_shape)


__all__ = [
    "LAYER_CLASSES",
    "Layer",
    "LossLayer",
    "Shape",
    "WeightedLayer",
    "as_batch",
    "as_images",
    "batch_shape",
    "build_layer",
]
