"""Faults of the disk and the database give clear answers, never a 500: a full disk (an injected
``OSError(ENOSPC)`` at the store's writes, or at an upload's), a damaged database, a read-only one.

The full disk is injected: tests need no mount privileges. `FullDisk` stands in for the store's SQLite
connection and refuses every statement that writes while it is full, as a full disk refuses them.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import app.api.datasets
from app.cli import main
from app.connections import FILES_KEPT, LINGERING_ROOM, socket_room
from app.database import StoreUnwritable, check_database
from app.main import create_app
from app.settings import Settings
from app.store import JobRecord, JobStore
from engine.demo_nets import CLASSIFY2D_LAYERS
from tests.app.conftest import AS_TEACHER, TEACHER

Job = dict[str, Any]
WRITES = ("INSERT", "UPDATE", "DELETE", "BEGIN", "REPLACE", "PRAGMA USER_VERSION =")


class FullDisk:
    """A SQLite connection whose writes fail with ENOSPC while `full` (reads go through)."""

    def __init__(self, db: sqlite3.Connection, full: bool = False) -> None:
        self.db, self.full = db, full

    def execute(self, sql: str, *args: Any) -> Any:
        if self.full and sql.lstrip().upper().startswith(WRITES):
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.db.execute(sql, *args)

    def __enter__(self) -> Any:
        return self.db.__enter__()

    def __exit__(self, *exc: Any) -> Any:
        return self.db.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


@pytest.fixture
def full_disk_client(make_client: Callable[..., TestClient]) -> Iterator[tuple[TestClient, FullDisk]]:
    """A client whose store's disk can be filled (`FullDisk.full`) and emptied."""
    client = make_client(checkpoint_seconds=0.2)
    store: JobStore = client.app.state.store
    disk = FullDisk(store._db)
    store._db = disk  # type: ignore[assignment]
    yield client, disk
    disk.full = False


def stored_step(store: JobStore, job_id: str) -> int:
    checkpoint = store.checkpoint(job_id)
    return json.loads(checkpoint)["step"] if checkpoint is not None else 0


