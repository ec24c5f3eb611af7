"""Choosing the executor: nothing of Ray without it, and a cluster that cannot be joined stops
`netplay serve` at once with one line naming its address."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parents[2]


def serve_on_ray(data_dir: Path, address: str, connect_seconds: float = 10.0) -> tuple[int, str, float]:
    """Run ``netplay serve`` with the Ray executor at `address`; its exit code, stderr and wall time."""
    env = {
        **os.environ,
        "NETPLAY_EXECUTOR": "ray",
        "NETPLAY_RAY_ADDRESS": address,
        "NETPLAY_RAY_CONNECT_SECONDS": str(connect_seconds),
        "RAY_TMPDIR": str(data_dir / "ray"),  # never another session's cluster (address=auto reads it)
    }
    started = time.monotonic()
    process = subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "serve", "--port", "0"],
        capture_output=True, text=True, env=env, timeout=120, cwd=CHECKOUT,
    )  # fmt: skip
    return process.returncode, process.stderr, time.monotonic() - started


def error_line(stderr: str) -> str:
    """The one line of stderr that is not the note about a new database."""
    lines = [line for line in stderr.strip().splitlines() if "starting with no jobs" not in line]
    assert len(lines) == 1, stderr
    return lines[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_local_executor_imports_nothing_of_ray(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from fastapi.testclient import TestClient\n"
        "from app.main import create_app\n"
        "from app.settings import Settings\n"
        f"settings = Settings(data_dir={str(tmp_path)!r}, allowed_hosts='testserver')\n"
        "with TestClient(create_app(settings)) as c:\n"
        "    assert c.get('/api/jobs').status_code == 200\n"
        "print(sorted(name for name in sys.modules if name == 'ray' or name.startswith('ray.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=CHECKOUT, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_serve_exits_at_once_naming_a_ray_address_nothing_listens_on(tmp_path: Path) -> None:
    address = f"127.0.0.1:{closed_port()}"

    code, stderr, seconds = serve_on_ray(tmp_path, address)

    assert code == 2
    assert error_line(stderr) == f"netplay: cannot reach the Ray cluster at {address}: Connection refused"
    assert seconds < 60  # it did not wait for the connect timeout or anything longer


def test_serve_gives_up_on_a_ray_address_that_never_answers_within_the_connect_time(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"127.0.0.1:{silent.getsockname()[1]}"

        code, stderr, _ = serve_on_ray(tmp_path, address, connect_seconds=2)

    assert code == 2
    assert error_line(stderr) == f"netplay: the Ray cluster at {address} did not answer within 2 s"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("ray://head:10001", "cannot use the Ray cluster at ray://head:10001: run netplay on a node"),
        ("head", "cannot use the Ray cluster at head: give host:port or auto"),
    ],
)
def test_serve_explains_a_ray_address_it_cannot_use(tmp_path: Path, address: str, reason: str) -> None:
    code, stderr, _ = serve_on_ray(tmp_path, address)

    assert code == 2
    assert error_line(stderr).startswith(f"netplay: {reason}")
