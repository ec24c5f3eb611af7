"""Loss layers: the net's output and the loss a batch of targets gives."""

from __future__ import annotations

import numpy as np

from engine.kernels.losses import regression_loss, softmax, softmax_loss, svm_loss
from engine.layers.base import Layer


class LossLayer(Layer):
    """The last layer. `loss` uses the cached output of the last forward pass."""

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.out = x
        return x

    def loss(self, targets: np.ndarray) -> tuple[float, np.ndarray]:
        """targets: (N,) int labels or (N, K) values -> mean loss, d loss / d input: (N, K)"""
        raise NotImplementedError


class Softmax(LossLayer):
    """Class probabilities with cross-entropy loss."""

    type = "softmax"

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        self.out = softmax(x, x if self.may_overwrite_input else None)
        return self.out

    def loss(self, targets: np.ndarray) -> tuple[float, np.ndarray]:
        return softmax_loss(self.out, targets)


class SVM(LossLayer):
    """Raw class scores with the multiclass hinge loss (margin 1)."""

    type = "svm"

    def loss(self, targets: np.ndarray) -> tuple[float, np.ndarray]:
        return svm_loss(self.out, targets)


class Regression(LossLayer):
    """Real-valued outputs with half squared error."""

    type = "regression"

    def loss(self, targets: np.ndarray) -> tuple[float, np.ndarray]:
        return regression_loss(self.out, targets)
