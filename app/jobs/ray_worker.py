"""A pool worker as a Ray actor: the same `PoolWorker` and job slices as a local worker process.

The actor has two one-thread concurrency groups. ``stream`` runs the worker's turns for as long as the
actor lives, as a streaming generator: after each turn it yields the messages the turn produced (one
list, in order), so the server reads them in the order they were said. ``control`` takes the server's
commands (`submit`); Ray does not promise to run a threaded actor's calls in the order they were made,
so each carries the sequence number the server gave it and `NumberedInbox` hands them to the worker in
that order. Each ``dataset`` command's set is built here, on the control thread, from its spec and the
uploaded files' bytes it carries (app.jobs.worker_data), so building it never holds up the jobs training.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray

from app.jobs.inbox import NumberedInbox
from app.jobs.pool_worker import PoolWorker
from app.jobs.protocol import Command, Message
from app.jobs.worker_data import DatasetBuilder


@ray.remote(concurrency_groups={"stream": 1, "control": 1})
class PoolActor:
    """One worker slot on a node; see the module docstring."""

    def __init__(self) -> None:
        self.inbox = NumberedInbox()
        self.outbox: list[Message] = []  # filled and emptied by the stream thread only
        self.worker = PoolWorker(self.outbox.append)
        self.builder = DatasetBuilder(Path(tempfile.mkdtemp(prefix="netplay-uploads-")))

    @ray.method(concurrency_group="control")
    def ready(self) -> dict[str, Any]:
        """Where the actor runs: ``{"host", "pid", "node_id"}``."""
        node_id = ray.get_runtime_context().get_node_id()
        return {"host": socket.gethostname(), "pid": os.getpid(), "node_id": node_id}

    @ray.method(concurrency_group="control")
    def submit(self, seq: int, command: Command) -> None:
        """Command number `seq` from the server (a data set built here first, app.jobs.worker_data)."""
        self.inbox.put(seq, self.builder.receive(command))

    @ray.method(concurrency_group="stream", num_returns="streaming")
    def stream(self) -> Iterator[list[Message]]:
        """Train for as long as the actor lives; yields each turn's messages."""
        while True:
            self.worker.turn(self.inbox)
            if self.outbox:
                batch = list(self.outbox)
                self.outbox.clear()
                yield batch
