"""Batch normalisation: per-channel statistics, running averages kept for inference."""

from __future__ import annotations

import numpy as np

from engine.kernels.normalization import batchnorm_backward, batchnorm_forward, batchnorm_inference
from engine.layers.base import Layer


class BatchNorm(Layer):
    """Normalise each channel over the batch (and positions), then scale by gamma and shift by beta.

    Training uses the batch's statistics and updates ``running_mean``/``running_var`` with
    ``momentum`` (new = momentum * old + (1 - momentum) * batch); inference uses the running values.
    """

    type = "batchnorm"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"gamma": (self.in_shape[0],), "beta": (self.in_shape[0],)}

    def initial_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        channels = self.in_shape[0]
        self.buffers = {"running_mean": np.zeros(channels), "running_var": np.ones(channels)}
        return {"gamma": np.ones(channels), "beta": np.zeros(channels)}

    def decay_multipliers(self) -> dict[str, tuple[float, float]]:
        return {"gamma": (0.0, 0.0), "beta": (0.0, 0.0)}

    def forward(self, x: np.ndarray, training: bool) -> np.ndarray:
        eps = self.definition["eps"]
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not training:
            return batchnorm_inference(
                x, gamma, beta, self.buffers["running_mean"], self.buffers["running_var"], eps
            )
        out, (self.x_hat, self.inv_std, mean, var) = batchnorm_forward(x, gamma, beta, eps)
        momentum = self.definition["momentum"]
        for name, batch_value in (("running_mean", mean), ("running_var", var)):
            running = self.buffers[name]
            running *= momentum
            running += (1.0 - momentum) * batch_value
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        dx, dgamma, dbeta = batchnorm_backward(dout, self.params["gamma"], self.x_hat, self.inv_std)
        self.grads["gamma"][...] = dgamma
        self.grads["beta"][...] = dbeta
        return dx if self.need_dx else None

    def inference_backward(self, dout: np.ndarray) -> np.ndarray | None:
        # At inference each channel is scaled by gamma / sqrt(running_var + eps): no batch statistics
        # to differentiate through. gamma and beta gradients are not computed here.
        if not self.need_dx:
            return None
        scale = self.params["gamma"] / np.sqrt(
            self.buffers["running_var"] + dout.dtype.type(self.definition["eps"])
        )
        return dout * (scale if dout.ndim == 2 else scale[:, None, None])
