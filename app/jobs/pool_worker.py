"""A pool worker process: holds many jobs and trains them by interleaving short time slices.

The server's commands (app.jobs.protocol) wait in an `Inbox` its receiving thread fills, in a process
(app.jobs.local_worker) or an actor on a Ray cluster (app.jobs.ray_worker). Between two slices it
reads every command waiting, so a pause or a live change takes effect within one slice. Scheduling is
fair by worker time weighed by each job's share, as Linux's CFS weighs nice levels: the runnable job
with the least time so far, each second counted as 1 / its share (`JobTask.share`: a watched job just
started or resumed counts 4 times a watched job, one nobody watches a quarter), runs next, for a slice
of `ROUND_SECONDS` shared among the runnable jobs (never less than `MIN_SLICE_SECONDS`, never more than
`MAX_SLICE_SECONDS`, so commands are read often), so every job gets a turn about every `ROUND_SECONDS`
however many there are. A job's frames and reports are charged to its own time. A job that joins
starts level with the least-served one, so it neither waits for the others to catch up nor takes their
turns beyond its share; so does a job whose share grows (a viewer arrived), which would otherwise wait
for the others to catch up with the time it was charged at its smaller share.

A failure inside one job (anything but the worker's own death) ends that job as failed and the worker
goes on with the others.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import math
import sys
import time
import traceback
from typing import Any, Protocol

import numpy as np

from app.jobs.protocol import Command, Message
from app.jobs.task import JobTask
from engine.datasets import Dataset

LIBC = ctypes.CDLL(ctypes.util.find_library("c")) if sys.platform.startswith("linux") else None
ROUND_SECONDS = 0.05
MIN_SLICE_SECONDS = 0.002
MAX_SLICE_SECONDS = 0.02  # commands wait at most this long for the slice in progress
IDLE_POLL_SECONDS = 1.0


class Inbox(Protocol):
    """Where a worker's commands wait, in the order the server sent them (app.jobs.inbox)."""

    def poll(self, timeout: float) -> bool:
        """Whether a command is waiting, after waiting up to `timeout` seconds for one."""

    def recv(self) -> Command:
        """The next command (one is waiting)."""


def read_only(data: Dataset) -> Dataset:
    """`data` with every array made read-only: the jobs sharing it cannot change it for the others."""
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
    return data


def give_back_memory() -> None:
    """Return the memory freed jobs leave in the C allocator's free lists to the system (glibc keeps it
    otherwise, and a worker that trained many jobs would keep their peak however many parked)."""
    if LIBC is not None:
        LIBC.malloc_trim(0)


def slice_seconds(runnable: int) -> float:
    """One job's time slice when `runnable` jobs share the worker."""
    return max(MIN_SLICE_SECONDS, min(MAX_SLICE_SECONDS, ROUND_SECONDS / max(1, runnable)))


class PoolWorker:
    """The jobs and data sets one worker holds, and its scheduler."""

    def __init__(self, send: Any) -> None:
        self.send = send
        self.tasks: dict[str, JobTask] = {}
        self.datasets: dict[str, Dataset | Exception] = {}
        self.released = False  # jobs or data sets were let go since the worker last gave memory back

    def serve(self, inbox: Inbox) -> None:
        """Take turns until the inbox's end is closed (EOFError)."""
        while True:
            self.turn(inbox)

    def turn(self, inbox: Inbox) -> None:
        """Read every command waiting (waiting up to `IDLE_POLL_SECONDS` for one when nothing is
        runnable), then give one slice to the least-served runnable job."""
        runnable = [task for task in self.tasks.values() if task.runnable]
        if not runnable:
            self.rest()
        if inbox.poll(0 if runnable else IDLE_POLL_SECONDS):
            while True:
                self.handle(inbox.recv())
                if not inbox.poll(0):
                    break
            runnable = [task for task in self.tasks.values() if task.runnable]
        if runnable:
            self.run_slice(min(runnable, key=lambda task: task.vtime), slice_seconds(len(runnable)))

    def rest(self) -> None:
        """Nothing to train: give the memory of the jobs let go since the last rest back to the system."""
        if self.released:
            give_back_memory()
            self.released = False

    def run_slice(self, task: JobTask, seconds: float) -> None:
        """Give `task` one slice, charging it the time it took."""
        started = time.perf_counter()
        self._guarded(task.job, task.run_id, lambda: task.run_slice(seconds))
        task.vtime += (time.perf_counter() - started) / task.share
        self._forget_if_finished(task)

    def handle(self, command: Command) -> None:
        """Apply one command from the server."""
        op = command["op"]
        if op == "dataset":
            data = command["data"]  # built from its spec on arrival, or why not (app.jobs.worker_data)
            self.datasets[command["key"]] = data if isinstance(data, Exception) else read_only(data)
        elif op == "forget_dataset":
            self.datasets.pop(command["key"], None)
            self.released = True
        elif op == "place":
            self._place(command)
        elif (task := self.tasks.get(command["job"])) is not None:
            if op == "drop":
                del self.tasks[task.job]
                self.released = True
            elif op == "park":
                self._guarded(task.job, task.run_id, task.request_park)
            else:
                share = task.share
                self._guarded(task.job, task.run_id, lambda: task.apply(command))
                if task.share > share:
                    self._level(task)
            self._forget_if_finished(task)

    def _place(self, command: Command) -> None:
        job = command["job"]
        self.tasks.pop(job, None)  # an earlier run of the job, if any, is over
        task: JobTask | None = None

        def build() -> None:
            nonlocal task
            data = self.datasets[command["dataset_key"]]
            if isinstance(data, Exception):
                raise data
            task = JobTask(command, data, self.send)

        self._guarded(job, command["run"], build)
        if task is not None:
            task.vtime = math.inf
            self._level(task)
            self.tasks[job] = task

    def _level(self, task: JobTask) -> None:
        """Bring `task`'s time down to the least-served runnable job's, if it is above it (0 alone)."""
        served = [other.vtime for other in self.tasks.values() if other.runnable and other is not task]
        task.vtime = min(task.vtime, min(served, default=0.0))

    def _forget_if_finished(self, task: JobTask) -> None:
        if task.finished and self.tasks.get(task.job) is task:
            del self.tasks[task.job]
            self.released = True

    def _guarded(self, job: str, run: int, action: Any) -> None:
        """Run `action` for one job; an error in it fails that job, never the worker."""
        try:
            action()
        except (EOFError, BrokenPipeError):
            raise
        except Exception as error:
            task = self.tasks.pop(job, None)
            if task is not None:
                task.finished = True
            detail = traceback.format_exception_only(error)[-1].strip()
            outcome = {"status": "failed", "stop_reason": None, "error": f"the worker failed: {detail}"}
            message: Message = ("done", job, run, outcome, None, None)
            self.send(message)
