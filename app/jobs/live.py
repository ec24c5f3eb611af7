"""A job that is in the server's memory: its data, its worker process and the pipe to it."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from app.history import MetricHistory
from app.jobs.worker import WorkerLimits, worker_main
from app.spec import JobSpec
from engine.datasets import Dataset

# Spawned, not forked: the server has threads (uvicorn's, the pipe readers), and a fork would copy
# their locks in whatever state they were in.
CONTEXT = multiprocessing.get_context("spawn")

Handler = Callable[[str, int, tuple[Any, ...]], None]
ExitHandler = Callable[[str, int, int | None], None]


@dataclass
class Worker:
    """A running worker process, the server's end of its pipe and the thread that reads it."""

    process: BaseProcess
    conn: Connection
    reader: threading.Thread
    generation: int

    def send(self, command: dict[str, Any]) -> None:
        """Send a command; a worker that already exited is ignored (its exit is handled elsewhere)."""
        with contextlib.suppress(BrokenPipeError, OSError):
            self.conn.send(command)

    def kill(self) -> None:
        """End the process now (reset, delete): no final checkpoint. The reader thread then sees the
        pipe's end and closes it: closing it here, under a blocked ``recv``, would crash that thread."""
        self.process.kill()
        self.process.join(timeout=5)


@dataclass
class LiveJob:
    """A queued, running or paused job. `generation` changes on every reset, so messages from a worker
    of an earlier generation are recognised and ignored."""

    id: str
    spec: JobSpec
    data: Dataset
    status: str
    trainer: dict[str, Any]
    progress: dict[str, Any]
    history: MetricHistory
    worker: Worker | None = None
    generation: int = 0
    viewers: int = 0
    view: dict[str, Any] = field(default_factory=dict)
    progress_saved: float = 0.0
    checkpoint_ready: threading.Event = field(default_factory=threading.Event)


def start_worker(
    job: LiveJob,
    checkpoint: dict[str, Any] | None,
    *,
    paused: bool,
    limits: WorkerLimits,
    on_message: Handler,
    on_exit: ExitHandler,
) -> Worker:
    """Spawn the worker process for `job` and a thread relaying its messages to `on_message`."""
    job.generation += 1
    generation = job.generation
    server_end, worker_end = CONTEXT.Pipe()
    process = CONTEXT.Process(
        target=worker_main,
        args=(job.spec.model_dump_json(), job.data, checkpoint, paused, limits, worker_end, job.trainer),
        name=f"netplay-job-{job.id}",
        daemon=True,
    )
    process.start()
    worker_end.close()

    def relay() -> None:
        try:
            while True:
                on_message(job.id, generation, server_end.recv())
        except (EOFError, OSError):
            pass
        server_end.close()
        process.join(timeout=10)
        on_exit(job.id, generation, process.exitcode)

    reader = threading.Thread(target=relay, name=f"netplay-reader-{job.id}", daemon=True)
    reader.start()
    worker = Worker(process, server_end, reader, generation)
    worker.send({"op": "viewers", "count": job.viewers})
    if job.view:  # chosen before this worker started (or by the run before a reset)
        worker.send({"op": "set_view", "changes": job.view, "reply_to": None})
    return worker
