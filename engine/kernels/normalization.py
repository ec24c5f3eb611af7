"""Batch normalisation over the batch (and, for images, over positions): one mean per channel."""

from __future__ import annotations

import numpy as np


def _axes(x: np.ndarray) -> tuple[int, ...]:
    return (0,) if x.ndim == 2 else (0, 2, 3)


def _per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    return v if ndim == 2 else v[None, :, None, None]


def batchnorm_forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Normalise with the batch's own statistics (training mode).

    x: (N, C) or (N, C, H, W), gamma, beta: (C,) -> out: like x; cache (x_hat, inv_std, mean, var)
    with mean, var: (C,)
    """
    axes = _axes(x)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    inv_std = 1.0 / np.sqrt(var + x.dtype.type(eps))
    x_hat = (x - _per_channel(mean, x.ndim)) * _per_channel(inv_std, x.ndim)
    out = x_hat * _per_channel(gamma, x.ndim) + _per_channel(beta, x.ndim)
    return out, (x_hat, inv_std, mean, var)


def batchnorm_inference(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray, eps: float
) -> np.ndarray:
    """Normalise with stored running statistics. x: (N, C) or (N, C, H, W) -> out: like x"""
    scale = gamma / np.sqrt(var + x.dtype.type(eps))
    shift = beta - mean * scale
    return x * _per_channel(scale, x.ndim) + _per_channel(shift, x.ndim)


def batchnorm_backward(
    dout: np.ndarray, gamma: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of `batchnorm_forward`. dout, x_hat: like x -> dx: like x, dgamma, dbeta: (C,)"""
    axes = _axes(dout)
    count = dout.size // dout.shape[1]
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    scale = _per_channel(gamma * inv_std / count, dout.ndim)
    dx = scale * (count * dout - _per_channel(dbeta, dout.ndim) - x_hat * _per_channel(dgamma, dout.ndim))
    return dx, dgamma, dbeta
