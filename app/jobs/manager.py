"""Jobs' lifecycle: the state machine, the queue for worker slots, and relaying workers' messages.

States: ``queued`` (waiting for a slot; `max_running_jobs` train at once), ``running``, ``paused``
(a paused job's process stays alive and idle and holds no slot; resuming asks for a slot again and
queues when none is free), ``completed`` (a stop condition was met), ``stopped`` (by a user),
``failed`` (diverged or crashed; `error` says why), ``interrupted`` (it was running or paused when the
server stopped; ``resume`` continues from its last checkpoint). Completed, stopped and failed are
final: ``reset`` starts such a job again from fresh weights.

Every method may be called from any thread except the event loop's (they wait on SQLite and on
processes); messages for viewers reach the hub through ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.checks import CheckedJob, SpecInvalid, check_trainer_change, load_dataset
from app.history import MetricHistory
from app.hub import Hub, Outgoing
from app.jobs.live import LiveJob, start_worker
from app.jobs.worker import WorkerLimits
from app.settings import Settings
from app.spec import JobSpec
from app.store import JobRecord, JobStore
from engine.datasets import Dataset

FINAL = ("completed", "stopped", "failed")
PROGRESS_SAVE_SECONDS = 2.0
CHECKPOINT_WAIT_SECONDS = 10.0


class JobNotFound(Exception):
    """No job has this id."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job '{job_id}' not found")
        self.job_id = job_id


class JobConflict(Exception):
    """The job is not in a state where the request makes sense; the message says why."""


@dataclass
class _Answer:
    ready: threading.Event = field(default_factory=threading.Event)
    value: Any = None


