"""The first message of a job's stream: everything a viewer needs to draw the job from scratch."""

from __future__ import annotations

from typing import Any

import numpy as np

from app.checks import describe_layers
from app.jobs.manager import JobManager
from app.schemas import JobOut
from app.spec import layer_definitions
from engine.datasets import Dataset

SNAPSHOT_POINTS = 5000


def snapshot(manager: JobManager, job_id: str) -> dict[str, Any]:
    """``{"type": "snapshot", "job", "spec", "layers", "history", "dataset", "view"}``; `layers` are the
    desugared definitions with each layer's output shape and parameter count."""
    record = manager.get(job_id)
    return {
        "type": "snapshot",
        "job": JobOut.from_record(record, manager.queue_position(job_id), manager.node(job_id)).model_dump(),
        "spec": record.spec,
        "layers": describe_layers(layer_definitions(record.spec)),
        "history": manager.history(job_id),
        "dataset": dataset_view(manager.dataset(job_id)),
        "view": dict(record.view),
    }


def dataset_view(data: Dataset) -> dict[str, Any]:
    """The dataset's summary plus, for 2D sets, its points as ``[[x, y, label], ...]`` (train, test)."""
    view = data.summary()
    if data.points_train is not None:
        view["points"] = {
            "train": _rows(data.points_train, data.y_train),
            "test": _rows(data.points_test, data.y_test),
        }
    return view


def _rows(points: np.ndarray | None, labels: np.ndarray) -> list[list[float]]:
    if points is None:
        return []
    column = (labels if labels.ndim == 2 else labels[:, None])[:, :1].astype(np.float64)
    return np.hstack([points.astype(np.float64), column])[:SNAPSHOT_POINTS].tolist()
