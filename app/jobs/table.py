"""The jobs in memory and the one way their status changes: `JobTable`.

The table keeps in memory only the jobs that are queued, running or visiting a worker (`LiveJob`);
every other job is its database record (app.jobs.persistence). A status changes only through
`set_status`, with the new status from `app.jobs.states.transition`, under the table's lock; each change
is then carried out by `reconcile`, which compares what the job's status wants with where the job is:
a running job without a worker is placed on one; a job that should not train is parked (its worker
sends a last checkpoint and forgets it); a paused job with commands waiting (a step, a view change,
frames for a new viewer) visits a worker, which does them and parks it again. `schedule` admits queued
jobs while there is room. The public operations are app.jobs.manager's, the workers' news
app.jobs.events'; both work through this table.

While the database cannot be written (a full disk), nothing is lost: a job's state and status
changes stay with it in memory (`write`, `save`), a job keeps training, and one at rest stays in memory
until the housekeeping manages to write it (app.jobs.manager). A read-only store refuses instead.

Every method expects the lock held, unless it says otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from app.checks import SpecInvalid, load_dataset
from app.database import StoreUnwritable
from app.hub import Hub, Outgoing
from app.jobs.answers import Answers
from app.jobs.capacity import memory_budget
from app.jobs.live import LiveJob
from app.jobs.persistence import load_live_job, save_state
from app.jobs.placement import Placer
from app.jobs.protocol import Command
from app.jobs.states import JobConflict, transition
from app.jobs.viewers import Viewers
from app.settings import Settings
from app.store import JobRecord, JobStore


class JobNotFound(Exception):
    """No job has this id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job '{job_id}' not found")
        self.job_id = job_id


