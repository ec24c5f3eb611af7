"""The executor core: what every pool of workers does, whatever its workers run on.

`PoolCore` keeps the server's book of its workers: which worker holds which job and which data sets.
From it, it places jobs, forwards commands to the worker holding a job, releases jobs and forgets data
sets no job uses, lists the workers and their nodes, and reports the jobs of a worker that ended. A
pool subclasses it and keeps only what is its own: how its workers start, how a command reaches one
(`Worker.submit`) and how their messages come back (`deliver`) and their end is noticed (`lose`):
processes and pipes (app.jobs.pool.LocalPool), actors, streams and nodes (app.jobs.ray_pool.RayPool).

Placement: a live worker first; then, where nodes have a cap (`jobs_per_node`), those on a node below
it; then the node with the fewest jobs per worker; then the worker with the fewest jobs; then one that
already holds the job's data set. On one machine every worker shares one node, so the node terms tie.

Data sets: a worker is sent each one its jobs need once, as a ``dataset`` command with the set's spec
(app.jobs.protocol): the worker builds it. Uploaded files travel with it as bytes when the workers are
on other machines (`ships_files`); workers on the server's machine read the uploads folder themselves.
A worker keeps a set while any of its jobs uses it and for `KEEP_UNUSED_DATASETS` more once none does
(the next job on the same data then starts at once), forgetting the least recently used first.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.checks import SpecInvalid
from app.jobs.executor import DatasetRef, ExecutorEvents, WorkerInfo
from app.jobs.protocol import Command, Message

KEEP_UNUSED_DATASETS = 2
log = logging.getLogger("netplay.executor")


def hold_dataset(datasets: OrderedDict[str, int], key: str) -> bool:
    """One more job uses the data set `key` on a worker whose `datasets` count their jobs (now the most
    recently used); True when the worker does not hold it yet, so it must be sent first."""
    missing = key not in datasets
    datasets[key] = datasets.get(key, 0) + 1
    datasets.move_to_end(key)
    return missing


def release_dataset(datasets: OrderedDict[str, int], key: str) -> list[str]:
    """One job fewer uses the data set `key` on a worker whose `datasets` count their jobs (least
    recently used first): the keys the worker should now forget, already taken out of `datasets`."""
    datasets[key] -= 1
    unused = [key for key, users in datasets.items() if users == 0]
    forgotten = unused[: max(0, len(unused) - KEEP_UNUSED_DATASETS)]
    for key in forgotten:
        del datasets[key]
    return forgotten


@dataclass(eq=False, kw_only=True)
class Worker:
    """One worker in the core's book; a pool's subclass adds how it runs and how commands reach it."""

    name: str  # never a replacement's
    node: str  # the machine it runs on
    pid: int | None
    jobs: dict[str, str] = field(default_factory=dict)  # job -> its data set's key
    datasets: OrderedDict[str, int] = field(default_factory=OrderedDict)  # key -> jobs using it
    alive: bool = True  # False from when its end is noticed until it is taken out

    def submit(self, command: Command) -> None:
        """Queue `command` after every earlier one, without blocking (the core's lock is held)."""
        raise NotImplementedError


W = TypeVar("W", bound=Worker)


class PoolCore(Generic[W]):
    """The book of a pool's workers (see the module docstring). Implements the
    app.jobs.executor.Executor methods but `start` and `shutdown`, which the pool adds."""

    def __init__(self, *, where: str, ships_files: bool, jobs_per_node: int | None = None) -> None:
        self.where = where  # what the pool is, in words: "the Ray cluster at ..."
        self.ships_files = ships_files
        self.jobs_per_node = jobs_per_node
        self.lock = threading.RLock()  # the pool's own compound steps (a replacement) hold it too
        self.stopping = False
        self.events: ExecutorEvents | None = None
        self._workers: list[W] = []
        self._where: dict[str, W] = {}

    # ---- for the pool: its workers joining, talking and ending --------------------------------------

    def add(self, worker: W) -> bool:
        """Put a started worker in the book; False (and not added) once the pool is stopping."""
        with self.lock:
            if not self.stopping:
                self._workers.append(worker)
            return not self.stopping

    def current(self) -> list[W]:
        """The workers in the book now."""
        with self.lock:
            return list(self._workers)

    def deliver(self, worker: Worker, message: Message) -> None:
        """Hand one message `worker` said to the events (a failure there is logged, never raised)."""
        assert self.events is not None
        try:
            self.events.message(message)
        except Exception:
            log.exception("handling a message from %s failed", worker.name)

    def lose(self, worker: W, reason: str, replace: Callable[[], W | None] | None = None) -> None:
        """`worker` ended (`reason` says how): put `replace()`'s worker, if any, in its place (started
        first, so the jobs lost go on there too), then report the jobs it held, placed on it up to now.
        Nothing happens once the pool is stopping or when the worker was taken out already."""
        assert self.events is not None
        with self.lock:
            if self.stopping or worker not in self._workers:
                return
            worker.alive = False
            replacement = replace() if replace is not None else None
            index = self._workers.index(worker)
            if replacement is None:
                del self._workers[index]
            else:
                self._workers[index] = replacement
            lost = list(worker.jobs)
            for job in lost:
                self._where.pop(job, None)
        try:
            self.events.worker_lost(worker.name, lost, reason)
        except Exception:
            log.exception("handling the loss of %s failed", worker.name)

    def close(self) -> list[W]:
        """The pool is stopping: nothing more is added, replaced or reported; the workers to end."""
        with self.lock:
            self.stopping = True
            workers, self._workers = self._workers, []
            self._where.clear()
            return workers

    # ---- the executor interface -----------------------------------------------------------------

    def place(self, job: str, command: Command, dataset: DatasetRef) -> str:
        """Queue `command` for the chosen worker, the data set's ``dataset`` command first when it does
        not hold it (uploads to ship are read, when they must be, without holding the lock)."""
        with self.lock:
            needed = dataset.key not in self._choose(dataset.key).datasets
        files = self._files(dataset) if needed else None
        with self.lock:
            self._release(job)
            worker = self._choose(dataset.key)
            if hold_dataset(worker.datasets, dataset.key):
                files = self._files(dataset) if files is None else files
                worker.submit({"op": "dataset", "key": dataset.key, "spec": dataset.spec, "files": files})
            worker.jobs[job] = dataset.key
            self._where[job] = worker
            worker.submit(command)
            return worker.name

    def _files(self, dataset: DatasetRef) -> dict[str, bytes]:
        """The uploaded files a worker needs sent with the data set (none when it reads the folder)."""
        return dataset.files() if self.ships_files else {}

    def _choose(self, key: str) -> W:
        """The module docstring's choice of worker for a job on data set `key`."""
        if not self._workers:
            raise SpecInvalid(("body",), f"{self.where} has no worker left")
        jobs, slots = Counter(), Counter(worker.node for worker in self._workers)
        for worker in self._workers:
            jobs[worker.node] += len(worker.jobs)
        cap = self.jobs_per_node

        def rank(worker: W) -> tuple[bool, bool, float, int, bool]:
            node = worker.node
            full = cap is not None and jobs[node] >= cap
            missing = key not in worker.datasets
            return (not worker.alive, full, jobs[node] / slots[node], len(worker.jobs), missing)

        return min(self._workers, key=rank)

    def send(self, job: str, command: Command) -> None:
        """Queue a command for the worker holding `job`; dropped when none does."""
        with self.lock:
            worker = self._where.get(job)
            if worker is not None:
                worker.submit(command)

    def release(self, job: str) -> None:
        """`job` no longer counts on its worker; a data set no job there uses may be forgotten."""
        with self.lock:
            self._release(job)

    def _release(self, job: str) -> None:
        worker = self._where.pop(job, None)
        if worker is not None:
            for key in release_dataset(worker.datasets, worker.jobs.pop(job)):
                worker.submit({"op": "forget_dataset", "key": key})

    def node(self, worker: str) -> str | None:
        """The machine the worker called `worker` runs on (None: no such worker now)."""
        with self.lock:
            return next((known.node for known in self._workers if known.name == worker), None)

    def capacity(self) -> int | None:
        """`jobs_per_node` on every node with a worker (at least one node's worth); None without a cap:
        the workers share every job admitted (`max_running_jobs`, memory)."""
        if self.jobs_per_node is None:
            return None
        with self.lock:
            return max(1, len({worker.node for worker in self._workers})) * self.jobs_per_node

    def workers(self) -> list[WorkerInfo]:
        """Every worker in the book."""
        with self.lock:
            return [WorkerInfo(w.name, w.pid, len(w.jobs), len(w.datasets), w.node) for w in self._workers]
