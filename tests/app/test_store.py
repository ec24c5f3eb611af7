"""JobStore: jobs, their metric history and their latest checkpoint in one SQLite file."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.store import JobRecord, JobStore


def record(job_id: str, status: str = "queued", **fields: object) -> JobRecord:
    return JobRecord(
        id=job_id,
        name=f"job {job_id}",
        status=status,
        spec={"dataset": {"name": "rings"}, "layers": [{"type": "input"}], "seed": 3},
        trainer={"method": "sgd", "learning_rate": 0.01},
        num_parameters=38,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "nested" / "jobs.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[JobStore]:
    job_store = JobStore(path)
    yield job_store
    job_store.close()


def test_insert_then_get_returns_every_field(store: JobStore) -> None:
    original = record("a", progress={"step": 4, "loss": 0.5}, error=None, stop_reason="max_steps")

    store.insert(original)

    assert store.get("a") == original
    assert store.get("missing") is None


def test_list_is_newest_first_with_status_filter_and_pages(store: JobStore) -> None:
    for job_id, status in [("a", "running"), ("b", "queued"), ("c", "queued"), ("d", "completed")]:
        store.insert(record(job_id, status))

    everything, total, _ = store.list(None, limit=10, offset=0)
    page, page_total, _ = store.list(None, limit=2, offset=1)
    queued, queued_total, _ = store.list("queued", limit=10, offset=0)
    empty, empty_total, unreadable = store.list("failed", limit=10, offset=0)

    assert ([job.id for job in everything], total) == (["d", "c", "b", "a"], 4)
    assert ([job.id for job in page], page_total) == (["c", "b"], 4)
    assert ([job.id for job in queued], queued_total) == (["c", "b"], 2)
    assert (empty, empty_total, unreadable) == ([], 0, 0)
    assert store.count() == 4
    assert store.ids_with_status("queued") == ["b", "c"]


def test_update_changes_columns_and_the_updated_time(store: JobStore) -> None:
    store.insert(record("a", updated=1.0))

    store.update("a", status="failed", error="diverged", progress={"step": 9}, trainer={"method": "adam"})

    job = store.get("a")
    assert job is not None
    assert (job.status, job.error, job.progress, job.trainer) == (
        "failed",
        "diverged",
        {"step": 9},
        {"method": "adam"},
    )
    assert job.updated > 1.0


def test_update_refuses_a_column_that_is_not_updatable(store: JobStore) -> None:
    store.insert(record("a"))

    with pytest.raises(ValueError, match=r"cannot update \['id'\]"):
        store.update("a", id="b")


def state(step: int) -> tuple[dict, str, str]:
    """(progress, history JSON, checkpoint JSON) of one step, as the manager writes them."""
    return {"step": step}, json.dumps([{"step": step}]), json.dumps({"step": step, "model": {"at": step}})


def test_state_is_written_whole_and_only_the_latest_checkpoint_is_kept(store: JobStore) -> None:
    store.insert(record("a"))
    assert (store.history("a"), store.checkpoint("a")) == ([], None)

    store.save_state("a", *state(10))
    store.save_state("a", *state(20))
    progress, history, _ = state(30)
    store.save_state("a", progress, history, None)  # no step since: the checkpoint stays

    assert store.get("a").progress == {"step": 30}
    assert store.history("a") == [{"step": 30}]
    assert json.loads(store.checkpoint("a")) == {"step": 20, "model": {"at": 20}}
    assert store.history("missing") == []


def test_reset_state_clears_progress_history_checkpoint_and_the_end_in_one_go(store: JobStore) -> None:
    store.insert(record("a", status="failed", error="diverged", stop_reason=None))
    store.save_state("a", *state(10))

    store.reset_state("a", {"dataset": {"name": "rings"}, "seed": 5}, {"method": "adam"})

    job = store.get("a")
    assert (job.progress, job.error, job.spec["seed"], job.trainer) == ({}, None, 5, {"method": "adam"})
    assert (store.history("a"), store.checkpoint("a")) == ([], None)


def test_delete_removes_the_job_its_history_and_its_checkpoint(store: JobStore) -> None:
    store.insert(record("a"))
    store.insert(record("b"))
    store.save_state("a", *state(1))

    store.delete("a")

    assert (store.get("a"), store.history("a"), store.checkpoint("a")) == (None, [], None)
    assert store.get("b") is not None
    store.insert(record("a"))  # the id is free again, with nothing left over
    assert store.checkpoint("a") is None


def test_reopening_the_file_keeps_jobs_history_and_checkpoints(path: Path) -> None:
    first = JobStore(path)
    first.insert(record("a", status="running"))
    first.save_state("a", *state(7))
    first.close()

    reopened = JobStore(path)
    try:
        job = reopened.get("a")
        assert job is not None
        assert (job.status, job.progress) == ("running", {"step": 7})
        assert reopened.history("a") == [{"step": 7}]
        assert json.loads(reopened.checkpoint("a"))["step"] == 7
        reopened.insert(record("b"))
        assert [job.id for job in reopened.list(None, 10, 0)[0]] == ["b", "a"]  # numbering goes on
    finally:
        reopened.close()


def test_threads_can_write_at_once(store: JobStore) -> None:
    def insert_many(prefix: str) -> None:
        for n in range(25):
            store.insert(record(f"{prefix}{n}"))
            store.update(f"{prefix}{n}", status="running")

    threads = [threading.Thread(target=insert_many, args=(prefix,)) for prefix in "wxyz"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert store.count() == 100
    assert len(store.ids_with_status("running")) == 100
