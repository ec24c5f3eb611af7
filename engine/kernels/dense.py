"""Fully connected layer kernels."""

from __future__ import annotations

import numpy as np


def fc_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Affine map of a batch.

    x: (N, D), w: (D, M), b: (M,) -> out: (N, M)
    """
    out = x @ w
    out += b
    return out


def fc_backward(
    dout: np.ndarray, x: np.ndarray, w: np.ndarray, need_dx: bool = True
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of `fc_forward`.

    dout: (N, M), x: (N, D), w: (D, M) -> dx: (N, D) or None, dw: (D, M), db: (M,)
    """
    dw = x.T @ dout
    db = dout.sum(axis=0)
    dx = dout @ w.T if need_dx else None
    return dx, dw, db
