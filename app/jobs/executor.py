"""What the job manager needs from whatever runs its jobs: the executor interface.

An executor places jobs on its workers, forwards commands to the worker holding a job, hands every
message its workers send to `ExecutorEvents.message`, and reports a worker that died with the jobs it
held (`ExecutorEvents.worker_lost`); it never decides a job's status. Commands and messages follow
app.jobs.protocol, plain JSON-able values, so no process, pipe or cluster type crosses this interface.
`app.jobs.pool.LocalPool` runs worker processes on this machine; `app.jobs.ray_pool.RayPool` runs
worker actors on the nodes of a Ray cluster; both are built on one core (app.jobs.core). No built data
set crosses this interface either: workers build their data sets from the spec (`DatasetRef`).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from app.jobs.protocol import Command, Message


@dataclass(frozen=True)
class DatasetRef:
    """A job's data set as an executor places it: `key` identifies it (its spec as canonical JSON); a
    worker builds it from `spec`. `files` reads the uploaded files it needs (name -> bytes), called
    only for a worker on another machine that does not hold the set yet."""

    key: str
    spec: dict[str, Any]
    files: Callable[[], dict[str, bytes]] = dict


@dataclass(frozen=True)
class WorkerInfo:
    """One worker as an operator sees it."""

    name: str
    pid: int | None
    jobs: int
    datasets: int
    node: str  # the machine it runs on


class ExecutorEvents(Protocol):
    """Where an executor reports; both are called from the executor's own threads."""

    def message(self, message: Message) -> None:
        """A worker said something about a job (a protocol tuple: kind, job, run, ...)."""

    def worker_lost(self, worker: str, jobs: list[str], reason: str) -> None:
        """A worker died; `jobs` were on it and are no longer anywhere. `reason` says how it ended."""


class Executor(Protocol):
    """Runs jobs on workers; see the module docstring."""

    def start(self, events: ExecutorEvents) -> None:
        """Start the workers (warm: ready to train at once); report to `events` from now on."""

    def place(self, job: str, command: Command, dataset: DatasetRef) -> str:
        """Put `job` on the least-loaded worker with its ``place`` command; returns the worker's name."""

    def send(self, job: str, command: Command) -> None:
        """Forward a command to the worker holding `job` (dropped when none does). Never blocks."""

    def release(self, job: str) -> None:
        """`job` left its worker (it parked, ended or was dropped): it no longer counts there."""

    def node(self, worker: str) -> str | None:
        """The name of the machine `worker` runs on (None: no such worker now)."""

    def capacity(self) -> int | None:
        """How many jobs the workers may train at once now (None: no limit of the executor's own)."""

    def workers(self) -> list[WorkerInfo]:
        """The live workers."""

    def shutdown(self) -> None:
        """End every worker now."""


def describe_exit(exitcode: Any) -> str:
    """How a worker process ended, in words."""
    if isinstance(exitcode, int) and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = ", perhaps out of memory" if name == "SIGKILL" else ""
        return f"killed by {name}{hint}"
    return f"exited with code {exitcode}"
