"""RMSProp (ConvNetJS's 'windowgrad'): Adagrad over a decaying window of squared gradients."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.optim.base import POSITIVE_EPS, Hyper, Optimizer


class RMSProp(Optimizer):
    """s <- ro * s + (1 - ro) * g^2;  w <- w - lr * g / sqrt(s + eps).

    Tieleman and Hinton, "Lecture 6.5 - RMSProp", COURSERA: Neural Networks for Machine Learning, 2012.
    """

    method = "rmsprop"
    HYPER: ClassVar[dict[str, Hyper]] = {"ro": Hyper(0.95, high=1.0, open_high=True), "eps": POSITIVE_EPS}

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        ro = self.hyper["ro"]
        squares = self.buffer("mean_squares")
        squares *= ro
        squares += (1.0 - ro) * grads * grads
        values -= self.hyper["learning_rate"] * grads / np.sqrt(squares + self.hyper["eps"])
