"""The job stream over WebSockets: snapshot first, frames, several viewers, control messages."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from app.api import stream as stream_module
from app.checks import SpecInvalid
from app.frames import decode_frame
from app.hub import encode_message
from app.main import create_app
from app.settings import Settings
from engine.demo_nets import CLASSIFY2D_LAYERS
from tests.extras import require

DEADLINE = 30.0


@pytest.fixture
def stream_client(tmp_path: Any) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path, checkpoint_seconds=0.5, allowed_hosts="testserver", admin_token="t"
    )
    with TestClient(create_app(settings), headers={"authorization": "Bearer t"}) as client:
        yield client


def rings_spec(**changes: Any) -> dict[str, Any]:
    spec = {
        "dataset": {"name": "rings", "n_samples": 200},
        "layers": CLASSIFY2D_LAYERS,
        "trainer": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.1, "batch_size": 10},
        "stream": {"grid": 20, "fps": 30, "progress_every": 0.05},
    }
    return {**spec, **changes}


def messages(ws: WebSocketTestSession) -> Iterator[tuple[str, Any]]:
    """(type, body) of each message: JSON objects, or (header, arrays) of a binary frame."""
    while True:
        raw = ws.receive()
        if raw.get("type") == "websocket.close":
            return
        if raw.get("bytes") is not None:
            header, arrays = decode_frame(raw["bytes"])
            yield header["type"], (header, arrays)
        else:
            body = json.loads(raw["text"])
            yield body["type"], body


def first(ws: WebSocketTestSession, wanted: str, where: Any = lambda body: True) -> Any:
    """The next message of type `wanted` that satisfies `where` (fails after DEADLINE seconds)."""
    started = time.monotonic()
    for kind, body in messages(ws):
        if kind == wanted and where(body):
            return body
        assert time.monotonic() - started < DEADLINE, f"no {wanted} message within {DEADLINE} s"
    raise AssertionError(f"socket closed before a {wanted} message")


def create(client: TestClient, spec: dict[str, Any]) -> str:
    response = client.post("/api/jobs", json=spec)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_stream_sends_snapshot_first_then_progress_and_frames(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        snapshot = json.loads(ws.receive_text())
        assert snapshot["type"] == "snapshot"
        assert snapshot["job"]["id"] == job_id
        assert [row["type"] for row in snapshot["layers"]][:3] == ["input", "fc", "tanh"]
        assert snapshot["layers"][1]["num_params"] == 18
        assert len(snapshot["dataset"]["points"]["train"]) == 100
        progress = first(ws, "progress", lambda body: body["step"] > 0)
        assert progress["loss"] is not None and progress["examples_per_second"] > 0
        header, arrays = first(ws, "boundary")
        assert arrays["probs"].shape == (2, 20, 20)
        assert header["extent"] == [-3.0, 3.0, -3.0, 3.0]
        first(ws, "neurons")
        first(ws, "hidden")


def test_late_viewer_gets_the_whole_history_in_its_snapshot(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec(stop={"max_steps": 2000}))
    deadline = time.monotonic() + DEADLINE
    while stream_client.get(f"/api/jobs/{job_id}").json()["status"] != "completed":
        assert time.monotonic() < deadline, "job did not complete"
        time.sleep(0.05)
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        snapshot = json.loads(ws.receive_text())
    assert snapshot["job"]["status"] == "completed"
    assert snapshot["history"], "the snapshot carries the metric history"
    assert snapshot["history"][-1]["step"] == 2000


def test_two_viewers_each_receive_frames(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    url = f"/api/jobs/{job_id}/stream"
    with stream_client.websocket_connect(url) as one, stream_client.websocket_connect(url) as two:
        for ws in (one, two):
            assert json.loads(ws.receive_text())["type"] == "snapshot"
        for ws in (one, two):
            first(ws, "boundary")
            first(ws, "progress")


def test_control_messages_pause_change_rate_and_step(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "pause"}))
        assert first(ws, "status", lambda body: body["status"] == "paused")
        ws.send_text(json.dumps({"type": "set_trainer", "trainer": {"learning_rate": 0.002}}))
        trainer = first(ws, "trainer", lambda body: body["trainer"]["learning_rate"] == 0.002)
        assert trainer["trainer"]["method"] == "sgd"
        step_before = stream_client.get(f"/api/jobs/{job_id}").json()["step"]
        ws.send_text(json.dumps({"type": "step"}))
        stepped = first(ws, "progress", lambda body: body["step"] == step_before + 1)
        assert stepped["loss"] is not None
        ws.send_text(json.dumps({"type": "resume"}))
        assert first(ws, "status", lambda body: body["status"] == "running")
    assert stream_client.get(f"/api/jobs/{job_id}").json()["trainer"]["learning_rate"] == 0.002


def test_bad_control_messages_get_an_error_and_the_socket_stays_open(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        ws.receive_text()
        ws.send_text("not json")
        assert "JSON" in first(ws, "error")["message"]
        ws.send_bytes(b"\x00\x01binary")
        assert first(ws, "error")["message"] == "control messages are JSON text, not binary"
        ws.send_text("[1, 2]")
        assert "type must be one of" in first(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "explode"}))
        assert "type must be one of" in first(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "set_trainer", "trainer": {"learning_rate": -1}}))
        assert "learning_rate" in first(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "set_view", "view": {"hidden_layer": 99}}))
        assert "hidden_layer" in first(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "set_view", "view": {"grid": 256}}))
        assert first(ws, "error")["message"] == "view.grid: must be <= 200 (a server limit), got 256"
        ws.send_text(json.dumps({"type": "set_view", "view": {"hidden_layer": 2, "hidden_neurons": [0, 1]}}))
        view = first(ws, "view")["view"]
        assert view["hidden_layer"] == 2
        header, _ = first(ws, "hidden", lambda body: body[0]["layer"] == 2)
        assert header["neurons"] == [0, 1]


def test_stream_of_unknown_job_sends_an_error_and_closes(stream_client: TestClient) -> None:
    with stream_client.websocket_connect("/api/jobs/nope/stream") as ws:
        error = json.loads(ws.receive_text())
        assert error == {"type": "error", "status": 404, "message": "job 'nope' not found"}
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()
    assert closed.value.code == 4404


def test_deleting_a_job_tells_its_viewers_and_closes_their_sockets(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        ws.receive_text()
        assert stream_client.delete(f"/api/jobs/{job_id}").status_code == 204
        assert first(ws, "status", lambda body: body["status"] == "deleted")


def test_image_jobs_stream_activations_filters_samples_and_confusion(stream_client: TestClient) -> None:
    spec = {
        "dataset": {"name": "xo", "n_samples": 120},
        "layers": [
            {"type": "input", "out_sx": 9, "out_sy": 9, "out_depth": 1},
            {"type": "conv", "sx": 3, "filters": 4, "pad": 1, "activation": "relu"},
            {"type": "pool", "sx": 3, "stride": 3},
            {"type": "softmax", "num_classes": 2},
        ],
        "trainer": {"method": "adadelta", "batch_size": 10},
        "stream": {"image_every": 0.2, "predictions": 4},
    }
    job_id = create(stream_client, spec)
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        snapshot = json.loads(ws.receive_text())
        assert snapshot["dataset"]["kind"] == "image"
        header, arrays = first(ws, "activations")
        assert arrays["layer1"].shape == (4, 9, 9)
        assert first(ws, "filters")[1]["layer1"].shape == (4, 1, 3, 3)
        header, arrays = first(ws, "samples")
        assert len(header["items"]) == 4 and arrays["images"].shape == (4, 9, 9, 3)
        confusion = first(ws, "confusion")
        assert (
            len(confusion["matrix"]) == 2 and confusion["class_names"] == snapshot["dataset"]["class_names"]
        )


def test_the_autoencoder_preset_streams_codes_and_reconstructions_and_predicts_images(
    stream_client: TestClient,
) -> None:
    require("data")  # the preset's MNIST
    preset = next(entry for entry in stream_client.get("/api/presets").json() if entry["id"] == "autoencoder")
    spec = {**preset["spec"], "dataset": {**preset["spec"]["dataset"], "n_samples": 300}}
    job_id = create(stream_client, spec)
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        snapshot = json.loads(ws.receive_text())
        assert snapshot["dataset"]["kind"] == "autoencode" and snapshot["dataset"]["num_classes"] == 0
        header, arrays = first(ws, "codes")
        assert header["count"] == 2 and arrays["codes"].shape == (snapshot["dataset"]["n_test"], 2)
        header, arrays = first(ws, "reconstructions")
        assert arrays["originals"].shape == arrays["reconstructions"].shape == (10, 28, 28, 3)
        progress = first(ws, "progress", lambda body: body["test_loss"] is not None)
        assert progress["loss"] > 0
        assert progress["train_accuracy"] is None and progress["test_accuracy"] is None
    answer = stream_client.post(f"/api/jobs/{job_id}/predict", json={"images": [[[0.5] * 28] * 28]})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["outputs"][0]) == 28 * 28 and answer.json()["predicted"] is None


def test_a_viewer_of_a_paused_job_gets_its_current_boundary(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    deadline = time.monotonic() + DEADLINE
    while stream_client.get(f"/api/jobs/{job_id}").json()["step"] == 0:
        assert time.monotonic() < deadline, "job did not start"
        time.sleep(0.05)
    assert stream_client.post(f"/api/jobs/{job_id}/pause").json()["status"] == "paused"
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        assert json.loads(ws.receive_text())["job"]["status"] == "paused"
        header, arrays = first(ws, "boundary")
        assert arrays["probs"].shape == (2, 20, 20) and header["step"] > 0


def test_the_chosen_view_survives_a_reset(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "set_view", "view": {"hidden_layer": 2, "hidden_neurons": [3, 4]}}))
        first(ws, "view", lambda body: body["view"]["hidden_layer"] == 2)
        assert stream_client.post(f"/api/jobs/{job_id}/reset").status_code == 200
        first(ws, "reset")
        ws.send_text(json.dumps({"type": "resume"}))
        header, _ = first(ws, "hidden", lambda body: body[0]["step"] > 0)
        assert (header["layer"], header["neurons"]) == (2, [3, 4])


def test_a_dataset_without_a_test_split_streams_its_snapshot(stream_client: TestClient) -> None:
    job_id = create(
        stream_client, rings_spec(dataset={"name": "rings", "n_samples": 200, "test_fraction": 0})
    )
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        snapshot = json.loads(ws.receive_text())
    assert len(snapshot["dataset"]["points"]["train"]) == 200 and snapshot["dataset"]["points"]["test"] == []
    preview = stream_client.get("/api/datasets/rings/preview?n_samples=100&test_fraction=0")
    assert preview.status_code == 200 and preview.json()["points"]["test"] == []


def kinds_seen(ws: WebSocketTestSession, frames: int) -> set[str]:
    """The kinds of the next `frames` binary frames."""
    seen: set[str] = set()
    count = 0
    for kind, body in messages(ws):
        if isinstance(body, tuple):
            seen.add(kind)
            count += 1
            if count == frames:
                return seen
    return seen


def test_a_viewer_gets_only_the_frame_kinds_it_shows_and_can_change_them(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream?kinds=boundary") as ws:
        ws.receive_text()
        only_boundary = kinds_seen(ws, 15)
        ws.send_text(json.dumps({"type": "watch", "kinds": ["neurons", "hidden"]}))
        first(ws, "hidden")
        first(ws, "neurons")
        now = kinds_seen(ws, 15)
    assert only_boundary == {"boundary"}
    assert now == {"neurons", "hidden"}


def test_the_worker_draws_only_the_kinds_some_viewer_shows(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    url = f"/api/jobs/{job_id}/stream"
    with (
        stream_client.websocket_connect(f"{url}?kinds=boundary") as boundary_viewer,
        stream_client.websocket_connect(f"{url}?kinds=neurons") as neuron_viewer,
    ):
        boundary_viewer.receive_text()
        neuron_viewer.receive_text()
        first(neuron_viewer, "neurons")
        first(boundary_viewer, "boundary")
        watch = stream_client.app.state.manager.table.viewers
        assert (watch.count(job_id), watch.kinds(job_id)) == (2, ["boundary", "neurons"])


def test_a_bad_watch_message_gets_an_error_and_the_socket_stays_open(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "watch", "kinds": ["boundary", "everything"]}))
        assert "unknown frame kinds ['everything']" in first(ws, "error")["message"]
        ws.send_text(json.dumps({"type": "watch", "kinds": "boundary"}))
        assert "must be a list of frame kinds" in first(ws, "error")["message"]
        first(ws, "boundary")
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream?kinds=nope") as ws:
        error = json.loads(ws.receive_text())
        assert error["status"] == 422 and "unknown frame kinds ['nope']" in error["message"]


def test_a_job_created_paused_stays_at_step_0_and_its_viewer_sees_its_untrained_net(
    stream_client: TestClient,
) -> None:
    response = stream_client.post("/api/jobs?paused=true", json=rings_spec())
    job_id = response.json()["id"]
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        snapshot = json.loads(ws.receive_text())
        header, _ = first(ws, "boundary")
    job = stream_client.get(f"/api/jobs/{job_id}").json()
    assert (response.status_code, response.json()["status"]) == (201, "paused")
    assert snapshot["job"]["pause_reason"] == "user"
    assert header["step"] == 0
    assert (job["status"], job["step"]) == ("paused", 0)


def test_progress_says_at_which_step_and_on_how_many_examples_test_figures_were_measured(
    stream_client: TestClient,
) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream?kinds=") as ws:
        ws.receive_text()
        progress = first(ws, "progress", lambda body: body["test_step"] is not None and body["step"] > 50)
    assert 0 < progress["test_step"] <= progress["step"]
    assert progress["test_examples"] == 100  # the whole test split of this small set
    assert progress["time"] > 0


def test_a_viewer_whose_stream_cannot_start_is_counted_out(
    stream_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A snapshot that fails (here: the job's uploaded data is gone) must not leave the viewer counted:
    a job counted as watched never parks and its frames are drawn for nobody."""
    job_id = create(stream_client, rings_spec())

    def gone(*_: Any) -> Any:
        raise SpecInvalid(("body", "dataset"), "file: no file 'x.npz' in the data dir")

    monkeypatch.setattr("app.api.stream.snapshot", gone)
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        error = json.loads(ws.receive_text())
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_text()

    manager = stream_client.app.state.manager
    deadline = time.monotonic() + DEADLINE
    while manager.table.viewers.count(job_id):  # the last count reaches the manager through a thread
        assert time.monotonic() < deadline, "the viewer is still counted"
        time.sleep(0.02)
    assert (error["status"], closed.value.code) == (409, 4409)
    assert error["message"] == "dataset: file: no file 'x.npz' in the data dir"


