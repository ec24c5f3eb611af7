"""Mini-batches that reshuffle every epoch, gathering only the rows of each batch.

The epoch's order is one index permutation; a step copies ``batch_size`` rows (``X[idx]``), never the
whole set. Image batches go through the dataset's augmentation (random crop, flip) as they are cut.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from engine.datasets.dataset import Dataset
from engine.datasets.preprocess import Augmentation, augment
from engine.errors import SpecError

Batch = tuple[np.ndarray, np.ndarray]


class BatchIterator:
    """Endless (X_batch, y_batch) pairs over X, y in a fresh random order every epoch.

    X: (N, ...), y: (N, ...). The last batch of an epoch may be smaller (every example is seen exactly
    once per epoch). ``epoch`` counts completed epochs, ``step`` batches handed out.
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        *,
        rng: np.random.Generator,
        shuffle: bool = True,
        augmentation: Augmentation | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise SpecError(f"batch_size: must be an integer >= 1, got {batch_size!r}", ("batch_size",))
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
        if X.shape[0] == 0:
            raise ValueError("cannot iterate over an empty set")
        self.X, self.y = X, y
        self.batch_size = batch_size
        self.rng = rng
        self.shuffle = shuffle
        self.augmentation = augmentation or Augmentation()
        self.epoch = 0
        self.step = 0
        self._order = self._new_order()
        self._position = 0

    def _new_order(self) -> np.ndarray:
        n = self.X.shape[0]
        return self.rng.permutation(n) if self.shuffle else np.arange(n)

    def __iter__(self) -> Iterator[Batch]:
        return self

    def _roll_over(self) -> None:
        if self._position >= self._order.shape[0]:
            self.epoch += 1
            self._order = self._new_order()
            self._position = 0

    def __next__(self) -> Batch:
        self._roll_over()
        idx = self._order[self._position : self._position + self.batch_size]
        self._position += idx.shape[0]
        self.step += 1
        X_batch = self.X[idx]
        if self.augmentation.active:
            X_batch = augment(X_batch, self.augmentation, self.rng)
        return X_batch, self.y[idx]

    @property
    def batches_per_epoch(self) -> int:
        """How many steps one epoch takes."""
        return -(-self.X.shape[0] // self.batch_size)

    def one_epoch(self) -> Iterator[Batch]:
        """The batches left in the current epoch (a whole new one when called at an epoch boundary)."""
        self._roll_over()
        while self._position < self._order.shape[0]:
            yield next(self)


def train_batches(dataset: Dataset, batch_size: int, *, rng: np.random.Generator) -> BatchIterator:
    """Endless shuffled, augmented training batches of `dataset`, of the net's ``input_shape``."""
    return BatchIterator(
        dataset.X_train, dataset.y_train, batch_size, rng=rng, augmentation=dataset.augmentation
    )


def eval_batches(X: np.ndarray, y: np.ndarray, batch_size: int) -> Iterator[Batch]:
    """One pass over X, y in order, in slices of `batch_size` (views, no copies): for evaluation."""
    for start in range(0, X.shape[0], batch_size):
        yield X[start : start + batch_size], y[start : start + batch_size]
