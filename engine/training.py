"""The training loop: mini-batch steps on a dataset, yielding measured progress.

Everything a viewer is shown comes from here and is measured, not estimated: the loss of each step,
training accuracy over the batches since the last report, accuracy (or loss) on held-out data the net
never trained on, and examples per second over the wall-clock time of the steps themselves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from engine.datasets import Dataset, eval_batches, train_batches
from engine.net import Net
from engine.optim import Optimizer

EVAL_BATCH = 1000


@dataclass(frozen=True)
class Progress:
    """One report. `epoch` counts completed passes over the training split (each pass sees every
    example once, so it is examples_seen // n_train). Accuracies are fractions in [0, 1]; None where
    they do not apply (regression) or there is no held-out data."""

    step: int
    epoch: int
    examples_seen: int
    loss: float
    l1_decay_loss: float
    l2_decay_loss: float
    train_accuracy: float | None
    test_loss: float | None
    test_accuracy: float | None
    examples_per_second: float


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


def train(
    net: Net, optimizer: Optimizer, data: Dataset, *, seed: int = 0, report_every: int = 100
) -> Iterator[Progress]:
    """Train endlessly, yielding a `Progress` every `report_every` steps; the caller decides when to
    stop. The batch size follows ``optimizer.hyper["batch_size"]``, so it can change between steps."""
    batches = train_batches(data, optimizer.hyper["batch_size"], rng=np.random.default_rng(seed))
    examples_seen, window_examples, correct, busy = 0, 0, 0, 0.0
    classifier = net.loss_type != "regression"
    while True:
        batches.batch_size = optimizer.hyper["batch_size"]
        X_batch, y_batch = next(batches)
        started = time.perf_counter()
        stats = net.train_step(X_batch, y_batch, optimizer)
        busy += time.perf_counter() - started
        examples_seen += X_batch.shape[0]
        window_examples += X_batch.shape[0]
        if classifier:
            correct += int((net.layers[-1].out.argmax(axis=1) == y_batch).sum())
        if batches.step % report_every == 0:
            test_loss, test_accuracy = evaluate(net, data.X_test, data.y_test)
            yield Progress(
                step=batches.step,
                epoch=examples_seen // data.X_train.shape[0],
                examples_seen=examples_seen,
                loss=stats["loss"],
                l1_decay_loss=stats["l1_decay_loss"],
                l2_decay_loss=stats["l2_decay_loss"],
                train_accuracy=correct / window_examples if classifier else None,
                test_loss=test_loss,
                test_accuracy=test_accuracy,
                examples_per_second=window_examples / busy,
            )
            window_examples, correct, busy = 0, 0, 0.0