def test_a_full_disk_answers_507_and_training_goes_on_until_there_is_room(
    full_disk_client: tuple[TestClient, FullDisk],
    rings_spec: dict,
    wait_for: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, disk = full_disk_client
    store: JobStore = client.app.state.store
    training = client.post("/api/jobs", json=rings_spec).json()["id"]
    to_pause = client.post("/api/jobs", json=rings_spec).json()["id"]
    wait_for(lambda: client.get(f"/api/jobs/{training}").json()["step"] > 0, what="training")

    with caplog.at_level(logging.WARNING):
        disk.full = True
        created = client.post("/api/jobs", json=rings_spec)
        kept = client.patch(f"/api/jobs/{training}", json={"keep": True})
        paused = client.post(f"/api/jobs/{to_pause}/pause")
        full_at = wait_for(lambda: client.get(f"/api/jobs/{training}").json()["step"], what="a step")
        wait_for(
            lambda: client.get(f"/api/jobs/{training}").json()["step"] > full_at + 500,
            what="training to go on while the disk is full",
        )
        stored_while_full = stored_step(store, training)
        disk.full = False
        wait_for(
            lambda: stored_step(store, training) > full_at, what="the checkpoint written once there is room"
        )
        wait_for(lambda: store.get(to_pause).status == "paused", what="the pause written")

    assert created.status_code == 507
    assert created.json()["detail"].startswith("nothing could be saved: the disk is full")
    assert kept.status_code == 507
    assert paused.status_code == 200 and paused.json()["status"] == "paused"  # held in memory meanwhile
    assert stored_while_full <= full_at
    store_lines = [record.getMessage() for record in caplog.records if record.name == "netplay.store"]
    assert len(store_lines) == 2, store_lines  # one line when writes fail, one when they work again
    assert "cannot write to the database" in store_lines[0]
    assert "can be written again" in store_lines[1]
    assert not [record for record in caplog.records if record.exc_info], "no traceback"


def test_a_running_job_s_delete_reset_or_trainer_change_on_a_full_disk_changes_nothing(
    full_disk_client: tuple[TestClient, FullDisk], rings_spec: dict, wait_for: Callable[..., Any]
) -> None:
    client, disk = full_disk_client
    job_id = client.post("/api/jobs", json=rings_spec).json()["id"]
    live = client.app.state.manager.table.jobs[job_id]
    wait_for(lambda: live.progress.get("step", 0) > 0, what="training")
    trainer = client.get(f"/api/jobs/{job_id}").json()["trainer"]

    disk.full = True
    deleted = client.delete(f"/api/jobs/{job_id}")
    reset = client.post(f"/api/jobs/{job_id}/reset")
    changed = client.patch(f"/api/jobs/{job_id}", json={"trainer": {"learning_rate": 0.5}})
    refused_at = live.progress["step"]
    wait_for(lambda: live.progress["step"] > refused_at + 500, what="the same run to go on training")
    disk.full = False
    after = client.get(f"/api/jobs/{job_id}").json()

    assert [response.status_code for response in (deleted, reset, changed)] == [507, 507, 507]
    assert client.app.state.manager.table.jobs[job_id] is live  # not dropped, not replaced
    assert after["status"] == "running"
    assert after["step"] > refused_at
    assert after["trainer"] == trainer


def test_an_upload_to_a_full_disk_is_a_507_and_keeps_nothing(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_room(*_: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(app.api.datasets, "_receive", no_room)

    response = client.post("/api/datasets", files={"file": ("points.npz", b"x" * 1000)})

    assert response.status_code == 507
    assert response.json()["detail"].startswith("the upload could not be saved: the disk holding ")
    assert client.get("/api/datasets/uploads").json()["items"] == []


def stored_jobs(path: Path, statuses: list[str]) -> None:
    """A database at `path` holding a job in each of `statuses`, with a checkpoint each."""
    store = JobStore(path)
    for n, status in enumerate(statuses):
        spec = {
            "name": "x" * 150,
            "dataset": {"name": "rings", "n_samples": 100},
            "layers": CLASSIFY2D_LAYERS,
        }
        store.insert(
            JobRecord(id=f"job{n}", name=f"job {n}", status=status, spec=spec, trainer={}, num_parameters=1)
        )
        store.save_state(
            f"job{n}", {"step": 10 + n}, json.dumps([{"step": 10 + n}]), json.dumps({"step": 10 + n})
        )
    store.close()


def test_a_server_started_on_a_full_disk_serves_read_only_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "netplay.sqlite3"
    stored_jobs(database, ["running", "paused"])
    connect = sqlite3.connect
    with monkeypatch.context() as patched:  # every connection's disk is full while the server starts
        patched.setattr(sqlite3, "connect", lambda *args, **kwargs: FullDisk(connect(*args, **kwargs), True))
        served: list[Any] = []

        def run(server: Any, sockets: list[Any]) -> None:
            served.append(server.config.app)
            for listener in sockets:
                listener.close()

        patched.setattr("uvicorn.Server.run", run)
        code = main(["--data-dir", str(tmp_path), "serve", "--port", "0"])
    err = capsys.readouterr().err

    assert code == 0 and len(served) == 1
    assert f"netplay: the disk holding {database} is full: serving read-only" in err
    assert "Traceback" not in err
    with TestClient(served[0], base_url="http://127.0.0.1") as client:
        jobs = {job["id"]: job for job in client.get("/api/jobs").json()["items"]}
        spec = {"dataset": {"name": "rings", "n_samples": 100}, "layers": CLASSIFY2D_LAYERS}
        created = client.post("/api/jobs", json=spec)
        resumed = client.post("/api/jobs/job1/resume")

    assert jobs["job0"]["status"] == "interrupted" and "read-only" in jobs["job0"]["message"]
    assert jobs["job1"]["status"] == "paused"
    assert created.status_code == 507
    assert resumed.status_code == 507, resumed.text
    assert resumed.json()["detail"].startswith("the server is read-only: the disk holding ")


def serve(data_dir: Path, *prefix: str) -> tuple[int | None, str, str]:
    """Run ``netplay serve`` on `data_dir` (after the command `prefix`) in a process group of its own;
    (its exit code, or None when it started serving; its output; its errors). The group is ended."""
    command = [*prefix, sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "serve", "--port", "0"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        out = process.stdout.readline()
        code = None if "is running" in out else process.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        rest, err = process.communicate(timeout=30)
    return code, out + rest, err


def test_serve_refuses_a_database_quick_check_finds_damaged_and_leaves_it_untouched(tmp_path: Path) -> None:
    database = tmp_path / "netplay.sqlite3"
    stored_jobs(database, ["completed"] * 40)
    damaged = bytearray(database.read_bytes())
    noise = random.Random(0)
    damaged[-4096:] = bytes(noise.randrange(256) for _ in range(4096))  # its last page: a checkpoint's
    database.write_bytes(bytes(damaged))

    code, out, err = serve(tmp_path)

    assert code == 2
    assert "is running" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"netplay: the database {database} cannot be read (")
    assert "left untouched" in lines[0]
    assert database.read_bytes() == damaged


def test_a_row_that_cannot_be_read_is_left_out_of_the_list_and_reported(
    make_client: Callable[..., TestClient], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    path = settings.database_path
    stored_jobs(path, ["completed", "completed", "paused"])
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE jobs SET spec = CAST(x'7b22ff' AS TEXT) WHERE id = 'job1'")  # not UTF-8
        db.execute("UPDATE jobs SET trainer = 'not json' WHERE id = 'job2'")
    assert check_database(path).note is None  # quick_check cannot see it: it is a row's content

    with caplog.at_level(logging.WARNING):
        client = make_client()
        listed = client.get("/api/jobs")
        again = client.get("/api/jobs")
        one = client.get("/api/jobs/job1")
        deleted = client.delete("/api/jobs/job1")
        after = client.get("/api/jobs")

    assert listed.status_code == 200
    assert [job["id"] for job in listed.json()["items"]] == ["job0"]
    assert (listed.json()["total"], listed.json()["unreadable"]) == (3, 2)
    assert again.json()["unreadable"] == 2
    lines = [record.getMessage() for record in caplog.records if record.name == "netplay.store"]
    assert len(lines) == 2, lines  # once for each damaged row
    assert any(line.startswith("netplay: job job1 in ") and "cannot be read" in line for line in lines)
    assert one.status_code == 409
    assert one.json()["detail"].startswith("job 'job1' cannot be read from the database")
    assert deleted.status_code == 204
    assert (after.json()["total"], after.json()["unreadable"]) == (2, 1)


def damage_pages_after_the_first(path: Path) -> None:
    """Overwrite most of every page of the database at `path` but its first (the header stays, so
    SQLite still opens it), after moving what the WAL holds into it."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damaged = bytearray(path.read_bytes())
    noise = random.Random(1)
    for page in range(4096, len(damaged), 4096):
        damaged[page + 100 : page + 4000] = bytes(noise.randrange(256) for _ in range(3900))
    path.write_bytes(bytes(damaged))


def test_a_database_damaged_while_the_server_runs_answers_503_and_training_goes_on(
    make_client: Callable[..., TestClient],
    settings: Settings,
    rings_spec: dict,
    wait_for: Callable[..., Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    stored_jobs(settings.database_path, ["completed"] * 30)
    client = make_client(checkpoint_seconds=0.2)
    training = client.post("/api/jobs", json=rings_spec).json()["id"]
    live = client.app.state.manager.table.jobs[training]
    wait_for(lambda: live.progress.get("step", 0) > 0, what="training")

    with caplog.at_level(logging.WARNING):
        damage_pages_after_the_first(settings.database_path)
        listed = client.get("/api/jobs")
        one = client.get("/api/jobs/job3")
        created = client.post("/api/jobs", json=rings_spec)
        deleted = client.delete("/api/jobs/job4")
        damaged_at = live.progress["step"]
        wait_for(lambda: live.progress["step"] > damaged_at + 500, what="training to go on")

    for response in (listed, one, created, deleted):
        assert response.status_code == 503, response.text
        assert response.json()["detail"].startswith("the server's database is damaged (")
        assert "restores the file" in response.json()["detail"]
    lines = [record.getMessage() for record in caplog.records if record.name == "netplay.store"]
    assert len(lines) == 1, lines  # once, however many requests and checkpoint rounds found it
    assert "is damaged" in lines[0]
    assert not [record for record in caplog.records if record.exc_info], "no traceback"


def test_a_job_s_socket_on_a_damaged_database_gets_an_error_frame(
    make_client: Callable[..., TestClient], settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    stored_jobs(settings.database_path, ["completed"] * 30)
    client = make_client()
    damage_pages_after_the_first(settings.database_path)

    with caplog.at_level(logging.WARNING), client.websocket_connect("/api/jobs/job3/stream") as socket:
        error = json.loads(socket.receive_text())
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_text()

    assert error["type"] == "error" and error["status"] == 503
    assert error["message"].startswith("the server's database is damaged (")
    assert closed.value.code == 4503
    assert not [record for record in caplog.records if record.exc_info], "no traceback"


def test_a_read_only_server_refuses_what_would_change_a_job_on_its_socket(
    make_client: Callable[..., TestClient],
    settings: Settings,
    rings_spec: dict,
    caplog: pytest.LogCaptureFixture,
) -> None:
    writable = make_client()
    job_id = writable.post("/api/jobs?paused=true", json=rings_spec).json()["id"]
    writable.post(f"/api/jobs/{job_id}/step")
    writable.__exit__(None, None, None)  # stopped: its jobs parked and saved

    with (
        caplog.at_level(logging.WARNING),
        TestClient(create_app(settings, read_only=True), headers=AS_TEACHER) as client,
        client.websocket_connect(f"/api/jobs/{job_id}/stream", headers=AS_TEACHER) as socket,
    ):
        assert json.loads(socket.receive_text())["type"] == "snapshot"
        answers = []
        for control in (
            {"type": "set_view", "view": {"hidden_layer": 2, "hidden_neurons": [0, 1]}},
            {"type": "set_weight", "layer": 1, "param": "w", "index": [0, 0], "value": 0.5},
            {"type": "step"},
            {"type": "set_trainer", "trainer": {"learning_rate": 0.5}},
        ):
            answers.append(errors_in_answer_to(socket, control))
        step = client.get(f"/api/jobs/{job_id}").json()["step"]

    for answer in answers:
        assert len(answer) == 1, answer
        assert answer[0]["message"].startswith("the server is read-only: the disk holding "), answer
    assert step == 1
    assert not [record for record in caplog.records if record.exc_info], "no traceback"


def errors_in_answer_to(socket: Any, control: dict[str, Any]) -> list[dict[str, Any]]:
    """Send a control message on a job's `socket`, then an ``auth`` one (the teacher's), whose answer
    comes after the first's: the error messages that came before it (frames and other messages are
    passed over)."""
    socket.send_text(json.dumps(control))
    socket.send_text(json.dumps({"type": "auth", "token": TEACHER}))
    errors = []
    while True:
        message = socket.receive()
        body = json.loads(message["text"]) if message.get("text") is not None else {"type": "frame"}
        if body["type"] == "auth":
            return errors
        if body["type"] == "error":
            errors.append(body)


def test_serve_refuses_a_database_it_may_not_write_in_one_line(tmp_path: Path) -> None:
    database = tmp_path / "netplay.sqlite3"
    stored_jobs(database, ["completed"])
    database.chmod(0o444)
    # root writes any file: the server runs without that power here (setpriv drops it from its
    # capabilities), as an ordinary user would
    prefix = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search") if os.geteuid() == 0 else ()

    code, out, err = serve(tmp_path, *prefix)

    assert code == 2
    assert "is running" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"netplay: the database {database} cannot be written (")
    assert "give the server write access" in lines[0]


@pytest.mark.parametrize("folder", ["c%20d", "what?", "no#1"])
def test_a_database_in_a_folder_whose_name_a_uri_would_misread_is_checked(
    tmp_path: Path, folder: str
) -> None:
    database = tmp_path / folder / "netplay.sqlite3"
    database.parent.mkdir()
    stored_jobs(database, ["completed"])

    assert check_database(database).note is None


def test_a_write_the_file_s_permissions_refuse_says_so_not_that_the_disk_is_full(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "netplay.sqlite3")
    refused = sqlite3.OperationalError("attempt to write a readonly database")
    refused.sqlite_errorcode = sqlite3.SQLITE_READONLY

    class ReadOnlyFile(FullDisk):
        def execute(self, sql: str, *args: Any) -> Any:
            if sql.lstrip().upper().startswith(WRITES):
                raise refused
            return self.db.execute(sql, *args)

    store._db = ReadOnlyFile(store._db)  # type: ignore[assignment]
    with pytest.raises(StoreUnwritable) as raised:
        store.insert(JobRecord(id="a", name="a", status="paused", spec={}, trainer={}, num_parameters=1))

    assert "the database may not be written (attempt to write a readonly database)" in str(raised.value)
    assert str(raised.value).endswith("it works again once the server may write it")
    assert "room" not in str(raised.value)


def test_serve_keeps_its_open_file_limit_when_the_system_refuses_a_higher_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import resource

    def refuse(*_: Any) -> None:
        raise ValueError("current limit exceeds maximum limit")  # a Mac past kern.maxfilesperproc

    monkeypatch.setattr(resource, "getrlimit", lambda _: (256, resource.RLIM_INFINITY))
    monkeypatch.setattr(resource, "setrlimit", refuse)

    assert socket_room(1000) == (256 - FILES_KEPT - LINGERING_ROOM, 256)
