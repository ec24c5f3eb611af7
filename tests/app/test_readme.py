"""The README's API walk-through runs as written: its shell block, word for word but for the port, run
by bash against a live ``netplay serve``; each curl call's status and answer checked in order."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.extras import require_program

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
README_ADDRESS = "localhost:8000"

# Prepended to the README's block: curl as written, but each call's body and status also kept, numbered,
# in $CALLS (a counter file, since the README calls curl inside $(...) subshells too).
RECORDING_CURL = """
curl() {
  local n=$(( $(cat "$CALLS/count" 2>/dev/null || echo 0) + 1 ))
  echo "$n" > "$CALLS/count"
  command curl --output "$CALLS/$n.body" --write-out '%{http_code}' "$@" > "$CALLS/$n.status"
  cat "$CALLS/$n.body"
}
"""


def api_walk_through() -> str:
    """The shell block under the README's "The API in one example" heading."""
    section = README.read_text().split("## The API in one example", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "no ```sh block in the README's API section"
    return match.group(1)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    """``host:port`` of a ``netplay serve`` on a free loopback port, in its own process group (its
    workers with it), which is ended, whatever happens, when the test is done."""
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--data-dir", str(tmp_path / "data"), "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        match = re.search(r"open http://127\.0\.0\.1:(\d+)/", server.stdout.readline())
        assert match, "the server printed no URL"
        yield f"localhost:{match.group(1)}"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        server.stdout.close()


def calls(folder: Path) -> list[tuple[int, Any]]:
    """(status, JSON body) of each curl call the walk-through made, in order."""
    count = int((folder / "count").read_text())
    return [
        (int((folder / f"{n}.status").read_text()), json.loads((folder / f"{n}.body").read_text()))
        for n in range(1, count + 1)
    ]


@pytest.mark.tools
def test_the_readme_api_walk_through_runs_as_written(live_server: str, tmp_path: Path) -> None:
    require_program(
        shutil.which("curl") is not None, "curl (apt-get install curl), as the README's example does"
    )
    block = api_walk_through()
    assert README_ADDRESS in block
    recorded = tmp_path / "calls"
    recorded.mkdir()
    script = RECORDING_CURL + block.replace(README_ADDRESS, live_server)
    run = subprocess.run(
        ["bash", "-e", "-c", script], cwd=tmp_path, env={**os.environ, "CALLS": str(recorded)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr

    (presets, created, seen, patched, predicted, stopped) = calls(recorded)
    assert presets[0] == 200 and all({"id", "spec"} <= set(preset) for preset in presets[1])
    assert created[0] == 201 and created[1]["status"] == "running" and created[1]["owner_token"]
    job_id = created[1]["id"]
    assert seen[0] == 200 and (seen[1]["id"], seen[1]["status"]) == (job_id, "running")
    assert patched[0] == 200 and patched[1]["trainer"]["learning_rate"] == 0.003
    assert predicted[0] == 200 and len(predicted[1]["predicted"]) == 2  # a class for each of the two points
    assert all(len(row) == 2 and abs(sum(row) - 1) < 1e-5 for row in predicted[1]["outputs"])  # probabilities
    assert stopped[0] == 200 and (stopped[1]["id"], stopped[1]["status"]) == (job_id, "stopped")
    assert created[1]["id"] in run.stdout  # what the reader sees: the job the server made
