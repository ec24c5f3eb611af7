"""The local executor: a fixed number of long-lived worker processes on this machine.

Workers are forked from a fork server that has already imported NumPy, the engine and the worker code,
so a worker, or its replacement after a crash, is ready to train within milliseconds. The fork server
is a clean single-threaded process started once per server process: the server's own threads (uvicorn's,
the pipe readers) are never forked. Each worker's BLAS gets ``cpu_count // workers`` threads, so the
pool as a whole does not oversubscribe the cores.

Each worker has one pipe. A writer thread per worker sends its queued commands, so `send` never blocks
its caller (the event loop included); a reader thread hands each message to the events. When a worker's
pipe ends, its reader starts a replacement in the same slot and reports the jobs the dead one held.

Data sets: a worker is sent each one its jobs need once, and keeps it while any of its jobs uses it and
for `KEEP_UNUSED_DATASETS` more once none does (the next job on the same data then starts at once),
forgetting the least recently used first. Placement picks the worker with the fewest jobs, and among
those one that already holds the data.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from app.jobs.executor import DatasetRef, ExecutorEvents, WorkerInfo, describe_exit
from app.jobs.pool_worker import worker_main
from app.jobs.protocol import Command

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["app.jobs.pool_worker"])
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KEEP_UNUSED_DATASETS = 2
# A worker that dies within YOUNG_SECONDS of its start is replaced after a delay that doubles each time
# (up to MAX_RESTART_DELAY), so a worker that cannot start does not make the server spin.
YOUNG_SECONDS = 2.0
MAX_RESTART_DELAY = 5.0
log = logging.getLogger("netplay.pool")


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


@dataclass(eq=False)
class _Worker:
    """One worker process, the server's end of its pipe, and what it holds."""

    slot: int
    process: BaseProcess
    conn: Connection
    outbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    jobs: dict[str, str] = field(default_factory=dict)  # job -> its data set's key
    datasets: OrderedDict[str, int] = field(default_factory=OrderedDict)  # key -> jobs using it
    writer: threading.Thread | None = None
    started: float = field(default_factory=time.monotonic)
    young_deaths: int = 0  # how many workers in a row died in this slot soon after they started
    alive: bool = True

    @property
    def name(self) -> str:
        """The worker's name: its slot and its process, so a replacement is never taken for it."""
        return f"worker-{self.slot}-{self.process.pid}"


