"""Questions to the worker training a job (a prediction, a fresh checkpoint), and their answers.

The asking thread waits; the answer arrives on the executor's thread. A question whose run ends first
(the job completes, is reset or deleted, or its worker dies) gets no answer: it is released at once,
and the caller falls back to what the server holds.
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
        when nobody could be asked, or the job's run ended or its worker died before answering.
        JobConflict when no answer comes in time."""
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
        return waiting.value if waiting.answered else None

    def answer(self, request: int, value: Any) -> None:
        """A worker's answer to `request`."""
        with self._lock:
            waiting = self._waiting.get(request)
        if waiting is not None:
            waiting.value, waiting.answered = value, True
            waiting.ready.set()

    def abandon(self, job_ids: list[str]) -> None:
        """These jobs' runs ended (done, dropped, or their worker died): their questions get no answer."""
        with self._lock:
            for waiting in self._waiting.values():
                if waiting.job_id in job_ids:
                    waiting.ready.set()
