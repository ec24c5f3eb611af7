"""The package as a user installs it, in fresh virtual environments (dependencies from the package
index): a wheel built from this checkout serves every page, static file and the API docs offline, with
nothing of the checkout on that server's path; and a newcomer's checkout with only the ``test`` extra
collects the whole suite, skips what needs the other extras and passes the fast lane."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import httpx

from tests.lanes import REQUIRE_ALL

REPO = Path(__file__).resolve().parent.parent
PAGES = ("/", "/convnet", "/painting", "/jobs", "/docs", "/redoc")


# Nothing of the checkout on the path: with PYTHONPATH at the checkout, the fresh venv's pip would take
# the netplay.egg-info that building the wheel leaves there for an installed netplay, and skip the wheel.
CLEAN_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def run(*command: str | Path, cwd: Path, env: dict[str, str] = CLEAN_ENV) -> str:
    """`command`'s output; fails the test if it fails."""
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600, env=env
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def fresh_venv(path: Path, *requirements: str | Path) -> Path:
    """A new virtualenv at `path` with `requirements` pip-installed; its bin folder."""
    venv.create(path, with_pip=True)
    bin_dir = path / "bin"
    run(bin_dir / "pip", "install", "--quiet", "--disable-pip-version-check", *requirements, cwd=path.parent)
    return bin_dir


def test_the_wheel_in_a_fresh_venv_serves_every_page_and_file(tmp_path: Path) -> None:
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--wheel-dir",
        tmp_path / "dist",
        REPO,
        cwd=tmp_path,
    )
    wheel = next((tmp_path / "dist").glob("netplay-*.whl"))
    bin_dir = fresh_venv(tmp_path / "venv", wheel)

    server = subprocess.Popen(
        [bin_dir / "netplay", "--data-dir", tmp_path / "data", "serve", "--port", "0"],
        cwd=tmp_path, env=CLEAN_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        match = re.search(r"open (http://\S+)/", server.stdout.readline())
        assert match, server.stderr.read() if server.poll() is not None else "no URL printed"
        url = match.group(1)
        assets: set[str] = set()
        for page in PAGES:
            response = httpx.get(url + page, timeout=60)
            assert response.status_code == 200, (page, response.text[:200])
            assets |= set(re.findall(r'(?:src|href)="(/[^"]+)"', response.text))
        served = {asset: httpx.get(url + asset, timeout=60).status_code for asset in sorted(assets)}
    finally:
        server.kill()
        server.wait(timeout=30)
        server.stdout.close()
        server.stderr.close()
    assert any(asset.startswith("/static/js/") for asset in served)
    assert any(asset.startswith("/static-offline-docs/") for asset in served)  # Swagger UI, ReDoc
    assert served == dict.fromkeys(served, 200)


# Which of the other extras (pyproject.toml) a virtualenv lacks: printed as JSON by its python.
MISSING_EXTRAS = """
import importlib.util, json
from tests.extras import EXTRAS
print(json.dumps(sorted(extra for extra, modules in EXTRAS.items()
                        if not all(importlib.util.find_spec(module) for module in modules))))
"""


def test_with_only_the_test_extra_the_suite_collects_and_the_fast_lane_passes(tmp_path: Path) -> None:
    """What a newcomer does: ``pip install -e ".[test]"`` and ``pytest -m fast`` (README, Tests)."""
    bin_dir = fresh_venv(tmp_path / "venv", "--editable", f"{REPO}[test]")
    env = {key: value for key, value in CLEAN_ENV.items() if key != REQUIRE_ALL}
    missing = json.loads(run(bin_dir / "python", "-c", MISSING_EXTRAS, cwd=REPO, env=env))
    assert {"torch", "cluster"} <= set(missing)  # none of these comes with the test extra
    pytest_in_venv = [bin_dir / "python", "-m", "pytest", "-p", "no:cacheprovider", "--basetemp"]

    collected = run(*pytest_in_venv, tmp_path / "collect", "--collect-only", "-q", cwd=REPO, env=env)
    assert re.fullmatch(r"\d+ tests collected in .*", collected.strip().splitlines()[-1]), collected[-3000:]
    assert skipped_extras(collected) == set(missing), collected[-3000:]

    fast = run(*pytest_in_venv, tmp_path / "fast", "-m", "fast", "-q", cwd=REPO, env=env)
    summary = fast.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and "deselected" in summary and "failed" not in summary, summary
    assert skipped_extras(fast) <= set(missing), fast[-3000:]

    required = subprocess.run(
        [*pytest_in_venv, tmp_path / "required", "--collect-only", "-q"],
        cwd=REPO, env={**env, REQUIRE_ALL: "1"}, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert required.returncode != 0
    assert f"{REQUIRE_ALL}=1 (CI installs everything), but this skipped" in required.stdout


def skipped_extras(output: str) -> set[str]:
    """The extras pytest's skip summary says tests needed."""
    return set(re.findall(r"SKIPPED \[\d+\] .*needs the '(\w+)' extra", output))