def test_deeply_nested_json_gets_an_error_and_the_socket_stays_open(stream_client: TestClient) -> None:
    job_id = create(stream_client, rings_spec())
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream?kinds=") as ws:
        ws.receive_text()
        ws.send_text("[" * 100_000 + "]" * 100_000)
        assert first(ws, "error")["message"] == "control messages must be JSON objects (nested too deeply)"
        ws.send_text('{"type": "pause"}')  # still open, and still listening
        assert first(ws, "status", lambda body: body["status"] == "paused")


def test_the_snapshot_is_built_and_encoded_off_the_event_loop(stream_client: TestClient, monkeypatch) -> None:
    """A class connecting at once must not hold the loop: each snapshot is tens of kilobytes of JSON."""
    encoded_on_loop: list[bool] = []

    def spying_encode(message: dict[str, Any]) -> str:
        if message.get("type") == "snapshot":
            try:
                asyncio.get_running_loop()
                encoded_on_loop.append(True)
            except RuntimeError:
                encoded_on_loop.append(False)
        return encode_message(message)

    monkeypatch.setattr(stream_module, "encode_message", spying_encode)
    job_id = stream_client.post("/api/jobs?paused=true", json=rings_spec()).json()["id"]
    with stream_client.websocket_connect(f"/api/jobs/{job_id}/stream") as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"
    assert encoded_on_loop == [False]
