"""Loss layers as ConvNetJS defines them, averaged over the batch."""

from __future__ import annotations

import numpy as np


def softmax(scores: np.ndarray) -> np.ndarray:
    """Class probabilities. scores: (N, K) -> probs: (N, K)"""
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs


def softmax_loss(probs: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax outputs and its gradient with respect to the scores.

    probs: (N, K), y: (N,) int -> loss, dscores: (N, K)
    """
    n = probs.shape[0]
    rows = np.arange(n)
    picked = probs[rows, y]
    tiny = np.finfo(probs.dtype).tiny
    loss = -float(np.log(np.maximum(picked, tiny)).mean())
    dscores = probs.copy()
    dscores[rows, y] -= 1
    dscores *= probs.dtype.type(1.0 / n)
    return loss, dscores


def svm_loss(scores: np.ndarray, y: np.ndarray, margin: float = 1.0) -> tuple[float, np.ndarray]:
    """Mean multiclass hinge loss sum_{j != y} max(0, s_j - s_y + margin) and its gradient.

    scores: (N, K), y: (N,) int -> loss, dscores: (N, K)
    """
    n = scores.shape[0]
    rows = np.arange(n)
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
