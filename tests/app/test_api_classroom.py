"""A class on one server, through the REST API: parked jobs continue exactly, jobs nobody watches park
themselves, and a full job store makes room instead of refusing everyone."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from app.checks import load_dataset
from app.jobs.runs import start_run
from app.spec import JobSpec
from engine.serialization import decode_array

Spec = dict[str, Any]
Job = dict[str, Any]


def create(client: TestClient, spec: Spec, **query: Any) -> str:
    response = client.post("/api/jobs", json=spec, params=query)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def stored_checkpoint(client: TestClient, job_id: str) -> dict[str, Any]:
    checkpoint = client.app.state.manager.store.checkpoint(job_id)
    assert checkpoint is not None
    return json.loads(checkpoint)


def flat(checkpoint: dict[str, Any]) -> np.ndarray:
    params = checkpoint["model"]["params"]
    return decode_array(params, ("params",), tuple(params["shape"]), np.dtype(params["dtype"]))


def test_a_parked_job_goes_on_exactly_where_it_stopped(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job], wait_for: Callable[..., Any]
) -> None:
    """Pause parks the job (its worker forgets it); a step brings it back on a worker for one step. The
    step's weights, Adam moments and counters are those of the parked run continued by one step in
    this process, bit for bit."""
    spec = {**rings_spec, "trainer": {"method": "adam", "learning_rate": 0.01, "batch_size": 10}}
    job_id = create(client, spec)
    wait_for_job(client, job_id, lambda job: job["step"] > 300)
    paused = client.post(f"/api/jobs/{job_id}/pause").json()
    parked = stored_checkpoint(client, job_id)

    client.post(f"/api/jobs/{job_id}/step")
    wait_for_job(client, job_id, lambda job: job["step"] == paused["step"] + 1)
    stepped = wait_for(  # written when the job parks again after its step
        lambda: (saved := stored_checkpoint(client, job_id))["step"] == paused["step"] + 1 and saved,
        what="the stepped job to park",
    )

    job_spec = JobSpec.model_validate(spec)
    reference = start_run(
        job_spec, load_dataset(spec["dataset"], client.app.state.settings.uploads_dir), parked
    )
    reference.train_step()
    expected = reference.checkpoint()
    assert parked["step"] == paused["step"]
    assert (stepped["step"], stepped["examples_seen"]) == (expected["step"], expected["examples_seen"])
    np.testing.assert_array_equal(flat(stepped), flat(expected))
    assert stepped["optimizer"] == expected["optimizer"]  # the moments and their step count, exactly
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "paused"
    assert sum(worker.jobs for worker in client.app.state.manager.executor.workers()) == 0  # nothing left


def test_a_job_nobody_watches_parks_itself_and_a_watched_one_does_not(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job], wait_for: Callable[..., Any]
) -> None:
    spec = {**rings_spec, "pause_when_unwatched": 0.3}
    unwatched = create(client, spec)
    watched = create(client, spec)
    with client.websocket_connect(f"/api/jobs/{watched}/stream?kinds=") as ws:
        ws.receive_text()
        parked = wait_for_job(client, unwatched, "paused")
        started = time.monotonic()
        wait_for(
            lambda: (
                client.get(f"/api/jobs/{watched}").json()["status"] == "running"
                and time.monotonic() - started > 1.0
            ),
            what="the watched job to keep running well past its limit",
        )
    closed = wait_for_job(client, watched, "paused")

    assert (parked["pause_reason"], parked["message"]) == ("unwatched", "paused: nobody watching for 0.3 s")
    assert closed["pause_reason"] == "unwatched"
    assert client.post(f"/api/jobs/{unwatched}/resume").json()["status"] == "running"


def finished(client: TestClient, spec: Spec, wait_for_job: Callable[..., Job]) -> str:
    job_id = create(client, {**spec, "stop": {"max_steps": 5}})
    wait_for_job(client, job_id, "completed")
    return job_id


def test_a_full_store_deletes_finished_jobs_then_paused_ones_but_never_running_or_kept_ones(
    make_client: Callable[..., TestClient], rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    client = make_client(max_stored_jobs=5)
    kept = finished(client, {**rings_spec, "keep": True}, wait_for_job)
    old = finished(client, rings_spec, wait_for_job)
    page_job = create(client, {**rings_spec, "pause_when_unwatched": 30}, paused=True)
    script_job = create(client, rings_spec, paused=True)  # a script's paused job too
    watched = create(client, rings_spec, paused=True)

    with client.websocket_connect(f"/api/jobs/{watched}/stream?kinds=") as viewer:
        viewer.receive_text()
        first = create(client, rings_spec)  # deletes the finished one
        second_room = client.get(f"/api/jobs/{page_job}").status_code
        second = create(client, rings_spec)  # then the paused job at rest longest
        third = create(client, rings_spec)  # then the next; never the watched one
        refused = client.post("/api/jobs", json=rings_spec)

    ids = {job["id"] for job in client.get("/api/jobs").json()["items"]}
    assert client.get(f"/api/jobs/{old}").status_code == 404
    assert second_room == 200
    assert client.get(f"/api/jobs/{script_job}").status_code == 404
    assert ids == {kept, watched, first, second, third}
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["msg"] == (
        "the server keeps at most 5 jobs (3 running or queued, 1 watched or in use, 1 marked keep), and "
        "none of them can be deleted to make room: stop or delete some first"
    )


def test_one_client_s_paused_jobs_cannot_fill_the_store(
    make_client: Callable[..., TestClient], rings_spec: Spec
) -> None:
    client = make_client(max_stored_jobs=10)
    hog = {"x-netplay-client": "hog"}
    hoarded = [client.post("/api/jobs?paused=true", json=rings_spec, headers=hog) for _ in range(10)]

    other = client.post("/api/jobs", json=rings_spec, headers={"x-netplay-client": "student"})

    assert [response.status_code for response in hoarded] == [201] * 10
    assert other.status_code == 201, other.text
    assert client.get(f"/api/jobs/{hoarded[0].json()['id']}").status_code == 404  # the oldest made room
    assert client.get("/api/jobs").json()["total"] == 10


def test_a_client_keeps_its_share_of_the_store_by_replacing_its_own_oldest_jobs(
    make_client: Callable[..., TestClient], rings_spec: Spec
) -> None:
    client = make_client(max_stored_jobs_per_client=2, clients_per_address=2, max_live_jobs_per_client=8)
    page = {"x-netplay-client": "page"}
    others = [create(client, rings_spec, paused=True) for _ in range(2)]  # no page id: the address's
    first, second = (client.post("/api/jobs?paused=true", json=rings_spec, headers=page) for _ in range(2))
    third = client.post("/api/jobs?paused=true", json=rings_spec, headers=page)
    training = [client.post("/api/jobs", json=rings_spec, headers=page) for _ in range(3)]
    rotated = client.post("/api/jobs", json=rings_spec, headers={"x-netplay-client": "another"})

    assert third.status_code == 201
    assert client.get(f"/api/jobs/{first.json()['id']}").status_code == 404  # its own oldest went
    assert [response.status_code for response in training] == [201, 201, 429]
    assert training[2].json()["detail"] == (
        "at most 2 jobs are kept for this page (2 running or queued), and none of them can be deleted to "
        "make room: stop or delete some first"
    )
    # the address's share (2 x 2) is full: its oldest paused job made room, never a training one
    assert rotated.status_code == 201
    ids = {job["id"] for job in client.get("/api/jobs").json()["items"]}
    assert others[0] not in ids and second.json()["id"] not in ids


def test_keep_can_be_set_and_cleared_through_patch(client: TestClient, rings_spec: Spec) -> None:
    job_id = create(client, rings_spec, paused=True)

    kept = client.patch(f"/api/jobs/{job_id}", json={"keep": True}).json()
    spec = client.get(f"/api/jobs/{job_id}").json()["spec"]
    cleared = client.patch(f"/api/jobs/{job_id}", json={"keep": False}).json()

    assert (kept["keep"], spec["keep"], cleared["keep"]) == (True, True, False)


def test_pause_when_unwatched_must_be_a_positive_number_of_seconds(
    client: TestClient, rings_spec: Spec
) -> None:
    response = client.post("/api/jobs", json={**rings_spec, "pause_when_unwatched": 0})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "pause_when_unwatched"]
