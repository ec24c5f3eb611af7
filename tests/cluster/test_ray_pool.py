"""Jobs on the Ray cluster through the same API: spread over the nodes, streaming, under control."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.app.conftest import poll, poll_job, rings_job


def test_jobs_spread_one_per_node_and_each_job_shows_its_node(ray_client: TestClient) -> None:
    ids = [ray_client.post("/api/jobs", json=rings_job()).json()["id"] for _ in range(3)]
    jobs = [
        poll_job(ray_client, job_id, lambda job: job["node"] is not None and job["step"] > 0)
        for job_id in ids
    ]

    nodes = {job["node"] for job in jobs}
    assert len(nodes) == 3, nodes
    workers = ray_client.app.state.manager.executor.workers()
    assert {worker.node for worker in workers} == nodes
    for job_id in ids:
        assert ray_client.delete(f"/api/jobs/{job_id}").status_code == 204
    poll(
        lambda: not any(worker.jobs for worker in ray_client.app.state.manager.executor.workers()),
        what="released",
    )
