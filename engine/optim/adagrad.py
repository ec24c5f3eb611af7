"""Adagrad: per-value learning rates shrinking with the sum of squared gradients."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.optim.base import POSITIVE_EPS, Hyper, Optimizer


class Adagrad(Optimizer):
    """s <- s + g^2;  w <- w - lr * g / sqrt(s + eps)  (eps inside the root, as ConvNetJS).

    Duchi, Hazan and Singer, "Adaptive subgradient methods for online learning and stochastic
    optimization", JMLR 2011.
    """

    method = "adagrad"
    HYPER: ClassVar[dict[str, Hyper]] = {"eps": POSITIVE_EPS}

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        squares = self.buffer("sum_squares")
        squares += grads * grads
        values -= self.hyper["learning_rate"] * grads / np.sqrt(squares + self.hyper["eps"])
