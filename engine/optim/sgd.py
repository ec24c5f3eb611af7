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
        # Positional out arguments: on tiny nets a keyword costs as much as the arithmetic.
        step = np.multiply(self.scalars["learning_rate"], grads, self.scratch)
        if self.hyper["momentum"] == 0.0:
            np.subtract(values, step, values)
            return
        velocity = self.buffer("velocity")
        np.multiply(velocity, self.scalars["momentum"], velocity)
        np.subtract(velocity, step, velocity)
        np.add(values, velocity, values)
