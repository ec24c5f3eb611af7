"""The training loop: one net, its optimizer and its data, trained in slices of wall time.

`TrainingRun` is the only loop there is: the server's pool workers, ``netplay run`` and
``python -m engine`` all drive one through `advance` and read `take_progress`. Everything it reports is
measured, not estimated: the training loss and accuracy are means over the steps since the last report,
examples per second is over the steps' own time (smoothed: the examples and the seconds of recent
reports, each report's weighed down by half every `RATE_HALF_LIFE_SECONDS` of training after it, so
one step slowed by another process does not make the figure jump), and the held-out figures come from
`engine.evaluation.HeldOut` (with the step and the number of examples each was measured on). Reported
figures keep `SIGNIFICANT_DIGITS` digits.

A run can be saved with `checkpoint()` and continued with `TrainingRun.restore`: weights, optimizer
state, counters and held-out figures are exact; only the order of the remaining batches differs from an
uninterrupted run (the shuffle is seeded by the seed and the step).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from engine.datasets import Dataset, train_batches
from engine.errors import SpecError
from engine.evaluation import Figures, HeldOut
from engine.net import Net
from engine.optim import make_optimizer
from engine.serialization import decode_array, encode_array

RATE_HALF_LIFE_SECONDS = 1.0
SIGNIFICANT_DIGITS = 7  # a float32 holds about as many; a chart or a person uses fewer
StopReason = Literal["max_steps", "max_epochs", "max_seconds", "target_test_accuracy", "limit"]
FIGURE_KEYS = ("test_loss", "test_accuracy", "test_step", "test_examples", "val_accuracy", "val_step")


def _figure(value: float | None) -> float | None:
    """A reported figure rounded to `SIGNIFICANT_DIGITS` significant digits (shorter JSON, the same
    number to anyone reading it)."""
    return None if value is None else float(f"{value:.{SIGNIFICANT_DIGITS}g}")


class Diverged(Exception):
    """The loss stopped being a finite number."""


@dataclass(frozen=True)
class StopConditions:
    """When a run is complete: the first condition met ends it (None: not a condition). `limit_steps`
    and `limit_seconds` are the operator's caps, met as ``"limit"``."""

    max_steps: int | None = None
    max_epochs: float | None = None
    max_seconds: float | None = None
    target_test_accuracy: float | None = None
    limit_steps: int = 10_000_000
    limit_seconds: float = math.inf


