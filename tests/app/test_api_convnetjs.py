"""ConvNetJS nets through the API: a saved ConvNetJS net is a job's ``model``, and a job's net downloads
in ConvNetJS's format."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from engine import Net
from engine.convnetjs import from_convnetjs, is_convnetjs
from tests.engine.test_convnetjs import fixtures, volume_array

# The svm fixture's net takes 3 inputs: rings with a third feature.
RINGS_3 = {"name": "rings", "n_samples": 200, "features": ["x1", "x2", "x1x2"]}


def test_a_convnetjs_net_is_a_job_model_and_downloads_back_in_both_formats(client: TestClient) -> None:
    fixture = fixtures()["svm"]

    created = client.post("/api/jobs?paused=true", json={"dataset": RINGS_3, "model": fixture["net"]})

    assert created.status_code == 201, created.text
    stored = created.json()["spec"]["model"]
    assert stored["format"] == "netplay.net" and stored["dtype"] == "float32"
    assert stored["imported"]["from"] == "convnetjs"
    assert any("drop_prob at inference" in note for note in stored["imported"]["notes"])
    job_id = created.json()["id"]
    x = np.stack([volume_array(volume) for volume in fixture["inputs"]])
    netplay = Net.from_json(client.get(f"/api/jobs/{job_id}/model").json())
    np.testing.assert_allclose(netplay.forward(x), fixture["outputs"], atol=1e-5)  # float32 weights
    exported = client.get(f"/api/jobs/{job_id}/model", params={"format": "convnetjs"}).json()
    assert is_convnetjs(exported)
    assert [layer["layer_type"] for layer in exported["layers"]] == [
        layer["layer_type"] for layer in fixture["net"]["layers"]
    ]
    again = Net.from_json(from_convnetjs(exported)[0])
    np.testing.assert_allclose(again.forward(x), netplay.forward(x), atol=1e-6)


def test_a_broken_convnetjs_model_is_a_422_naming_the_field(client: TestClient) -> None:
    saved: dict[str, Any] = copy.deepcopy(fixtures()["svm"]["net"])
    saved["layers"][1]["filters"][0]["w"]["0"] = "heavy"

    response = client.post("/api/jobs", json={"dataset": RINGS_3, "model": saved})

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "model", "layers", 1, "filters", 0, "w"]
    assert "numbers only" in detail["msg"]
    assert client.get("/api/jobs").json()["total"] == 0


def test_a_net_convnetjs_cannot_compute_does_not_download_in_its_format(client: TestClient) -> None:
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 4, "activation": "leaky_relu"},
        {"type": "softmax", "num_classes": 2},
    ]
    job_id = client.post(
        "/api/jobs?paused=true", json={"dataset": {"name": "rings"}, "layers": layers}
    ).json()["id"]

    response = client.get(f"/api/jobs/{job_id}/model", params={"format": "convnetjs"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "format"]
    assert "ConvNetJS has no leaky_relu layer" in response.json()["detail"][0]["msg"]
