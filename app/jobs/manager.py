"""Jobs' lifecycle: the one place a job's status changes, and what each change asks of the workers.

The manager keeps in memory only the jobs that are queued, running or visiting a worker (`LiveJob`);
every other job is its database record (app.jobs.persistence). Statuses change only through
`app.jobs.states.transition`, always under the manager's lock, and each change is then carried out by
`_reconcile`, which compares what the job's status wants with where the job is: a running job without a
worker is placed on one; a job that should not train is parked (its worker sends a last checkpoint and
forgets it); a paused job with commands waiting (a step, a view change, frames for a new viewer) visits
a worker, which does them and parks it again. The executor (app.jobs.executor) runs the workers.

Every progress report carries the checkpoint of its step, and the server keeps the newest in memory:
a worker that dies costs its jobs only the steps nobody was shown yet; they go on from there on a live
worker, still ``running``, with a message that says so. The database gets each running job's state
every `checkpoint_seconds`, and at every pause, stop and end.

Methods may be called from any thread; `watch` is quick enough for the event loop. Messages for viewers
reach the hub through ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
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
    load_dataset,
)
from app.hub import Hub, Outgoing, Watch
from app.jobs.answers import Answers
from app.jobs.capacity import memory_budget
from app.jobs.executor import Executor
from app.jobs.live import LiveJob
from app.jobs.persistence import load_live_job, make_room, new_live_job, save_state
from app.jobs.placement import Placer
from app.jobs.pool import LocalPool
from app.jobs.protocol import Command, Message
from app.jobs.states import ACTIVE, JobConflict, transition
from app.jobs.viewers import Stale, Viewers
from app.settings import Settings
from app.spec import JobSpec
from app.store import JobRecord, JobStore
from engine.datasets import Dataset

HOUSEKEEPING_SECONDS = 0.25
PARK_WAIT_SECONDS = 5.0
CRASH_WINDOW_SECONDS = 60.0
MAX_CRASHES = 3
log = logging.getLogger("netplay.jobs")


class JobNotFound(Exception):
    """No job has this id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job '{job_id}' not found")
        self.job_id = job_id


