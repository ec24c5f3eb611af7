"""Setting one weight of a job's net by hand (``POST /api/jobs/{id}/weights`` and the socket's
``set_weight``): it reaches the net the job trains, every viewer hears of it, bad addresses are 422s."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.visuals import unpack_weights
from engine import Net
from tests.app.test_stream import first

Job = dict[str, Any]
POINTS = [[0.0, 0.0], [1.5, 0.0], [2.8, 2.8]]
# The desugared classify2d net: input, fc 6, tanh, fc 2, tanh, fc 2, softmax.
FIRST_FC, LAST_FC = 1, 5


def paused_job(client: TestClient, spec: dict[str, Any]) -> str:
    response = client.post("/api/jobs?paused=true", json=spec)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def params(model: dict[str, Any], layer: int) -> dict[str, np.ndarray]:
    """A saved net's weights of one layer of the desugared net: {"w": ..., "b": ...}."""
    return Net.from_json(model).layers[layer].params


def test_a_weight_set_on_a_paused_job_changes_its_net_and_its_predictions(
    client: TestClient, rings_spec: dict[str, Any]
) -> None:
    job_id = paused_job(client, rings_spec)
    before = client.post(f"/api/jobs/{job_id}/predict", json={"points": POINTS}).json()["outputs"]
    change = {"layer": LAST_FC, "param": "b", "index": [1], "value": 5.0}

    answer = client.post(f"/api/jobs/{job_id}/weights", json=change)

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "paused"
    after = client.post(f"/api/jobs/{job_id}/predict", json={"points": POINTS}).json()["outputs"]
    assert all(new[1] > old[1] for new, old in zip(after, before, strict=True))  # class B's bias went up
    model = client.get(f"/api/jobs/{job_id}/model").json()
    assert params(model, LAST_FC)["b"][1] == 5.0


def test_every_viewer_of_a_running_job_hears_of_the_weight_and_training_goes_on_from_it(
    client: TestClient, rings_spec: dict[str, Any], wait_for_job: Callable[..., Job]
) -> None:
    job_id = client.post("/api/jobs", json=rings_spec).json()["id"]
    wait_for_job(client, job_id, lambda job: job["step"] > 0)
    with (
        client.websocket_connect(f"/api/jobs/{job_id}/stream") as editor,
        client.websocket_connect(f"/api/jobs/{job_id}/stream") as viewer,
    ):
        layers = json.loads(editor.receive_text())["layers"]  # the snapshot's
        viewer.receive_text()
        editor.send_text(
            json.dumps(
                {"type": "set_weight", "layer": FIRST_FC, "param": "w", "index": [1, 4], "value": -3.25}
            )
        )
        for ws in (editor, viewer):
            message = first(ws, "weight")
            assert {key: message[key] for key in ("layer", "param", "index", "value")} == {
                "layer": FIRST_FC,
                "param": "w",
                "index": [1, 4],
                "value": -3.25,
            }
            step = message["step"]
            _, arrays = first(ws, "weights", lambda body, step=step: body[0]["step"] >= step)
            w, _ = unpack_weights(arrays["params"], layers)[FIRST_FC]
            assert -3.6 < w[1, 4] < -2.9  # drawn from the net that holds the edit
    client.post(f"/api/jobs/{job_id}/pause")
    model = client.get(f"/api/jobs/{job_id}/model").json()
    assert -3.6 < params(model, FIRST_FC)["w"][1, 4] < -2.9  # the edit, moved a little by training


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"layer": 9, "param": "w", "index": [0, 0], "value": 1.0}, "layer", "the net has layers 0..6"),
        ({"layer": 2, "param": "w", "index": [0, 0], "value": 1.0}, "layer", "layer 2 (tanh) has no weights"),
        ({"layer": 1, "param": "w", "index": [2, 0], "value": 1.0}, "index", "has shape [2, 6]"),
        ({"layer": 1, "param": "w", "index": [0], "value": 1.0}, "index", "give 2 indices"),
        ({"layer": 1, "param": "b", "index": [-1], "value": 1.0}, "index", "within it"),
        ({"layer": 1, "param": "g", "index": [0], "value": 1.0}, "param", "'w' or 'b'"),
        ({"layer": 1, "param": "b", "index": [0], "value": 1e9}, "value", "less than or equal"),
        ({"layer": 1, "param": "b", "index": [0]}, "value", "Field required"),
    ],
)
def test_a_bad_weight_change_is_a_422_naming_the_field(
    client: TestClient, rings_spec: dict[str, Any], change: dict[str, Any], field: str, reason: str
) -> None:
    job_id = paused_job(client, rings_spec)
    answer = client.post(f"/api/jobs/{job_id}/weights", json=change)
    assert answer.status_code == 422
    detail = answer.json()["detail"][0]
    assert detail["loc"] == ["body", field] and reason in detail["msg"]


def test_a_nan_weight_is_refused(client: TestClient, rings_spec: dict[str, Any]) -> None:
    job_id = paused_job(client, rings_spec)
    body = '{"layer": 1, "param": "b", "index": [0], "value": NaN}'
    answer = client.post(
        f"/api/jobs/{job_id}/weights", content=body, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["body", "value"]


def test_the_socket_answers_a_bad_weight_with_an_error_naming_the_field(
    client: TestClient, rings_spec: dict[str, Any]
) -> None:
    job_id = paused_job(client, rings_spec)
    with client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "set_weight", "layer": 1, "param": "b", "index": [7], "value": 1}))
        assert "index: layer 1's b has shape [6]" in first(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "set_weight", "layer": 1, "param": "b", "index": [0]}))
        assert first(ws, "error")["message"] == "value: Field required"


def test_a_finished_job_or_a_stranger_cannot_set_weights(
    client: TestClient, anyone: TestClient, rings_spec: dict[str, Any]
) -> None:
    change = {"layer": 1, "param": "b", "index": [0], "value": 1.0}
    job_id = paused_job(client, rings_spec)
    assert anyone.post(f"/api/jobs/{job_id}/weights", json=change).status_code == 403
    client.post(f"/api/jobs/{job_id}/stop")
    answer = client.post(f"/api/jobs/{job_id}/weights", json=change)
    assert answer.status_code == 409 and "stopped" in answer.json()["detail"]


def test_a_queued_job_gets_its_weight_when_it_starts(
    make_client: Callable[..., TestClient], rings_spec: dict[str, Any], wait_for_job: Callable[..., Job]
) -> None:
    client = make_client(max_running_jobs=1)
    running = client.post("/api/jobs", json=rings_spec).json()["id"]
    still = {**rings_spec, "trainer": {**rings_spec["trainer"], "learning_rate": 1e-9}}  # keeps the edit
    queued = client.post("/api/jobs", json=still).json()["id"]
    change = {"layer": LAST_FC, "param": "b", "index": [0], "value": -7.0}

    answer = client.post(f"/api/jobs/{queued}/weights", json=change)

    assert answer.status_code == 200 and answer.json()["status"] == "queued"
    client.post(f"/api/jobs/{running}/pause")
    wait_for_job(client, queued, lambda job: job["status"] == "running")
    assert params(client.get(f"/api/jobs/{queued}/model").json(), LAST_FC)["b"][0] == pytest.approx(-7.0)
