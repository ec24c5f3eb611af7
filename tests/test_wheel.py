"""The package as a user installs it: a wheel built from this checkout, installed in a fresh virtual
environment (its dependencies from the package index), serves every page, static file and the API docs
offline. Nothing of the checkout is on that server's path."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
PAGES = ("/", "/convnet", "/painting", "/jobs", "/docs", "/redoc")


# Nothing of the checkout on the path: with PYTHONPATH at the checkout, the fresh venv's pip would take
# the netplay.egg-info that building the wheel leaves there for an installed netplay, and skip the wheel.
CLEAN_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}


def run(*command: str | Path, cwd: Path) -> None:
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=600, env=CLEAN_ENV
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


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
    venv.create(tmp_path / "venv", with_pip=True)
    bin_dir = tmp_path / "venv" / "bin"
    run(bin_dir / "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=tmp_path)

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
