"""One job's net, optimizer and data, trained in slices of wall time with measured metrics.

The worker process drives a session between its messages; ``netplay run`` drives one in the terminal.
Metrics are measured, never estimated: the training loss and accuracy are means over the steps since
the last report, examples per second is over those steps' own time, and test figures come from a full
pass over the held-out split the net never trains on.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from app.spec import JobSpec, StopReason
from engine import Net, make_optimizer
from engine.datasets import Dataset, train_batches
from engine.serialization import decode_array, encode_array
from engine.training import evaluate, evaluate_predictions


class Diverged(Exception):
    """The loss stopped being a finite number."""


class TrainingSession:
    """A net being trained on `data` as `spec` says, from scratch or from a `checkpoint` (see
    `checkpoint()`); `trainer` overrides the spec's settings (they may have changed live). A run resumed
    from a checkpoint continues the weights, optimizer state and counters exactly; only the order of
    the remaining batches differs from an uninterrupted run."""

    def __init__(
        self,
        spec: JobSpec,
        data: Dataset,
        checkpoint: dict[str, Any] | None = None,
        trainer: dict[str, Any] | None = None,
    ) -> None:
        self.spec, self.data = spec, data
        saved = checkpoint or {}
        if checkpoint is not None:
            self.net = Net.from_json(checkpoint["model"])
        elif spec.model is not None:
            self.net = Net.from_json(spec.model)
        else:
            self.net = Net(spec.layers or [], seed=spec.seed)
        trainer = (
            trainer or saved.get("trainer") or {"method": spec.trainer.method, **spec.trainer.settings()}
        )
        self.optimizer = make_optimizer(self.net, trainer)
        self._restore_optimizer(saved.get("optimizer"))
        self.step = int(saved.get("step", 0))
        self.examples_seen = int(saved.get("examples_seen", 0))
        self.train_seconds = float(saved.get("train_seconds", 0.0))
        self.test_loss: float | None = saved.get("test_loss")
        self.test_accuracy: float | None = saved.get("test_accuracy")
        self.val_accuracy: float | None = saved.get("val_accuracy")
        self.test_predictions: np.ndarray | None = None
        self._batches = train_batches(
            data, int(self.optimizer.hyper["batch_size"]), rng=np.random.default_rng([spec.seed, self.step])
        )
        self._reset_window()

    @property
    def method(self) -> str:
        """The optimizer's method name."""
        return self.optimizer.method

    @property
    def trainer(self) -> dict[str, Any]:
        """The trainer settings in force: method and every hyperparameter."""
        return {"method": self.optimizer.method, **self.optimizer.hyper}

    @property
    def epoch(self) -> int:
        """Completed passes over the training split."""
        return self.examples_seen // self.data.X_train.shape[0]

    def _reset_window(self) -> None:
        self._loss_sum, self._steps, self._correct, self._examples, self._busy = 0.0, 0, 0, 0, 0.0

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall time: at least one step unless `max_steps` is 0, at most
        `max_steps`; returns the number of steps taken. Raises Diverged when the loss is not finite."""
        deadline = time.perf_counter() + seconds
        taken = 0
        # A diverging net overflows before its loss turns inf or NaN; train_step reports that as Diverged,
        # so NumPy's own warnings would only be noise on the worker's stderr.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while (taken == 0 or time.perf_counter() < deadline) and (max_steps is None or taken < max_steps):
                self.train_step()
                taken += 1
        return taken

    def remaining_steps(self, max_steps: int) -> int:
        """Steps left before the spec's ``max_steps`` or ``max_epochs`` or the server's `max_steps`,
        whichever is first (epochs in batches of the current size)."""
        stop_at = min(max_steps, self.spec.stop.max_steps or max_steps)
        left = max(0, stop_at - self.step)
        if self.spec.stop.max_epochs is not None:
            examples_left = self.spec.stop.max_epochs * self.data.X_train.shape[0] - self.examples_seen
            left = min(left, max(0, math.ceil(examples_left / int(self.optimizer.hyper["batch_size"]))))
        return left

    def train_step(self) -> float:
        """One optimizer step on the next mini-batch; returns its data loss."""
        self._batches.batch_size = int(self.optimizer.hyper["batch_size"])
        X_batch, y_batch = next(self._batches)
        started = time.perf_counter()
        stats = self.net.train_step(X_batch, y_batch, self.optimizer)
        elapsed = time.perf_counter() - started
        loss = stats["loss"]
        if not math.isfinite(loss):
            raise Diverged(
                f"diverged at step {self.step + 1}: the loss became {loss}; lower the learning rate "
                f"(now {self.optimizer.hyper['learning_rate']:g})"
            )
        self.step += 1
        self.examples_seen += X_batch.shape[0]
        self.train_seconds += elapsed
        self._loss_sum += loss
        self._steps += 1
        self._examples += X_batch.shape[0]
        self._busy += elapsed
        if self.net.loss_type != "regression":
            self._correct += int((self.net.layers[-1].out.argmax(axis=1) == y_batch).sum())
        return loss

    def evaluate(self) -> float:
        """Loss and accuracy on the test (and validation) split, and the predicted class of every test
        example (for a confusion matrix) from the same pass; returns the seconds it took."""
        started = time.perf_counter()
        data = self.data
        self.test_loss, self.test_accuracy, self.test_predictions = evaluate_predictions(
            self.net, data.X_test, data.y_test
        )
        self.val_accuracy = evaluate(self.net, data.X_val, data.y_val)[1]
        return time.perf_counter() - started

    def take_progress(self) -> dict[str, Any]:
        """Metrics over the steps since the last call (then a new window starts), plus the latest test
        figures. Window figures are None when no step was taken since the last call."""
        steps = self._steps
        classifier = self.net.loss_type != "regression"
        progress = {
            "step": self.step,
            "epoch": self.epoch,
            "examples_seen": self.examples_seen,
            "loss": self._loss_sum / steps if steps else None,
            "train_accuracy": self._correct / self._examples if steps and classifier else None,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "val_accuracy": self.val_accuracy,
            "examples_per_second": self._examples / self._busy if steps and self._busy > 0 else None,
            "ms_per_example": 1000 * self._busy / self._examples if steps else None,
            "train_seconds": self.train_seconds,
        }
        self._reset_window()
        return progress

    def stop_reason(self, max_steps: int, max_seconds: float) -> StopReason | None:
        """Which stop condition of the spec (or the server's limits) is met, if any."""
        stop = self.spec.stop
        if stop.max_steps is not None and self.step >= stop.max_steps:
            return "max_steps"
        if stop.max_epochs is not None and self.examples_seen >= stop.max_epochs * self.data.X_train.shape[0]:
            return "max_epochs"
        if stop.max_seconds is not None and self.train_seconds >= stop.max_seconds:
            return "max_seconds"
        target = stop.target_test_accuracy
        if target is not None and self.test_accuracy is not None and self.test_accuracy >= target:
            return "target_test_accuracy"
        if self.step >= max_steps or self.train_seconds >= max_seconds:
            return "limit"
        return None

    def set_trainer(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change hyperparameters (validated by the optimizer; a bad value changes nothing)."""
        self.optimizer.set(**changes)
        return self.trainer

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to go on later: weights, optimizer state, counters, latest test figures."""
        return {
            "model": self.net.to_json(),
            "trainer": self.trainer,
            "optimizer": {
                "steps": self.optimizer.steps,
                "state": {name: encode_array(value) for name, value in self.optimizer.state.items()},
            },
            "step": self.step,
            "examples_seen": self.examples_seen,
            "train_seconds": self.train_seconds,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "val_accuracy": self.val_accuracy,
        }

    def _restore_optimizer(self, saved: dict[str, Any] | None) -> None:
        if not saved:
            return
        self.optimizer.steps = int(saved["steps"])
        values = self.optimizer.flat.values
        for name, encoded in saved["state"].items():
            path = ("checkpoint", "optimizer", name)
            self.optimizer.buffer(name)[...] = decode_array(encoded, path, values.shape, values.dtype)
