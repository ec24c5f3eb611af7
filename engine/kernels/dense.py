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
    dout: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    need_dx: bool = True,
    dw: np.ndarray | None = None,
    db: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of `fc_forward`, written into `dw`/`db` when given (tiny nets are bound by the
    number of NumPy calls, and this saves a copy per parameter).

    dout: (N, M), x: (N, D), w: (D, M) -> dx: (N, D) or None, dw: (D, M), db: (M,)
    """
    dw = np.matmul(x.T, dout, out=dw)
    # The ufunc's own reduce: np.sum's Python wrapper costs more than the sum on small batches.
    db = np.add.reduce(dout, axis=0, out=db)
    dx = dout @ w.T if need_dx else None
    return dx, dw, db
