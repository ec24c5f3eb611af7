"""Questions to the worker training a job (a prediction, a fresh checkpoint), and their answers.

The asking thread waits; the answer arrives on the executor's thread. A question to a worker that
dies gets no answer: it is released at once, and the caller falls back to what the server holds.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.jobs.states import JobConflict

WAIT_SECONDS = 10.0


@dataclass
class _Waiting:
    job_id: str
    ready: threading.Event = field(default_factory=threading.Event)
    answered: bool = False
    value: Any = None


class Answers:
    """Open questions by request number."""

    def __init__(self) -> None:
        self._waiting: dict[int, _Waiting] = {}
        self._requests = itertools.count(1)
        self._lock = threading.Lock()

    def ask(self, job_id: str, send: Callable[[int], bool]) -> Any | None:
        """Send a question with `send(request)` (False: nobody to ask) and wait for its answer; None
        when nobody could be asked or the worker died. JobConflict when no answer comes in time or the
        answer is an error."""
        request = next(self._requests)
        waiting = _Waiting(job_id)
        with self._lock:
            self._waiting[request] = waiting
        try:
            if not send(request):
                return None
            if not waiting.ready.wait(WAIT_SECONDS):
                raise JobConflict(f"job '{job_id}' did not answer within {WAIT_SECONDS:g} s")
        finally:
            with self._lock:
                self._waiting.pop(request, None)
        if isinstance(waiting.value, dict) and "error" in waiting.value:
            raise JobConflict(waiting.value["error"])
        return waiting.value if waiting.answered else None

    def answer(self, request: int, value: Any) -> None:
        """A worker's answer to `request`."""
        with self._lock:
            waiting = self._waiting.get(request)
        if waiting is not None:
            waiting.value, waiting.answered = value, True
            waiting.ready.set()

    def abandon(self, job_ids: list[str]) -> None:
        """The worker holding these jobs died: their questions get no answer."""
        with self._lock:
            for waiting in self._waiting.values():
                if waiting.job_id in job_ids:
                    waiting.ready.set()
