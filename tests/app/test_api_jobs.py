"""The jobs REST API: create, list, inspect, control, change, download and query jobs.

Workers are real spawned processes (or, for the tests marked ON_BOTH_EXECUTORS, also actors on a local
Ray cluster); every wait polls the API with a deadline. A paused job's step is
read through ``predict``: the worker answers commands in order, so its answer comes after it has acted
on everything sent before (a pause included).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.presets import list_presets
from engine.demo_nets import CLASSIFY2D_TRAINER
from tests.app.conftest import ON_BOTH_EXECUTORS
from tests.extras import require

Spec = dict[str, Any]
Job = dict[str, Any]
RELU_NET = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 8, "activation": "relu"},
    {"type": "fc", "num_neurons": 8, "activation": "relu"},
    {"type": "softmax", "num_classes": 2},
]
POINTS = [[0.0, 0.0], [1.5, 0.0], [2.8, 2.8]]
CLASSIFY2D_DESUGARED = ["input", "fc", "tanh", "fc", "tanh", "fc", "softmax"]


def create(client: TestClient, spec: Spec) -> Job:
    """POST a spec that must be accepted; the created job."""
    response = client.post("/api/jobs", json=spec)
    assert response.status_code == 201, response.text
    return response.json()


def post(client: TestClient, job_id: str, action: str, status_code: int = 200, **body: Any) -> Any:
    """POST /api/jobs/{id}/{action}, checking the status; the answer's JSON."""
    response = client.post(f"/api/jobs/{job_id}/{action}", json=body or None)
    assert response.status_code == status_code, response.text
    return response.json()


def predict_points(client: TestClient, job_id: str, points: list[list[float]] = POINTS) -> Job:
    """The job's net on `points` (its worker answers after acting on every earlier command)."""
    return post(client, job_id, "predict", points=points)


def started(client: TestClient, job_id: str, wait_for_job: Callable[..., Job]) -> Job:
    """The job once its worker has trained and reported (step > 0)."""
    return wait_for_job(client, job_id, lambda job: job["step"] > 0)


@ON_BOTH_EXECUTORS
def test_create_job_returns_the_running_job_with_desugared_layers(
    client: TestClient, rings_spec: Spec
) -> None:
    response = client.post("/api/jobs", json=rings_spec)

    assert response.status_code == 201
    job = response.json()
    assert re.fullmatch(r"[0-9a-f]{12}", job["id"])
    assert job["status"] == "running"
    assert job["queue_position"] is None
    assert (job["name"], job["dataset"], job["step"]) == ("rings test", "rings", 0)
    assert [layer["type"] for layer in job["layers"]] == CLASSIFY2D_DESUGARED
    assert [layer["source"] for layer in job["layers"]] == [0, 1, 1, 2, 2, 3, 3]
    assert job["num_parameters"] == (2 * 6 + 6) + (6 * 2 + 2) + (2 * 2 + 2)
    assert job["trainer"] == CLASSIFY2D_TRAINER
    assert job["spec"]["dataset"] == {"name": "rings", "n_samples": 200}
    assert job["spec"]["seed"] == 0


@ON_BOTH_EXECUTORS
def test_get_job_shows_measured_progress_and_metric_history_grows(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job], wait_for: Callable[..., Any]
) -> None:
    job_id = create(client, rings_spec)["id"]

    job = wait_for_job(client, job_id, lambda job: job["metrics"]["test_accuracy"] is not None)
    response = client.get(f"/api/jobs/{job_id}")

    assert response.status_code == 200
    job = response.json()
    assert job["id"] == job_id
    assert job["examples_seen"] == 10 * job["step"]  # 100 training examples, batches of 10
    assert job["epoch"] == job["examples_seen"] // 100
    assert job["metrics"]["loss"] > 0
    assert 0 <= job["metrics"]["test_accuracy"] <= 1
    assert 0 < job["metrics"]["test_step"] <= job["step"]  # each held-out figure says when it was measured
    assert job["metrics"]["test_examples"] == 100
    assert [layer["type"] for layer in job["layers"]][-1] == "softmax"

    def history() -> list[Job]:
        response = client.get(f"/api/jobs/{job_id}/metrics")
        assert response.status_code == 200
        assert response.json()["id"] == job_id
        return response.json()["points"]

    first = wait_for(lambda: (points := history()) and len(points) >= 2 and points, what="2 points")
    later = wait_for(lambda: (points := history()) and len(points) > len(first) and points, what="more")
    steps = [point["step"] for point in later]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    assert later[: len(first)] == first


