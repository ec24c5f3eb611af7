"""Fixtures for the cluster tests: a server whose workers are actors on the session's Ray cluster.

`ray_client` is a TestClient on a server with ``executor="ray"``, one per module (starting a worker
actor costs about a second); tests delete the jobs they create.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.app.conftest import AS_TEACHER, TEACHER


def ray_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Test settings (teacher token, fast checkpoints) with the workers on the Ray cluster."""
    values: dict[str, Any] = {
        "executor": "ray",
        "data_dir": data_dir,
        "allowed_hosts": "testserver",
        "admin_token": TEACHER,
        "max_running_jobs": 6,
        "checkpoint_seconds": 0.5,
    }
    return Settings(**{**values, **overrides})


@pytest.fixture(scope="module")
def ray_client(ray_cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A started server on the Ray cluster (its actors ended when the module's tests are done)."""
    settings = ray_settings(tmp_path_factory.mktemp("ray-server") / "data")
    with TestClient(create_app(settings), headers=AS_TEACHER) as client:
        yield client
