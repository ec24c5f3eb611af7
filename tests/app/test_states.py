"""The one table of job status changes, and what a refused change says."""

from __future__ import annotations

import pytest

from app.jobs.states import FINAL, TRANSITIONS, JobConflict, transition

STATUSES = ("queued", "running", "paused", "completed", "stopped", "failed", "interrupted")


def test_a_finished_job_only_resets() -> None:
    for status in FINAL:
        allowed = {event for (state, event) in TRANSITIONS if state == status}
        assert allowed == {"reset_idle"}, status


def test_every_change_leads_to_a_known_status() -> None:
    assert {state for state, _ in TRANSITIONS} <= set(STATUSES)
    assert set(TRANSITIONS.values()) <= set(STATUSES)


@pytest.mark.parametrize(
    ("status", "event", "message"),
    [
        ("running", "step", "job 'j' is running: step works on a paused job, pause it first"),
        ("interrupted", "step", "cannot step job 'j': it is interrupted (resume it first)"),
        ("completed", "step", "cannot step job 'j': it is completed (reset it to train again)"),
        ("stopped", "stop", "job 'j' is already stopped"),
        ("failed", "change", "job 'j' is failed: reset it to train with other settings"),
        ("interrupted", "pause", "cannot pause job 'j': it is interrupted (resume it first)"),
        ("completed", "resume", "cannot resume job 'j': it is completed (reset it to train again)"),
    ],
)
def test_a_refused_change_says_why_and_what_to_do(status: str, event: str, message: str) -> None:
    with pytest.raises(JobConflict) as refused:
        transition("j", status, event)
    assert str(refused.value) == message


def test_pausing_or_resuming_twice_changes_nothing() -> None:
    assert transition("j", "paused", "pause") == "paused"
    assert transition("j", "running", "resume") == "running"
    assert transition("j", "queued", "resume") == "queued"
