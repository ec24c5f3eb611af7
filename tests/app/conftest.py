"""Fixtures for the server's tests: settings in a temporary data dir, a running app, waiting helpers and
small job specs.

Jobs train in spawned worker processes, so anything a worker does is observed by polling the API with
a deadline (`wait_for`, `wait_for_job`), never by sleeping a fixed time. Keep datasets tiny
(`n_samples` 100-200) and stop conditions small: every worker costs about a second to start.

- `settings`: a Settings with a fresh data dir, 2 job slots and a 0.5 s checkpoint cadence; its jobs
  train on the local pool, or on the session's Ray cluster for tests marked `ON_BOTH_EXECUTORS`
  (parametrised: they run on both).
- `make_settings(**limits)`: the same with other fields overridden (small limits for 422 tests).
- `client`: a TestClient on an app with `settings`, lifespan started (workers are ended on exit).
- `make_client(**limits)`: a TestClient on an app with `make_settings(**limits)`; closed at teardown.
- `wait_for(predicate, timeout, what)`: poll until `predicate()` is truthy; returns that value.
- `wait_for_job(client, job_id, until, timeout)`: poll GET /api/jobs/{id} until `until(job)` holds (or
  the job has the status `until` names); returns the job.
- `rings_spec`, `image_spec`: fresh job-spec dicts to change freely (a 2D rings job with ConvNetJS's
  classify2d net; an 9x9 xo job with a small conv net); neither has a stop condition.
- `processes`: `Processes`, this machine's process tree read from /proc (the pool's workers are the
  children of its fork server).
- `teacher_token`: the test settings' admin token; `client` and `make_client` send it with every
  request (tests of owners use a client without it).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from engine.demo_nets import CLASSIFY2D_LAYERS, CLASSIFY2D_TRAINER

T = TypeVar("T")
DEADLINE_SECONDS = 20.0
# The clients of these tests speak as the teacher (NETPLAY_ADMIN_TOKEN), who may change every job;
# tests/app/test_owners.py checks owners and strangers.
TEACHER = "teacher-token-for-tests"
AS_TEACHER = {"authorization": f"Bearer {TEACHER}"}
POLL_SECONDS = 0.02

Job = dict[str, Any]
SettingsFactory = Callable[..., Settings]
ClientFactory = Callable[..., TestClient]


def poll(predicate: Callable[[], T], timeout: float = DEADLINE_SECONDS, what: str = "a condition") -> T:
    """`predicate()`'s first truthy value, polled until `timeout` seconds pass; fails the test naming
    `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL_SECONDS)


def poll_job(
    client: TestClient,
    job_id: str,
    until: str | Callable[[Job], bool],
    timeout: float = DEADLINE_SECONDS,
) -> Job:
    """The job once `until(job)` holds, or once its status is `until` when that is a string; fails with
    the last job seen on timeout."""
    condition = (lambda job: job["status"] == until) if isinstance(until, str) else until
    what = f"status {until!r}" if isinstance(until, str) else getattr(until, "__name__", "the condition")
    seen: list[Job] = []

    def check() -> Job | None:
        response = client.get(f"/api/jobs/{job_id}")
        assert response.status_code == 200, response.text
        seen[:] = [response.json()]
        return seen[0] if condition(seen[0]) else None

    deadline = time.monotonic() + timeout
    while (job := check()) is None:
        if time.monotonic() > deadline:
            last = {k: seen[0].get(k) for k in ("status", "step", "error", "stop_reason", "trainer")}
            pytest.fail(
                f"timed out after {timeout:g} s waiting for job {job_id} to reach {what}; last: {last}"
            )
        time.sleep(POLL_SECONDS)
    return job


class Processes:
    """Parents and children of processes, from /proc."""

    @staticmethod
    def parent(pid: int) -> int:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])

    def children(self, pid: int) -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if self.parent(int(entry.name)) == pid:
                        found.append(int(entry.name))
                except OSError:
                    continue  # it ended while we looked
        return sorted(found)


@pytest.fixture
def processes() -> Processes:
    """The process tree (see `Processes`)."""
    return Processes()


@pytest.fixture
def teacher_token() -> str:
    """The admin token the test settings give the teacher (the default clients send it)."""
    return TEACHER


@pytest.fixture
def wait_for() -> Callable[..., Any]:
    """`wait_for(predicate, timeout=20, what="...")`: see `poll`."""
    return poll


@pytest.fixture
def wait_for_job() -> Callable[..., Job]:
    """`wait_for_job(client, job_id, until, timeout=20)`: see `poll_job`."""
    return poll_job


# The ray side starts the session's Ray cluster: it is in the cluster lane.
ON_BOTH_EXECUTORS = pytest.mark.parametrize(
    "executor", ["local", pytest.param("ray", marks=pytest.mark.cluster)], indirect=True
)


@pytest.fixture
def executor(request: pytest.FixtureRequest) -> str:
    """Where the test's jobs train: ``local``, or ``ray`` (the session's local Ray cluster) for a test
    marked `ON_BOTH_EXECUTORS`."""
    name = getattr(request, "param", "local")
    if name == "ray":
        request.getfixturevalue("ray_cluster")
    return name


@pytest.fixture
def make_settings(tmp_path: Path, executor: str) -> SettingsFactory:
    """Settings in a fresh data dir under `tmp_path`, with any field overridden by keyword."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "executor": executor,
            "data_dir": tmp_path / "data",
            "allowed_hosts": "testserver",  # the Host of Starlette's TestClient
            "admin_token": TEACHER,
            "max_running_jobs": 2,
            "checkpoint_seconds": 0.5,
        }
        return Settings(**{**values, **overrides})

    return make


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    """The default test settings: 2 job slots, a checkpoint every 0.5 s, the server's other limits."""
    return make_settings()


@pytest.fixture
def make_client(make_settings: SettingsFactory) -> Iterator[ClientFactory]:
    """`make_client(**overrides)`: a started TestClient on an app with those settings; closed (its
    workers ended) at teardown."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            return stack.enter_context(TestClient(create_app(make_settings(**overrides)), headers=AS_TEACHER))

        yield make


@pytest.fixture
def anyone(make_settings: SettingsFactory) -> Iterator[TestClient]:
    """A client that sends no token of its own (each test adds what it has)."""
    with TestClient(create_app(make_settings())) as test_client:
        yield test_client


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A TestClient on an app with `settings`, its lifespan (job manager, store) started."""
    with TestClient(create_app(settings), headers=AS_TEACHER) as test_client:
        yield test_client


def rings_job(n_samples: int = 200) -> dict[str, Any]:
    """A rings job with ConvNetJS's classify2d net and trainer, a small stream grid, no stop condition."""
    return {
        "name": "rings test",
        "dataset": {"name": "rings", "n_samples": n_samples},
        "layers": copy.deepcopy(CLASSIFY2D_LAYERS),
        "trainer": dict(CLASSIFY2D_TRAINER),
        "stream": {"grid": 16, "fps": 10},
    }


SMALL_CONVNET = [
    {"type": "input", "out_sx": 9, "out_sy": 9, "out_depth": 1},
    {"type": "conv", "sx": 3, "filters": 4, "stride": 1, "pad": 1, "activation": "relu"},
    {"type": "pool", "sx": 3, "stride": 3},
    {"type": "softmax", "num_classes": 2},
]


def xo_job(n_samples: int = 100) -> dict[str, Any]:
    """A 9x9 xo (X versus O) job with a one-conv net (4 filters, 3x3 pool), no stop condition."""
    return {
        "name": "xo test",
        "dataset": {"name": "xo", "n_samples": n_samples},
        "layers": copy.deepcopy(SMALL_CONVNET),
        "trainer": {"method": "adadelta", "batch_size": 10},
        "stream": {"image_every": 0.5, "predictions": 2},
    }


@pytest.fixture
def rings_spec() -> dict[str, Any]:
    """A fresh 2D rings job spec (200 samples, ConvNetJS's classify2d net); change it freely."""
    return rings_job()


@pytest.fixture
def image_spec() -> dict[str, Any]:
    """A fresh 9x9 xo image job spec (100 samples, one conv layer); change it freely."""
    return xo_job()