@pytest.mark.slow  # 11 s alone
def test_every_preset_is_accepted(make_client: Callable[..., TestClient]) -> None:
    require("data")  # the MNIST presets
    client = make_client(max_running_jobs=1)
    response = client.get("/api/presets")
    assert response.status_code == 200
    presets = response.json()
    assert [preset["id"] for preset in presets] == [preset["id"] for preset in list_presets()]

    jobs = [create(client, preset["spec"]) for preset in presets]

    assert [job["name"] for job in jobs] == [preset["spec"]["name"] for preset in presets]
    assert [job["status"] for job in jobs] == ["running"] + ["queued"] * (len(presets) - 1)
    assert [job["queue_position"] for job in jobs] == [None, *range(1, len(presets))]


def test_the_trainer_comparison_preset_lists_convnetjs_s_seven_trainers_each_accepted(
    client: TestClient,
) -> None:
    require("data")  # its MNIST net
    comparison = next(preset for preset in client.get("/api/presets").json() if preset.get("trainers"))
    labels = [entry["label"] for entry in comparison["trainers"]]

    answers = [
        client.post("/api/jobs?paused=true", json={**comparison["spec"], "trainer": entry["trainer"]})
        for entry in comparison["trainers"]
    ]

    assert labels == ["sgd", "sgd+momentum", "adam", "adagrad", "windowgrad", "adadelta", "nesterov"]
    assert [answer.status_code for answer in answers] == [201] * 7, [answer.text for answer in answers]


def test_list_jobs_filters_by_status_and_pages_newest_first(
    make_client: Callable[..., TestClient], rings_spec: Spec
) -> None:
    client = make_client(max_running_jobs=1)
    ids = [create(client, {**rings_spec, "name": f"job {n}"})["id"] for n in range(3)]

    everything = client.get("/api/jobs")
    first_page = client.get("/api/jobs", params={"limit": 2})
    last_page = client.get("/api/jobs", params={"limit": 2, "offset": 2})
    queued = client.get("/api/jobs", params={"status": "queued"})
    running = client.get("/api/jobs", params={"status": "running"})
    completed = client.get("/api/jobs", params={"status": "completed"})

    pages = (everything, first_page, last_page, queued, running, completed)
    assert [page.status_code for page in pages] == [200] * 6
    assert [job["id"] for job in everything.json()["items"]] == ids[::-1]
    assert (everything.json()["total"], everything.json()["limit"], everything.json()["offset"]) == (3, 50, 0)
    assert [job["id"] for job in first_page.json()["items"]] == [ids[2], ids[1]]
    assert (first_page.json()["total"], first_page.json()["limit"]) == (3, 2)
    assert [job["id"] for job in last_page.json()["items"]] == [ids[0]]
    assert (last_page.json()["total"], last_page.json()["offset"]) == (3, 2)
    assert [job["id"] for job in queued.json()["items"]] == [ids[2], ids[1]]
    assert [job["queue_position"] for job in queued.json()["items"]] == [2, 1]
    assert queued.json()["total"] == 2
    assert [job["id"] for job in running.json()["items"]] == [ids[0]]
    assert completed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0, "unreadable": 0}


