"""Jobs' lifecycle, as the API sees it: create, read and control jobs; `JobManager`.

The manager is the public face of `app.jobs.table.JobTable` (the jobs in memory and the one way their
status changes, see its docstring); `app.jobs.events.WorkerEvents` hears the workers. Its own thread
writes running jobs' state to the database every `checkpoint_seconds` and pauses jobs nobody has
watched for their ``pause_when_unwatched``.

Methods may be called from any thread; those that wait (on a park, on a worker's answer) never hold
the lock meanwhile. The viewers' counts (`watch`) come from the event loop through the thread pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from typing import Any

from app.checks import (
    CheckedJob,
    SpecInvalid,
    check_job_spec,
    check_trainer_change,
    check_view_change,
    check_weight_change,
    load_dataset,
)
from app.database import StoreUnwritable
from app.hub import Hub, Watch
from app.jobs.events import WorkerEvents
from app.jobs.executor import Executor
from app.jobs.live import LiveJob
from app.jobs.persistence import load_live_job, make_room, new_live_job
from app.jobs.placement import Placer
from app.jobs.pool import LocalPool
from app.jobs.protocol import Command
from app.jobs.states import ACTIVE, JobConflict, transition
from app.jobs.table import JobNotFound, JobTable
from app.jobs.viewers import Stale
from app.quotas import Client
from app.settings import Settings
from app.spec import JobSpec, WeightChange
from app.store import JobRecord, JobStore, JobUnreadable
from engine.datasets import Dataset

HOUSEKEEPING_SECONDS = 0.25
PARK_WAIT_SECONDS = 5.0
log = logging.getLogger("netplay.jobs")

__all__ = ["JobManager", "JobNotFound", "make_executor"]


def make_executor(settings: Settings) -> Executor:
    """The executor `settings` choose; Ray is imported only when it is the one."""
    if settings.executor == "ray":
        from app.jobs.ray_pool import RayPool

        return RayPool(settings.ray_address, settings.ray_jobs_per_node)
    return LocalPool(settings.workers, settings.uploads_dir)


class JobManager:
    """Every job's status and placement; see the module docstring."""

    def __init__(
        self, settings: Settings, store: JobStore, hub: Hub, executor: Executor | None = None
    ) -> None:
        self.settings, self.store = settings, store
        self.executor: Executor = executor if executor is not None else make_executor(settings)
        self.table = JobTable(settings, store, hub, Placer(self.executor, settings))
        self.events = WorkerEvents(self.table)
        self._housekeeper = threading.Thread(target=self._housekeep, name="netplay-housekeeping", daemon=True)

    # ---- startup and shutdown -------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Start the workers and adopt what the database holds: jobs that were training when the server
        stopped become ``interrupted``; jobs that were queued queue again."""
        table = self.table
        table.loop = loop
        self.executor.start(self.events)
        if self.store.read_only:  # nothing can be written: jobs stay as stored (`_overlaid` says so)
            self._housekeeper.start()
            return
        with table.lock:
            for job_id in self.store.ids_with_status("running"):
                self.store.update(job_id, status=transition(job_id, "running", "interrupt"))
            for job_id in self.store.ids_with_status("queued"):
                try:
                    job = load_live_job(table.record(job_id), self.store, self.settings)
                except JobUnreadable:
                    continue  # the store logged it; it stays as it is until someone deletes it
                except SpecInvalid as error:
                    failed = transition(job_id, "queued", "fail")
                    self.store.update(job_id, status=failed, error=f"it cannot run any more: {error.msg}")
                    continue
                table.jobs[job_id] = job
                table.queue.append(job_id)
            table.schedule()
        self._housekeeper.start()

    def shutdown(self, wait_seconds: float = 3.0) -> None:
        """Park every job a worker holds (each sends its last checkpoint), then end the workers; jobs
        that were training become ``interrupted`` (a restarted server offers ``resume``)."""
        table = self.table
        table.closing.set()
        with table.lock:
            placed = [job for job in table.jobs.values() if job.placement is not None]
            for job in placed:
                if not job.placement.parking:
                    table.placer.park(job)
        deadline = time.monotonic() + wait_seconds
        for job in placed:
            job.parked.wait(max(0.0, deadline - time.monotonic()))
        with table.lock:
            for job in table.jobs.values():
                if job.checkpoint is not None:
                    table.save(job)
                if job.status == "running":
                    with contextlib.suppress(StoreUnwritable):  # the store said why, once
                        table.write(job, status=transition(job.id, "running", "interrupt"))
            table.jobs.clear()
            table.queue.clear()
        self.executor.shutdown()

    # ---- creating and reading -------------------------------------------------------------------

    def create(
        self,
        checked: CheckedJob,
        *,
        paused: bool = False,
        owner_hash: str | None = None,
        client: Client | None = None,
    ) -> JobRecord:
        """Store a new job (making room if the store is full) and queue it; or keep it paused at step 0
        until it is resumed or stepped (its viewers see its untrained net). `owner_hash` is the hash
        of its owner token (app.owners), `client` who created it (app.quotas)."""
        spec = checked.spec
        record = JobRecord(
            id=uuid.uuid4().hex[:12],
            name=spec.name,
            status="paused" if paused else "queued",
            spec=spec.model_dump(mode="json"),
            trainer={"method": spec.trainer.method, **spec.trainer.settings()},
            num_parameters=checked.num_parameters,
            pause_reason="user" if paused else None,
            owner_hash=owner_hash,
            client=client.id if client is not None else None,
            address=client.address if client is not None else None,
        )
        table = self.table
        with table.lock:
            spared = set(table.jobs) | table.viewers.watched()
            make_room(self.store, self.settings, client, spared, self.delete)
            self.store.insert(record)
            if not paused:
                table.jobs[record.id] = new_live_job(record, checked, self.settings)
                table.queue.append(record.id)
                table.schedule()
        return self.get(record.id)

    def get(self, job_id: str) -> JobRecord:
        """The job as stored, with the fresher status, metrics and trainer of a job in memory. Read
        under the lock, so never between two writes of one change."""
        with self.table.lock:
            return self._overlaid(self.table.record(job_id))

    def list(self, status: str | None, limit: int, offset: int) -> tuple[list[JobRecord], int, int]:
        """One page of jobs, newest first, with the state of jobs in memory laid over; (page, total,
        stored jobs of the page left out because they cannot be read)."""
        with self.table.lock:
            records, total, unreadable = self.store.list(status, limit, offset)
            return [self._overlaid(record) for record in records], total, unreadable

    def _overlaid(self, record: JobRecord) -> JobRecord:
        job = self.table.jobs.get(record.id)
        if job is not None:
            record.status, record.progress, record.trainer = job.status, job.progress, job.trainer
            record.message, record.pause_reason, record.view = job.message, job.pause_reason, job.view
        elif self.store.read_only and record.status in ACTIVE:
            record.status = "interrupted"
            record.message = "not training: the server started read-only (its disk was full)"
        return record

    def live_jobs(self, address: str, client_id: str | None) -> int:
        """How many jobs from `address` (and the page `client_id`, when given) are queued or running."""
        with self.table.lock:
            return sum(
                1
                for job in self.table.jobs.values()
                if job.status in ACTIVE
                and job.address == address
                and (client_id is None or job.client == client_id)
            )

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next queued job to start, None when not queued."""
        with self.table.lock:
            queue = self.table.queue
            return queue.index(job_id) + 1 if job_id in queue else None

    def node(self, job_id: str) -> str | None:
        """The machine training the job now (None when no worker holds it)."""
        with self.table.lock:
            job = self.table.jobs.get(job_id)
            return None if job is None else self.table.placer.node(job)

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """The job's metric history, oldest first (thinned for long runs)."""
        with self.table.lock:
            job = self.table.jobs.get(job_id)
            if job is not None:
                return list(job.history.points)
            self.table.record(job_id)
        return self.store.history(job_id)

    def dataset(self, job_id: str) -> Dataset:
        """The job's data (built again from its spec unless the server holds it already)."""
        return load_dataset(self.get(job_id).spec["dataset"], self.settings.uploads_dir)

    # ---- control ----------------------------------------------------------------------------------

    def pause(self, job_id: str) -> JobRecord:
        """Pause a queued or running job; it parks (its worker keeps nothing of it), and this waits
        until its last checkpoint is in, so the answer shows where it stopped. No-op when paused."""
        table = self.table
        with table.lock:
            job = table.jobs.get(job_id)
            if job is None:
                transition(job_id, table.record(job_id).status, "pause")
                return self.get(job_id)
            table.pause(job, "pause", "user", None)
        job.parked.wait(PARK_WAIT_SECONDS)
        return self.get(job_id)

    def resume(self, job_id: str) -> JobRecord:
        """Train a paused job again (queued when there is no room), an interrupted one from its last
        checkpoint; no-op for a job that is running or queued."""
        table = self.table
        table.prefetch(job_id)
        with table.lock:
            job = table.live(job_id, "resume")
            status = transition(job_id, job.status, "resume")
            if status != job.status:
                job.active_since = time.monotonic()
                table.queue.append(job_id)
                table.set_status(job, status)
                table.schedule()
        return self.get(job_id)

    def step(self, job_id: str) -> JobRecord:
        """One training step of a paused job (it visits a worker for it, then parks again)."""
        self.store.check_writable()  # a read-only server could not keep the step
        table = self.table
        table.prefetch(job_id)
        with table.lock:
            job = table.live(job_id, "step")
            transition(job_id, job.status, "step")
            table.command(job, {"op": "step", "job": job_id})
        return self.get(job_id)

    def stop(self, job_id: str) -> JobRecord:
        """End a job for good; its worker's last checkpoint keeps its model downloadable."""
        table = self.table
        with table.lock:
            job = table.jobs.get(job_id)
            if job is None:
                status = transition(job_id, table.record(job_id).status, "stop")
                self.store.update(job_id, status=status, message=None, pause_reason=None)
                table.emit(
                    job_id, {"type": "status", "status": status, "message": None, "pause_reason": None}
                )
                return self.get(job_id)
            status = transition(job_id, job.status, "stop")
            table.dequeue(job)
            table.set_status(job, status)
            table.reconcile(job)
            table.schedule()
        job.parked.wait(PARK_WAIT_SECONDS)
        return self.get(job_id)

    def change_trainer(self, job_id: str, changes: dict[str, Any]) -> JobRecord:
        """Change hyperparameters of a job that is not finished; a running job applies them at once."""
        table = self.table
        with table.lock:
            job = table.jobs.get(job_id)
            record = self.get(job_id)
            transition(job_id, record.status, "change")
            trainer = check_trainer_change(record.trainer, changes, self.settings)
            self.store.update(job_id, trainer=trainer)  # first: when it cannot be saved, nothing changes
            if job is not None:  # a job that is not training gets it with its next placement
                job.trainer = trainer
                table.placer.send(
                    job, {"op": "set_trainer", "job": job_id, "changes": changes, "reply_to": None}
                )
            table.emit(job_id, {"type": "trainer", "trainer": trainer})
        return self.get(job_id)

    def set_keep(self, job_id: str, keep: bool) -> JobRecord:
        """Mark the job to be kept (never deleted to make room), or not."""
        with self.table.lock:
            spec = {**self.table.record(job_id).spec, "keep": keep}
            self.store.update(job_id, spec=spec)
            if (job := self.table.jobs.get(job_id)) is not None:
                job.spec = JobSpec.model_validate(spec)
        return self.get(job_id)

    def change_view(self, job_id: str, changes: dict[str, Any], reply_to: int | None) -> None:
        """Choose what the job's frames show (shared by all its viewers); the worker checks the choice
        against the net and announces it (a paused job visits a worker for that)."""
        check_view_change(changes, self.settings)
        self.store.check_writable()  # the view is kept with the job
        table = self.table
        table.prefetch(job_id)
        with table.lock:
            job = table.live(job_id, "view")
            transition(job_id, job.status, "view")
            if job.status == "queued":
                job.view.update(changes)  # applied, and checked, when it starts
            else:
                table.command(
                    job, {"op": "set_view", "job": job_id, "changes": changes, "reply_to": reply_to}
                )

    def set_weight(self, job_id: str, change: WeightChange) -> JobRecord:
        """Set one weight of a queued, running or paused job's net. A running job's worker applies it
        at once, a paused job visits one for it; this waits until it is applied (then every viewer
        has a ``weight`` message and fresh frames). A queued job gets it when it starts."""
        self.store.check_writable()  # a read-only server could not keep the weight
        table = self.table
        table.prefetch(job_id)

        def send(request: int) -> bool:
            with table.lock:
                job = table.live(job_id, "edit")
                transition(job_id, job.status, "edit")
                check_weight_change(job.spec.model_dump(), change)
                command = {"op": "set_weight", "job": job_id, **change.model_dump(), "request": request}
                table.command(job, command)
                return job.status != "queued"

        table.answers.ask(job_id, send)
        return self.get(job_id)

    def reset(self, job_id: str, seed: int | None) -> JobRecord:
        """Start over from fresh weights with the same spec (and a new seed if given). A job that was
        running or queued queues again; any other comes back paused at step 0."""
        table = self.table
        with table.lock:
            record = self.get(job_id)
            event = "reset_active" if record.status in ACTIVE else "reset_idle"
            status = transition(job_id, record.status, event)
            spec = JobSpec.model_validate({**record.spec, **({"seed": seed} if seed is not None else {})})
            checked = check_job_spec(spec, self.settings)
            record.status = status
            record.trainer = {"method": spec.trainer.method, **spec.trainer.settings()}
            # first: when it cannot be saved, the old run goes on untouched
            self.store.reset_state(job_id, spec.model_dump(mode="json"), record.trainer)
            if (old := table.jobs.get(job_id)) is not None:
                table.placer.drop(old)
                table.answers.abandon([job_id])
                table.forget(old)
            job = table.jobs[job_id] = new_live_job(record, checked, self.settings)
            table.emit(job_id, {"type": "reset", "seed": spec.seed, "trainer": record.trainer})
            if status == "queued":
                table.queue.append(job_id)
            elif table.viewers.count(job_id):
                job.visit.append({"op": "render", "job": job_id})  # its viewers see the fresh net
            table.set_status(job, status, pause_reason="user")  # paused: it waits for a person's resume
            table.reconcile(job)
            table.schedule()
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        """Remove a job and everything kept about it; its viewers are told and disconnected."""
        table = self.table
        with table.lock:
            with contextlib.suppress(JobUnreadable):  # a damaged row can still be deleted
                table.record(job_id)
            self.store.delete(job_id)  # first: when it cannot be deleted, the job goes on untouched
            if (job := table.jobs.get(job_id)) is not None:
                table.placer.drop(job)
                table.answers.abandon([job_id])
                job.unsaved = False  # nothing of it is to be kept
                table.forget(job)
            table.viewers.forget(job_id)
            table.schedule()
        table.call_hub(table.hub.close_job, job_id, {"type": "status", "status": "deleted"})

    def watch(self, job_id: str, watch: Watch) -> None:
        """The hub's newest count of the job's viewers and the frame kinds they show. Counts can arrive
        out of order; an older one than the last is ignored. A new viewer of a paused job, or a kind
        newly shown, gets its frames drawn (the job visits a worker)."""
        table = self.table
        table.prefetch(job_id)
        with table.lock:
            status = table.status(job_id)
            if status is None:
                return
            try:
                old = table.viewers.update(job_id, watch)
            except Stale:
                return
            job = table.jobs.get(job_id)
            if job is not None and table.placer.send(
                job, {"op": "watch", "job": job_id, "kinds": watch.kinds}
            ):
                return
            if status == "paused" and _shows_more(watch, old):
                try:
                    job = job or table.live(job_id, "view")
                except JobConflict:
                    return  # it cannot run any more (its upload is gone): there is nothing to draw
                table.command(job, {"op": "render", "job": job_id})

    # ---- asking a worker ------------------------------------------------------------------------

    def ask_worker(self, job_id: str, command: Command) -> Any | None:
        """Send `command` (``predict`` or ``checkpoint``) to the worker training the job and wait for
        its answer; None when no worker trains it (or its run ended meanwhile). Raises JobConflict
        when the worker does not answer in time."""
        table = self.table

        def send(request: int) -> bool:
            with table.lock:
                job = table.jobs.get(job_id)
                question = {**command, "job": job_id, "request": request}
                return job is not None and table.placer.send(job, question)

        return table.answers.ask(job_id, send)

    def fresh_checkpoint(self, job_id: str) -> str | None:
        """The newest weights (checkpoint JSON): the training worker's own, else the last the server
        has."""
        answer = self.ask_worker(job_id, {"op": "checkpoint"})
        return answer if answer is not None else self.stored_checkpoint(job_id)

    def stored_checkpoint(self, job_id: str) -> str | None:
        """The last checkpoint (JSON) the server has, in memory or stored, without asking a worker."""
        with self.table.lock:
            job = self.table.jobs.get(job_id)
            if job is not None and job.checkpoint is not None:
                return job.checkpoint
            self.table.record(job_id)
        return self.store.checkpoint(job_id)

    # ---- housekeeping (its own thread) ---------------------------------------------------------------

    def _housekeep(self) -> None:
        """Write running jobs' state every `checkpoint_seconds`; pause jobs nobody watches any more."""
        while not self.table.closing.wait(HOUSEKEEPING_SECONDS):
            try:
                self.housekeeping_round(time.monotonic())
            except Exception:
                log.exception("housekeeping failed; it goes on")

    def housekeeping_round(self, now: float) -> None:
        """One round; each job under the lock on its own, so a big checkpoint's write delays no more."""
        table = self.table
        with table.lock:
            table.viewers.forget_stale(now, keep=set(table.jobs))
            job_ids = list(table.jobs)
        for job_id in job_ids:
            with table.lock:
                if (job := table.jobs.get(job_id)) is not None:
                    self._tend(job, now)

    def _tend(self, job: LiveJob, now: float) -> None:
        table = self.table
        due = now - job.saved_at >= self.settings.checkpoint_seconds
        if due and (job.status == "running" or (job.unsaved and job.placement is None)):
            table.save(job)
            if not job.unsaved and job.placement is None:
                table.reconcile(job)  # at rest and written at last: it leaves memory
        limit = job.spec.pause_when_unwatched
        idle = limit is not None and table.viewers.unwatched_for(job.id, job.active_since, now) >= limit
        if job.status in ACTIVE and idle:
            table.pause(job, "idle", "unwatched", f"paused: nobody watching for {limit:g} s")


def _shows_more(watch: Watch, old: Watch | None) -> bool:
    """Whether `watch` has more viewers than `old`, or shows a kind `old` did not."""
    if old is None:
        return watch.count > 0
    if watch.count > old.count:
        return True
    if not watch.count or old.kinds is None:
        return False
    return watch.kinds is None or bool(set(watch.kinds) - set(old.kinds))
