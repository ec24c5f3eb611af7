"""A job's status: every state, every event, and the one table of what each event does in each state.

States:

- ``queued``: waiting for room to train (beyond `max_running_jobs`, or the memory budget);
- ``running``: training now, on a pool worker;
- ``paused``: at rest; its worker holds nothing of it (it parked: its checkpoint is the whole job);
- ``completed``: a stop condition was met; ``stopped``: a person ended it; ``failed``: it diverged, or
  could not run (its ``error`` says why). These three are final: only ``reset`` trains again;
- ``interrupted``: it was running when the server stopped; ``resume`` goes on from its checkpoint.

`transition` is the only place that decides a new status; anything not in `TRANSITIONS` is refused
with a `JobConflict` that says why and what to do instead.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["queued", "running", "paused", "completed", "stopped", "failed", "interrupted"]
Event = Literal[
    "admit",  # room to train became free
    "pause",  # a person paused it
    "idle",  # nobody watched it for its pause_when_unwatched seconds
    "resume",
    "step",  # one training step of a paused job
    "change",  # new trainer settings
    "view",  # new view choices (hidden layer, sample...)
    "edit",  # a weight set by hand
    "stop",
    "complete",  # a stop condition was met
    "fail",
    "reset_active",  # reset of a job that was queued or running: it queues again
    "reset_idle",  # reset of any other job: it comes back paused at step 0
    "recover",  # its worker died and it goes on from its checkpoint on another
    "interrupt",  # the server stopped while it ran
]

FINAL: frozenset[str] = frozenset({"completed", "stopped", "failed"})
ACTIVE: frozenset[str] = frozenset({"queued", "running"})
LIVE: frozenset[str] = frozenset({"queued", "running", "paused", "interrupted"})

TRANSITIONS: dict[tuple[str, str], str] = {
    ("queued", "admit"): "running",
    ("queued", "pause"): "paused",
    ("running", "pause"): "paused",
    ("paused", "pause"): "paused",
    ("queued", "idle"): "paused",
    ("running", "idle"): "paused",
    ("paused", "resume"): "queued",
    ("interrupted", "resume"): "queued",
    ("queued", "resume"): "queued",
    ("running", "resume"): "running",
    ("paused", "step"): "paused",
    **{(status, "change"): status for status in LIVE},
    **{(status, "view"): status for status in ("queued", "running", "paused")},
    **{(status, "edit"): status for status in ("queued", "running", "paused")},
    **{(status, "stop"): "stopped" for status in LIVE},
    ("running", "complete"): "completed",
    ("paused", "complete"): "completed",
    ("queued", "complete"): "completed",  # resumed while a step's visit reached a stop condition
    ("running", "fail"): "failed",
    ("paused", "fail"): "failed",
    ("queued", "fail"): "failed",
    ("queued", "reset_active"): "queued",
    ("running", "reset_active"): "queued",
    **{(status, "reset_idle"): "paused" for status in (*FINAL, "paused", "interrupted")},
    ("running", "recover"): "running",
    ("running", "interrupt"): "interrupted",
}


class JobConflict(Exception):
    """The job is not in a state where the request makes sense; the message says why."""


def transition(job_id: str, status: str, event: str) -> str:
    """The status `event` leads to from `status`; JobConflict when it cannot happen."""
    new = TRANSITIONS.get((status, event))
    if new is None:
        raise JobConflict(conflict_message(job_id, status, event))
    return new


def conflict_message(job_id: str, status: str, event: str) -> str:
    """Why `event` cannot happen to a job in `status`, and what to do instead."""
    if event == "step" and status in ACTIVE:
        return f"job '{job_id}' is {status}: step works on a paused job, pause it first"
    if event == "stop" and status in FINAL:
        return f"job '{job_id}' is already {status}"
    if event == "change" and status in FINAL:
        return f"job '{job_id}' is {status}: reset it to train with other settings"
    hint = "resume it first" if status == "interrupted" else "reset it to train again"
    return f"cannot {event} job '{job_id}': it is {status} ({hint})"
