"""Stochastic gradient descent with (heavy-ball) momentum, as ConvNetJS's 'sgd'."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.optim.base import Hyper, Optimizer


class SGD(Optimizer):
    """v <- momentum * v - lr * g;  w <- w + v  (plain w <- w - lr * g when momentum is 0).

    Polyak, "Some methods of speeding up the convergence of iteration methods", 1964.
    """

    method = "sgd"
    HYPER: ClassVar[dict[str, Hyper]] = {"momentum": Hyper(0.9, high=1.0, open_high=True)}

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        learning_rate = self.scalars["learning_rate"]
        if self.hyper["momentum"] == 0.0:
            values -= learning_rate * grads
            return
        velocity = self.buffer("velocity")
        velocity *= self.scalars["momentum"]
        velocity -= learning_rate * grads
        values += velocity
