"""Fully connected layer kernels."""

from __future__ import annotations

import numpy as np

# A bias broadcast over short rows runs one small inner loop per row. Viewing a block of rows as one
# row of at least this many values, against the bias tiled as often, gives NumPy long loops instead
# (10,000 x 16 float32: 60 us -> 25 us); below TILED_BIAS_MIN_SIZE values the tiling costs more.
TILED_BIAS_ROW = 256
TILED_BIAS_MIN_SIZE = 8192


def add_bias(out: np.ndarray, b: np.ndarray) -> np.ndarray:
    """out += b on every row, in place. out: (N, M) C-contiguous, b: (M,) -> out"""
    if out.size < TILED_BIAS_MIN_SIZE:
        out += b
        return out
    n, m = out.shape
    rows_per_block = -(-TILED_BIAS_ROW // m)
    whole = n - n % rows_per_block
    blocks = out[:whole].reshape(-1, rows_per_block * m)
    blocks += np.broadcast_to(b, (rows_per_block, m)).reshape(-1)
    if whole < n:
        out[whole:] += b
    return out


def fc_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Affine map of a batch.

    x: (N, D), w: (D, M), b: (M,) -> out: (N, M)
    """
    return add_bias(x.dot(w), b)


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
    # ndarray.dot: np.matmul and np.dot cost twice as much per call on small batches.
    dw = x.T.dot(dout, dw)
    # The ufunc's own reduce: np.sum's Python wrapper costs more than the sum on small batches.
    db = np.add.reduce(dout, axis=0, out=db)
    dx = dout.dot(w.T) if need_dx else None
    return dx, dw, db
