"""Measuring a net on held-out data, and when to measure it while it trains.

`evaluate` and `evaluate_predictions` are one pass over a split. `HeldOut` decides, for a net being
trained, when the test split is measured again and on which examples, so that the figures a viewer
sees are fresh without measuring eating the training time:

- A measurement is due after ``max(EVAL_MIN_SECONDS, its cost / EVAL_SHARE)`` seconds of training
  (the cost the next one is expected to have, from the cost per example measured so far), so
  measuring takes at most about a tenth of the time however big the split.
- When the whole test split costs so much that this would leave the figures more than
  ``MAX_LAG_SECONDS`` of training behind, each measurement takes the next window of a fixed shuffled
  order of the split instead (a rotating subset, at least ``MIN_SUBSET`` examples), and the whole split
  is measured less often (its cost / ``FULL_SHARE``). Every figure says on how many examples and at which
  step it was measured. However slow the net, a measurement is never more than
  ``MAX_INTERVAL_SECONDS`` of training away.
- The validation split, usually small, is measured with every whole-split pass.

The clock is the run's own training time (seconds spent in training steps), so a job that shares a
worker with others is measured as often per step as one alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from time import perf_counter

import numpy as np

from engine.datasets import Dataset, eval_batches
from engine.net import Net

EVAL_BATCH = 1000
EVAL_SHARE = 0.1
# A tiny net's whole test split costs ~60 us: without a floor it would be measured every 0.6 ms. At
# 5 ms (~200 steps of the playground's rings net) a class sharing a worker still sees fresh figures at
# every progress report, and the rings job's 95% is seen a median 24% sooner than at 20 ms.
EVAL_MIN_SECONDS = 0.005
MAX_LAG_SECONDS = 1.0
MAX_INTERVAL_SECONDS = 2.0  # even when the smallest subset costs more than a tenth of this
FULL_SHARE = 0.05
MIN_SUBSET = 200


def evaluate(net: Net, X: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None]:
    """Mean loss and (for classifiers) accuracy of `net` at inference on X (N, ...), y (N, ...);
    (None, None) for an empty set."""
    loss, accuracy, _ = evaluate_predictions(net, X, y)
    return loss, accuracy


def evaluate_predictions(
    net: Net, X: np.ndarray, y: np.ndarray
) -> tuple[float | None, float | None, np.ndarray | None]:
    """`evaluate` plus the predicted class of every example, (N,) int, from the same forward pass
    (None for regression or an empty set): what a confusion matrix needs."""
    if X.shape[0] == 0:
        return None, None, None
    total_loss = 0.0
    predicted = []
    loss_layer = net.layers[-1]
    for X_batch, y_batch in eval_batches(X, y, EVAL_BATCH):
        out = net.forward(X_batch)
        batch_loss, _ = loss_layer.loss(net.check_targets(y_batch, X_batch.shape[0]))
        total_loss += batch_loss * X_batch.shape[0]
        if net.loss_type != "regression":
            predicted.append(out.argmax(axis=1))
    if net.loss_type == "regression":
        return total_loss / X.shape[0], None, None
    classes = np.concatenate(predicted)
    return total_loss / X.shape[0], float(np.count_nonzero(classes == y) / X.shape[0]), classes


@dataclass(frozen=True)
class Figures:
    """The latest held-out measurements, each with the step it belongs to. ``test_examples`` is how many
    test examples the test figures were measured on (the whole split, or a rotating subset of it)."""

    test_loss: float | None = None
    test_accuracy: float | None = None
    test_step: int | None = None
    test_examples: int = 0
    val_loss: float | None = None
    val_accuracy: float | None = None
    val_step: int | None = None
    full_test_accuracy: float | None = None
    full_test_step: int | None = None

    def as_progress(self) -> dict[str, float | int | None]:
        """The figures a progress report carries."""
        return {
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "test_step": self.test_step,
            "test_examples": self.test_examples,
            "val_accuracy": self.val_accuracy,
            "val_step": self.val_step,
        }


class HeldOut:
    """The test and validation measurements of one training run, and their cadence (module docstring).

    `predictions` (N_test,) int holds the newest predicted class of every test example (-1 until first
    measured), for a confusion matrix; None for regression."""

    def __init__(self, net: Net, data: Dataset, figures: Figures | None = None, seed: int = 0) -> None:
        self.net, self.data = net, data
        self.figures = figures or Figures()
        n_test = data.X_test.shape[0]
        classifier = net.loss_type != "regression" and n_test > 0
        self.predictions: np.ndarray | None = np.full(n_test, -1, np.int64) if classifier else None
        self._order = np.random.default_rng(seed).permutation(n_test)
        self._window = 0  # where the next subset starts in `_order`
        self._seconds_per_example = 0.0  # measured, per test example
        self._last_at = -math.inf  # training time of the last measurement
        self._last_full_at = 0.0
        self._interval = 0.0

    def due(self, train_seconds: float) -> bool:
        """Whether a measurement is due after `train_seconds` of training."""
        return train_seconds - self._last_at >= self._interval

    @property
    def whole_split(self) -> bool:
        """Whether the latest test figures cover the whole test split."""
        return self.figures.test_examples >= self.data.X_test.shape[0]

    def measure(self, step: int, train_seconds: float, *, full: bool = False) -> Figures:
        """Measure now: the whole test split when asked, due or cheap enough, else the next rotating
        subset. Returns (and keeps) the new figures."""
        n_test = self.data.X_test.shape[0]
        subset = self._subset_size(n_test)
        whole = full or subset >= n_test or self._full_due(train_seconds, n_test)
        started = perf_counter()
        if whole:
            self._measure_whole(step)
        else:
            self._measure_subset(step, subset)
        took = perf_counter() - started
        examples = n_test if whole else subset
        if examples:
            self._seconds_per_example = took / examples
        self._last_at = train_seconds
        if whole:
            self._last_full_at = train_seconds
        # Paced by what the next measurement will cost (a subset, when the whole split is dear), not
        # by this one: a first pass slowed by cold caches must not leave the figures stale for long.
        upcoming = self._seconds_per_example * self._subset_size(n_test)
        self._interval = max(EVAL_MIN_SECONDS, min(upcoming / EVAL_SHARE, MAX_INTERVAL_SECONDS))
        return self.figures

    def _subset_size(self, n_test: int) -> int:
        """Examples one measurement may take and still keep the figures within `MAX_LAG_SECONDS`."""
        if self._seconds_per_example <= 0:
            return min(n_test, max(MIN_SUBSET, EVAL_BATCH))
        affordable = int(MAX_LAG_SECONDS * EVAL_SHARE / self._seconds_per_example)
        return min(n_test, max(MIN_SUBSET, affordable))

    def _full_due(self, train_seconds: float, n_test: int) -> bool:
        full_cost = self._seconds_per_example * n_test
        return full_cost > 0 and train_seconds - self._last_full_at >= full_cost / FULL_SHARE

    def _measure_whole(self, step: int) -> None:
        data = self.data
        loss, accuracy, predicted = evaluate_predictions(self.net, data.X_test, data.y_test)
        val_loss, val_accuracy = evaluate(self.net, data.X_val, data.y_val)
        if predicted is not None and self.predictions is not None:
            self.predictions[:] = predicted
        has_test, has_val = data.X_test.shape[0] > 0, data.X_val.shape[0] > 0
        self.figures = Figures(
            test_loss=loss,
            test_accuracy=accuracy,
            test_step=step if has_test else None,
            test_examples=data.X_test.shape[0],
            val_loss=val_loss,
            val_accuracy=val_accuracy,
            val_step=step if has_val else None,
            full_test_accuracy=accuracy,
            full_test_step=step if has_test else None,
        )

    def _measure_subset(self, step: int, size: int) -> None:
        n_test = self._order.shape[0]
        window = np.take(self._order, np.arange(self._window, self._window + size), mode="wrap")
        self._window = (self._window + size) % n_test
        window.sort()  # gathered in memory order
        loss, accuracy, predicted = evaluate_predictions(
            self.net, self.data.X_test[window], self.data.y_test[window]
        )
        if predicted is not None and self.predictions is not None:
            self.predictions[window] = predicted
        previous = self.figures
        self.figures = Figures(
            test_loss=loss,
            test_accuracy=accuracy,
            test_step=step,
            test_examples=size,
            val_loss=previous.val_loss,
            val_accuracy=previous.val_accuracy,
            val_step=previous.val_step,
            full_test_accuracy=previous.full_test_accuracy,
            full_test_step=previous.full_test_step,
        )
