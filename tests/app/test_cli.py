"""The ``netplay`` command: run a spec headless, list and show presets."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main, run, show_presets
from app.settings import Settings
from app.spec import JobSpec
from engine import Net
from engine.datasets import make_dataset


def write_spec(path: Path, **changes: object) -> Path:
    spec = {
        "dataset": {"name": "rings", "n_samples": 200},
        "layers": [
            {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
            {"type": "fc", "num_neurons": 8, "activation": "tanh"},
            {"type": "softmax", "num_classes": 2},
        ],
        "trainer": {"method": "adam", "learning_rate": 0.01, "batch_size": 10},
        "stop": {"max_steps": 400},
        **changes,
    }
    path.write_text(json.dumps(spec))
    return path


def test_run_trains_to_the_stop_condition_and_writes_a_loadable_model(tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path / "rings.json")
    shown = io.StringIO()
    assert run(spec_path, None, Settings(data_dir=tmp_path), shown) == 0
    output = shown.getvalue()
    assert "step      400" in output and "completed (max_steps)" in output
    net = Net.from_json(json.loads((tmp_path / "rings.model.json").read_text()))
    data = make_dataset("rings", n_samples=200)
    accuracy = (net.forward(data.X_test).argmax(axis=1) == data.y_test).mean()
    assert accuracy > 0.6, "the written model is the trained one"


def test_run_rejects_a_bad_spec_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "conv", "sx": 1, "filters": 0},
        {"type": "softmax", "num_classes": 2},
    ]
    spec_path = write_spec(tmp_path / "bad.json", layers=layers)
    assert main(["--data-dir", str(tmp_path), "run", str(spec_path)]) == 2
    assert "layers.1.filters: layer 1 (conv): filters must be >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "bad.model.json").exists()


def test_run_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "run", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_run_of_a_diverging_spec_fails_with_the_hint(tmp_path: Path) -> None:
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1},
        {"type": "fc", "num_neurons": 8, "activation": "relu"},
        {"type": "regression", "num_neurons": 1},
    ]
    spec_path = write_spec(
        tmp_path / "wild.json",
        dataset={"name": "sine", "n_samples": 100},
        layers=layers,
        trainer={"method": "sgd", "learning_rate": 1e30},
    )
    shown = io.StringIO()
    assert run(spec_path, tmp_path / "out.json", Settings(data_dir=tmp_path), shown) == 1
    assert "diverged" in shown.getvalue() and "lower the learning rate" in shown.getvalue()


def test_presets_lists_every_preset_and_shows_a_valid_spec() -> None:
    listing = io.StringIO()
    assert show_presets(None, listing) == 0
    assert listing.getvalue().splitlines()[0].startswith("lecture-quadrants-linear")
    shown = io.StringIO()
    assert show_presets("mnist", shown) == 0
    spec = JobSpec.model_validate_json(shown.getvalue())
    assert spec.dataset.name == "mnist" and spec.trainer.method == "adadelta"
    assert show_presets("nope", io.StringIO()) == 2


def serve(data_dir: Path, *options: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``netplay serve --port 0 <options>`` on `data_dir`."""
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "serve", "--port", "0", *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def test_serve_refuses_a_damaged_database_in_one_line_and_leaves_it_untouched(tmp_path: Path) -> None:
    database = tmp_path / "netplay.sqlite3"
    damaged = b"SQLite format 3\x00" + bytes(range(256)) * 64  # a header, then no database at all
    database.write_bytes(damaged)

    process = serve(tmp_path)
    out, err = process.communicate(timeout=60)

    assert process.returncode == 2
    assert "is running" not in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"netplay: the database {database} cannot be read (")
    assert "left untouched" in lines[0]
    assert database.read_bytes() == damaged


@pytest.mark.parametrize("empty", [False, True], ids=["missing", "zero-byte"])
def test_serve_says_when_it_starts_with_no_jobs(tmp_path: Path, empty: bool) -> None:
    database = tmp_path / "netplay.sqlite3"
    if empty:
        database.write_bytes(b"")

    process = serve(tmp_path)
    try:
        banner = process.stdout.readline()
    finally:
        process.kill()
        _, err = process.communicate(timeout=30)

    what = "an empty database file" if empty else "no database"
    assert banner.startswith("netplay is running: open http://")
    assert f"netplay: {what} at {database}: starting with no jobs" in err


@pytest.mark.parametrize("admin_token", ["", "chalk"], ids=["no-teacher", "teacher"])
def test_serve_on_the_network_says_when_no_teacher_token_is_set(tmp_path: Path, admin_token: str) -> None:
    env = {**os.environ, "NETPLAY_ADMIN_TOKEN": admin_token}
    process = serve(tmp_path, "--host", "0.0.0.0", env=env)
    try:
        banner = process.stdout.readline()
    finally:
        process.kill()
        _, err = process.communicate(timeout=30)

    assert banner.startswith("netplay is running: open http://0.0.0.0:")
    said = "no teacher's token (NETPLAY_ADMIN_TOKEN)" in err
    assert said is (admin_token == "")
