"""Adam with bias-corrected moment estimates."""

from __future__ import annotations

from typing import ClassVar

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

    def update(self, values: np.ndarray, grads: np.ndarray) -> None:
        beta1, beta2 = self.hyper["beta1"], self.hyper["beta2"]
        first, second, work = self.buffer("first_moment"), self.buffer("second_moment"), self.work
        # In place through `work`: a temporary per operation costs more than the arithmetic on a
        # big net (the autoencoder's 80k weights: 1.1 ms a step with temporaries).
        first *= beta1
        first += np.multiply(grads, 1.0 - beta1, work)
        second *= beta2
        np.multiply(grads, grads, work)
        second += np.multiply(work, 1.0 - beta2, work)
        step_size = self.hyper["learning_rate"] / (1.0 - beta1**self.steps)
        root_correction = np.sqrt(1.0 - beta2**self.steps)
        denominator = np.sqrt(second, work)
        denominator /= root_correction
        denominator += self.hyper["eps"]
        step = np.divide(first, denominator, work)
        values -= np.multiply(step, step_size, work)
