"""The test lanes and the guard that a CI run skips nothing: a pytest plugin (tests/conftest.py loads
it; ``pytest -p tests.lanes`` loads it anywhere).

Lanes (markers registered in pyproject.toml): a test under ``tests/browser/`` is ``browser``, under
``tests/cluster/`` or using the ``ray_cluster`` fixture (or the ``ray`` side of ``ON_BOTH_EXECUTORS``)
``cluster``, ``tests/test_wheel.py`` ``wheel``, the benchmark smoke tests ``slow``; a test module adds
``slow`` itself to a test that takes more than 3 s alone or trains for seconds in the test process
(pyproject.toml), and ``tools`` to one that runs a program the README's test command installs (Node and
ConvNetJS, curl: without it the test fails, naming the command, tests.extras.require_program). Every
test with none of the five is given ``fast``: ``pytest -m fast`` is the fast lane, the same tests as
``pytest -m "not slow and not browser and not cluster and not wheel and not tools"``. A new test in one
of those folders gets its folder's marker without a decorator.

With ``NETPLAY_REQUIRE_ALL=1`` (CI sets it: every extra, Chromium and ConvNetJS are installed there) a
skip is a failure: the skips a missing extra causes (`tests.extras`) only spare a newcomer who installed
less.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# A test's path under the rootdir (or a folder of it) -> the lane every test there belongs to.
LANE_OF_PATH = {
    "tests/browser": "browser",  # a live server driven through headless Chromium
    "tests/cluster": "cluster",  # a local Ray cluster
    "tests/test_wheel.py": "wheel",  # builds the package and installs it in a fresh virtualenv
    "tests/test_benchmarks_smoke.py": "slow",  # runs the benchmark scripts, servers and all
}
LANES = ("slow", "browser", "cluster", "wheel", "tools")
REQUIRE_ALL = "NETPLAY_REQUIRE_ALL"


def lane_of_path(path: Path, rootpath: Path) -> str | None:
    """The lane `LANE_OF_PATH` gives a test file at `path`, if any."""
    if not path.is_relative_to(rootpath):
        return None
    relative = path.relative_to(rootpath).as_posix()
    for prefix, lane in LANE_OF_PATH.items():
        if relative == prefix or relative.startswith(prefix + "/"):
            return lane
    return None


@pytest.hookimpl(tryfirst=True)  # before pytest's own hook deselects by `-m`
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Give each test its folder's lane, ``cluster`` to tests that start Ray, ``fast`` to the rest."""
    for item in items:
        lane = lane_of_path(Path(item.path), config.rootpath)
        if lane is not None:
            item.add_marker(lane)
        if "ray_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker("cluster")
        if not any(item.get_closest_marker(name) for name in LANES):
            item.add_marker("fast")


def skips_must_fail() -> bool:
    """Whether this run must skip nothing (``NETPLAY_REQUIRE_ALL=1``, as CI runs)."""
    return os.environ.get(REQUIRE_ALL) == "1"


def pytest_report_header() -> str | None:
    return f"{REQUIRE_ALL}=1: a skipped test or module fails" if skips_must_fail() else None


def refuse_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    """Turn a skipped `report` into a failure naming the skip's reason, when skips must fail (an
    expected failure, also reported as skipped, stays what it is)."""
    if not (report.skipped and skips_must_fail()) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"{REQUIRE_ALL}=1 (CI installs everything), but this skipped: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    report = yield
    refuse_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    refuse_skip(report)
    return report