def test_list_jobs_rejects_an_unknown_status_filter(client: TestClient) -> None:
    response = client.get("/api/jobs", params={"status": "sleeping"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "status"]


def test_list_jobs_rejects_an_offset_beyond_any_store(client: TestClient) -> None:
    response = client.get("/api/jobs", params={"offset": 2**63})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


@ON_BOTH_EXECUTORS
def test_pause_then_resume_a_running_job(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    started(client, job_id, wait_for_job)

    paused = post(client, job_id, "pause")
    paused_step = predict_points(client, job_id)["step"]
    still = client.get(f"/api/jobs/{job_id}").json()
    resumed = post(client, job_id, "resume")

    assert paused["status"] == "paused"
    assert (still["status"], still["step"]) == ("paused", paused_step)
    assert resumed["status"] == "running"
    wait_for_job(client, job_id, lambda job: job["step"] > paused_step)


@ON_BOTH_EXECUTORS
def test_step_on_a_paused_job_advances_exactly_one_step(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    started(client, job_id, wait_for_job)
    post(client, job_id, "pause")
    before = predict_points(client, job_id)["step"]

    response = client.post(f"/api/jobs/{job_id}/step")

    assert response.status_code == 200
    assert response.json()["status"] == "paused"
    job = wait_for_job(client, job_id, lambda job: job["step"] != before)
    assert job["step"] == before + 1
    assert predict_points(client, job_id)["step"] == before + 1
    assert client.get(f"/api/jobs/{job_id}").json()["step"] == before + 1


def test_step_on_a_running_job_conflicts(client: TestClient, rings_spec: Spec) -> None:
    job_id = create(client, rings_spec)["id"]

    response = client.post(f"/api/jobs/{job_id}/step")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail == f"job '{job_id}' is running: step works on a paused job, pause it first"


@ON_BOTH_EXECUTORS
def test_stop_ends_a_job_and_resume_then_conflicts(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    started(client, job_id, wait_for_job)

    stopped = post(client, job_id, "stop")
    resume = client.post(f"/api/jobs/{job_id}/resume")
    stop_again = client.post(f"/api/jobs/{job_id}/stop")
    patch = client.patch(f"/api/jobs/{job_id}", json={"trainer": {"learning_rate": 0.1}})

    assert stopped["status"] == "stopped"
    assert resume.status_code == 409
    assert resume.json()["detail"] == f"cannot resume job '{job_id}': it is stopped (reset it to train again)"
    assert stop_again.status_code == 409
    assert stop_again.json()["detail"] == f"job '{job_id}' is already stopped"
    assert patch.status_code == 409
    assert "reset it" in patch.json()["detail"]
    model = client.get(f"/api/jobs/{job_id}/model")
    assert model.status_code == 200
    assert model.json()["format"] == "netplay.net"
    assert wait_for_job(client, job_id, "stopped")["stop_reason"] is None


def first_step(client: TestClient, job_id: str, wait_for_job: Callable[..., Job]) -> tuple[list, float]:
    """A job reset to step 0: its initial outputs on POINTS and the loss of its first step."""
    initial = predict_points(client, job_id)
    assert initial["step"] == 0
    post(client, job_id, "step")
    job = wait_for_job(client, job_id, lambda job: job["step"] == 1)
    return initial["outputs"], job["metrics"]["loss"]


def test_reset_keeps_the_seed_and_a_new_seed_changes_it(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    post(client, job_id, "stop")

    reset = post(client, job_id, "reset")
    outputs, loss = first_step(client, job_id, wait_for_job)
    again = post(client, job_id, "reset")
    same_outputs, same_loss = first_step(client, job_id, wait_for_job)
    reseeded = client.post(f"/api/jobs/{job_id}/reset", json={"seed": 5})
    new_outputs, new_loss = first_step(client, job_id, wait_for_job)

    assert (reset["status"], reset["step"], reset["stop_reason"], reset["error"]) == ("paused", 0, None, None)
    assert reset["pause_reason"] == "user"  # it waits for a person to resume it
    assert (again["status"], again["step"], again["metrics"]["loss"]) == ("paused", 0, None)
    assert (same_outputs, same_loss) == (outputs, loss)
    assert reseeded.status_code == 200
    assert (reseeded.json()["step"], reseeded.json()["metrics"]["loss"]) == (0, None)
    assert client.get(f"/api/jobs/{job_id}").json()["spec"]["seed"] == 5
    assert new_outputs != outputs
    assert new_loss != loss


@ON_BOTH_EXECUTORS
def test_reset_of_a_running_job_drops_its_old_run_and_trains_from_step_0(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    wait_for_job(client, job_id, lambda job: job["step"] > 200)

    reset = post(client, job_id, "reset")
    again = wait_for_job(client, job_id, lambda job: job["step"] > 0)

    assert reset["step"] == 0
    assert again["status"] == "running"
    steps = [point["step"] for point in client.get(f"/api/jobs/{job_id}/metrics").json()["points"]]
    assert steps == sorted(steps) and steps[0] < 200  # the old run's points are gone, none came late
    assert sum(worker.jobs for worker in client.app.state.manager.executor.workers()) == 1


@ON_BOTH_EXECUTORS
def test_patch_learning_rate_is_shown_and_applied_by_the_running_worker(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    started(client, job_id, wait_for_job)
    trained = client.get(f"/api/jobs/{job_id}/model").json()
    trained_at = client.get(f"/api/jobs/{job_id}").json()["step"]  # the model is of this step or before
    wait_for_job(client, job_id, lambda job: job["step"] > trained_at)  # a busy machine steps slowly

    response = client.patch(f"/api/jobs/{job_id}", json={"trainer": {"learning_rate": 0.0, "momentum": 0.0}})
    shown = client.get(f"/api/jobs/{job_id}").json()["trainer"]
    applied_at = predict_points(client, job_id)["step"]  # answered after the worker applied the change
    frozen = client.get(f"/api/jobs/{job_id}/model").json()
    wait_for_job(client, job_id, lambda job: job["step"] > applied_at + 50)
    later = client.get(f"/api/jobs/{job_id}/model").json()

    assert response.status_code == 200
    assert (response.json()["trainer"]["learning_rate"], response.json()["trainer"]["momentum"]) == (0.0, 0.0)
    assert (shown["learning_rate"], shown["momentum"], shown["batch_size"]) == (0.0, 0.0, 10)
    assert frozen["params"] != trained["params"]  # it was learning before the change
    assert later["params"] == frozen["params"]  # and with a zero learning rate it no longer moves


def test_patch_rejects_a_key_the_method_does_not_take(client: TestClient, rings_spec: Spec) -> None:
    job_id = create(client, rings_spec)["id"]

    unknown_for_sgd = client.patch(f"/api/jobs/{job_id}", json={"trainer": {"ro": 0.95}})
    not_a_setting = client.patch(f"/api/jobs/{job_id}", json={"trainer": {"speed": 2}})
    negative = client.patch(f"/api/jobs/{job_id}", json={"trainer": {"learning_rate": -1}})

    assert unknown_for_sgd.status_code == 422
    detail = unknown_for_sgd.json()["detail"][0]
    assert detail["loc"] == ["body", "trainer", "ro"]
    assert "unknown for sgd" in detail["msg"]
    assert not_a_setting.status_code == 422
    assert not_a_setting.json()["detail"][0]["loc"] == ["body", "trainer", "speed"]
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["loc"] == ["body", "trainer", "learning_rate"]
    assert client.get(f"/api/jobs/{job_id}").json()["trainer"] == CLASSIFY2D_TRAINER


def test_delete_job_then_it_is_gone(client: TestClient, rings_spec: Spec) -> None:
    job_id = create(client, rings_spec)["id"]

    response = client.delete(f"/api/jobs/{job_id}")

    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/jobs/{job_id}").status_code == 404
    assert client.delete(f"/api/jobs/{job_id}").status_code == 404
    assert client.get("/api/jobs").json()["total"] == 0


@ON_BOTH_EXECUTORS
def test_downloaded_model_posted_back_starts_a_job_from_its_weights(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    job_id = create(client, rings_spec)["id"]
    started(client, job_id, wait_for_job)
    post(client, job_id, "pause")
    trained = predict_points(client, job_id)

    response = client.get(f"/api/jobs/{job_id}/model")
    model = response.json()
    frozen_trainer = {"method": "sgd", "learning_rate": 0.0, "momentum": 0.0}
    again = client.post(
        "/api/jobs", json={"dataset": rings_spec["dataset"], "model": model, "trainer": frozen_trainer}
    )

    assert response.status_code == 200
    assert model["format"] == "netplay.net"
    assert model["layers"] == rings_spec["layers"]
    assert again.status_code == 201
    copy_id = again.json()["id"]
    assert again.json()["layers"] == client.get(f"/api/jobs/{job_id}").json()["layers"]
    assert again.json()["num_parameters"] == 38
    assert predict_points(client, copy_id)["outputs"] == trained["outputs"]


@ON_BOTH_EXECUTORS
def test_predict_points_gives_class_probabilities(client: TestClient, rings_spec: Spec) -> None:
    job_id = create(client, rings_spec)["id"]

    response = client.post(f"/api/jobs/{job_id}/predict", json={"points": POINTS})

    assert response.status_code == 200
    answer = response.json()
    outputs = np.array(answer["outputs"])
    assert outputs.shape == (3, 2)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)
    assert answer["predicted"] == outputs.argmax(axis=1).tolist()
    assert answer["class_names"] == ["A", "B"]
    assert answer["step"] >= 0


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        ({"points": [[0.0, 0.0, 1.0]]}, ["body", "points"], "[x1, x2]"),
        ({"images": [[[0.0]]]}, ["body", "points"], "takes points, not images"),
        ({"points": [[0.0, "far"]]}, ["body", "points", 0, 1], "valid number"),
        ({"points": [[1.0, 2.0], [1.0, 2.0, 3.0]]}, ["body", "points"], "[x1, x2]"),
        ({"points": [[0.0, 0.0]], "images": [[[0.0]]]}, ["body", "images"], "takes points, not images"),
    ],
    ids=["three-coordinates", "images", "not-a-number", "ragged", "points-and-images"],
)
def test_predict_on_a_2d_job_rejects_wrong_inputs(
    client: TestClient, rings_spec: Spec, body: dict, loc: list, fragment: str
) -> None:
    job_id = create(client, rings_spec)["id"]

    response = client.post(f"/api/jobs/{job_id}/predict", json=body)

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == loc
    assert fragment in detail["msg"]


@ON_BOTH_EXECUTORS
def test_predict_images_on_an_image_job(client: TestClient, image_spec: Spec) -> None:
    job_id = create(client, image_spec)["id"]
    images = np.zeros((2, 9, 9))
    images[1, 4, :] = 1.0

    flat = client.post(f"/api/jobs/{job_id}/predict", json={"images": images.tolist()})
    with_depth = client.post(f"/api/jobs/{job_id}/predict", json={"images": images[:, None].tolist()})
    wrong_side = client.post(f"/api/jobs/{job_id}/predict", json={"images": np.zeros((2, 8, 8)).tolist()})
    too_bright = client.post(f"/api/jobs/{job_id}/predict", json={"images": (images * 2).tolist()})
    points = client.post(f"/api/jobs/{job_id}/predict", json={"points": [[0.0, 0.0]]})
    both = client.post(f"/api/jobs/{job_id}/predict", json={"images": images.tolist(), "points": [[0, 0]]})

    assert flat.status_code == 200
    outputs = np.array(flat.json()["outputs"])
    assert outputs.shape == (2, 2)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)
    assert with_depth.status_code == 200
    assert with_depth.json()["class_names"] == flat.json()["class_names"]
    assert wrong_side.status_code == 422
    assert wrong_side.json()["detail"][0]["loc"] == ["body", "images"]
    assert "(N, 1, 9, 9), got [2, 8, 8]" in wrong_side.json()["detail"][0]["msg"]
    assert too_bright.status_code == 422
    assert "[0, 1]" in too_bright.json()["detail"][0]["msg"]
    assert points.status_code == 422
    assert points.json()["detail"][0] == {
        "loc": ["body", "images"],
        "msg": "dataset xo takes images, not points",
        "type": "value_error",
    }
    assert both.status_code == 422
    assert both.json()["detail"][0]["loc"] == ["body", "points"]
    assert both.json()["detail"][0]["msg"] == "dataset xo takes images, not points"


ROUTES = [
    ("GET", ""),
    ("GET", "/metrics"),
    ("GET", "/model"),
    ("POST", "/pause"),
    ("POST", "/resume"),
    ("POST", "/step"),
    ("POST", "/stop"),
    ("POST", "/reset"),
    ("POST", "/predict"),
    ("PATCH", ""),
    ("DELETE", ""),
]
BODIES = {"/predict": {"points": [[0.0, 0.0]]}, "": {"trainer": {"learning_rate": 0.1}}}


@pytest.mark.parametrize(("method", "suffix"), ROUTES, ids=[f"{m} {s or '/'}" for m, s in ROUTES])
def test_unknown_job_is_404_naming_the_id(client: TestClient, method: str, suffix: str) -> None:
    body = BODIES.get(suffix) if method in ("POST", "PATCH") else None

    response = client.request(method, f"/api/jobs/nosuchjob42{suffix}", json=body)

    assert response.status_code == 404
    assert response.json() == {"detail": "job 'nosuchjob42' not found"}


@ON_BOTH_EXECUTORS
def test_absurd_learning_rate_fails_the_job_as_diverged_and_the_server_goes_on(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    diverging = {**rings_spec, "layers": RELU_NET, "trainer": {"method": "sgd", "learning_rate": 1e6}}
    job_id = create(client, diverging)["id"]

    job = wait_for_job(client, job_id, "failed")

    assert job["stop_reason"] is None
    assert "diverged" in job["error"]
    assert "learning rate" in job["error"]
    assert f"diverged at step {job['step'] + 1}:" in job["error"]  # the job shows its last good step
    other = create(client, rings_spec)["id"]
    assert started(client, other, wait_for_job)["status"] == "running"
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "failed"


def test_a_job_over_the_running_cap_queues_and_starts_when_the_first_is_paused(
    make_client: Callable[..., TestClient], rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    client = make_client(max_running_jobs=1)
    first = create(client, rings_spec)["id"]
    second = create(client, rings_spec)
    waiting = client.get(f"/api/jobs/{second['id']}").json()

    post(client, first, "pause")
    started_second = client.get(f"/api/jobs/{second['id']}").json()
    resumed_first = post(client, first, "resume")

    assert (second["status"], second["queue_position"]) == ("queued", 1)
    assert (waiting["status"], waiting["step"]) == ("queued", 0)
    assert (started_second["status"], started_second["queue_position"]) == ("running", None)
    assert wait_for_job(client, second["id"], lambda job: job["step"] > 0)["status"] == "running"
    assert (resumed_first["status"], resumed_first["queue_position"]) == ("queued", 1)


def test_a_queued_job_starts_when_the_running_one_stops(
    make_client: Callable[..., TestClient], rings_spec: Spec, wait_for_job: Callable[..., Job]
) -> None:
    client = make_client(max_running_jobs=1)
    first = create(client, rings_spec)["id"]
    second = create(client, rings_spec)["id"]
    third = create(client, rings_spec)["id"]

    post(client, first, "stop")

    assert client.get(f"/api/jobs/{second}").json()["status"] == "running"
    assert (client.get(f"/api/jobs/{third}").json()["queue_position"]) == 1
    assert wait_for_job(client, second, lambda job: job["step"] > 0)["status"] == "running"
    assert client.get(f"/api/jobs/{third}").json()["step"] == 0


@pytest.mark.parametrize(
    ("stop", "check"),
    [
        ({"max_steps": 37}, lambda job: job["step"] == 37),
        ({"max_epochs": 2}, lambda job: (job["step"], job["epoch"], job["examples_seen"]) == (20, 2, 200)),
        ({"target_test_accuracy": 0.9}, lambda job: job["metrics"]["test_accuracy"] >= 0.9),
    ],
    ids=["max_steps", "max_epochs", "target_test_accuracy"],
)
@ON_BOTH_EXECUTORS
def test_a_stop_condition_completes_the_job(
    client: TestClient,
    rings_spec: Spec,
    wait_for_job: Callable[..., Job],
    stop: dict,
    check: Callable[[Job], bool],
) -> None:
    spec = copy.deepcopy(rings_spec)
    spec["stop"] = stop
    if "target_test_accuracy" in stop:
        spec["dataset"] = {"name": "linear", "n_samples": 200}  # one straight line: easy
    job_id = create(client, spec)["id"]

    job = wait_for_job(client, job_id, lambda job: job["status"] != "running")

    assert (job["status"], job["stop_reason"], job["error"]) == ("completed", next(iter(stop)), None)
    assert check(job), job
    assert post(client, job_id, "resume", status_code=409)["detail"].endswith("(reset it to train again)")


def test_predict_answers_the_same_status_for_the_same_input_whatever_the_job_state(
    client: TestClient, rings_spec: Spec, wait_for_job: Callable[..., dict]
) -> None:
    running = create(client, rings_spec)["id"]
    paused = client.post("/api/jobs?paused=true", json=rings_spec).json()["id"]
    done = create(client, {**rings_spec, "stop": {"max_steps": 5}})["id"]
    wait_for_job(client, done, lambda job: job["status"] == "completed")
    bodies = {"good": {"points": POINTS}, "ragged": {"points": [[1.0, 2.0], [1.0, 2.0, 3.0]]}, "empty": {}}

    answers = {
        (state, name): client.post(f"/api/jobs/{job_id}/predict", json=body)
        for state, job_id in (("running", running), ("paused", paused), ("completed", done))
        for name, body in bodies.items()
    }

    for (state, name), response in answers.items():
        expected = 200 if name == "good" else 422
        assert response.status_code == expected, (state, name, response.text)
    for name in ("ragged", "empty"):
        details = {
            answers[(state, name)].json()["detail"][0]["msg"] for state in ("running", "paused", "completed")
        }
        assert len(details) == 1, details
