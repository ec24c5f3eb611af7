"""Browser tests: a real ``netplay serve`` and Debian's Chromium driven by Playwright.

The browser is ``$NETPLAY_CHROMIUM`` or /usr/bin/chromium (Playwright cannot download its own here).
Without it these tests fail with the install command to run (it is an install step: the README's test
command installs it). Every test here is in the ``browser`` lane (tests/lanes.py), which the fast lane
leaves out. A failing test leaves a screenshot in
``tests/browser/failures/``. Any JavaScript error on a page fails the test that caused it. Every job is
deleted after each test, so tests never wait on each other's jobs for a training slot; all but the
server's ready digit net, which is trained once before the first test (`ready_digits`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.extras import CHROMIUM, require_chromium

FAILURES = Path(__file__).parent / "failures"


# The server's teacher token: the tests' own REST calls that change jobs send it (`AS_TEACHER`).
TEACHER = "browser-tests-teacher"
AS_TEACHER = {"authorization": f"Bearer {TEACHER}"}

# Seconds a page's job trains with no tab watching it before it pauses itself (the pages give their
# jobs the server's setting): short, so a test can see a page resume its job after such a pause.
PAGE_PAUSE_WHEN_UNWATCHED = 1


@contextlib.contextmanager
def serve(data_dir: Path) -> Iterator[str]:
    """Run ``netplay serve`` on `data_dir` (2 job slots, page jobs paused after
    `PAGE_PAUSE_WHEN_UNWATCHED` seconds without a viewer, the tests' teacher token); yields its URL."""
    env = {
        **os.environ,
        "NETPLAY_MAX_RUNNING_JOBS": "2",
        "NETPLAY_PAGE_PAUSE_WHEN_UNWATCHED": str(PAGE_PAUSE_WHEN_UNWATCHED),
        "NETPLAY_ADMIN_TOKEN": TEACHER,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        match = re.search(r"open (http://\S+)/", process.stdout.readline())
        assert match, "the server printed no URL"
        yield match.group(1)
    finally:
        process.kill()
        process.wait(timeout=10)
        process.stdout.close()
        process.stderr.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of the server every browser test shares (started once, on a fresh data dir)."""
    with serve(tmp_path_factory.mktemp("netplay-data")) as url:
        yield url


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[str]:
    """The URL of a server of this test's own, on an empty data dir: what a first visitor meets (no
    ready digit net made yet, no data set loaded)."""
    with serve(tmp_path / "netplay-data") as url:
        yield url


# Seconds the ready digit net may take to reach its stop condition on a busy machine (it stops by
# itself after app.ready.DIGITS_MAX_SECONDS of training; queueing and loading come on top).
READY_TRAINING_SECONDS = 300


@pytest.fixture(scope="session")
def ready_digits(live_server: str) -> dict:
    """The server's ready digit net (GET /api/ready/digits), trained to its stop condition before the
    first test: every ConvNet page opened without a job asks for it, and finished it holds none of the
    two training slots the tests share. The job as the route answered."""
    job = httpx.get(f"{live_server}/api/ready/digits", timeout=60).json()  # builds MNIST on a busy CI
    url = f"{live_server}/api/jobs/{job['id']}"
    eventually(lambda: httpx.get(url).json()["status"] == "completed", timeout=READY_TRAINING_SECONDS)
    return job


@pytest.fixture(autouse=True)
def no_jobs_left(live_server: str, ready_digits: dict) -> Iterator[None]:
    """Delete every job after each test but the ready digit net, so no test waits for a slot a
    previous test's job holds."""
    yield
    jobs = httpx.get(f"{live_server}/api/jobs", params={"limit": 500}).json()["items"]
    for job in jobs:
        if job["id"] == ready_digits["id"]:
            continue
        httpx.delete(
            f"{live_server}/api/jobs/{job['id']}", headers=AS_TEACHER
        )  # 404: a page deleted it first


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """A headless Chromium for the whole session."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh page (1400x900); JavaScript errors fail the test; a screenshot is kept on failure."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    if request.node.stash.get(FAILED, False):
        FAILURES.mkdir(exist_ok=True)
        page.screenshot(path=str(FAILURES / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def eventually(check: Callable[[], object], timeout: float = 30.0) -> object:
    """Poll a server-side condition until it holds, and return its value (a page's wait_for_function
    cannot await a fetch); fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)
    return result


def own(page: object, job: dict) -> None:
    """Make the page's browser hold `job`'s owner token (as if one of its tabs had created it), before
    any page script runs on each navigation."""
    entry = json.dumps({job["id"]: job["owner_token"]})
    kept = "JSON.parse(localStorage.getItem(key) || '{}')"
    script = f"localStorage.setItem(key, JSON.stringify({{...{kept}, ...{entry}}}))"
    page.add_init_script(f"const key = 'netplay.owners.jobs'; {script};")
