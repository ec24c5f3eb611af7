"""Nodes joining and leaving: a new node gets workers, and the jobs of a node that dies go on from
their checkpoints on the nodes left, and finish.

The module adds a fourth node and kills it, so the session's cluster has its three nodes again after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.jobs.ray_local import node_args
from app.main import create_app
from tests.app.conftest import AS_TEACHER, poll, poll_job, rings_job
from tests.cluster.conftest import ray_settings

RECOVERED = re.compile(r"recovered at step ([\d,]+): its worker died \(its node (\S+) left the cluster\)")


@pytest.fixture
def client(ray_cluster: Any, tmp_path: Any) -> Iterator[TestClient]:
    with TestClient(create_app(ray_settings(tmp_path / "data")), headers=AS_TEACHER) as client:
        yield client


def nodes_with_workers(client: TestClient) -> set[str]:
    return {worker.node for worker in client.app.state.manager.executor.workers()}


def test_a_joining_node_gets_a_worker_and_a_lost_node_s_jobs_finish_elsewhere_from_their_checkpoints(
    ray_cluster: Any, client: TestClient
) -> None:
    before = nodes_with_workers(client)
    added = ray_cluster.add_node(**node_args(1))
    joined = poll(lambda: nodes_with_workers(client) - before, timeout=60, what="a worker on the new node")
    (new_node,) = joined
    assert new_node.endswith(added.node_id[:8])

    spec = {**rings_job(), "stop": {"max_seconds": 6}}  # training time: a checkpoint carries it
    ids = [client.post("/api/jobs", json=spec).json()["id"] for _ in range(4)]  # one on each node
    placed = [poll_job(client, job_id, lambda job: job["node"] and job["step"] > 0) for job_id in ids]
    (moving,) = [job["id"] for job in placed if job["node"] == new_node]
    step_before = poll_job(client, moving, lambda job: job["step"] > 0)["step"]

    ray_cluster.remove_node(added, allow_graceful=False)

    moved = poll_job(client, moving, lambda job: RECOVERED.search(job["message"] or ""), timeout=60)
    step, lost_node = RECOVERED.search(moved["message"]).groups()
    assert lost_node == new_node
    assert int(step.replace(",", "")) >= step_before  # from its checkpoint, not from step 0
    assert moved["message"].endswith(f"went on from there on {moved['node']}") and moved["node"] in before
    for job_id in ids:
        done = poll_job(client, job_id, lambda job: job["status"] != "running", timeout=120)
        assert (done["status"], done["stop_reason"]) == ("completed", "max_seconds"), done["error"]
    assert nodes_with_workers(client) == before
