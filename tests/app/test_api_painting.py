"""Painting jobs through the API (ConvNetJS's image_regression demo): the preset trains, its frames are the
picture as the net paints it, the preview has the original, and pictures can be uploaded."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from app.frames import decode_frame
from app.presets import list_presets
from app.settings import Settings
from app.visuals.producer import VisualProducer
from engine import Net
from engine.datasets import make_dataset
from engine.datasets.painting import pixel_coordinates
from tests.app.conftest import poll, poll_job
from tests.app.test_api_datasets import upload, uploaded_files
from tests.app.test_stream import first
from tests.datasets.test_painting_set import NOISE_PNG, bomb_png, png_bytes


def painting_spec(**dataset: Any) -> dict[str, Any]:
    spec = next(preset for preset in list_presets() if preset["id"] == "painting")["spec"]
    spec["dataset"].update(dataset)
    return spec


def test_painting_frame_is_the_nets_colour_at_every_pixel() -> None:
    data = make_dataset("painting", picture="scene", size=12)
    net = Net(painting_spec()["layers"], seed=0)

    header, arrays = decode_frame(VisualProducer(net, data).frame("painting", 7))

    assert (header["type"], header["step"], header["shape"]) == ("painting", 7, [12, 12])
    image = arrays["image"]
    assert image.shape == (12, 12, 3) and image.dtype == np.uint8
    expected = np.clip(net.forward(pixel_coordinates(12, 12)), 0, 1) * 255
    np.testing.assert_allclose(image.reshape(-1, 3), expected, atol=0.51)


def test_painting_preset_trains_and_its_loss_falls(client: TestClient) -> None:
    spec = painting_spec(size=16)
    spec["stop"] = {"max_steps": 3000}
    created = client.post("/api/jobs", json=spec)
    assert created.status_code == 201, created.text

    job = poll_job(client, created.json()["id"], "completed", timeout=60)

    points = client.get(f"/api/jobs/{job['id']}/metrics").json()["points"]
    losses = [point["loss"] for point in points if point["loss"] is not None]
    assert job["step"] == 3000 and losses[-1] < 0.5 * losses[0]
    predicted = client.post(f"/api/jobs/{job['id']}/predict", json={"points": [[0.0, 0.0], [-0.4, -0.4]]})
    assert predicted.status_code == 200
    assert np.array(predicted.json()["outputs"]).shape == (2, 3)


def test_painting_stream_sends_frames_of_the_documented_shape(client: TestClient) -> None:
    created = client.post("/api/jobs", json=painting_spec(picture="china", size=24))
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    with client.websocket_connect(f"/api/jobs/{job_id}/stream?kinds=painting") as ws:
        snapshot = json.loads(ws.receive_text())
        assert snapshot["dataset"]["kind"] == "painting"
        assert snapshot["dataset"]["picture_shape"] == [16, 24, 3]  # china is 427x640
        header, arrays = first(ws, "painting", lambda body: body[0]["step"] > 0)
    assert header["shape"] == [16, 24] and arrays["image"].shape == (16, 24, 3)


def test_preview_of_a_painting_gives_the_original_picture(client: TestClient) -> None:
    response = client.get("/api/datasets/painting/preview", params={"picture": '"rings"', "size": 10})

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "painting" and body["sizes"] == {"train": 100, "val": 0, "test": 0}
    pixels = np.frombuffer(base64.b64decode(body["picture"]["pixels"]), np.uint8)
    expected = make_dataset("painting", picture="rings", size=10).picture
    assert body["picture"]["shape"] == [10, 10, 3]
    np.testing.assert_array_equal(pixels.reshape(10, 10, 3), expected)


def test_an_uploaded_picture_becomes_a_painting_job(client: TestClient, settings: Settings) -> None:
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:10] = (0, 200, 255)

    response = upload(client, "sky.png", png_bytes(pixels))

    assert response.status_code == 201, response.text
    name = response.json()["file"]
    assert response.json()["dataset"] == {"name": "painting", "file": name}
    listed = client.get("/api/datasets/uploads").json()["items"]
    assert [item["dataset"] for item in listed] == [{"name": "painting", "file": name}]
    preview = client.get("/api/datasets/painting/preview", params={"file": json.dumps(name)}).json()
    assert preview["picture"]["shape"] == [24, 48, 3]  # scaled to the default longest side, 48
    created = client.post("/api/jobs", json=painting_spec(file=name, size=16))
    assert created.status_code == 201, created.text
    poll(lambda: client.get(f"/api/jobs/{created.json()['id']}").json()["step"] > 0, what="a step")
    assert uploaded_files(settings) == [name]


def test_a_corrupt_picture_upload_is_refused_on_file_and_not_kept(
    client: TestClient, settings: Settings
) -> None:
    response = upload(client, "broken.png", NOISE_PNG[: len(NOISE_PNG) // 2])

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"] and "cannot be decoded" in detail["msg"]
    assert uploaded_files(settings) == []


def test_a_picture_bomb_is_refused_before_it_is_decoded(client: TestClient, settings: Settings) -> None:
    response = upload(client, "bomb.png", bomb_png(10_000, 10_000))  # 300 MB of pixels in 100 bytes

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"] and "the limit is 16,777,216" in detail["msg"]
    assert uploaded_files(settings) == []
