"""What every test folder shares: the lanes and the guard that CI skips nothing (`tests.lanes`), and
the session's local Ray cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.extras import require

pytest_plugins = ("tests.lanes", "pytester")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """A 3-node Ray cluster on loopback (1 CPU each: 3 worker slots), this process its driver; started
    once per session, by the first test that needs it (app.jobs.ray_local)."""
    require("cluster")
    from app.jobs.ray_local import local_cluster

    with local_cluster(nodes=3, cpus_per_node=1) as cluster:
        yield cluster
