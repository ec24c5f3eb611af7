"""Nesterov's accelerated gradient, in ConvNetJS's formulation."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from engine.optim.base import Hyper, Optimizer


class Nesterov(Optimizer):
    """v' <- momentum * v + lr * g;  w <- w + momentum * v - (1 + momentum) * v'.

    Nesterov, "A method of solving a convex programming problem with convergence rate O(1/k^2)", 1983;
    this form is Sutskever et al., "On the importance of initialization and momentum", ICML 2013.
    """

    method = "nesterov"
    HYPER: ClassVar[dict[str, Hyper]] = {"momentum": Hyper(0.9, high=1.0, open_high=True)}

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        learning_rate, momentum = self.hyper["learning_rate"], self.hyper["momentum"]
        velocity = self.buffer("velocity")
        values += momentum * velocity
        velocity *= momentum
        velocity += learning_rate * grads
        values -= (1.0 + momentum) * velocity
