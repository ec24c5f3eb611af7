"""A pool worker as a Ray actor: the same `PoolWorker` and job slices as a local worker process.

The actor has two one-thread concurrency groups. ``stream`` runs the worker's turns for as long as the
actor lives, as a streaming generator: after each turn it yields the messages the turn produced (one
list, in order), so the server reads them in the order they were said. ``control`` takes the server's
commands (`submit`); Ray does not promise to run a threaded actor's calls in the order they were made,
so each carries the sequence number the server gave it and `NumberedInbox` hands them to the worker in
that order. A ``dataset`` command that carries a spec (app.jobs.protocol) is built here, on the
control thread, so building it never holds up the jobs training.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray

from app.jobs.pool_worker import PoolWorker
from app.jobs.protocol import Command, Message
from engine.datasets import Dataset, make_dataset_from_spec


class NumberedInbox:
    """Commands numbered 0, 1, 2... by the server, handed out in that order however they arrive."""

    def __init__(self) -> None:
        self._ready: deque[Command] = deque()
        self._early: dict[int, Command] = {}
        self._next = 0
        self._changed = threading.Condition()

    def put(self, seq: int, command: Command) -> None:
        """Command number `seq`; it waits for every earlier number before it is handed out."""
        with self._changed:
            self._early[seq] = command
            while self._next in self._early:
                self._ready.append(self._early.pop(self._next))
                self._next += 1
            self._changed.notify_all()

    def poll(self, timeout: float) -> bool:
        """Whether the next command is here, after waiting up to `timeout` seconds for it."""
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._ready), timeout)

    def recv(self) -> Command:
        """The next command in order (`poll` said one is here)."""
        with self._changed:
            return self._ready.popleft()


@ray.remote(concurrency_groups={"stream": 1, "control": 1})
class PoolActor:
    """One worker slot on a node; see the module docstring."""

    def __init__(self) -> None:
        self.inbox = NumberedInbox()
        self.outbox: list[Message] = []  # filled and emptied by the stream thread only
        self.worker = PoolWorker(self.outbox.append)
        self.uploads = Path(tempfile.mkdtemp(prefix="netplay-uploads-"))

    @ray.method(concurrency_group="control")
    def ready(self) -> dict[str, Any]:
        """Where the actor runs: ``{"host", "pid", "node_id"}``."""
        node_id = ray.get_runtime_context().get_node_id()
        return {"host": socket.gethostname(), "pid": os.getpid(), "node_id": node_id}

    @ray.method(concurrency_group="control")
    def submit(self, seq: int, command: Command) -> None:
        """Command number `seq` from the server."""
        if command["op"] == "dataset" and "spec" in command:
            command = {"op": "dataset", "key": command["key"], "data": self._build(command)}
        self.inbox.put(seq, command)

    def _build(self, command: Command) -> Dataset | Exception:
        """The data set of a ``dataset`` command with a spec, its uploaded files written here first;
        None when it cannot be built (the jobs placed on it then fail, saying so)."""
        for name, content in command["files"].items():
            (self.uploads / Path(name).name).write_bytes(content)
        try:
            return make_dataset_from_spec(command["spec"], data_dir=self.uploads)
        except Exception as error:  # PoolWorker fails each job placed on it with this
            return error

    @ray.method(concurrency_group="stream", num_returns="streaming")
    def stream(self) -> Iterator[list[Message]]:
        """Train for as long as the actor lives; yields each turn's messages."""
        while True:
            self.worker.turn(self.inbox)
            if self.outbox:
                batch = list(self.outbox)
                self.outbox.clear()
                yield batch
