"""A real server process (``netplay serve``): a killed worker, a killed server, a clean shutdown and a
stalled viewer over real TCP."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from app.store import JobStore
from engine.demo_nets import CLASSIFY2D_LAYERS

DEADLINE = 30.0


@contextmanager
def running_server(
    data_dir: Path, log: Path | None = None, prefix: Sequence[str] = (), **settings: str
) -> Iterator[tuple[subprocess.Popen, str]]:
    """Start ``netplay serve --port 0`` (NETPLAY_<name> `settings` too; after the command `prefix`) and
    yield the process and the URL it printed; its stderr goes to `log` when given. The server and its
    workers run in a process group of their own, ended whole at the end, so no worker outlives the test."""
    env = {**os.environ, "NETPLAY_CHECKPOINT_SECONDS": "0.3", "NETPLAY_WORKERS": "2"}
    env.update({f"NETPLAY_{name.upper()}": value for name, value in settings.items()})
    with contextlib.ExitStack() as files:
        stderr = files.enter_context(log.open("w")) if log is not None else subprocess.PIPE
        process = subprocess.Popen(
            [*prefix, sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
            start_new_session=True,
        )
        try:
            line = process.stdout.readline()
            ended = process.poll() is not None and log is None
            match = re.search(r"open (http://\S+/)", line)
            assert match, f"no URL printed: {line!r} {process.stderr.read() if ended else ''}"
            yield process, match.group(1).rstrip("/")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the server, if still running, and its workers
            process.wait(timeout=10)
            process.stdout.close()
            if process.stderr is not None:
                process.stderr.close()


def wait_until(check: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + DEADLINE
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def rings_spec(**stop: Any) -> dict[str, Any]:
    return {
        "dataset": {"name": "rings", "n_samples": 200},
        "layers": CLASSIFY2D_LAYERS,
        "trainer": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.1, "batch_size": 10},
        "stop": stop,
        "stream": {"grid": 100, "fps": 60, "progress_every": 0.05},
    }


def stored_step(data_dir: Path, job_id: str) -> int:
    """The step of the job's checkpoint in the server's database (read beside the running server)."""
    store = JobStore(data_dir / "netplay.sqlite3")
    try:
        checkpoint = store.checkpoint(job_id)
    finally:
        store.close()
    return json.loads(checkpoint)["step"] if checkpoint is not None else 0


def test_server_restart_keeps_jobs_and_resume_continues_from_the_checkpoint(tmp_path: Path) -> None:
    with running_server(tmp_path) as (process, url):
        done_id = httpx.post(f"{url}/api/jobs", json=rings_spec(max_steps=500)).json()["id"]
        long_job = httpx.post(f"{url}/api/jobs", json=rings_spec()).json()
        long_id, owner = long_job["id"], {"authorization": f"Bearer {long_job['owner_token']}"}
        paused_id = httpx.post(f"{url}/api/jobs?paused=true", json=rings_spec()).json()["id"]
        done = wait_until(
            lambda: (job := httpx.get(f"{url}/api/jobs/{done_id}").json())["status"] == "completed" and job,
            "the short job to complete",
        )
        wait_until(
            lambda: stored_step(tmp_path, long_id) > 2000, "a checkpoint past step 2000 in the database"
        )
        process.send_signal(signal.SIGKILL)  # a crash: no shutdown handler runs
        process.wait(timeout=10)
    with running_server(tmp_path) as (_, url):
        again = httpx.get(f"{url}/api/jobs/{done_id}").json()
        assert again["status"] == "completed"
        assert again["step"] == done["step"] == 500 and again["metrics"] == done["metrics"]
        assert len(httpx.get(f"{url}/api/jobs/{done_id}/metrics").json()["points"]) > 0
        assert httpx.get(f"{url}/api/jobs/{paused_id}").json()["status"] == "paused"  # parked: at rest
        interrupted = httpx.get(f"{url}/api/jobs/{long_id}").json()
        assert interrupted["status"] == "interrupted"
        checkpoint_step = interrupted["step"]
        assert checkpoint_step > 2000
        predicted = httpx.post(f"{url}/api/jobs/{long_id}/predict", json={"points": [[0, 0]]}).json()
        assert predicted["step"] == checkpoint_step, "the step shown is the one its checkpoint holds"
        resumed = httpx.post(f"{url}/api/jobs/{long_id}/resume", headers=owner).json()  # still its owner
        assert resumed["status"] == "running"
        wait_until(
            lambda: httpx.get(f"{url}/api/jobs/{long_id}").json()["step"] > checkpoint_step + 100,
            "the resumed job to go on past its checkpoint",
        )
        history = httpx.get(f"{url}/api/jobs/{long_id}/metrics").json()["points"]
        steps = [point["step"] for point in history]
        assert steps == sorted(steps), "the resumed job continues the curve, it does not restart at 0"


def worker_pids(server: subprocess.Popen, processes: Any) -> list[int]:
    """The server's pool workers: the children of its fork server."""
    fork_server = next(
        pid
        for pid in processes.children(server.pid)
        if b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    return processes.children(fork_server)


@pytest.mark.slow  # 4 s alone
def test_a_worker_killed_mid_training_loses_no_job(tmp_path: Path, processes: Any) -> None:
    """SIGKILL one of two workers while four jobs train: its two jobs go on from their checkpoints on
    the workers left, say so, and every job completes; no viewer ever sees a step go backwards."""
    with running_server(tmp_path) as (process, url):
        spec = {**rings_spec(max_steps=40_000), "stream": {"progress_every": 0.05}}
        ids = [httpx.post(f"{url}/api/jobs", json=spec).json()["id"] for _ in range(4)]
        stream = url.replace("http", "ws")
        with contextlib.ExitStack() as sockets:
            viewers = [sockets.enter_context(connect(f"{stream}/api/jobs/{i}/stream?kinds=")) for i in ids]
            for viewer in viewers:
                json.loads(viewer.recv(timeout=10))
            wait_until(
                lambda: all(httpx.get(f"{url}/api/jobs/{job_id}").json()["step"] > 3000 for job_id in ids),
                "every job training",
            )
            victim = worker_pids(process, processes)[0]
            os.kill(victim, signal.SIGKILL)
            jobs = wait_until(
                lambda: (
                    (found := [httpx.get(f"{url}/api/jobs/{job_id}").json() for job_id in ids])
                    and all(job["status"] != "running" for job in found)
                    and found
                ),
                "every job to end",
            )
            seen = {job_id: read_stream(viewer) for job_id, viewer in zip(ids, viewers, strict=True)}
        assert victim not in worker_pids(process, processes)
        assert len(worker_pids(process, processes)) == 2, "the dead worker was replaced"
    assert [job["status"] for job in jobs] == ["completed"] * 4
    assert all(job["step"] == 40_000 for job in jobs)
    recovered = [message for _, messages in seen.values() for message in messages if message]
    assert len(recovered) == 2, recovered
    assert all(
        message.startswith("recovered at step ") and "killed by SIGKILL" in message for message in recovered
    )
    for job_id, (steps, _) in seen.items():
        assert steps == sorted(steps), f"job {job_id} showed a step going backwards"


def read_stream(viewer: Any) -> tuple[list[int], list[str | None]]:
    """The steps of the progress messages and the texts of the running status messages the viewer got
    (until nothing more comes)."""
    steps, messages = [], []
    while True:
        try:
            message = viewer.recv(timeout=0.2)
        except TimeoutError:
            return steps, messages
        body = json.loads(message) if isinstance(message, str) else {"type": "frame"}
        if body["type"] == "progress":
            steps.append(body["step"])
        elif body["type"] == "status" and body["status"] == "running":
            messages.append(body.get("message"))


def test_graceful_shutdown_marks_running_jobs_interrupted(tmp_path: Path) -> None:
    with running_server(tmp_path) as (process, url):
        job_id = httpx.post(f"{url}/api/jobs", json=rings_spec()).json()["id"]
        wait_until(lambda: httpx.get(f"{url}/api/jobs/{job_id}").json()["step"] > 100, "training")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        assert "Traceback" not in process.stderr.read()
    with running_server(tmp_path) as (_, url):
        job = httpx.get(f"{url}/api/jobs/{job_id}").json()
        assert job["status"] == "interrupted" and job["step"] > 100


STALLED_FRAMES = 400


@pytest.mark.slow  # 15 s alone
def test_a_stalled_viewer_does_not_block_training_or_other_viewers(tmp_path: Path) -> None:
    with running_server(tmp_path) as (_, url):
        job_id = httpx.post(f"{url}/api/jobs", json=rings_spec()).json()["id"]
        stream_url = url.replace("http", "ws") + f"/api/jobs/{job_id}/stream"
        # The stalled viewer reads its snapshot and then nothing: TCP buffers fill with 100x100 frames.
        with (
            connect(stream_url, max_size=None, max_queue=1) as stalled,
            connect(stream_url, max_size=None) as live,
        ):
            json.loads(stalled.recv(timeout=10))
            json.loads(live.recv(timeout=10))
            # The live viewer reads on until STALLED_FRAMES frames (20 KB each, more than the kernel's
            # socket buffers hold) went past the stalled one and training visibly moved; a hub blocked
            # by the stalled viewer would leave `live.recv` waiting until its timeout.
            frames, steps = 0, []
            while frames < STALLED_FRAMES or len(steps) < 2 or steps[-1] <= steps[0]:
                message = live.recv(timeout=10)
                if isinstance(message, bytes):
                    frames += 1
                elif (body := json.loads(message))["type"] == "progress":
                    steps.append(body["step"])
            assert stalled.recv(timeout=10)  # the stalled viewer can still catch up (a frame or a message)


def raw_request(url: str, data: bytes) -> socket.socket:
    """A TCP connection to the server that has sent `data` and nothing more."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = socket.create_connection((host, int(port)), timeout=30)
    connection.sendall(data)
    return connection


def read_response(connection: socket.socket) -> str:
    """One whole HTTP response from `connection` (its head and body may arrive in separate reads)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096) or b"\r\n\r\n"
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE).group(1))
    while len(body) < length and (chunk := connection.recv(4096)):
        body += chunk
    return (head + b"\r\n\r\n" + body).decode()


