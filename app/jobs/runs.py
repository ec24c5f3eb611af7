"""A job spec's training run: the net, the optimizer and the stop conditions the spec names.

The pool workers and ``netplay run`` both start runs here, so a job trains the same wherever it runs.
"""

from __future__ import annotations

from typing import Any

from app.settings import Settings
from app.spec import JobSpec
from engine import Net, make_optimizer
from engine.datasets import Dataset
from engine.training import StopConditions, TrainingRun


def start_run(
    spec: JobSpec,
    data: Dataset,
    checkpoint: dict[str, Any] | None = None,
    trainer: dict[str, Any] | None = None,
) -> TrainingRun:
    """The job's run: from `checkpoint` when given (exactly where it was), else from the spec's saved
    ``model`` or fresh weights from its ``seed``. `trainer` (method and hyperparameters) overrides the
    spec's and the checkpoint's settings: they may have changed live."""
    if checkpoint is not None:
        run = TrainingRun.restore(data, checkpoint, seed=spec.seed)
    else:
        net = initial_net(spec)
        settings = trainer or {"method": spec.trainer.method, **spec.trainer.settings()}
        run = TrainingRun(net, make_optimizer(net, settings), data, seed=spec.seed)
    if trainer is not None:
        run.set_trainer({key: value for key, value in trainer.items() if key != "method"})
    return run


def initial_net(spec: JobSpec) -> Net:
    """The net a job starts from: its spec's saved ``model``, or fresh weights from its ``seed``."""
    return Net.from_json(spec.model) if spec.model is not None else Net(spec.layers or [], seed=spec.seed)


def stop_conditions(spec: JobSpec, settings: Settings) -> StopConditions:
    """The spec's stop conditions under the server's step and time limits."""
    stop = spec.stop
    return StopConditions(
        max_steps=stop.max_steps,
        max_epochs=stop.max_epochs,
        max_seconds=stop.max_seconds,
        target_test_accuracy=stop.target_test_accuracy,
        limit_steps=settings.max_steps,
        limit_seconds=settings.max_job_seconds,
    )