class LocalPool:
    """`workers` worker processes (see the module docstring); implements app.jobs.executor.Executor."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.size = workers
        self._slots: list[_Worker] = []
        self._where: dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._stopping = False
        self._events: ExecutorEvents | None = None

    def start(self, events: ExecutorEvents) -> None:
        """Start every worker (the fork server too, the first time in this process)."""
        self._events = events
        threads = str(max(1, (os.cpu_count() or 1) // self.size))
        for variable in BLAS_THREAD_VARIABLES:  # read by the fork server when it imports NumPy
            os.environ.setdefault(variable, threads)
        with self._lock:
            self._slots = [self._spawn(slot) for slot in range(self.size)]

    def _spawn(self, slot: int) -> _Worker:
        server_end, worker_end = CONTEXT.Pipe()
        process = CONTEXT.Process(
            target=worker_main, args=(worker_end,), name=f"netplay-worker-{slot}", daemon=True
        )
        process.start()
        worker_end.close()
        worker = _Worker(slot, process, server_end)
        worker.writer = threading.Thread(target=self._write, args=(worker,), name=f"{worker.name}-writer")
        worker.writer.daemon = True
        worker.writer.start()
        threading.Thread(target=self._read, args=(worker,), name=f"{worker.name}-reader", daemon=True).start()
        return worker

    def _write(self, worker: _Worker) -> None:
        while (command := worker.outbox.get()) is not None:
            try:
                worker.conn.send(command)
            except OSError:
                return  # the worker died: its reader notices and reports it

    def _read(self, worker: _Worker) -> None:
        assert self._events is not None
        try:
            while True:
                message = worker.conn.recv()
                try:
                    self._events.message(message)
                except Exception:
                    log.exception("handling a message from %s failed", worker.name)
        except (EOFError, OSError):
            pass
        worker.process.join(timeout=10)
        worker.outbox.put(None)
        if worker.writer is not None:
            worker.writer.join(timeout=10)
        worker.conn.close()
        worker.alive = False
        young = time.monotonic() - worker.started < YOUNG_SECONDS
        deaths = worker.young_deaths + 1 if young else 0
        if deaths:
            time.sleep(min(MAX_RESTART_DELAY, 0.05 * 2**deaths))
        with self._lock:
            if self._stopping or self._slots[worker.slot] is not worker:
                return
            lost = list(worker.jobs)  # jobs placed here while it was down are lost too
            for job in lost:
                self._where.pop(job, None)
            try:
                replacement = self._slots[worker.slot] = self._spawn(worker.slot)
                replacement.young_deaths = deaths
            except Exception:  # no replacement now: the slot keeps its dead worker, placed around
                log.exception("could not start a worker to replace %s", worker.name)
        try:
            self._events.worker_lost(worker.name, lost, describe_exit(worker.process.exitcode))
        except Exception:
            log.exception("handling the loss of %s failed", worker.name)

    def place(self, job: str, command: Command, dataset: DatasetRef) -> str:
        """Queue `command` for the least-loaded worker (sending it the data set first if need be; the
        data set is built, when it must be, without holding the pool's lock)."""
        with self._lock:
            needed = dataset.key not in self._least_loaded(dataset.key).datasets
        data = dataset.load() if needed else None
        with self._lock:
            self._release(job)
            worker = self._least_loaded(dataset.key)
            if hold_dataset(worker.datasets, dataset.key):
                worker.outbox.put({"op": "dataset", "key": dataset.key, "data": data or dataset.load()})
            worker.jobs[job] = dataset.key
            self._where[job] = worker
            worker.outbox.put(command)
            return worker.name

    def _least_loaded(self, key: str) -> _Worker:
        """The live worker with the fewest jobs, among those one that holds the data set `key`."""
        return min(self._slots, key=lambda w: (not w.alive, len(w.jobs), key not in w.datasets))

    def send(self, job: str, command: Command) -> None:
        """Queue a command for the worker holding `job`; dropped when none does."""
        with self._lock:
            worker = self._where.get(job)
            if worker is not None:
                worker.outbox.put(command)

    def release(self, job: str) -> None:
        """`job` no longer counts on its worker; a data set no job there uses may be forgotten."""
        with self._lock:
            self._release(job)

    def _release(self, job: str) -> None:
        worker = self._where.pop(job, None)
        if worker is None:
            return
        for key in release_dataset(worker.datasets, worker.jobs.pop(job)):
            worker.outbox.put({"op": "forget_dataset", "key": key})

    def workers(self) -> list[WorkerInfo]:
        """Every worker slot's current process."""
        with self._lock:
            return [
                WorkerInfo(w.name, w.process.pid, len(w.jobs), len(w.datasets), socket.gethostname())
                for w in self._slots
            ]

    def node(self, worker: str) -> str | None:
        """This machine's name, for any of its current workers."""
        with self._lock:
            known = any(w.name == worker for w in self._slots)
        return socket.gethostname() if known else None

    def capacity(self) -> int | None:
        """No limit of its own: the workers share every job admitted (`max_running_jobs`, memory)."""
        return None

    def shutdown(self) -> None:
        """End every worker now (their jobs' state is whatever the server last received)."""
        with self._lock:
            self._stopping = True
            workers = list(self._slots)
        for worker in workers:
            worker.outbox.put(None)
            worker.process.kill()
        for worker in workers:
            worker.process.join(timeout=10)

    def __repr__(self) -> str:
        return f"LocalPool(workers={self.size})"
