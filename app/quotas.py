"""Per-client limits, so one student cannot take the class's capacity.

A client is the address a request comes from and, when the page says so, the browser's own id (the
``X-Netplay-Client`` header: a random id each page keeps in localStorage). Each client may create at
most `max_jobs_per_minute` jobs in any minute and have at most `max_live_jobs_per_client` jobs queued
or running at once (a paused job costs nothing and does not count). An address is held to the same
limits times `clients_per_address`, since a whole class may share one (behind a school's NAT), and an
id that changes with every request gains nothing beyond its address's share. Past a limit: 429, with
what to do.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from app.settings import Settings
from app.store import JobRecord

WINDOW_SECONDS = 60.0
CLIENT_ID_LENGTH = 64


class TooMany(Exception):
    """A client went past one of its limits; the message says which and what to do."""


@dataclass(frozen=True)
class Client:
    """Where a request comes from: its address, and the page's own id when it gives one."""

    address: str
    id: str | None

    @classmethod
    def of(cls, address: str | None, header: str | None) -> Client:
        """The client of a request with this address and ``X-Netplay-Client`` header (trimmed; an
        unusable id counts as none)."""
        given = (header or "").strip()[:CLIENT_ID_LENGTH]
        return cls(address or "unknown", given if given.isprintable() and given else None)


class CreationQuota:
    """Counts job creations per client over the last minute, and checks a new one against the limits."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._created: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check_live(self, client: Client, live: Callable[[str, str | None], int]) -> None:
        """TooMany when `client` may not have one more job training. `live(address, id)` counts the
        client's jobs queued or running (id None: every job from the address)."""
        limit, per_address = self.settings.max_live_jobs_per_client, self.settings.clients_per_address
        if client.id is not None and live(client.address, client.id) >= limit:
            raise TooMany(_live_message(limit, "this page"))
        if live(client.address, None) >= limit * per_address:
            raise TooMany(_live_message(limit * per_address, client.address))

    def admit(self, client: Client, live: Callable[[str, str | None], int], *, training: bool) -> None:
        """Count a creation by `client`, or raise TooMany (a job created to train must also fit the
        client's share of live jobs; see `check_live`)."""
        settings = self.settings
        per_address = settings.clients_per_address
        if training:
            self.check_live(client, live)
        now = time.monotonic()
        counted = [(f"address {client.address}", client.address, settings.max_jobs_per_minute * per_address)]
        if client.id is not None:  # checked first: its limit is the one a page meets
            counted.insert(0, (f"client {client.id}", "this page", settings.max_jobs_per_minute))
        with self._lock:
            self._forget_before(now - WINDOW_SECONDS)
            for key, who, limit in counted:
                if len(self._created.get(key, ())) >= limit:
                    advice = "wait a little, or reuse a job (reset it)"
                    raise TooMany(f"at most {limit} new jobs a minute from {who}: {advice}")
            for key, _, _ in counted:
                self._created.setdefault(key, deque()).append(now)

    def _forget_before(self, moment: float) -> None:
        for key in list(self._created):
            times = self._created[key]
            while times and times[0] < moment:
                times.popleft()
            if not times:
                del self._created[key]


def _live_message(limit: int, who: str) -> str:
    return (
        f"at most {limit} jobs may train at once from {who}: pause or stop one of them first "
        "(a paused job keeps everything)"
    )


def check_resume(
    quota: CreationQuota, record: JobRecord, live: Callable[[str, str | None], int], *, teacher: bool
) -> None:
    """TooMany unless a paused or interrupted job fits its creator's share of jobs training at once
    again (whoever resumes it, over REST or its socket), or the teacher resumes it: the teacher decides
    for the class and is held to no student's share."""
    if teacher:
        return
    if record.status in ("paused", "interrupted") and record.address is not None:
        quota.check_live(Client(record.address, record.client), live)