class JobManager:
    """Every job's status and placement; see the module docstring."""

    def __init__(
        self, settings: Settings, store: JobStore, hub: Hub, executor: Executor | None = None
    ) -> None:
        self.settings, self.store, self.hub = settings, store, hub
        self.executor: Executor = executor if executor is not None else LocalPool(settings.workers)
        self.placer = Placer(self.executor, settings)
        self.viewers = Viewers()
        self.answers = Answers()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.memory_budget = memory_budget()
        self._jobs: dict[str, LiveJob] = {}
        self._queue: list[str] = []
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._housekeeper = threading.Thread(target=self._housekeep, name="netplay-housekeeping", daemon=True)

    # ---- startup and shutdown -------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Start the workers and adopt what the database holds: jobs that were training become
        ``interrupted``; jobs that were queued queue again."""
        self.loop = loop
        self.executor.start(self)
        self.store.mark_interrupted(("running",))
        with self._lock:
            for job_id in self.store.ids_with_status("queued"):
                record = self.store.get(job_id)
                try:
                    job = load_live_job(record, self.store, self.settings)
                except SpecInvalid as error:
                    self.store.update(job_id, status="failed", error=f"it cannot run any more: {error.msg}")
                    continue
                self._jobs[job_id] = job
                self._queue.append(job_id)
            self._schedule()
        self._housekeeper.start()

    def shutdown(self, wait_seconds: float = 3.0) -> None:
        """Park every job a worker holds (each sends its last checkpoint), then end the workers; jobs
        that were training become ``interrupted`` (a restarted server offers ``resume``)."""
        self._closing.set()
        with self._lock:
            placed = [job for job in self._jobs.values() if job.placement is not None]
            for job in placed:
                if not job.placement.parking:
                    self.placer.park(job)
        deadline = time.monotonic() + wait_seconds
        for job in placed:
            job.parked.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for job in self._jobs.values():
                if job.checkpoint is not None:
                    save_state(self.store, job)
            self._jobs.clear()
            self._queue.clear()
        self.executor.shutdown()
        self.store.mark_interrupted(("running",))

    # ---- creating and reading -------------------------------------------------------------------

    def create(self, checked: CheckedJob, *, paused: bool = False) -> JobRecord:
        """Store a new job (making room if the store is full) and queue it; or keep it paused at step 0
        until it is resumed or stepped (its viewers see its untrained net)."""
        spec = checked.spec
        record = JobRecord(
            id=uuid.uuid4().hex[:12],
            name=spec.name,
            status="paused" if paused else "queued",
            spec=spec.model_dump(mode="json"),
            trainer={"method": spec.trainer.method, **spec.trainer.settings()},
            num_parameters=checked.num_parameters,
            pause_reason="user" if paused else None,
        )
        with self._lock:
            spared = set(self._jobs) | self.viewers.watched()
            make_room(self.store, self.settings.max_stored_jobs, spared, self.delete)
            self.store.insert(record)
            if not paused:
                self._jobs[record.id] = new_live_job(record, checked, self.settings)
                self._queue.append(record.id)
                self._schedule()
        return self.get(record.id)

    def get(self, job_id: str) -> JobRecord:
        """The job as stored, with the fresher status, metrics and trainer of a job in memory. Read
        under the lock, so never between two writes of one change."""
        with self._lock:
            record = self._record(job_id)
            job = self._jobs.get(job_id)
            if job is not None:
                record.status, record.progress, record.trainer = job.status, job.progress, job.trainer
                record.message, record.pause_reason, record.view = job.message, job.pause_reason, job.view
        return record

    def list(self, status: str | None, limit: int, offset: int) -> tuple[list[JobRecord], int]:
        """One page of jobs, newest first, with the state of jobs in memory laid over."""
        with self._lock:
            records, total = self.store.list(status, limit, offset)
            return [self.get(record.id) if record.id in self._jobs else record for record in records], total

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next queued job to start, None when not queued."""
        with self._lock:
            return self._queue.index(job_id) + 1 if job_id in self._queue else None

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """The job's metric history, oldest first (thinned for long runs)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                return list(job.history.points)
        self._record(job_id)
        return self.store.history(job_id)

    def dataset(self, job_id: str) -> Dataset:
        """The job's data (built again from its spec unless the server holds it already)."""
        return load_dataset(self.get(job_id).spec["dataset"], self.settings.uploads_dir)

    # ---- control ----------------------------------------------------------------------------------

    def pause(self, job_id: str) -> JobRecord:
        """Pause a queued or running job; it parks (its worker keeps nothing of it), and this waits
        until its last checkpoint is in, so the answer shows where it stopped. No-op when paused."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                transition(job_id, self._record(job_id).status, "pause")
                return self.get(job_id)
            self._pause(job, "pause", "user", None)
        job.parked.wait(PARK_WAIT_SECONDS)
        return self.get(job_id)

    def resume(self, job_id: str) -> JobRecord:
        """Train a paused job again (queued when there is no room), an interrupted one from its last
        checkpoint; no-op for a job that is running or queued."""
        with self._lock:
            job = self._live(job_id, "resume")
            status = transition(job_id, job.status, "resume")
            if status != job.status:
                job.active_since = time.monotonic()
                self._queue.append(job_id)
                self._set_status(job, status)
                self._schedule()
        return self.get(job_id)

    def step(self, job_id: str) -> JobRecord:
        """One training step of a paused job (it visits a worker for it, then parks again)."""
        with self._lock:
            job = self._live(job_id, "step")
            transition(job_id, job.status, "step")
            job.visit.append({"op": "step", "job": job_id})
            self._reconcile(job)
        return self.get(job_id)

    def stop(self, job_id: str) -> JobRecord:
        """End a job for good; its worker's last checkpoint keeps its model downloadable."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                status = transition(job_id, self._record(job_id).status, "stop")
                self.store.update(job_id, status=status, message=None, pause_reason=None)
                self._emit(job_id, {"type": "status", "status": status, "message": None})
                return self.get(job_id)
            status = transition(job_id, job.status, "stop")
            self._dequeue(job)
            self._set_status(job, status)
            self._reconcile(job)
            self._schedule()
        job.parked.wait(PARK_WAIT_SECONDS)
        return self.get(job_id)

    def change_trainer(self, job_id: str, changes: dict[str, Any]) -> JobRecord:
        """Change hyperparameters of a job that is not finished; a running job applies them at once."""
        with self._lock:
            job = self._jobs.get(job_id)
            record = self.get(job_id)
            transition(job_id, record.status, "change")
            trainer = check_trainer_change(record.trainer, changes, self.settings)
            if job is not None:  # a job that is not training gets it with its next placement
                job.trainer = trainer
                command = {"op": "set_trainer", "job": job_id, "changes": changes, "reply_to": None}
                self.placer.send(job, command)
            self.store.update(job_id, trainer=trainer)
            self._emit(job_id, {"type": "trainer", "trainer": trainer})
        return self.get(job_id)

    def set_keep(self, job_id: str, keep: bool) -> JobRecord:
        """Mark the job to be kept (never deleted to make room), or not."""
        with self._lock:
            record = self._record(job_id)
            spec = {**record.spec, "keep": keep}
            self.store.update(job_id, spec=spec)
            if (job := self._jobs.get(job_id)) is not None:
                job.spec = JobSpec.model_validate(spec)
        return self.get(job_id)

    def change_view(self, job_id: str, changes: dict[str, Any], reply_to: int | None) -> None:
        """Choose what the job's frames show (shared by all its viewers); the worker checks the choice
        against the net and announces it (a paused job visits a worker for that)."""
        check_view_change(changes, self.settings)
        with self._lock:
            job = self._live(job_id, "view")
            transition(job_id, job.status, "view")
            if job.status == "queued":
                job.view.update(changes)  # applied, and checked, when it starts
            else:
                self._command(
                    job, {"op": "set_view", "job": job_id, "changes": changes, "reply_to": reply_to}
                )

    def reset(self, job_id: str, seed: int | None) -> JobRecord:
        """Start over from fresh weights with the same spec (and a new seed if given). A job that was
        running or queued queues again; any other comes back paused at step 0."""
        with self._lock:
            record = self.get(job_id)
            event = "reset_active" if record.status in ACTIVE else "reset_idle"
            status = transition(job_id, record.status, event)
            spec = JobSpec.model_validate({**record.spec, **({"seed": seed} if seed is not None else {})})
            checked = check_job_spec(spec, self.settings)
            if (old := self._jobs.pop(job_id, None)) is not None:
                self._dequeue(old)
                self.placer.drop(old)
            record.status = status
            record.trainer = {"method": spec.trainer.method, **spec.trainer.settings()}
            job = self._jobs[job_id] = new_live_job(record, checked, self.settings)
            self.store.delete_checkpoint(job_id)
            self.store.set_history(job_id, [])
            self.store.update(
                job_id, spec=spec.model_dump(mode="json"), progress={}, error=None, stop_reason=None,
                trainer=record.trainer,
            )  # fmt: skip
            self._emit(job_id, {"type": "reset", "seed": spec.seed, "trainer": record.trainer})
            if status == "queued":
                self._queue.append(job_id)
            elif self.viewers.count(job_id):
                job.visit.append({"op": "render", "job": job_id})  # its viewers see the fresh net
            self._set_status(job, status, pause_reason="user")  # paused: it waits for a person's resume
            self._reconcile(job)
            self._schedule()
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        """Remove a job and everything kept about it; its viewers are told and disconnected."""
        with self._lock:
            self._record(job_id)
            if (job := self._jobs.pop(job_id, None)) is not None:
                self._dequeue(job)
                self.placer.drop(job)
            self.store.delete(job_id)
            self.viewers.forget(job_id)
            self._schedule()
        self._call_hub(self.hub.close_job, job_id, {"type": "status", "status": "deleted"})

    def watch(self, job_id: str, watch: Watch) -> None:
        """The hub's newest count of the job's viewers and the frame kinds they show. Counts can arrive
        out of order; an older one than the last is ignored. A new viewer of a paused job, or a kind
        newly shown, gets its frames drawn (the job visits a worker)."""
        with self._lock:
            job = self._jobs.get(job_id)
            status = job.status if job is not None else self._stored_status(job_id)
            if status is None:
                return
            try:
                old = self.viewers.update(job_id, watch)
            except Stale:
                return
            if job is not None and self.placer.send(
                job, {"op": "watch", "job": job_id, "kinds": watch.kinds}
            ):
                return
            if status == "paused" and _shows_more(watch, old):
                try:
                    job = job or self._live(job_id, "view")
                except JobConflict:
                    return  # it cannot run any more (its upload is gone): there is nothing to draw
                job.visit.append({"op": "render", "job": job_id})
                self._reconcile(job)

    # ---- asking a worker ------------------------------------------------------------------------

    def ask_worker(self, job_id: str, command: Command) -> Any | None:
        """Send `command` (``predict`` or ``checkpoint``) to the worker training the job and wait for
        its answer; None when no worker trains it (or the worker died meanwhile). Raises JobConflict
        when the worker does not answer in time or rejects the command."""

        def send(request: int) -> bool:
            with self._lock:
                job = self._jobs.get(job_id)
                return job is not None and self.placer.send(
                    job, {**command, "job": job_id, "request": request}
                )

        return self.answers.ask(job_id, send)

    def fresh_checkpoint(self, job_id: str) -> dict[str, Any] | None:
        """The newest weights: the training worker's own, else the last checkpoint the server has."""
        answer = self.ask_worker(job_id, {"op": "checkpoint"})
        if answer is not None:
            return answer
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.checkpoint is not None:
                return job.checkpoint
        self._record(job_id)
        return self.store.checkpoint(job_id)

    def stored_checkpoint(self, job_id: str) -> dict[str, Any] | None:
        """The last checkpoint the server has (in memory or stored), without asking a worker."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and job.checkpoint is not None:
                return job.checkpoint
        return self.store.checkpoint(job_id)

    # ---- what the workers say (the executor's threads) --------------------------------------------

    def message(self, message: Message) -> None:
        """A worker's message about a job (app.jobs.protocol); one about an earlier run is ignored."""
        kind, job_id, run, *rest = message
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.placement is None or job.placement.run != run:
                return
            if kind == "progress":
                self._take_progress(job, *rest)
            elif kind in ("frame", "visual"):
                self._emit(job_id, rest[1], frame_key=rest[0])
            elif kind == "parked":
                self._on_parked(job, *rest)
            elif kind == "done":
                self._on_done(job, *rest)
            elif kind == "trainer":
                job.trainer = rest[0]
                self.store.update(job_id, trainer=job.trainer)
                self._emit(job_id, {"type": "trainer", "trainer": job.trainer})
            elif kind == "view":
                job.view = rest[0]
                self.store.update(job_id, view=job.view)
                self._emit(job_id, {"type": "view", "view": job.view})
            elif kind == "rejected":
                self._call_hub(self.hub.send_to, job_id, rest[0], {"type": "error", "message": rest[1]})
            elif kind == "answer":
                self.answers.answer(*rest)

    def _take_progress(self, job: LiveJob, progress: dict[str, Any] | None, checkpoint: Any) -> None:
        """A progress report and the checkpoint of its step (a checkpoint alone: no step since)."""
        if checkpoint is not None:
            job.checkpoint = checkpoint
        if progress is None:
            return
        job.progress = progress
        job.history.add(progress)
        self._emit(job.id, {"type": "progress", **progress})

    def _on_parked(self, job: LiveJob, progress: dict[str, Any], checkpoint: dict[str, Any]) -> None:
        self._take_progress(job, progress, checkpoint)
        self.placer.release(job)
        save_state(self.store, job)
        self._reconcile(job)  # resumed meanwhile: placed again; asked to step: visits again

    def _on_done(self, job: LiveJob, outcome: dict[str, Any], progress: Any, checkpoint: Any) -> None:
        self._take_progress(job, progress, checkpoint)
        self.placer.release(job)
        if job.status in ("running", "paused"):  # a stop that crossed the end stays a stop
            event = "complete" if outcome["status"] == "completed" else "fail"
            status = transition(job.id, job.status, event)
            self._set_status(job, status, error=outcome["error"], stop_reason=outcome["stop_reason"])
        save_state(self.store, job)
        self._forget(job)
        self._schedule()

    def worker_lost(self, worker: str, jobs: list[str], reason: str) -> None:
        """A worker died: its running jobs go on from their checkpoints on live workers."""
        self.answers.abandon(jobs)
        with self._lock:
            for job_id in jobs:
                job = self._jobs.get(job_id)
                if job is None or job.placement is None or job.placement.worker != worker:
                    continue
                job.placement = None
                if job.status == "running":
                    self._recover(job, reason)
                else:  # it was parking or visiting: what the server holds is its last state
                    save_state(self.store, job)
                    job.parked.set()
                    self._reconcile(job)

    def _recover(self, job: LiveJob, reason: str) -> None:
        now = time.monotonic()
        job.crashes = [*(at for at in job.crashes if now - at < CRASH_WINDOW_SECONDS), now]
        if len(job.crashes) >= MAX_CRASHES:
            error = (
                f"its worker died {len(job.crashes)} times within a minute while training it (last: "
                f"{reason}); it may need more memory than the server has"
            )
            self._set_status(job, transition(job.id, job.status, "fail"), error=error, stop_reason=None)
            save_state(self.store, job)
            self._forget(job)
            self._schedule()
            return
        step = job.progress.get("step", 0)
        message = f"recovered at step {step:,}: its worker died ({reason}) and it went on from there"
        self._set_status(job, transition(job.id, job.status, "recover"), message=message)
        self._reconcile(job)

    # ---- carrying out a status (with the lock held) -------------------------------------------------

    def _reconcile(self, job: LiveJob) -> None:
        """Make where the job is match what its status wants (module docstring)."""
        placement = job.placement
        if placement is not None:
            if job.status != "running" and not placement.parking:
                self.placer.park(job)
        elif self._closing.is_set():
            return  # shutting down: what the job has parked with is where a restart finds it
        elif job.status == "running":
            self.placer.place(job, paused=False, kinds=self.viewers.kinds(job.id))
        elif job.status == "paused" and job.visit:
            self.placer.visit(job, job.visit, self.viewers.kinds(job.id))
            job.visit = []
        elif job.status != "queued":
            self._forget(job)

    def _forget(self, job: LiveJob) -> None:
        """The job is at rest: its record is the whole job."""
        if self._jobs.get(job.id) is job:
            del self._jobs[job.id]
        job.parked.set()

    def _dequeue(self, job: LiveJob) -> None:
        if job.id in self._queue:
            self._queue.remove(job.id)

    def _command(self, job: LiveJob, command: Command) -> None:
        """Send a command to the job's worker now, or keep it for the paused job's next visit."""
        if not self.placer.send(job, command):
            job.visit.append(command)
            self._reconcile(job)

    def _pause(self, job: LiveJob, event: str, reason: str, message: str | None) -> None:
        status = transition(job.id, job.status, event)
        self._dequeue(job)
        self._set_status(job, status, message=message, pause_reason=reason)
        self._reconcile(job)
        self._schedule()

    def _set_status(self, job: LiveJob, status: str, *, message: str | None = None, **extra: Any) -> None:
        """The status and its message, in memory, in the database and to the viewers."""
        pause_reason = extra.pop("pause_reason", None) if status == "paused" else None
        extra.pop("pause_reason", None)
        job.status, job.message, job.pause_reason = status, message, pause_reason
        self.store.update(job.id, status=status, message=message, pause_reason=pause_reason, **extra)
        event = {
            "type": "status",
            "status": status,
            "message": message,
            "pause_reason": pause_reason,
            **extra,
        }
        if status == "queued":
            event["queue_position"] = self._queue.index(job.id) + 1 if job.id in self._queue else None
        self._emit(job.id, event)

    def _schedule(self) -> None:
        """Admit queued jobs, oldest first, while there is room: fewer than `max_running_jobs` running
        and their estimated memory within the budget (one job is always admitted)."""
        running = [job for job in self._jobs.values() if job.status == "running"]
        memory = sum(job.memory for job in running)
        while self._queue:
            job = self._jobs[self._queue[0]]
            over_budget = bool(running) and memory + job.memory > self.memory_budget
            if len(running) >= self.settings.max_running_jobs or over_budget:
                break
            self._queue.pop(0)
            running.append(job)
            memory += job.memory
            self._set_status(job, transition(job.id, job.status, "admit"))
            self._reconcile(job)
        for position, job_id in enumerate(self._queue, start=1):
            event = {"type": "status", "status": "queued", "message": None, "pause_reason": None}
            self._emit(job_id, {**event, "queue_position": position})

    # ---- reading the database (with the lock held) --------------------------------------------------

    def _record(self, job_id: str) -> JobRecord:
        record = self.store.get(job_id)
        if record is None:
            raise JobNotFound(job_id)
        return record

    def _stored_status(self, job_id: str) -> str | None:
        record = self.store.get(job_id)
        return record.status if record is not None else None

    def _live(self, job_id: str, event: str) -> LiveJob:
        """The job in memory, brought in from the database when `event` can happen to it."""
        job = self._jobs.get(job_id)
        if job is not None:
            return job
        record = self._record(job_id)
        transition(job_id, record.status, event)
        try:
            job = load_live_job(record, self.store, self.settings)
        except SpecInvalid as error:
            raise JobConflict(f"job '{job_id}' cannot run any more: {error.msg}") from None
        self._jobs[job_id] = job
        return job

    # ---- housekeeping (its own thread) ---------------------------------------------------------------

    def _housekeep(self) -> None:
        """Write running jobs' state every `checkpoint_seconds`; pause jobs nobody watches any more."""
        while not self._closing.wait(HOUSEKEEPING_SECONDS):
            try:
                self._housekeeping_round(time.monotonic())
            except Exception:
                log.exception("housekeeping failed; it goes on")

    def _housekeeping_round(self, now: float) -> None:
        with self._lock:
            self.viewers.forget_stale(now, keep=set(self._jobs))
            for job in list(self._jobs.values()):
                if job.status == "running" and now - job.saved_at >= self.settings.checkpoint_seconds:
                    save_state(self.store, job)
                limit = job.spec.pause_when_unwatched
                idle = (
                    limit is not None and self.viewers.unwatched_for(job.id, job.active_since, now) >= limit
                )
                if job.status in ACTIVE and idle:
                    self._pause(job, "idle", "unwatched", f"paused: nobody watching for {limit:g} s")

    # ---- to the viewers -------------------------------------------------------------------------------

    def _emit(self, job_id: str, message: Outgoing | dict[str, Any], frame_key: str | None = None) -> None:
        self._call_hub(self.hub.publish, job_id, message, frame_key)

    def _call_hub(self, method: Any, *args: Any) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(method, *args)


def _shows_more(watch: Watch, old: Watch | None) -> bool:
    """Whether `watch` has more viewers than `old`, or shows a kind `old` did not."""
    if old is None:
        return watch.count > 0
    if watch.count > old.count:
        return True
    if not watch.count or old.kinds is None:
        return False
    return watch.kinds is None or bool(set(watch.kinds) - set(old.kinds))
