"""A job between memory and the database: bringing it in, writing its state out, and making room.

A job's durable truth is its spec plus its last checkpoint; a worker only ever holds a copy. Every way
back into training (a resume, a step, a worker's crash, a server restart) starts from a `LiveJob` made
here from the database, or from the copy the server keeps in memory.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.checks import CheckedJob, SpecInvalid, check_job_spec
from app.history import MetricHistory
from app.jobs.executor import DatasetRef
from app.jobs.live import LiveJob
from app.jobs.states import ACTIVE
from app.quotas import Client, TooMany
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
    spec no longer passes the server's checks (a deleted upload, lowered limits, a field this version
    does not know)."""
    try:
        spec = JobSpec.model_validate(record.spec)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SpecInvalid(("body", *first["loc"]), f"its stored spec's {where}: {first['msg']}") from None
    checked = check_job_spec(spec, settings)
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


def make_room(
    store: JobStore,
    settings: Settings,
    client: Client | None,
    spared: set[str],
    delete: Callable[[str], None],
) -> None:
    """Before a new job of `client` is stored: for each share it must fit (the page's and its address's
    `max_stored_jobs_per_client`, then the whole store's `max_stored_jobs`), `delete` that share's
    finished jobs and then its paused ones, oldest first (`JobStore.removable`; never one in `spared`,
    watched or in use), to make room for one more. TooMany when a client's share has no job that can
    go, SpecInvalid when the store has none; either says what holds the room."""
    for who, limit, owner in _shares(settings, client):
        excess = store.count(**owner) - limit + 1
        if excess <= 0:
            continue
        removable = store.removable(excess, spared, **owner)
        for job_id in removable:
            delete(job_id)
        if len(removable) < excess:
            held = _what_holds(store.held(**owner), spared)
            advice = f"({held}), and none of them can be deleted to make room: stop or delete some first"
            if owner:
                raise TooMany(f"at most {limit} jobs are kept for {who} {advice}")
            raise SpecInvalid(("body",), f"the server keeps at most {limit} jobs {advice}")


def _shares(settings: Settings, client: Client | None) -> list[tuple[str, int, dict[str, str]]]:
    """(who, how many jobs it may keep, which jobs are its) for each share a new job must fit."""
    shares: list[tuple[str, int, dict[str, str]]] = [("the server", settings.max_stored_jobs, {})]
    if client is not None:
        per_client = settings.max_stored_jobs_per_client
        address_share = per_client * settings.clients_per_address
        shares.insert(0, (client.address, address_share, {"address": client.address}))
        if client.id is not None:
            shares.insert(0, ("this page", per_client, {"address": client.address, "client": client.id}))
    return shares


def _what_holds(jobs: list[tuple[str, str, bool]], spared: set[str]) -> str:
    """What keeps these jobs from being deleted, in words (``3 running or queued, 1 marked keep``)."""

    def reason(job_id: str, status: str, keep: bool) -> str:
        if status in ACTIVE:
            return "running or queued"
        if job_id in spared:
            return "watched or in use"
        return "marked keep" if keep else "deletable"

    reasons = Counter(reason(*job) for job in jobs)
    order = ("running or queued", "watched or in use", "marked keep", "deletable")
    return ", ".join(f"{reasons[reason]} {reason}" for reason in order if reasons[reason])