def test_a_body_that_never_arrives_is_given_up_and_connections_are_capped(tmp_path: Path) -> None:
    with running_server(tmp_path, body_timeout_seconds="0.5", max_connections="4") as (_, url):
        host = url.removeprefix("http://")
        head = f"POST /api/jobs HTTP/1.1\r\nHost: {host}\r\ncontent-type: application/json\r\n"
        with contextlib.closing(raw_request(url, f"{head}content-length: 100\r\n\r\n{{".encode())) as stalled:
            answer = read_response(stalled)  # the server's answer: it comes after the deadline
        with contextlib.ExitStack() as connections:
            for _ in range(4):
                connections.enter_context(contextlib.closing(raw_request(url, b"")))
            full = httpx.get(f"{url}/api/jobs", timeout=30)
        again = wait_until(lambda: httpx.get(f"{url}/api/jobs", timeout=30).status_code == 200, "a free slot")

    assert answer.startswith("HTTP/1.1 408")
    assert "did not arrive within 0.5 s" in answer
    assert full.status_code == 503
    assert again


@pytest.mark.slow  # 4.7 s alone
def test_viewers_and_clients_that_vanish_leave_no_traceback(tmp_path: Path) -> None:
    """Every way a client can go away mid-conversation is a normal event: nothing in the server's log."""
    log = tmp_path / "server.log"
    with running_server(tmp_path / "data", log, admin_token="t") as (process, url):
        job_id = httpx.post(f"{url}/api/jobs", json=rings_spec()).json()["id"]
        doomed = httpx.post(f"{url}/api/jobs", json=rings_spec()).json()["id"]
        stream_url = url.replace("http", "ws") + "/api/jobs/{}/stream"
        host, port = url.removeprefix("http://").rsplit(":", 1)
        upgrade = (
            f"GET /api/jobs/{job_id}/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        raw_request(url, upgrade).close()  # gone during the handshake
        for _ in range(3):  # gone mid-stream without a closing handshake, frames still flowing
            with connect(stream_url.format(job_id), max_size=None) as viewer:
                json.loads(viewer.recv(timeout=10))
                viewer.socket.shutdown(socket.SHUT_RDWR)
        with connect(stream_url.format(job_id), max_size=None) as viewer:  # a control, then gone at once
            viewer.recv(timeout=10)
            viewer.send(json.dumps({"type": "pause"}))
        with connect(stream_url.format(doomed), max_size=None) as viewer:  # its job deleted under it
            viewer.recv(timeout=10)
            httpx.delete(f"{url}/api/jobs/{doomed}", headers={"authorization": "Bearer t"})
            with contextlib.suppress(Exception):
                while True:
                    viewer.recv(timeout=10)
        body = b'{"points": [[0, 0]' + b", [0, 0]" * 1000 + b"]}"
        head = f"POST /api/jobs/{job_id}/predict HTTP/1.1\r\nHost: {host}:{port}\r\n"
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        raw_request(url, head.encode() + body[:100]).close()  # gone halfway through its body
        with connect(stream_url.format(job_id), max_size=None) as viewer:  # the server still serves
            assert json.loads(viewer.recv(timeout=10))["type"] == "snapshot"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    assert "Traceback" not in log.read_text(), log.read_text()[-4000:]
