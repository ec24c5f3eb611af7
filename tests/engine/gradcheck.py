"""Centred-difference gradient checks in float64, after CS231n's ``gradient_check.py``.

Imported by the engine tests as ``from tests.engine.gradcheck import ...`` (the test folders are packages).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine import Net


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Largest |a - n| / (|a| + |n|) over all entries, as CS231n's rel_error, except that the
    denominator never drops below 1e-4 of the largest |a| + |n|: entries thousands of times smaller
    than the rest carry only the round-off of the differences, not information about the gradient."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    size = np.abs(analytic) + np.abs(numeric)
    floor = max(1e-8, 1e-4 * float(size.max(initial=0.0)))
    return float(np.max(np.abs(analytic - numeric) / np.maximum(floor, size), initial=0.0))


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """d f() / d x by centred differences; `x` is perturbed in place and restored. -> like x"""
    grad = np.zeros_like(x, dtype=np.float64)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    assert np.shares_memory(flat_x, x), "x must be contiguous so it can be perturbed in place"
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        plus = f()
        flat_x[i] = old - h
        minus = f()
        flat_x[i] = old
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Gradient of sum(f() * dout) with respect to x: the vector-Jacobian product a backward pass
    computes for upstream gradient `dout`. -> like x"""
    return numerical_gradient(lambda: float(np.sum(f() * dout)), x, h)


def assert_gradients_close(analytic: np.ndarray, numeric: np.ndarray, tolerance: float = 1e-6) -> None:
    """Shapes equal and relative error below `tolerance` (entries both ~0 are compared absolutely)."""
    assert analytic.shape == numeric.shape
    error = relative_error(analytic, numeric)
    assert error < tolerance, f"relative error {error:.3g} >= {tolerance:g}"


def net_loss(net: Net, x: np.ndarray, y: np.ndarray, dropout_seed: int = 1234) -> float:
    """The training-mode data loss with every dropout layer drawing the same mask on each call, so the
    loss is a deterministic function of the weights (compute_gradients, then the grads are kept)."""
    for layer in net.layers:
        if layer.type == "dropout":
            layer.rng = np.random.default_rng(dropout_seed)
    return net.compute_gradients(x, y)


def check_net_gradients(
    net: Net, x: np.ndarray, y: np.ndarray, tolerance: float = 1e-6, h: float = 1e-5
) -> float:
    """Compare `compute_gradients`'s flat gradient with centred differences of the loss over every
    value in ``net.flat.values``; returns the relative error."""
    assert net.dtype == np.float64
    net_loss(net, x, y)
    analytic = net.flat.grads.copy()
    numeric = numerical_gradient(lambda: net_loss(net, x, y), net.flat.values, h)
    assert np.any(analytic != 0), "a check with all-zero gradients proves nothing"
    assert_gradients_close(analytic, numeric, tolerance)
    return relative_error(analytic, numeric)


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], gap: float = 0.05) -> np.ndarray:
    """Normal values with |v| >= gap, so a small perturbation never crosses a relu kink."""
    values = rng.standard_normal(shape)
    return np.sign(values) * (np.abs(values) + gap)


def distinct_values(rng: np.random.Generator, shape: tuple[int, ...], spacing: float = 0.01) -> np.ndarray:
    """A shuffled grid of values at least `spacing` apart, so a max over any window never ties."""
    size = int(np.prod(shape))
    return (rng.permutation(size) - size / 2).reshape(shape) * spacing
