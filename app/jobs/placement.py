"""Putting a job's run on a worker, and taking it off: the commands behind every placement change.

The `Placer` builds each ``place`` command (app.jobs.protocol) from what the server holds of the job:
its spec, its trainer in force, its newest checkpoint, its viewers' view and frame kinds, and the
server's limits. Every placement is a new run number, so whatever a worker still says about an earlier
run of the job is recognised and ignored.
"""

from __future__ import annotations

import dataclasses
import itertools

from app.jobs.executor import Executor
from app.jobs.live import LiveJob, Placement
from app.jobs.protocol import Command
from app.jobs.runs import stop_conditions
from app.settings import Settings


class Placer:
    """Places jobs through `executor` and keeps each `LiveJob.placement` true."""

    def __init__(self, executor: Executor, settings: Settings) -> None:
        self.executor, self.settings = executor, settings
        self._runs = itertools.count(1)

    def place(self, job: LiveJob, *, paused: bool, kinds: list[str] | None) -> None:
        """Start a new run of the job on the least-loaded worker (held paused when `paused`)."""
        run = next(self._runs)
        command = {
            "op": "place",
            "job": job.id,
            "run": run,
            "spec": job.spec.model_dump(mode="json"),
            "dataset_key": job.dataset.key,
            "trainer": job.trainer,
            "checkpoint": job.checkpoint,
            "stop": dataclasses.asdict(stop_conditions(job.spec, self.settings)),
            "view": job.view,
            "kinds": kinds,
            "paused": paused,
        }
        job.placement = Placement(run, self.executor.place(job.id, command, job.dataset))
        job.parked.clear()

    def node(self, job: LiveJob) -> str | None:
        """The machine the job's worker runs on (None: on no worker)."""
        return None if job.placement is None else self.executor.node(job.placement.worker)

    def send(self, job: LiveJob, command: Command) -> bool:
        """Send `command` to the job's worker; False when no worker trains it (not placed, or parking)."""
        if job.placement is None or job.placement.parking:
            return False
        self.executor.send(job.id, command)
        return True

    def park(self, job: LiveJob) -> None:
        """Ask the job's worker for its last checkpoint; it then forgets the job (``parked`` follows)."""
        assert job.placement is not None
        self.executor.send(job.id, {"op": "park", "job": job.id})
        job.placement.parking = True

    def release(self, job: LiveJob) -> None:
        """The job's run is over (parked, ended, dropped, or its worker died): it is on no worker now."""
        self.executor.release(job.id)
        job.placement = None
        job.parked.set()

    def drop(self, job: LiveJob) -> None:
        """Take the job off its worker at once, keeping nothing (a reset, a delete)."""
        if job.placement is not None:
            self.executor.send(job.id, {"op": "drop", "job": job.id})
            self.release(job)
