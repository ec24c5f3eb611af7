"""Who watches each job, as the hub last counted, and for how long nobody has.

Counts come from the hub (app.hub.Watch), numbered on the event loop; they reach the manager through
threads and may arrive out of order, so a count older than the one kept is ignored. A job with viewers
gets the frame kinds they show; one without is never drawn, and pauses itself after its
``pause_when_unwatched`` seconds.
"""

from __future__ import annotations

from app.hub import Watch

# A count of nobody is forgotten this long after it came, once its job is at rest: no older count can
# still be on its way by then, and a job nobody looks at costs no memory.
FORGET_SECONDS = 60.0


class Viewers:
    """The newest `Watch` of each job."""

    def __init__(self) -> None:
        self._watches: dict[str, Watch] = {}

    def update(self, job_id: str, watch: Watch) -> Watch | None:
        """Keep `watch` unless an equal or newer count is kept already; returns the count it replaces
        (None for the first). Raises `Stale` for an old count."""
        old = self._watches.get(job_id)
        if old is not None and old.seq >= watch.seq:
            raise Stale(job_id)
        self._watches[job_id] = watch
        return old

    def count(self, job_id: str) -> int:
        """How many viewers the job has."""
        watch = self._watches.get(job_id)
        return watch.count if watch is not None else 0

    def kinds(self, job_id: str) -> list[str] | None:
        """The frame kinds the job's viewers show: [] when nobody watches, None for all kinds."""
        watch = self._watches.get(job_id)
        if watch is None or not watch.count:
            return []
        return None if watch.kinds is None else list(watch.kinds)

    def unwatched_for(self, job_id: str, since: float, now: float) -> float:
        """Seconds nobody has watched the job, counted from `since` at the earliest (its start); 0 while
        someone watches."""
        watch = self._watches.get(job_id)
        if watch is not None and watch.count:
            return 0.0
        return now - max(since, watch.since if watch is not None else since)

    def watched(self) -> set[str]:
        """The jobs somebody watches now."""
        return {job_id for job_id, watch in self._watches.items() if watch.count}

    def forget(self, job_id: str) -> None:
        """The job is gone."""
        self._watches.pop(job_id, None)

    def forget_stale(self, now: float, keep: set[str]) -> None:
        """Forget the old counts of nobody for jobs not in `keep` (see `FORGET_SECONDS`)."""
        for job_id, watch in list(self._watches.items()):
            if not watch.count and job_id not in keep and now - watch.since > FORGET_SECONDS:
                del self._watches[job_id]


class Stale(Exception):
    """A viewer count older than the one kept."""
