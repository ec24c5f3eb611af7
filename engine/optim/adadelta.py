"""Adadelta: step sizes from the ratio of running RMS of updates and of gradients; no learning rate."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.optim.base import POSITIVE_EPS, Hyper, Optimizer


class Adadelta(Optimizer):
    """s <- ro * s + (1 - ro) * g^2;  d <- -sqrt((u + eps) / (s + eps)) * g;  u <- ro * u + (1 - ro) * d^2;
    w <- w + d.  ``learning_rate`` is accepted and ignored, as in ConvNetJS.

    Zeiler, "ADADELTA: an adaptive learning rate method", arXiv:1212.5701, 2012.
    """

    method = "adadelta"
    HYPER: ClassVar[dict[str, Hyper]] = {"ro": Hyper(0.95, high=1.0, open_high=True), "eps": POSITIVE_EPS}
    IGNORED: ClassVar[frozenset[str]] = frozenset({"learning_rate"})

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        ro, eps = self.hyper["ro"], self.hyper["eps"]
        squares, updates = self.buffer("mean_squares"), self.buffer("mean_updates")
        squares *= ro
        squares += (1.0 - ro) * grads * grads
        delta = -np.sqrt((updates + eps) / (squares + eps)) * grads
        updates *= ro
        updates += (1.0 - ro) * delta * delta
        values += delta
