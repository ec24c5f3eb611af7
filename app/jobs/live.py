"""What the server keeps in memory about a job while it is queued, running or visiting a worker.

A paused, interrupted or finished job is not in memory at all: its record, metric history and last
checkpoint in the database are the whole job, and it comes back into memory (`LiveJob`) when it is
resumed, stepped, or needs its frames drawn for a viewer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from app.history import MetricHistory
from app.jobs.executor import DatasetRef
from app.spec import JobSpec


@dataclass
class Placement:
    """The job's current run on a worker (`worker`: its name, never a replacement's). `parking`: a
    ``park`` was sent and the job's last checkpoint is on its way; nothing more is sent to this run."""

    run: int
    worker: str
    parking: bool = False


@dataclass
class LiveJob:
    """A job in memory. `progress` and `checkpoint` belong to the same step (the worker sends them
    together), so the step shown is one the job can go back to; only a failed job's last progress
    comes without one (it never goes back)."""

    id: str
    spec: JobSpec
    dataset: DatasetRef
    status: str
    trainer: dict[str, Any]
    progress: dict[str, Any]
    history: MetricHistory
    checkpoint: str | None  # JSON text (app.jobs.protocol)
    memory: int  # bytes a running copy is estimated to take on a worker
    message: str | None = None
    pause_reason: str | None = None
    client: str | None = None  # who created it, for the per-client limits (app.quotas)
    address: str | None = None
    view: dict[str, Any] = field(default_factory=dict)
    placement: Placement | None = None
    visit: list[dict[str, Any]] = field(default_factory=list)  # commands for its next placement
    visiting: list[dict[str, Any]] = field(default_factory=list)  # sent with this one, until it parks
    saved_at: float = 0.0  # time.monotonic() of the last write (or try) of its state to the database
    pending: dict[str, Any] = field(default_factory=dict)  # columns the database refused (a full disk)
    unsaved: bool = False  # the database lacks some of its state: it stays in memory until written
    active_since: float = field(default_factory=time.monotonic)  # when it was last created or resumed
    crashes: list[tuple[float, float]] = field(default_factory=list)  # (time.monotonic(), blame) per loss
    parked: threading.Event = field(default_factory=threading.Event)
