"""Jobs on the Ray cluster through the same API: spread over the nodes, streaming, under control."""

from __future__ import annotations

import json

import numpy as np
from fastapi.testclient import TestClient

from tests.app.conftest import poll, poll_job, rings_job
from tests.app.test_stream import create, first
from tests.app.test_stream import rings_spec as stream_spec


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


def test_frames_progress_and_live_control_pass_through_the_cluster(ray_client: TestClient) -> None:
    job_id = create(ray_client, stream_spec())
    with ray_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
        frames = [first(ws, "boundary") for _ in range(5)]
        assert all(arrays["probs"].shape == (2, 20, 20) for _, arrays in frames)
        assert first(ws, "progress")["step"] > 0
        ws.send_text(json.dumps({"type": "pause"}))
        assert first(ws, "status", lambda body: body["status"] == "paused")
        ws.send_text(json.dumps({"type": "set_trainer", "trainer": {"learning_rate": 0.002}}))
        assert first(ws, "trainer", lambda body: body["trainer"]["learning_rate"] == 0.002)
        step_before = ray_client.get(f"/api/jobs/{job_id}").json()["step"]
        ws.send_text(json.dumps({"type": "step"}))
        assert first(ws, "progress", lambda body: body["step"] == step_before + 1)["loss"] is not None
        ws.send_text(json.dumps({"type": "resume"}))
        assert first(ws, "status", lambda body: body["status"] == "running")
        assert first(ws, "progress", lambda body: body["step"] > step_before + 1)
    assert ray_client.get(f"/api/jobs/{job_id}").json()["trainer"]["learning_rate"] == 0.002
    assert ray_client.delete(f"/api/jobs/{job_id}").status_code == 204


def test_predict_and_model_download_answer_from_the_actor_training_the_job(ray_client: TestClient) -> None:
    job_id = create(ray_client, rings_job())
    poll_job(ray_client, job_id, lambda job: job["step"] > 0)

    predicted = ray_client.post(f"/api/jobs/{job_id}/predict", json={"points": [[0.0, 0.0], [2.0, 2.0]]})
    model = ray_client.get(f"/api/jobs/{job_id}/model")

    assert predicted.status_code == 200 and model.status_code == 200
    assert np.allclose(np.array(predicted.json()["outputs"]).sum(axis=1), 1.0, rtol=1e-5)
    assert predicted.json()["step"] > 0
    assert model.json()["format"] == "netplay.net" and model.json()["layers"] == rings_job()["layers"]
    assert ray_client.delete(f"/api/jobs/{job_id}").status_code == 204
