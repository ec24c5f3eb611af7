"""The per-node cap: with `ray_jobs_per_node` jobs on every node, the next job queues."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.conftest import AS_TEACHER, poll_job, rings_job
from tests.cluster.conftest import ray_settings


def test_a_job_beyond_every_node_s_cap_queues_and_starts_when_a_node_has_room(
    ray_cluster: Any, tmp_path: Any
) -> None:
    settings = ray_settings(tmp_path / "data", ray_jobs_per_node=1, max_running_jobs=10)
    with TestClient(create_app(settings), headers=AS_TEACHER) as client:
        ids = [client.post("/api/jobs", json=rings_job()).json()["id"] for _ in range(4)]
        running = [poll_job(client, job_id, lambda job: job["node"] is not None) for job_id in ids[:3]]
        waiting = client.get(f"/api/jobs/{ids[3]}").json()

        assert len({job["node"] for job in running}) == 3  # one on each node: none took two
        assert (waiting["status"], waiting["queue_position"], waiting["node"]) == ("queued", 1, None)
        assert client.post(f"/api/jobs/{ids[0]}/pause").status_code == 200
        started = poll_job(client, ids[3], lambda job: job["node"] is not None)
        assert started["node"] == running[0]["node"]  # the only node with room
