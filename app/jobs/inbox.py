"""Where a worker's commands wait between the thread that receives them and the thread that trains.

Both kinds of worker receive on one thread and take their turns on another (app.jobs.local_worker: a
pipe's reader; app.jobs.ray_worker: an actor's ``control`` calls), so receiving a command, or building
the data set it brings (app.jobs.worker_data), never holds up the jobs training.
"""

from __future__ import annotations

import threading
from collections import deque

from app.jobs.protocol import Command


class NumberedInbox:
    """Commands numbered 0, 1, 2... by their sender, handed out in that order however they arrive; an
    `app.jobs.pool_worker.Inbox`. Once closed, and every command put before handed out, `recv` raises
    EOFError: the sender is gone."""

    def __init__(self) -> None:
        self._ready: deque[Command] = deque()
        self._early: dict[int, Command] = {}
        self._next = 0
        self._closed = False
        self._changed = threading.Condition()

    def put(self, seq: int, command: Command) -> None:
        """Command number `seq`; it waits for every earlier number before it is handed out."""
        with self._changed:
            self._early[seq] = command
            while self._next in self._early:
                self._ready.append(self._early.pop(self._next))
                self._next += 1
            self._changed.notify_all()

    def close(self) -> None:
        """No command comes any more."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def poll(self, timeout: float) -> bool:
        """Whether the next command is here (or the inbox closed), after waiting up to `timeout`
        seconds for it."""
        with self._changed:
            return self._changed.wait_for(lambda: bool(self._ready) or self._closed, timeout)

    def recv(self) -> Command:
        """The next command in order (`poll` said one is here); EOFError when closed and empty."""
        with self._changed:
            if not self._ready:
                raise EOFError("the inbox is closed")
            return self._ready.popleft()
