"""Fan-out of each job's stream to any number of WebSocket viewers.

Every viewer has its own bounded queue, so a slow or stalled viewer never slows training or the other
viewers: visual frames are kept newest-only per kind (a viewer that falls behind skips to the latest
boundary rather than replaying old ones), and ordered messages (progress, status, errors) sit in a
deque of at most `max_events`; when it overflows, the oldest are dropped and the viewer is told how
many with a ``{"type": "lagged", "dropped": n}`` message, so it can refetch the metric history.

A viewer says which frame kinds it shows (None: all); a frame goes only to the viewers that show its
kind. `watch` sums up a job's viewers for the job manager, numbered so that counts which reach the
manager out of order cannot undo a newer one.

All methods run on the event loop's thread; other threads publish through
``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Outgoing = str | bytes


def encode_message(message: dict[str, Any]) -> str:
    """A JSON message as the viewers get it: compact (no spaces after separators), encoded once."""
    return json.dumps(message, separators=(",", ":"))


@dataclass(frozen=True)
class Watch:
    """Who watches a job: `seq` orders the counts; `kinds` is the union of the frame kinds its
    viewers show (None: all; empty when nobody watches); `since` is when the count last changed
    (time.monotonic)."""

    seq: int
    count: int
    kinds: tuple[str, ...] | None
    since: float


class Subscriber:
    """One viewer's queue: ordered messages plus the newest frame of each kind."""

    _ids = itertools.count(1)

    def __init__(self, max_events: int, kinds: Iterable[str] | None = None) -> None:
        self.id = next(self._ids)
        self.kinds: frozenset[str] | None = None if kinds is None else frozenset(kinds)
        self._events: deque[Outgoing] = deque()
        self._frames: dict[str, Outgoing] = {}
        self._max_events = max_events
        self._dropped = 0
        self._wake = asyncio.Event()
        self.closed = False

    def put(self, message: Outgoing, frame_key: str | None = None) -> None:
        """Queue `message`; with a `frame_key` it replaces any unsent frame of that kind."""
        if frame_key is not None:
            self._frames.pop(frame_key, None)  # re-insert so frames go out in arrival order
            self._frames[frame_key] = message
        else:
            if len(self._events) >= self._max_events:
                self._events.popleft()
                self._dropped += 1
            self._events.append(message)
        self._wake.set()

    def close(self) -> None:
        """No more messages will come; `next_batch` returns what is left, then an empty list."""
        self.closed = True
        self._wake.set()

    async def next_batch(self) -> list[Outgoing]:
        """Wait for messages and take them all: ordered ones first, then the newest frames. An empty
        list means the subscriber was closed and drained."""
        while not (self._events or self._frames or self.closed):
            self._wake.clear()
            await self._wake.wait()
        batch: list[Outgoing] = []
        if self._dropped:
            batch.append(encode_message({"type": "lagged", "dropped": self._dropped}))
            self._dropped = 0
        batch.extend(self._events)
        batch.extend(self._frames.values())
        self._events.clear()
        self._frames.clear()
        return batch

    @property
    def pending(self) -> int:
        """Messages waiting to be sent."""
        return len(self._events) + len(self._frames)


class Hub:
    """The subscribers of every job."""

    def __init__(self, max_events: int = 512) -> None:
        self._subscribers: dict[str, dict[int, Subscriber]] = {}
        self._max_events = max_events
        self._changes = itertools.count(1)

    def subscribe(self, job_id: str, kinds: Iterable[str] | None = None) -> Subscriber:
        """A new viewer of `job_id` showing frames of `kinds` (None: all); it receives everything
        published from now on."""
        subscriber = Subscriber(self._max_events, kinds)
        self._subscribers.setdefault(job_id, {})[subscriber.id] = subscriber
        return subscriber

    def unsubscribe(self, job_id: str, subscriber: Subscriber) -> None:
        """Forget a viewer (its socket closed)."""
        viewers = self._subscribers.get(job_id, {})
        viewers.pop(subscriber.id, None)
        if not viewers:
            self._subscribers.pop(job_id, None)

    def set_kinds(self, subscriber: Subscriber, kinds: Iterable[str] | None) -> None:
        """Change the frame kinds a viewer shows."""
        subscriber.kinds = None if kinds is None else frozenset(kinds)

    def watch(self, job_id: str) -> Watch:
        """The job's viewers now: how many, the frame kinds they show, numbered after every earlier
        count."""
        viewers = self._subscribers.get(job_id, {}).values()
        kinds: set[str] | None = set()
        for subscriber in viewers:
            if subscriber.kinds is None:
                kinds = None
                break
            kinds |= subscriber.kinds
        shown = None if kinds is None else tuple(sorted(kinds))
        return Watch(next(self._changes), len(viewers), shown, time.monotonic())

    def publish(self, job_id: str, message: Outgoing | dict[str, Any], frame_key: str | None = None) -> None:
        """Send `message` (a dict is serialised once for all viewers) to every viewer of `job_id`."""
        if isinstance(message, dict):
            message = encode_message(message)
        for subscriber in list(self._subscribers.get(job_id, {}).values()):
            if frame_key is None or subscriber.kinds is None or frame_key in subscriber.kinds:
                subscriber.put(message, frame_key)

    def send_to(self, job_id: str, subscriber_id: int, message: dict[str, Any]) -> None:
        """Send `message` to one viewer only (the answer to its own control message)."""
        subscriber = self._subscribers.get(job_id, {}).get(subscriber_id)
        if subscriber is not None:
            subscriber.put(encode_message(message))

    def close_job(self, job_id: str, message: dict[str, Any]) -> None:
        """Send a last message to every viewer of `job_id` and close their queues (job deleted)."""
        for subscriber in self._subscribers.pop(job_id, {}).values():
            subscriber.put(encode_message(message))
            subscriber.close()
