"""What the workers say, and what the job table makes of it: `WorkerEvents`, the executor's listener.

Messages about a job's earlier run are ignored (a reset, a move to another worker), except answers to
questions, whose request numbers are unique. A run that ends (``parked``, ``done``) leaves its worker;
the job's state is written to the database, and a job with nothing more to do leaves memory.

A worker that dies costs its running jobs only the steps nobody was shown yet (every progress carries
the checkpoint of its step): each goes on from there on a live worker, still ``running``, with a message
that says so. A job that keeps losing its workers fails: the loss is blamed on the jobs that were on
the dead worker in equal shares (one job alone carries all of it), and a job whose blame reaches
`MAX_CRASHES` within `CRASH_WINDOW_SECONDS` fails with the reason.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from app.jobs.live import LiveJob
from app.jobs.protocol import Message
from app.jobs.states import transition
from app.jobs.table import JobTable

CRASH_WINDOW_SECONDS = 60.0
MAX_CRASHES = 3
log = logging.getLogger("netplay.jobs")


class WorkerEvents:
    """Implements app.jobs.executor.ExecutorEvents for a `JobTable` (called on the executor's threads)."""

    def __init__(self, table: JobTable) -> None:
        self.table = table

    def message(self, message: Message) -> None:
        """A worker's message about a job (app.jobs.protocol)."""
        kind, job_id, run, *rest = message
        table = self.table
        if kind == "answer":
            table.answers.answer(*rest)
            return
        with table.lock:
            job = table.jobs.get(job_id)
            if job is None or job.placement is None or job.placement.run != run:
                return
            if kind == "progress":
                self._take_progress(job, *rest)
            elif kind in ("frame", "visual"):
                table.emit(job_id, rest[1], frame_key=rest[0])
            elif kind == "parked":
                self._on_parked(job, *rest)
            elif kind == "done":
                self._on_done(job, *rest)
            elif kind == "trainer":
                job.trainer = rest[0]
                table.write(job, trainer=job.trainer)
                table.emit(job_id, {"type": "trainer", "trainer": job.trainer})
            elif kind == "view":
                job.view = rest[0]
                table.write(job, view=job.view)
                table.emit(job_id, {"type": "view", "view": job.view})
            elif kind == "weight":
                table.emit(job_id, {"type": "weight", **rest[0]})
            elif kind == "rejected":
                table.call_hub(table.hub.send_to, job_id, rest[0], {"type": "error", "message": rest[1]})

    def _take_progress(self, job: LiveJob, progress: dict[str, Any] | None, checkpoint: str | None) -> None:
        """A progress report and the checkpoint of its step (a checkpoint alone: no step since)."""
        if checkpoint is not None:
            job.checkpoint = checkpoint
        if progress is None:
            return
        job.progress = progress
        job.history.add(progress)
        self.table.emit(job.id, {"type": "progress", **progress})

    def _on_parked(self, job: LiveJob, progress: dict[str, Any] | None, checkpoint: str) -> None:
        self._take_progress(job, progress, checkpoint)
        job.visiting = []
        self.table.end_run(job)
        self.table.save(job)
        self.table.reconcile(job)  # resumed meanwhile: placed again; asked to step: visits again

    def _on_done(self, job: LiveJob, outcome: dict[str, Any], progress: Any, checkpoint: str | None) -> None:
        table = self.table
        self._take_progress(job, progress, checkpoint)
        table.end_run(job)
        if job.status in ("running", "paused", "queued"):  # a stop that crossed the end stays a stop
            event = "complete" if outcome["status"] == "completed" else "fail"
            status = transition(job.id, job.status, event)
            table.set_status(job, status, error=outcome["error"], stop_reason=outcome["stop_reason"])
        table.save(job)
        table.forget(job)
        table.schedule()

    def worker_lost(self, worker: str, jobs: list[str], reason: str) -> None:
        """A worker died: its running jobs go on from their checkpoints on live workers."""
        table = self.table
        with table.lock:
            table.answers.abandon(jobs)
            lost = [job for job_id in jobs if (job := table.jobs.get(job_id)) is not None]
            lost = [job for job in lost if job.placement is not None and job.placement.worker == worker]
            for job in lost:
                try:
                    self._lose(job, reason, blame=1.0 / len(lost))
                except Exception:  # one job's trouble must not strand the others
                    log.exception("recovering job %s from its lost worker failed", job.id)

    def _lose(self, job: LiveJob, reason: str, blame: float) -> None:
        table = self.table
        table.placer.release(job)
        job.visit, job.visiting = job.visiting + job.visit, []  # a visit cut short is made again
        if job.status != "running":  # it was parking or visiting: the server holds its last state
            table.save(job)
            job.parked.set()
            table.reconcile(job)
            return
        now = time.monotonic()
        job.crashes = [
            *((at, share) for at, share in job.crashes if now - at < CRASH_WINDOW_SECONDS),
            (now, blame),
        ]
        if sum(share for _, share in job.crashes) >= MAX_CRASHES:
            error = (
                f"its worker died {len(job.crashes)} times within a minute while training it (last: "
                f"{reason}); it may need more memory than the server has"
            )
            table.set_status(job, transition(job.id, job.status, "fail"), error=error, stop_reason=None)
            table.save(job)
            table.forget(job)
            table.schedule()
            return
        status = transition(job.id, job.status, "recover")
        table.reconcile(job)  # still running: on a live worker now
        if job.status != "running":
            return  # it could not be placed again (its data set is gone) and failed, saying why
        step, node = job.progress.get("step", 0), table.placer.node(job)
        moved = f" on {node}" if node is not None else ""
        message = f"recovered at step {step:,}: its worker died ({reason}) and it went on from there{moved}"
        table.set_status(job, status, message=message)
