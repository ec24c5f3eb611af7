"""Seeded train/validation/test splits, stratified by class for classification sets.

Each class (or the whole set, for regression) gives ``floor(n * test_fraction)`` examples to the test
split and ``floor(n * val_fraction)`` to validation; the rest train. Flooring keeps at least one
training example of every class as long as the two fractions add up to less than 1, which the catalogue
enforces (at most 0.9).
"""

from __future__ import annotations

import numpy as np

SplitIndices = tuple[np.ndarray, np.ndarray, np.ndarray]


def _cut(indices: np.ndarray, test_fraction: float, val_fraction: float) -> SplitIndices:
    n = indices.shape[0]
    n_test = int(np.floor(n * test_fraction))
    n_val = int(np.floor(n * val_fraction))
    return indices[n_test + n_val :], indices[n_test : n_test + n_val], indices[:n_test]


def split_indices(
    n_samples: int,
    *,
    test_fraction: float,
    val_fraction: float,
    rng: np.random.Generator,
    labels: np.ndarray | None = None,
) -> SplitIndices:
    """Disjoint index arrays (train, val, test) covering range(n_samples), each in random order.

    labels: (n_samples,) int class indices to stratify by, or None for a plain random split.
    Returns three int64 arrays.
    """
    if labels is None:
        return _cut(rng.permutation(n_samples), test_fraction, val_fraction)
    parts: list[SplitIndices] = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        parts.append(_cut(rng.permutation(members), test_fraction, val_fraction))
    train, val, test = (np.concatenate([part[i] for part in parts]) for i in range(3))
    # Class by class concatenation would hand the batch iterator sorted data before its first shuffle.
    return rng.permutation(train), rng.permutation(val), rng.permutation(test)