class TrainingRun:
    """`net` trained on `data` by `optimizer`; batches shuffled from `seed`."""

    def __init__(self, net: Net, optimizer: Any, data: Dataset, *, seed: int = 0) -> None:
        self.net, self.optimizer, self.data, self.seed = net, optimizer, data, seed
        self.step = 0
        self.examples_seen = 0
        self.train_seconds = 0.0
        self.held_out = HeldOut(net, data, seed=seed)
        self._batches = self._new_batches()
        self._split_checked = self._check_training_split()
        self._rate_examples = self._rate_seconds = 0.0  # the decayed sums behind examples/s
        self._reset_window()

    @classmethod
    def restore(cls, data: Dataset, checkpoint: dict[str, Any], *, seed: int = 0) -> TrainingRun:
        """The run a `checkpoint()` saved, continued on `data`."""
        net = Net.from_json(checkpoint["model"])
        run = cls(net, make_optimizer(net, checkpoint["trainer"]), data, seed=seed)
        run._restore_optimizer(checkpoint.get("optimizer"))
        run.step = int(checkpoint.get("step", 0))
        run.examples_seen = int(checkpoint.get("examples_seen", 0))
        run.train_seconds = float(checkpoint.get("train_seconds", 0.0))
        saved = {key: checkpoint.get(key) for key in (*FIGURE_KEYS, "full_test_accuracy", "full_test_step")}
        saved["test_examples"] = saved["test_examples"] or 0
        run.held_out.figures = Figures(**saved)
        run._batches = run._new_batches()
        return run

    def _check_training_split(self) -> bool:
        """Whether the batches of the training split need no checks: its inputs are finite (found once
        per data set), of the net's dtype and shape, and its targets right as they are. Otherwise (an
        augmented set's batches are made at each step, other dtypes are converted) each step checks."""
        X, y = self.data.X_train, self.data.y_train
        if self.data.augmentation.active or not self.data.finite_training_inputs:
            return False
        try:
            first = X[:1]
            return self.net.check_input(first) is first and self.net.check_targets(y, X.shape[0]) is y
        except SpecError:
            return False  # the first step says what is wrong

    def _new_batches(self) -> Any:
        batch_size = int(self.optimizer.hyper["batch_size"])
        return train_batches(self.data, batch_size, rng=np.random.default_rng([self.seed, self.step]))

    @property
    def trainer(self) -> dict[str, Any]:
        """The trainer settings in force: method and every hyperparameter."""
        return {"method": self.optimizer.method, **self.optimizer.hyper}

    @property
    def epoch(self) -> int:
        """Completed passes over the training split."""
        return self.examples_seen // self.data.X_train.shape[0]

    @property
    def steps_since_report(self) -> int:
        """Steps taken since the last `take_progress`."""
        return self._steps

    def _reset_window(self) -> None:
        self._loss_sum, self._steps, self._correct, self._examples, self._busy = 0.0, 0, 0, 0, 0.0

    # ---- training -------------------------------------------------------------------------------

    def advance(self, seconds: float, stop: StopConditions) -> StopReason | None:
        """Train for about `seconds` of wall time (at least one step, never past a step or epoch
        condition), measure held-out data when due, and return the stop condition met, if any."""
        left = self.remaining_steps(stop)
        if left > 0:
            self.train_for(seconds, max_steps=left)
        self.evaluate_if_due(stop.target_test_accuracy)
        return self.stop_reason(stop)

    def train_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about `seconds` of wall time: at least one step unless `max_steps` is 0, at most
        `max_steps`; returns the number of steps taken. Raises Diverged when the loss is not finite."""
        deadline = time.perf_counter() + seconds
        taken = 0
        # A diverging net overflows before its loss turns inf or NaN; train_step reports that as Diverged,
        # so NumPy's own warnings would only be noise.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            while (taken == 0 or time.perf_counter() < deadline) and (max_steps is None or taken < max_steps):
                self.train_step()
                taken += 1
        return taken

    def train_step(self) -> float:
        """One optimizer step on the next mini-batch; returns its data loss."""
        self._batches.batch_size = int(self.optimizer.hyper["batch_size"])
        X_batch, y_batch = next(self._batches)
        started = time.perf_counter()
        stats = self.net.train_step(X_batch, y_batch, self.optimizer, checked=self._split_checked)
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
            self._correct += np.count_nonzero(self.net.layers[-1].out.argmax(axis=1) == y_batch)
        return loss

    def set_trainer(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Change hyperparameters (validated by the optimizer; a bad value changes nothing)."""
        self.optimizer.set(**changes)
        return self.trainer

    # ---- measuring ------------------------------------------------------------------------------

    def evaluate_if_due(self, target_accuracy: float | None = None) -> bool:
        """Measure held-out data when its cadence says so; a subset that meets `target_accuracy` is
        confirmed on the whole split at once. Returns whether anything was measured."""
        if not self.held_out.due(self.train_seconds):
            return False
        accuracy = self.evaluate().test_accuracy
        reached = target_accuracy is not None and accuracy is not None and accuracy >= target_accuracy
        if reached and not self.held_out.whole_split:
            self.evaluate(full=True)
        return True

    def evaluate(self, *, full: bool = False) -> Figures:
        """Measure held-out data now (the whole split when `full`)."""
        return self.held_out.measure(self.step, self.train_seconds, full=full)

    def take_progress(self) -> dict[str, Any]:
        """Metrics over the steps since the last call (then a new window starts), plus the latest
        held-out figures with their steps. Window figures are None when no step was taken since."""
        steps = self._steps
        classifier = self.net.loss_type != "regression"
        rate = self._smoothed_rate() if steps else None
        figures = {
            key: _figure(value) if isinstance(value, float) else value
            for key, value in self.held_out.figures.as_progress().items()
        }
        progress = {
            "step": self.step,
            "epoch": self.epoch,
            "examples_seen": self.examples_seen,
            "loss": _figure(self._loss_sum / steps) if steps else None,
            "train_accuracy": _figure(self._correct / self._examples) if steps and classifier else None,
            **figures,
            "examples_per_second": _figure(rate),
            "ms_per_example": _figure(1000 / rate) if rate else None,
            "train_seconds": _figure(self.train_seconds),
            "time": round(time.time(), 3),
        }
        self._reset_window()
        return progress

    def _smoothed_rate(self) -> float | None:
        """Examples per second of training time over recent reports (module docstring), this
        window's included."""
        decay = 0.5 ** (self._busy / RATE_HALF_LIFE_SECONDS)
        self._rate_examples = self._rate_examples * decay + self._examples
        self._rate_seconds = self._rate_seconds * decay + self._busy
        return self._rate_examples / self._rate_seconds if self._rate_seconds > 0 else None

    # ---- stopping -------------------------------------------------------------------------------

    def remaining_steps(self, stop: StopConditions) -> int:
        """Steps left before a step or epoch condition or the step limit (epochs in batches of the
        current size)."""
        stop_at = min(stop.limit_steps, stop.max_steps or stop.limit_steps)
        left = max(0, stop_at - self.step)
        if stop.max_epochs is not None:
            examples_left = stop.max_epochs * self.data.X_train.shape[0] - self.examples_seen
            left = min(left, max(0, math.ceil(examples_left / int(self.optimizer.hyper["batch_size"]))))
        return left

    def stop_reason(self, stop: StopConditions) -> StopReason | None:
        """Which stop condition is met, if any; a target accuracy counts only on the whole test split."""
        if stop.max_steps is not None and self.step >= stop.max_steps:
            return "max_steps"
        if stop.max_epochs is not None and self.examples_seen >= stop.max_epochs * self.data.X_train.shape[0]:
            return "max_epochs"
        if stop.max_seconds is not None and self.train_seconds >= stop.max_seconds:
            return "max_seconds"
        target, reached = stop.target_test_accuracy, self.held_out.figures.full_test_accuracy
        if target is not None and reached is not None and reached >= target:
            return "target_test_accuracy"
        if self.step >= stop.limit_steps or self.train_seconds >= stop.limit_seconds:
            return "limit"
        return None

    # ---- saving ---------------------------------------------------------------------------------

    def checkpoint(self) -> dict[str, Any]:
        """Everything needed to go on later (JSON-able): weights, optimizer state, counters, figures."""
        figures = self.held_out.figures
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
            **{key: getattr(figures, key) for key in FIGURE_KEYS},
            "full_test_accuracy": figures.full_test_accuracy,
            "full_test_step": figures.full_test_step,
        }

    def _restore_optimizer(self, saved: dict[str, Any] | None) -> None:
        if not saved:
            return
        self.optimizer.steps = int(saved["steps"])
        values = self.optimizer.flat.values
        for name, encoded in saved["state"].items():
            path = ("checkpoint", "optimizer", name)
            self.optimizer.buffer(name)[...] = decode_array(encoded, path, values.shape, values.dtype)
