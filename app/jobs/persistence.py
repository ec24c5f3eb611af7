"""A job between memory and the database: bringing it in, writing its state out, and making room.

A job's durable truth is its spec plus its last checkpoint; a worker only ever holds a copy. Every way
back into training (a resume, a step, a worker's crash, a server restart) starts from a `LiveJob` made
here from the database, or from the copy the server keeps in memory.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.checks import CheckedJob, SpecInvalid, check_job_spec
from app.history import MetricHistory
from app.jobs.executor import DatasetRef
from app.jobs.live import LiveJob
from app.settings import Settings
from app.spec import JobSpec
from app.store import JobRecord, JobStore
from engine.datasets import CATALOGUE


def dataset_ref(dataset_spec: dict[str, Any], settings: Settings) -> DatasetRef:
    """The reference the executor places a job's data set by (the worker builds it from the spec)."""
    key = json.dumps(dataset_spec, sort_keys=True)
    return DatasetRef(key, dataset_spec, lambda: upload_files(dataset_spec, settings.uploads_dir))


def upload_files(dataset_spec: dict[str, Any], uploads_dir: Path) -> dict[str, bytes]:
    """The uploaded files a data set reads (its catalogue parameters of type file), by name."""
    params = CATALOGUE[dataset_spec["name"]].params
    names = [dataset_spec.get(param.name) for param in params if param.type == "file"]
    return {name: (uploads_dir / name).read_bytes() for name in names if name}


def new_live_job(record: JobRecord, checked: CheckedJob, settings: Settings) -> LiveJob:
    """A job that has never trained (just created, or reset), in memory."""
    return LiveJob(
        id=record.id,
        spec=checked.spec,
        dataset=dataset_ref(checked.spec.dataset.model_dump(), settings),
        status=record.status,
        trainer=dict(record.trainer),
        progress={},
        history=MetricHistory(settings.history_points),
        checkpoint=None,
        memory=checked.memory,
        client=record.client,
        address=record.address,
        view=dict(record.view),
    )


def load_live_job(record: JobRecord, store: JobStore, settings: Settings) -> LiveJob:
    """A stored job in memory again, with its history and last checkpoint. Raises SpecInvalid when its
    spec no longer passes the server's checks (a deleted upload, lowered limits)."""
    checked = check_job_spec(JobSpec.model_validate(record.spec), settings)
    job = new_live_job(record, checked, settings)
    job.progress = dict(record.progress)
    job.history = MetricHistory(settings.history_points, store.history(record.id))
    job.checkpoint = store.checkpoint(record.id)
    job.message, job.pause_reason = record.message, record.pause_reason
    return job


def save_state(store: JobStore, job: LiveJob) -> None:
    """Write the job's progress, history and checkpoint (all of the same step) to the database."""
    store.save_state(job.id, job.progress, job.history.to_json(), job.checkpoint)
    job.saved_at = time.monotonic()


def make_room(store: JobStore, limit: int, spared: set[str], delete: Callable[[str], None]) -> None:
    """Before a new job is stored: at the store's `limit`, `delete` finished jobs and then long-parked
    page jobs (`JobStore.removable`; never one in `spared`) to make room for one more. SpecInvalid when
    none can go."""
    excess = store.count() - limit + 1
    if excess <= 0:
        return
    removable = store.removable(excess, spared)
    for job_id in removable:
        delete(job_id)
    if len(removable) < excess:
        raise SpecInvalid(
            ("body",),
            f"the server keeps at most {limit} jobs and all of them are running, queued, watched or "
            "marked keep: stop or delete some first",
        )
