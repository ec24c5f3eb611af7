"""Smoke tests of the benchmark scripts: they run and print rows with positive figures.

Runs netplay only (no torch import) with tiny timings; it checks that the script works, never how fast
anything is.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.extras import require, require_chromium

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_engine.py"


def load_script():
    spec = importlib.util.spec_from_file_location("bench_engine", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_engine", module)
    spec.loader.exec_module(module)
    return module


def test_quick_run_gives_a_row_per_workload(tmp_path, capsys):
    bench = load_script()
    out = tmp_path / "bench.json"
    argv = ["--quick", "--no-torch", "--repeats", "1", "--min-time", "0.005", "--json", str(out)]
    assert bench.main(argv) == 0

    rows = json.loads(out.read_text())["rows"]
    assert {row["workload"] for row in rows} == set(bench.WORKLOADS)
    train_rows = [row for row in rows if row["metric"].startswith("train")]
    assert len(train_rows) == len(bench.WORKLOADS)
    for row in rows:
        figures = row["netplay_examples_per_s"]
        assert figures["median"] > 0 and all(rate > 0 for rate in figures["runs"])
        assert row["torch_examples_per_s"] is None and row["ratio"] is None

    table = capsys.readouterr().out
    assert "| workload | metric | netplay ex/s | torch ex/s | ratio | target | met? |" in table
    for name in bench.WORKLOADS:
        assert f"| {name} | train" in table


def test_server_benchmark_prints_a_row_with_frames(tmp_path: Path) -> None:
    script = SCRIPT.parent / "bench_server.py"
    result = subprocess.run(
        [sys.executable, str(script), "--seconds", "0.5", "--only", "classify2d"],
        capture_output=True, text=True, timeout=120, cwd=SCRIPT.parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = result.stdout.strip().splitlines()[-1]
    assert row.startswith("| classify2d |") and row.count("|") == 6
    frames = float(row.split("|")[5])
    assert frames > 0, row


# ---- the classroom benchmark, in a process group this module ends ------------------------------


def group_members(group: int) -> list[int]:
    """The live processes (zombies left out) of process group `group`."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group and fields[0] != "Z":
                    members.append(int(entry.name))
    return members


def end_group(group: int, grace: float = 15.0) -> None:
    """End every process of `group`: SIGTERM (the benchmark then stops its servers and clusters), and
    SIGKILL for whatever is left after `grace` seconds."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while group_members(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


@pytest.fixture
def in_group() -> Iterator[Callable[[list[str]], subprocess.Popen]]:
    """Start commands in a process group of their own (their servers and workers join it), and end
    each group when the test ends, whatever happened (a timeout included)."""
    started: list[subprocess.Popen] = []

    def start(command: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=SCRIPT.parent.parent, start_new_session=True,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        end_group(process.pid)
        process.communicate()


CLASSROOM = [sys.executable, str(SCRIPT.parent / "bench_classroom.py")]
SMALL_CLASS = ["--seconds", "1.5", "--park-after", "0.5", "--late", "1", "--late-after", "0.5"]


def finished(process: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out, err


def test_classroom_benchmark_prints_its_tables(in_group) -> None:
    command = [
        *CLASSROOM,
        "--students",
        "3",
        *SMALL_CLASS,
        "--fast-start",
        "2",
        "--viewers",
        "3",
        "--parked",
        "3",
    ]
    out, _ = finished(in_group(command))
    lines = out.strip().splitlines()
    row = next(line for line in lines if line.startswith("| 3 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "3 / 0 / 0"  # all three students' jobs running, none queued or failed
    kilobytes = [float(value) for value in cells[4].split(" / ")]
    assert all(value > 0 for value in kilobytes)  # bytes/s per student, p50 / p95
    assert cells[6].endswith("(1 at 0.5 s)")  # the late joiner
    assert all(float(value) > 0 for value in cells[7].split(" / "))  # GET /api/jobs latency
    assert cells[-1] == "0"  # no errors
    assert any(
        line.startswith("Fast start (2 runs, idle server): POST -> first step median") for line in lines
    )
    assert any(line.startswith("3 jobs: memory ") for line in lines)
    assert any(line.startswith("3 viewers of one job: ") for line in lines)


def test_classroom_benchmark_ended_early_leaves_no_process_behind(in_group) -> None:
    process = in_group(
        [*CLASSROOM, "--students", "2", "--seconds", "600", "--fast-start", "0", "--viewers", "0"]
    )

    def server_running() -> bool:
        return any(
            b"app.cli" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in group_members(process.pid)
        )

    deadline = time.monotonic() + 120
    while not server_running():
        assert process.poll() is None and time.monotonic() < deadline, "the benchmark started no server"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)  # what the fixture sends first, after a timeout too
    process.wait(timeout=120)  # the benchmark ends through its cleanup: no SIGKILL needed
    deadline = time.monotonic() + 120
    while members := group_members(process.pid):  # the server and its workers end too
        assert time.monotonic() < deadline, f"left behind: {members}"
        time.sleep(0.1)


@pytest.mark.cluster
def test_classroom_benchmark_on_a_local_ray_cluster_shows_each_node_s_memory(in_group) -> None:
    require("cluster")
    options = ["--fast-start", "0", "--viewers", "0", "--parked", "0", "--executor", "ray"]
    out, _ = finished(in_group([*CLASSROOM, "--students", "2", *SMALL_CLASS, *options]))
    row = next(line for line in out.splitlines() if line.startswith("| 2 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "2 / 0 / 0"  # both students' jobs running on the cluster
    per_node = [int(value) for value in cells[-2].split(" / ")]
    assert len(per_node) == 3 and all(mib > 0 for mib in per_node)  # the three nodes' Ray processes
    assert cells[-1] == "0"


@pytest.mark.browser
def test_classroom_benchmark_times_real_playground_tabs(in_group) -> None:
    require_chromium()
    options = ["--skip-classroom", "--fast-start", "0", "--viewers", "0", "--parked", "0"]
    out, _ = finished(in_group([*CLASSROOM, *options, "--page", "1", "--tabs", "2"]))
    lines = out.strip().splitlines()
    assert any(
        line.startswith("The playground's first frame that draws the boundary (1 loads") for line in lines
    )
    tabs = next(line for line in lines if line.startswith("2 playground tabs in one headless Chromium"))
    assert "showed 95% test accuracy" in tabs and "frames/s shown 5 s after it" in tabs
