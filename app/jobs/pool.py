"""The local executor: a fixed number of long-lived worker processes on this machine.

Workers are forked from a fork server that has already imported NumPy, the engine and the worker code,
so a worker, or its replacement after a crash, is ready to train within milliseconds. The fork server
is a clean single-threaded process started once per server process: the server's own threads (uvicorn's,
the pipe readers) are never forked. Each worker's BLAS gets ``cpu_count // workers`` threads, so the
pool as a whole does not oversubscribe the cores.

Each worker has one pipe. A writer thread per worker sends its queued commands, so `send` never blocks
its caller (the event loop included); a reader thread hands each message to the events. When a worker's
pipe ends, its reader starts a replacement in the same slot and reports the jobs the dead one held.

Placement and data sets are the executor core's (app.jobs.core). The workers build each data set from
its spec, reading uploads from the server's own uploads folder: they share its disk, so no file is
copied through a pipe (app.jobs.local_worker).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from app.jobs.core import PoolCore, Worker
from app.jobs.executor import ExecutorEvents, describe_exit
from app.jobs.local_worker import worker_main
from app.jobs.protocol import Command

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["app.jobs.local_worker"])
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# A worker that dies within YOUNG_SECONDS of its start is replaced after a delay that doubles each time
# (up to MAX_RESTART_DELAY), so a worker that cannot start does not make the server spin.
YOUNG_SECONDS = 2.0
MAX_RESTART_DELAY = 5.0
log = logging.getLogger("netplay.pool")


@dataclass(eq=False, kw_only=True)
class _Process(Worker):
    """One worker process and the server's end of its pipe; its name is its slot and its process, so
    a replacement is never taken for it."""

    slot: int
    process: BaseProcess
    conn: Connection
    outbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    writer: threading.Thread | None = None
    started: float = field(default_factory=time.monotonic)
    young_deaths: int = 0  # how many workers in a row died in this slot soon after they started

    def submit(self, command: Command) -> None:
        """Queue `command` for the writer thread."""
        self.outbox.put(command)


class LocalPool(PoolCore[_Process]):
    """`workers` worker processes (see the module docstring); implements app.jobs.executor.Executor.
    `uploads_dir` is the server's uploads folder, where the workers read uploaded data sets."""

    def __init__(self, workers: int, uploads_dir: Path) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        super().__init__(where="the local worker pool", ships_files=False)
        self.size, self.uploads_dir = workers, uploads_dir

    def start(self, events: ExecutorEvents) -> None:
        """Start every worker (the fork server too, the first time in this process)."""
        self.events = events
        threads = str(max(1, (os.cpu_count() or 1) // self.size))
        for variable in BLAS_THREAD_VARIABLES:  # read by the fork server when it imports NumPy
            os.environ.setdefault(variable, threads)
        with self.lock:
            for slot in range(self.size):
                self.add(self._spawn(slot))

    def _spawn(self, slot: int) -> _Process:
        server_end, worker_end = CONTEXT.Pipe()
        process = CONTEXT.Process(
            target=worker_main,
            args=(worker_end, str(self.uploads_dir)),
            name=f"netplay-worker-{slot}",
            daemon=True,
        )
        process.start()
        worker_end.close()
        worker = _Process(
            name=f"worker-{slot}-{process.pid}",
            node=socket.gethostname(),
            pid=process.pid,
            slot=slot,
            process=process,
            conn=server_end,
        )
        worker.writer = threading.Thread(target=self._write, args=(worker,), name=f"{worker.name}-writer")
        worker.writer.daemon = True
        worker.writer.start()
        threading.Thread(target=self._read, args=(worker,), name=f"{worker.name}-reader", daemon=True).start()
        return worker

    def _write(self, worker: _Process) -> None:
        while (command := worker.outbox.get()) is not None:
            try:
                worker.conn.send(command)
            except OSError:
                return  # the worker died: its reader notices and reports it

    def _read(self, worker: _Process) -> None:
        try:
            while True:
                self.deliver(worker, worker.conn.recv())
        except (EOFError, OSError):
            pass
        worker.alive = False  # placed around from now on
        worker.process.join(timeout=10)
        worker.outbox.put(None)
        if worker.writer is not None:
            worker.writer.join(timeout=10)
        worker.conn.close()
        young = time.monotonic() - worker.started < YOUNG_SECONDS
        deaths = worker.young_deaths + 1 if young else 0
        if deaths:
            time.sleep(min(MAX_RESTART_DELAY, 0.05 * 2**deaths))
        self.lose(worker, describe_exit(worker.process.exitcode), lambda: self._replace(worker, deaths))

    def _replace(self, worker: _Process, deaths: int) -> _Process | None:
        """A new worker in `worker`'s slot (None when none starts: the pool goes on without the slot)."""
        try:
            replacement = self._spawn(worker.slot)
        except Exception:
            log.exception("could not start a worker to replace %s", worker.name)
            return None
        replacement.young_deaths = deaths
        return replacement

    def shutdown(self) -> None:
        """End every worker now (their jobs' state is whatever the server last received)."""
        workers = self.close()
        for worker in workers:
            worker.outbox.put(None)
            worker.process.kill()
        for worker in workers:
            worker.process.join(timeout=10)

    def __repr__(self) -> str:
        return f"LocalPool(workers={self.size})"
