"""Adam with bias-corrected moment estimates."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from engine.optim.base import POSITIVE_EPS, Hyper, Optimizer


class Adam(Optimizer):
    """m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    w <- w - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps).

    Kingma and Ba, "Adam: a method for stochastic optimization", ICLR 2015. (ConvNetJS multiplies by
    the correction terms instead of dividing; this follows the paper.)
    """

    method = "adam"
    HYPER: ClassVar[dict[str, Hyper]] = {
        "beta1": Hyper(0.9, high=1.0, open_high=True),
        "beta2": Hyper(0.999, high=1.0, open_high=True),
        "eps": POSITIVE_EPS,
    }

    def set(self, **changes: Any) -> None:
        super().set(**changes)
        dtype = self.flat.values.dtype
        # (1 - beta) as 0-d arrays of the values' dtype: NumPy converts a Python float at every call.
        self._keep_first = np.array(1.0 - self.hyper["beta1"], dtype)
        self._keep_second = np.array(1.0 - self.hyper["beta2"], dtype)

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        first, second, work = self.buffer("first_moment"), self.buffer("second_moment"), self.work
        # In place through `work`, in as few calls as the algebra allows: a temporary per operation
        # costs more than the arithmetic on a big net (the autoencoder's 80k weights: 1.1 ms a step
        # with temporaries), and each call costs more than the arithmetic on a playground net.
        np.subtract(grads, first, work)  # m += (1 - b1) (g - m)
        work *= self._keep_first
        first += work
        np.multiply(grads, grads, work)  # v += (1 - b2) (g^2 - v)
        work -= second
        work *= self._keep_second
        second += work
        # w -= lr / c1 * m / (sqrt(v) / c2 + eps), with c1 = 1 - b1^t and c2 = sqrt(1 - b2^t), as
        # w -= (lr c2 / c1) * m / (sqrt(v) + eps c2)
        correction = math.sqrt(1.0 - self.hyper["beta2"] ** self.steps)
        step_size = self.hyper["learning_rate"] * correction / (1.0 - self.hyper["beta1"] ** self.steps)
        np.sqrt(second, work)
        np.add(work, self.hyper["eps"] * correction, work)
        np.divide(first, work, work)
        np.multiply(work, step_size, work)
        np.subtract(values, work, values)
