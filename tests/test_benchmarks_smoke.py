"""Smoke tests of the benchmark scripts: they run and print rows with positive figures.

Runs netplay only (no torch import) with tiny timings; it checks that the script works, never how fast
anything is.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

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


def test_classroom_benchmark_prints_its_tables(tmp_path: Path) -> None:
    script = SCRIPT.parent / "bench_classroom.py"
    command = [sys.executable, str(script), "--students", "3", "--seconds", "1.5", "--park-after", "0.5"]
    result = subprocess.run(
        [*command, "--fast-start", "2", "--viewers", "3"],
        capture_output=True, text=True, timeout=300, cwd=SCRIPT.parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    row = next(line for line in lines if line.startswith("| 3 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "3 / 0 / 0"  # all three students' jobs running, none queued or failed
    assert cells[-1] == "0"  # no errors
    assert any(
        line.startswith("Fast start (2 runs, idle server): POST -> first step median") for line in lines
    )
    assert any(line.startswith("3 viewers of one job: ") for line in lines)


def test_classroom_benchmark_on_a_local_ray_cluster_shows_each_node_s_memory() -> None:
    script = SCRIPT.parent / "bench_classroom.py"
    command = [sys.executable, str(script), "--students", "2", "--seconds", "1.5", "--park-after", "0.5"]
    result = subprocess.run(
        [*command, "--fast-start", "0", "--viewers", "0", "--parked", "0", "--executor", "ray"],
        capture_output=True, text=True, timeout=300, cwd=SCRIPT.parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("| 2 |"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "2 / 0 / 0"  # both students' jobs running on the cluster
    per_node = [int(value) for value in cells[-2].split(" / ")]
    assert len(per_node) == 3 and all(mib > 0 for mib in per_node)  # the three nodes' Ray processes
    assert cells[-1] == "0"
