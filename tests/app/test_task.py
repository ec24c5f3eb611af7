"""One job inside a pool worker (JobTask), driven directly: its first report, its cadences, the frame
kinds it draws, and a visit's steps before its park."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from app.checks import load_dataset
from app.jobs import task as task_module
from app.jobs.task import FRESH_SECONDS, FRESH_SHARE, UNWATCHED_SHARE, JobTask
from tests.app.test_pool import place_command

Message = tuple[Any, ...]


def task_for(spec: dict[str, Any], sent: list[Message], **changes: Any) -> JobTask:
    command = place_command("j", spec, run=7, **changes)
    return JobTask(command, load_dataset(spec["dataset"], Path(".")), sent.append)


def kinds(sent: list[Message]) -> list[str]:
    return [message[3] for message in sent if message[0] == "frame"]


def test_a_fresh_job_reports_right_after_its_first_step_with_the_checkpoint_of_that_step(
    rings_spec: dict,
) -> None:
    sent: list[Message] = []
    task = task_for(rings_spec, sent)

    task.run_slice(1.0)

    kind, job, run, progress, checkpoint = sent[0]
    assert (kind, job, run, progress["step"]) == ("progress", "j", 7, 1)
    assert json.loads(checkpoint)["step"] == 1  # JSON text, as the server keeps it
    assert not kinds(sent)  # nobody watches: no frame is drawn


def test_only_the_watched_kinds_are_drawn_and_a_new_kind_at_once(rings_spec: dict) -> None:
    sent: list[Message] = []
    task = task_for(rings_spec, sent, kinds=["boundary"])
    task.run_slice(0.01)

    task.apply({"op": "watch", "job": "j", "kinds": ["boundary", "hidden"]})
    task.run_slice(0.0)

    assert kinds(sent)[0] == "boundary"
    assert "neurons" not in kinds(sent)
    assert "hidden" in kinds(sent[len(sent) - 3 :])


def test_a_costly_checkpoint_spaces_the_reports_out(rings_spec: dict) -> None:
    sent: list[Message] = []
    task = task_for(rings_spec, sent)
    saving = task.run.checkpoint

    def slow_checkpoint() -> dict[str, Any]:
        time.sleep(0.02)  # as a big net's weights would take to copy
        return saving()

    task.run.checkpoint = slow_checkpoint  # type: ignore[method-assign]
    task.run_slice(0.0)

    assert task.next_progress - time.monotonic() > 0.3  # 0.02 s is 5% of 0.4 s


def test_a_visit_takes_its_steps_before_it_parks(rings_spec: dict) -> None:
    sent: list[Message] = []
    task = task_for(rings_spec, sent, paused=True)
    assert not task.runnable

    task.apply({"op": "step", "job": "j"})
    task.apply({"op": "step", "job": "j"})
    task.request_park()
    while task.runnable:
        task.run_slice(0.0)

    parked = [message for message in sent if message[0] == "parked"]
    assert [message[3]["step"] for message in sent if message[0] == "progress"] == [1, 2]
    assert len(parked) == 1 and json.loads(parked[0][4])["step"] == 2
    assert parked[0][3] is None  # no step since the last progress: nothing new to report
    assert task.finished


def test_a_watched_job_just_placed_gets_the_largest_share_and_an_unwatched_one_the_smallest(
    rings_spec: dict, monkeypatch
) -> None:
    watched = task_for(rings_spec, [], kinds=["weights"])
    everything = task_for(rings_spec, [], kinds=None)  # a viewer of every kind watches too
    unwatched = task_for(rings_spec, [], kinds=[])
    assert watched.share == everything.share == FRESH_SHARE
    assert unwatched.share == UNWATCHED_SHARE

    later = time.monotonic() + FRESH_SECONDS
    monkeypatch.setattr(task_module.time, "monotonic", lambda: later)
    assert watched.share == 1.0  # no longer just started
    assert unwatched.share == UNWATCHED_SHARE

    watched.apply({"op": "watch", "job": "j", "kinds": []})  # the tab closed
    assert watched.share == UNWATCHED_SHARE
