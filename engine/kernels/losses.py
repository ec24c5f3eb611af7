"""Loss layers as ConvNetJS defines them, averaged over the batch."""

from __future__ import annotations

import functools

import numpy as np

from engine.kernels.activations import one

# Up to this many classes, rows are reduced by folding over columns: NumPy's reduction along a short
# contiguous axis runs one tiny inner loop per row (500 us for a 10,000-point 2-class grid, against 6).
COLUMN_FOLD_MAX_CLASSES = 64


def row_reduce(x: np.ndarray, ufunc: np.ufunc) -> np.ndarray:
    """`ufunc` (np.maximum or np.add) over each row. x: (N, K) -> (N, 1)"""
    k = x.shape[1]
    if k > COLUMN_FOLD_MAX_CLASSES:
        return ufunc.reduce(x, axis=1, keepdims=True)
    if k == 1:
        return x.copy()
    total = ufunc(x[:, :1], x[:, 1:2])
    for column in range(2, k):
        ufunc(total, x[:, column : column + 1], out=total)
    return total


def softmax(scores: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Class probabilities, into `out` when given (it may be scores). scores: (N, K) -> probs: (N, K)"""
    probs = np.subtract(scores, row_reduce(scores, np.maximum), out=out)
    np.exp(probs, out=probs)
    probs /= row_reduce(probs, np.add)
    return probs


@functools.cache
def _rows(n: int) -> np.ndarray:
    return np.arange(n)


@functools.cache
def _row_starts(n: int, k: int) -> np.ndarray:
    return np.arange(n) * k


# 0-d arrays of the probabilities' dtype: ufuncs take them without a scalar conversion per call.
@functools.cache
def _tiny(dtype: np.dtype) -> np.ndarray:
    return np.array(np.finfo(dtype).tiny, dtype)


@functools.cache
def _inverse(n: int, dtype: np.dtype) -> np.ndarray:
    return np.array(1.0 / n, dtype)


def softmax_loss(probs: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax outputs and its gradient with respect to the scores.

    probs: (N, K), y: (N,) int -> loss, dscores: (N, K)
    """
    n, k = probs.shape
    # Flat indices, take and put: two-axis fancy indexing costs several times more on small batches.
    flat_index = _row_starts(n, k) + y
    dscores = probs.copy()
    picked = dscores.take(flat_index)
    dscores.put(flat_index, np.subtract(picked, one(probs.dtype)))
    dscores *= _inverse(n, probs.dtype)
    # A probability that underflowed to 0 gives a large finite loss, not inf.
    np.maximum(picked, _tiny(probs.dtype), out=picked)
    loss = -float(np.add.reduce(np.log(picked, out=picked))) / n
    return loss, dscores


def svm_loss(scores: np.ndarray, y: np.ndarray, margin: float = 1.0) -> tuple[float, np.ndarray]:
    """Mean multiclass hinge loss sum_{j != y} max(0, s_j - s_y + margin) and its gradient.

    scores: (N, K), y: (N,) int -> loss, dscores: (N, K)
    """
    n = scores.shape[0]
    rows = _rows(n)
    margins = scores - scores[rows, y][:, None] + scores.dtype.type(margin)
    margins[rows, y] = 0
    active = (margins > 0).astype(scores.dtype)
    loss = float(np.maximum(margins, 0).sum() / n)
    active[rows, y] = -active.sum(axis=1)
    active *= scores.dtype.type(1.0 / n)
    return loss, active


def regression_loss(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean over examples of 0.5 * ||pred - target||^2 (ConvNetJS's L2 regression) and its gradient.

    pred: (N, K), target: (N, K) -> loss, dpred: (N, K)
    """
    n = pred.shape[0]
    diff = pred - target
    loss = float(0.5 * np.vdot(diff, diff) / n)
    diff *= pred.dtype.type(1.0 / n)
    return loss, diff