class JobManager:
    """Owns every live job and its worker; the single place where a job's status changes."""

    def __init__(self, settings: Settings, store: JobStore, hub: Hub) -> None:
        self.settings, self.store, self.hub = settings, store, hub
        self.loop: asyncio.AbstractEventLoop | None = None
        self._live: dict[str, LiveJob] = {}
        self._queue: list[str] = []
        self._lock = threading.RLock()
        self._requests = itertools.count(1)
        self._answers: dict[int, _Answer] = {}
        # Viewers per job outlive a job's LiveJob (a reset or a resume after a restart makes a new one).
        self._viewers: dict[str, int] = {}
        self._limits = WorkerLimits(settings.max_steps, settings.max_job_seconds, settings.checkpoint_seconds)

    # ---- startup and shutdown -------------------------------------------------------------------

    def start(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Adopt what the database holds: jobs that were training become ``interrupted``; jobs that
        were queued queue again."""
        self.loop = loop
        self.store.mark_interrupted(("running", "paused"))
        for job_id in self.store.ids_with_status("queued"):
            record = self.store.get(job_id)
            if record is None:
                continue
            try:
                self._adopt(record, "queued")
            except SpecInvalid as error:
                self.store.update(job_id, status="failed", error=f"cannot load its dataset: {error.msg}")
        with self._lock:
            self._schedule()

    def shutdown(self, wait_seconds: float = 3.0) -> None:
        """Ask every worker for a last checkpoint, then end them; their jobs become ``interrupted``
        in the database (so a restarted server offers ``resume``)."""
        with self._lock:
            jobs = [job for job in self._live.values() if job.worker is not None]
            for job in jobs:
                job.checkpoint_ready.clear()
                job.worker.send({"op": "pause"})
        deadline = time.monotonic() + wait_seconds
        for job in jobs:
            job.checkpoint_ready.wait(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for job in list(self._live.values()):
                if job.worker is not None:
                    job.generation += 1  # its exit is expected: not a failure
                    job.worker.kill()
                    job.worker = None
                self._save_progress(job)
            self._live.clear()
            self._queue.clear()
        self.store.mark_interrupted(("running", "paused"))

    # ---- creating and reading ------------------------------------------------------------------

    def create(self, checked: CheckedJob) -> JobRecord:
        """Store a new job and queue it."""
        if self.store.count() >= self.settings.max_stored_jobs:
            raise SpecInvalid(
                ("body",), f"the server keeps at most {self.settings.max_stored_jobs} jobs: delete some first"
            )
        spec = checked.spec
        record = JobRecord(
            id=uuid.uuid4().hex[:12],
            name=spec.name,
            status="queued",
            spec=spec.model_dump(mode="json"),
            trainer={"method": spec.trainer.method, **spec.trainer.settings()},
            num_parameters=checked.num_parameters,
        )
        self.store.insert(record)
        with self._lock:
            self._live[record.id] = self._live_job(record, spec, checked.dataset, [])
            self._queue.append(record.id)
            self._schedule()
        return self.get(record.id)

    def get(self, job_id: str) -> JobRecord:
        """The job as stored, with the in-memory status and metrics of a live job laid over it."""
        record = self.store.get(job_id)
        if record is None:
            raise JobNotFound(job_id)
        with self._lock:
            self._overlay_live(record)
        return record

    def list(self, status: str | None, limit: int, offset: int) -> tuple[list[JobRecord], int]:
        """One page of jobs, newest first, with live state laid over."""
        records, total = self.store.list(status, limit, offset)
        with self._lock:
            for record in records:
                self._overlay_live(record)
        return records, total

    def queue_position(self, job_id: str) -> int | None:
        """1 for the next queued job to start, None when not queued."""
        with self._lock:
            return self._queue.index(job_id) + 1 if job_id in self._queue else None

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """The job's metric history, oldest first (thinned for long runs)."""
        with self._lock:
            job = self._live.get(job_id)
            if job is not None:
                return list(job.history.points)
        if self.store.get(job_id) is None:
            raise JobNotFound(job_id)
        return self.store.history(job_id)

    def dataset(self, job_id: str) -> Dataset:
        """The job's data (built again, from its spec, when the job is not live)."""
        with self._lock:
            job = self._live.get(job_id)
            if job is not None:
                return job.data
        return load_dataset(self.get(job_id).spec["dataset"], self.settings.uploads_dir)

    def live_job(self, job_id: str) -> LiveJob | None:
        """The in-memory job, when it is queued, running or paused."""
        with self._lock:
            return self._live.get(job_id)

    # ---- control --------------------------------------------------------------------------------

    def pause(self, job_id: str) -> JobRecord:
        """Pause a queued or running job (its slot goes to the next queued job); no-op when paused."""
        with self._lock:
            job = self._require_live(job_id, "pause")
            if job.status == "queued":
                self._queue.remove(job_id)
            elif job.status == "running" and job.worker is not None:
                job.worker.send({"op": "pause"})
            self._set_status(job, "paused")
            self._schedule()
        return self.get(job_id)

    def resume(self, job_id: str) -> JobRecord:
        """Run a paused job again (queued if no slot is free); an interrupted one from its checkpoint."""
        record = self.get(job_id)
        if record.status == "interrupted":
            data = load_dataset(record.spec["dataset"], self.settings.uploads_dir)
            with self._lock:
                if job_id not in self._live:
                    self._live[job_id] = self._live_job(
                        record, JobSpec.model_validate(record.spec), data, self.store.history(job_id)
                    )
                    self._live[job_id].status = "paused"
        with self._lock:
            job = self._require_live(job_id, "resume")
            if job.status == "paused":
                self._queue.append(job_id)
                self._set_status(job, "queued")
                self._schedule()
        return self.get(job_id)

    def step(self, job_id: str) -> JobRecord:
        """Take one training step of a paused job (its worker starts, without taking a slot, if need be)."""
        with self._lock:
            job = self._require_live(job_id, "step")
            if job.status != "paused":
                raise JobConflict(
                    f"job '{job_id}' is {job.status}: step works on a paused job, pause it first"
                )
            if job.worker is None:
                self._start(job, paused=True)
            job.worker.send({"op": "step"})
        return self.get(job_id)

    def stop(self, job_id: str) -> JobRecord:
        """End a job for good (its worker saves a last checkpoint, so its model stays downloadable)."""
        record = self.get(job_id)
        if record.status in FINAL:
            raise JobConflict(f"job '{job_id}' is already {record.status}")
        with self._lock:
            job = self._take_out(job_id)
            if job is not None:
                if job.worker is not None:
                    self._live[job_id] = job  # keep it until the worker's last messages are in
                    job.worker.send({"op": "stop"})
                self._set_status(job, "stopped")
                self._save_progress(job)
            else:
                self.store.update(job_id, status="stopped")
                self._emit(job_id, {"type": "status", "status": "stopped"})
            self._schedule()
        return self.get(job_id)

    def change_trainer(self, job_id: str, changes: dict[str, Any]) -> JobRecord:
        """Change hyperparameters of a job that is not finished; a running job applies them at once."""
        record = self.get(job_id)
        if record.status in FINAL:
            raise JobConflict(f"job '{job_id}' is {record.status}: reset it to train with other settings")
        trainer = check_trainer_change(record.trainer, changes, self.settings)
        with self._lock:
            job = self._live.get(job_id)
            if job is not None:
                job.trainer = trainer
                if job.worker is not None:
                    job.worker.send({"op": "set_trainer", "changes": changes})
            self.store.update(job_id, trainer=trainer)
            self._emit(job_id, {"type": "trainer", "trainer": trainer})
        return self.get(job_id)

    def change_view(self, job_id: str, changes: dict[str, Any], reply_to: int | None) -> None:
        """Choose what the job's visual frames show (shared by all its viewers)."""
        with self._lock:
            job = self._require_live(job_id, "change the view of")
            if job.worker is not None:  # it checks the view and announces it (then job.view follows)
                job.worker.send({"op": "set_view", "changes": changes, "reply_to": reply_to})
            else:  # kept for the worker to apply when it starts
                job.view.update(changes)

    def reset(self, job_id: str, seed: int | None) -> JobRecord:
        """Start over from fresh weights with the same spec (and a new seed if given). A job that was
        running or queued queues again; any other comes back paused at step 0."""
        record = self.get(job_id)
        spec = JobSpec.model_validate({**record.spec, **({"seed": seed} if seed is not None else {})})
        data = load_dataset(record.spec["dataset"], self.settings.uploads_dir)
        with self._lock:
            old = self._take_out(job_id)
            running = record.status in ("running", "queued")
            if old is not None and old.worker is not None:
                old.worker.kill()
            record.trainer = {"method": spec.trainer.method, **spec.trainer.settings()}
            record.progress = {}  # the new run has no step or metrics yet: never show the old run's
            job = self._live_job(record, spec, data, [])
            job.generation = (old.generation + 1) if old is not None else 0
            job.view = dict(old.view) if old is not None else {}  # what viewers chose to see stays
            self._live[job_id] = job
            self.store.delete_checkpoint(job_id)
            self.store.set_history(job_id, [])
            self.store.update(
                job_id,
                spec=spec.model_dump(mode="json"),
                progress={},
                error=None,
                stop_reason=None,
                trainer=record.trainer,
            )
            self._emit(job_id, {"type": "reset", "seed": spec.seed, "trainer": record.trainer})
            if running:
                self._queue.append(job_id)
                self._set_status(job, "queued")
            else:
                self._set_status(job, "paused")
            self._schedule()
        return self.get(job_id)

    def delete(self, job_id: str) -> None:
        """Remove a job and everything kept about it; its viewers are told and disconnected."""
        self.get(job_id)
        with self._lock:
            job = self._take_out(job_id)
            if job is not None and job.worker is not None:
                job.generation += 1
                job.worker.kill()
            self.store.delete(job_id)
            self._schedule()
        self._call_hub(self.hub.close_job, job_id, {"type": "status", "status": "deleted"})

    def fresh_checkpoint(self, job_id: str) -> dict[str, Any] | None:
        """The newest weights: asks a live worker for a checkpoint (waits briefly), else the stored one."""
        with self._lock:
            job = self._live.get(job_id)
            worker = job.worker if job is not None else None
            if worker is not None:
                job.checkpoint_ready.clear()
                worker.send({"op": "checkpoint"})
        if worker is not None:
            job.checkpoint_ready.wait(CHECKPOINT_WAIT_SECONDS)
        elif self.store.get(job_id) is None:
            raise JobNotFound(job_id)
        return self.store.checkpoint(job_id)

    def ask_worker(self, job_id: str, command: dict[str, Any]) -> Any | None:
        """Send `command` to the job's live worker and wait for its answer; None when it has no worker.
        Raises JobConflict when the worker does not answer in time or rejects the command."""
        with self._lock:
            job = self._live.get(job_id)
            if job is None or job.worker is None:
                return None
            request = next(self._requests)
            waiting = self._answers[request] = _Answer()
            job.worker.send({**command, "request": request})
        try:
            if not waiting.ready.wait(CHECKPOINT_WAIT_SECONDS):
                raise JobConflict(f"job '{job_id}' did not answer within {CHECKPOINT_WAIT_SECONDS:g} s")
        finally:
            with self._lock:
                self._answers.pop(request, None)
        if isinstance(waiting.value, dict) and "error" in waiting.value:
            raise JobConflict(waiting.value["error"])
        return waiting.value

    def set_viewers(self, job_id: str, count: int) -> None:
        """Tell the job's worker how many viewers it has (none: it skips computing visual frames)."""
        with self._lock:
            if count:
                self._viewers[job_id] = count
            else:
                self._viewers.pop(job_id, None)
            job = self._live.get(job_id)
            if job is not None:
                job.viewers = count
                if job.worker is not None:
                    job.worker.send({"op": "viewers", "count": count})

    # ---- internals (called with the lock held) -------------------------------------------------

    def _require_live(self, job_id: str, action: str) -> LiveJob:
        job = self._live.get(job_id)
        if job is None or job.status in FINAL:
            status = self.get(job_id).status
            hint = "resume it first" if status == "interrupted" else "reset it to train again"
            raise JobConflict(f"cannot {action} job '{job_id}': it is {status} ({hint})")
        return job

    def _overlay_live(self, record: JobRecord) -> None:
        """A live job's in-memory status, metrics and trainer are fresher than the stored ones."""
        job = self._live.get(record.id)
        if job is not None:
            record.status, record.progress, record.trainer = job.status, job.progress, job.trainer

    def _take_out(self, job_id: str) -> LiveJob | None:
        """Remove a job from the live set and the queue; returns it (None when it was not live)."""
        if job_id in self._queue:
            self._queue.remove(job_id)
        return self._live.pop(job_id, None)

    def _live_job(self, record: JobRecord, spec: JobSpec, data: Any, history: list[dict]) -> LiveJob:
        return LiveJob(
            id=record.id,
            spec=spec,
            data=data,
            status=record.status,
            trainer=dict(record.trainer),
            progress=dict(record.progress),
            history=MetricHistory(self.settings.history_points, history),
            viewers=self._viewers.get(record.id, 0),
        )

    def _adopt(self, record: JobRecord, status: str) -> None:
        data = load_dataset(record.spec["dataset"], self.settings.uploads_dir)
        with self._lock:
            job = self._live_job(
                record, JobSpec.model_validate(record.spec), data, self.store.history(record.id)
            )
            job.status = status
            self._live[record.id] = job
            if status == "queued":
                self._queue.append(record.id)

    def _set_status(self, job: LiveJob, status: str, **extra: Any) -> None:
        job.status = status
        self.store.update(job.id, status=status, **extra)
        message = {"type": "status", "status": status, **extra}
        if status == "queued":
            message["queue_position"] = self._queue.index(job.id) + 1 if job.id in self._queue else None
        self._emit(job.id, message)

    def _schedule(self) -> None:
        running = sum(1 for job in self._live.values() if job.status == "running")
        while self._queue and running < self.settings.max_running_jobs:
            job = self._live[self._queue.pop(0)]
            if job.worker is None:
                self._start(job, paused=False)
            else:
                job.worker.send({"op": "resume"})
            self._set_status(job, "running")
            running += 1
        for position, job_id in enumerate(self._queue, start=1):
            self._emit(job_id, {"type": "status", "status": "queued", "queue_position": position})

    def _start(self, job: LiveJob, *, paused: bool) -> None:
        job.worker = start_worker(
            job,
            self.store.checkpoint(job.id),
            paused=paused,
            limits=self._limits,
            on_message=self._on_message,
            on_exit=self._on_exit,
        )

    def _save_progress(self, job: LiveJob) -> None:
        job.progress_saved = time.monotonic()
        self.store.update(job.id, progress=job.progress)
        self.store.set_history(job.id, job.history.points)

    # ---- messages from workers (on their reader threads) ----------------------------------------

    def _on_message(self, job_id: str, generation: int, message: tuple[Any, ...]) -> None:
        kind = message[0]
        with self._lock:
            job = self._live.get(job_id)
            if job is None or job.generation != generation:
                return
            if kind == "progress":
                self._on_progress(job, message[1])
            elif kind == "frame" or kind == "visual":
                self._emit(job_id, message[2], frame_key=message[1])
            elif kind == "checkpoint":
                self.store.save_checkpoint(job_id, message[1]["step"], message[1])
                self._save_progress(job)
                job.checkpoint_ready.set()
            elif kind == "trainer":
                job.trainer = message[1]
                self.store.update(job_id, trainer=job.trainer)
                self._emit(job_id, {"type": "trainer", "trainer": job.trainer})
            elif kind == "view":
                job.view = message[1]
                self._emit(job_id, {"type": "view", "view": job.view})
            elif kind == "rejected":
                self._call_hub(self.hub.send_to, job_id, message[1], {"type": "error", "message": message[2]})
            elif kind == "answer":
                waiting = self._answers.get(message[1])
                if waiting is not None:
                    waiting.value = message[2]
                    waiting.ready.set()
            elif kind == "done":
                self._on_done(job, message[1])

    def _on_progress(self, job: LiveJob, progress: dict[str, Any]) -> None:
        job.progress = progress
        job.history.add(progress)
        self._emit(job.id, {"type": "progress", **progress})
        if time.monotonic() - job.progress_saved > PROGRESS_SAVE_SECONDS:
            self._save_progress(job)

    def _on_done(self, job: LiveJob, outcome: dict[str, Any]) -> None:
        job.generation += 1
        self._live.pop(job.id, None)
        self._save_progress(job)
        if job.status != "stopped" or outcome["status"] == "failed":
            self._set_status(
                job, outcome["status"], error=outcome["error"], stop_reason=outcome["stop_reason"]
            )
        self._schedule()

    def _on_exit(self, job_id: str, generation: int, exitcode: int | None) -> None:
        with self._lock:
            job = self._live.get(job_id)
            if job is None or job.generation != generation:
                return
            job.worker = None
            self._live.pop(job_id)
            self._set_status(
                job,
                "failed",
                error=f"the worker process ended unexpectedly (exit code {exitcode})",
                stop_reason=None,
            )
            self._schedule()

    # ---- to the viewers ---------------------------------------------------------------------------

    def _emit(self, job_id: str, message: Outgoing | dict[str, Any], frame_key: str | None = None) -> None:
        self._call_hub(self.hub.publish, job_id, message, frame_key)

    def _call_hub(self, method: Any, *args: Any) -> None:
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(method, *args)