@dataclass
class JobTable:
    """The jobs in memory, the queue, and what carries out their status (see the module docstring)."""

    settings: Settings
    store: JobStore
    hub: Hub
    placer: Placer

    def __post_init__(self) -> None:
        self.viewers = Viewers()
        self.answers = Answers()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.memory_budget = memory_budget()
        self.jobs: dict[str, LiveJob] = {}
        self.queue: list[str] = []
        self.lock = threading.RLock()
        self.closing = threading.Event()

    # ---- reading -----------------------------------------------------------------------------------

    def record(self, job_id: str) -> JobRecord:
        """The job's database record; JobNotFound when there is none."""
        record = self.store.get(job_id)
        if record is None:
            raise JobNotFound(job_id)
        return record

    def status(self, job_id: str) -> str | None:
        """The job's status (in memory, else stored), or None when there is no such job."""
        if (job := self.jobs.get(job_id)) is not None:
            return job.status
        record = self.store.get(job_id)
        return record.status if record is not None else None

    def live(self, job_id: str, event: str) -> LiveJob:
        """The job in memory, brought in from the database when `event` can happen to it."""
        job = self.jobs.get(job_id)
        if job is not None:
            return job
        record = self.record(job_id)
        transition(job_id, record.status, event)
        try:
            job = load_live_job(record, self.store, self.settings)
        except SpecInvalid as error:
            raise JobConflict(f"job '{job_id}' cannot run any more: {error.msg}") from None
        self.jobs[job_id] = job
        return job

    def prefetch(self, job_id: str) -> None:
        """Build the data set of a job at rest before the lock is taken (no lock needed): bringing the
        job into memory then finds it ready instead of building it under the lock."""
        if job_id in self.jobs:
            return
        record = self.store.get(job_id)
        if record is not None:
            with contextlib.suppress(SpecInvalid):  # bringing the job in says why
                load_dataset(record.spec["dataset"], self.settings.uploads_dir)

    # ---- changing a status and carrying it out ------------------------------------------------------

    def set_status(self, job: LiveJob, status: str, *, message: str | None = None, **extra: Any) -> None:
        """The status and its message, in memory, in the database and to the viewers."""
        pause_reason = extra.pop("pause_reason", None) if status == "paused" else None
        extra.pop("pause_reason", None)
        self.write(job, status=status, message=message, pause_reason=pause_reason, **extra)
        job.status, job.message, job.pause_reason = status, message, pause_reason
        event = {"type": "status", "status": status, "message": message, "pause_reason": pause_reason}
        event.update(extra)
        if status == "queued":
            event["queue_position"] = self.queue.index(job.id) + 1 if job.id in self.queue else None
        self.emit(job.id, event)

    def reconcile(self, job: LiveJob) -> None:
        """Make where the job is match what its status wants (module docstring)."""
        placement = job.placement
        if placement is not None:
            if job.status != "running" and not placement.parking:
                self.placer.park(job)
        elif self.closing.is_set():
            return  # shutting down: what the job has parked with is where a restart finds it
        elif job.status == "running":
            self.place(job, paused=False)
        elif job.status == "paused" and job.visit:
            self.place(job, paused=True)
        elif job.status != "queued":
            self.forget(job)

    def place(self, job: LiveJob, *, paused: bool) -> None:
        """A new run of the job on a worker, with the commands waiting for it (a paused job's visit then
        parks); a job that cannot be placed (its data set is gone) fails."""
        try:
            self.placer.place(job, paused=paused, kinds=self.viewers.kinds(job.id))
        except SpecInvalid as error:
            error_text = f"it cannot be placed on a worker: {error.msg}"
            self.set_status(job, transition(job.id, job.status, "fail"), error=error_text, stop_reason=None)
            self.forget(job)
            return
        job.visiting, job.visit = job.visit, []  # kept until it parks, in case its worker dies first
        for command in job.visiting:
            self.placer.send(job, command)
        if paused:
            self.placer.park(job)

    def command(self, job: LiveJob, command: Command) -> None:
        """Send a command to the job's worker now, or keep it for the job's next placement."""
        if not self.placer.send(job, command):
            job.visit.append(command)
            self.reconcile(job)

    def pause(self, job: LiveJob, event: str, reason: str, message: str | None) -> None:
        """Pause (a person's, or an idle job's) and park."""
        status = transition(job.id, job.status, event)
        self.set_status(job, status, message=message, pause_reason=reason)
        self.dequeue(job)
        self.reconcile(job)
        self.schedule()

    def schedule(self) -> None:
        """Admit queued jobs, oldest first, while there is room: fewer than `max_running_jobs` (and the
        executor's capacity) running and their estimated memory within the budget (one job is always
        admitted). Not while closing."""
        if self.closing.is_set():
            return
        running = [job for job in self.jobs.values() if job.status == "running"]
        memory = sum(job.memory for job in running)
        capacity = self.placer.executor.capacity()
        limit = (
            self.settings.max_running_jobs
            if capacity is None
            else min(capacity, self.settings.max_running_jobs)
        )
        while self.queue:
            job = self.jobs[self.queue[0]]
            over_budget = bool(running) and memory + job.memory > self.memory_budget
            if len(running) >= limit or over_budget:
                break
            self.queue.pop(0)
            running.append(job)
            memory += job.memory
            self.set_status(job, transition(job.id, job.status, "admit"))
            self.reconcile(job)
        for position, job_id in enumerate(self.queue, start=1):
            event = {"type": "status", "status": "queued", "message": None, "pause_reason": None}
            self.emit(job_id, {**event, "queue_position": position})

    def dequeue(self, job: LiveJob) -> None:
        if job.id in self.queue:
            self.queue.remove(job.id)

    def end_run(self, job: LiveJob) -> None:
        """The job's run is over (parked, ended, dropped or lost): its worker holds nothing of it, and
        questions to it get no answer."""
        self.placer.release(job)
        self.answers.abandon([job.id])

    def forget(self, job: LiveJob) -> None:
        """The job is at rest: its record is the whole job (one the database lacks stays in memory)."""
        self.dequeue(job)
        if self.jobs.get(job.id) is job and not job.unsaved:
            del self.jobs[job.id]
        job.parked.set()

    def write(self, job: LiveJob, **changes: Any) -> None:
        """Write some of the job's columns; kept with the job (`pending`) when the disk refuses, and
        written with its next `save`. StoreUnwritable from a read-only store, nothing changed."""
        pending = {**job.pending, **changes}
        try:
            self.store.update(job.id, **pending)
        except StoreUnwritable:
            if self.store.read_only:
                raise
            job.pending, job.unsaved = pending, True
            return
        job.pending = {}

    def save(self, job: LiveJob) -> None:
        """Write the job's progress, history and checkpoint (of one step) to the database, with any
        column it could not write before. When the disk refuses, the job keeps it all in memory and the
        housekeeping tries again `checkpoint_seconds` later (the store logs the condition once)."""
        try:
            if job.pending:
                self.store.update(job.id, **job.pending)
            save_state(self.store, job)
        except StoreUnwritable:
            job.unsaved, job.saved_at = True, time.monotonic()
            return
        job.pending, job.unsaved = {}, False

    # ---- to the viewers (any thread) ------------------------------------------------------------------

    def emit(self, job_id: str, message: Outgoing | dict[str, Any], frame_key: str | None = None) -> None:
        """Publish to the job's viewers (from any thread)."""
        self.call_hub(self.hub.publish, job_id, message, frame_key)

    def call_hub(self, method: Any, *args: Any) -> None:
        """Run a hub method on the event loop's thread."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(method, *args)
