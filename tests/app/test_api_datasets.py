"""The datasets REST API: the catalogue, previews, and uploads that become a job's data."""

from __future__ import annotations

import base64
import gzip
import io
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.api import datasets as datasets_api
from app.settings import Settings
from engine.datasets import encode_idx
from tests.app.conftest import ON_BOTH_EXECUTORS

Job = dict[str, Any]


def npz_bytes(n: int = 120, side: int = 8) -> bytes:
    """An .npz of `n` uint8 side x side images, two classes (bright top half or bright bottom half)."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 60, size=(n, side, side), dtype=np.uint8)
    y = np.arange(n) % 2
    X[y == 0, : side // 2] += 180
    X[y == 1, side // 2 :] += 180
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y)
    return buffer.getvalue()


def upload(client: TestClient, name: str, content: bytes) -> Any:
    return client.post("/api/datasets", files={"file": (name, content, "application/octet-stream")})


def uploaded_files(settings: Settings) -> list[str]:
    folder = settings.uploads_dir
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_list_datasets_gives_the_catalogue_with_parameters(client: TestClient) -> None:
    response = client.get("/api/datasets")

    assert response.status_code == 200
    catalogue = {entry["name"]: entry for entry in response.json()}
    assert {"rings", "circle", "spiral", "sine", "xo", "digits", "mnist", "npz", "idx", "image_zip"} <= set(
        catalogue
    )
    assert (catalogue["rings"]["kind"], catalogue["xo"]["kind"]) == ("classify2d", "image")
    n_samples = next(param for param in catalogue["rings"]["params"] if param["name"] == "n_samples")
    assert (n_samples["type"], n_samples["default"], n_samples["min"]) == ("int", 500, 10)


def test_preview_of_rings_gives_its_points(client: TestClient) -> None:
    response = client.get("/api/datasets/rings/preview", params={"n_samples": 100, "noise": 0.1})

    assert response.status_code == 200
    preview = response.json()
    assert (preview["name"], preview["kind"], preview["num_classes"]) == ("rings", "classify2d", 2)
    assert preview["input_shape"] == [1, 1, 2]
    assert preview["sizes"] == {"train": 50, "val": 0, "test": 50}
    assert preview["extent"] == [-3.0, 3.0, -3.0, 3.0]
    train = np.array(preview["points"]["train"])
    assert train.shape == (50, 3)
    assert set(train[:, 2]) == {0.0, 1.0}
    assert np.abs(train[:, :2]).max() <= 3.5
    assert len(preview["points"]["test"]) == 50
    assert preview["images"] is None


def test_preview_parses_json_query_values(client: TestClient) -> None:
    features = json.dumps(["x1", "x2", "x1x2"])

    response = client.get("/api/datasets/circle/preview", params={"n_samples": 40, "features": features})

    assert response.status_code == 200
    assert response.json()["input_shape"] == [1, 1, 3]


def test_preview_takes_the_dataset_name_from_the_path_only(client: TestClient) -> None:
    response = client.get("/api/datasets/rings/preview", params={"name": "xo", "n_samples": 20})

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["kind"]) == ("rings", "classify2d")


def test_preview_of_xo_gives_sample_images(client: TestClient) -> None:
    response = client.get("/api/datasets/xo/preview", params={"n_samples": 40})

    assert response.status_code == 200
    preview = response.json()
    assert (preview["kind"], preview["input_shape"], preview["points"]) == ("image", [9, 9, 1], None)
    images = preview["images"]
    assert len(images) == 16
    assert {image["label"] for image in images} == {0, 1}
    assert images[0]["shape"] == [9, 9, 3]
    assert len(base64.b64decode(images[0]["pixels"])) == 9 * 9 * 3


@pytest.mark.parametrize(
    ("name", "params", "loc", "fragment"),
    [
        ("rings", {"n_samples": 5}, ["query", "n_samples"], "must be between 10 and 5000, got 5"),
        ("rings", {"nois": 0.1}, ["query", "nois"], "unknown parameter"),
        ("ringz", {}, ["path", "name"], "unknown dataset 'ringz'"),
    ],
    ids=["out-of-range", "unknown-param", "unknown-dataset"],
)
def test_preview_rejects_bad_parameters(
    client: TestClient, name: str, params: dict, loc: list, fragment: str
) -> None:
    response = client.get(f"/api/datasets/{name}/preview", params=params)

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == loc
    assert fragment in detail["msg"]


@ON_BOTH_EXECUTORS  # on Ray the file travels to the worker as bytes
def test_uploaded_npz_becomes_a_dataset_a_job_trains_on(
    client: TestClient, settings: Settings, wait_for_job: Callable[..., Job]
) -> None:
    content = npz_bytes()

    response = upload(client, "halves.npz", content)

    assert response.status_code == 201
    stored = response.json()
    assert stored["file"].endswith("-halves.npz")
    assert stored["size"] == len(content)
    assert stored["dataset"] == {"name": "npz", "file": stored["file"]}
    assert (settings.uploads_dir / stored["file"]).read_bytes() == content
    spec = {
        "dataset": stored["dataset"],
        "layers": [
            {"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1},
            {"type": "fc", "num_neurons": 4, "activation": "relu"},
            {"type": "softmax", "num_classes": 2},
        ],
        "stop": {"max_steps": 5},
    }
    created = client.post("/api/jobs", json=spec)
    assert created.status_code == 201, created.text
    job = wait_for_job(client, created.json()["id"], lambda job: job["status"] != "running")
    assert (job["status"], job["dataset"], job["step"]) == ("completed", "npz", 5), job["error"]


def test_upload_over_the_size_limit_is_rejected_and_not_kept(make_client: Callable[..., TestClient]) -> None:
    client = make_client(max_upload_bytes=1000)
    settings: Settings = client.app.state.settings

    response = upload(client, "big.npz", npz_bytes())

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
    assert response.json()["detail"][0]["msg"] == "larger than the limit of 1,000 bytes"
    assert uploaded_files(settings) == []


def test_upload_of_a_garbage_npz_is_rejected_and_not_kept(client: TestClient, settings: Settings) -> None:
    response = upload(client, "junk.npz", b"this is not a zip of arrays")

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    assert "not an .npz file" in detail["msg"]
    assert uploaded_files(settings) == []


def test_upload_of_an_npz_without_labels_is_rejected_and_not_kept(
    client: TestClient, settings: Settings
) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.zeros((20, 4, 4)))

    response = upload(client, "unlabelled.npz", buffer.getvalue())

    assert response.status_code == 422
    assert "has no array 'y'" in response.json()["detail"][0]["msg"]
    assert uploaded_files(settings) == []


def test_upload_with_an_unsupported_extension_is_rejected(client: TestClient, settings: Settings) -> None:
    response = upload(client, "notes.txt", b"1,2,3")

    assert response.status_code == 422
    assert response.json()["detail"][0] == {
        "loc": ["body", "file"],
        "msg": "must be a .npz, a .zip of class folders, an IDX file (*-ubyte[.gz]), or a .png/.jpg picture",
        "type": "value_error",
    }
    assert uploaded_files(settings) == []


def test_upload_keeps_only_the_base_name_inside_the_uploads_dir(
    client: TestClient, settings: Settings
) -> None:
    response = upload(client, "../../outside/evil name.npz", npz_bytes())

    assert response.status_code == 201
    name = response.json()["file"]
    assert name.endswith("-evil_name.npz")
    assert "/" not in name
    assert uploaded_files(settings) == [name]
    assert not (Path(settings.data_dir).parent / "outside").exists()


def test_upload_of_an_idx_file_names_its_role_in_the_dataset_spec(client: TestClient) -> None:
    labels = upload(client, "t10k-labels-idx1-ubyte", encode_idx(np.array([0, 1, 1, 0], np.uint8)))
    images = upload(
        client, "t10k-images-idx3-ubyte.gz", gzip.compress(encode_idx(np.zeros((4, 8, 8), np.uint8)))
    )

    assert (labels.status_code, images.status_code) == (201, 201)
    assert labels.json()["dataset"] == {"name": "idx", "labels": labels.json()["file"]}
    assert images.json()["dataset"] == {"name": "idx", "images": images.json()["file"]}


IDX_IMAGES_HEADER = b"\x00\x00\x08\x03"


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("t10k-labels-idx1-ubyte", b"", "0 bytes is too short for an IDX header"),
        (
            "train-images-idx3-ubyte",
            IDX_IMAGES_HEADER + (10**9).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2,
            "1000000000x28x28 is 784,000,000,000 values",
        ),
        (
            "train-images-idx3-ubyte.gz",
            gzip.compress(IDX_IMAGES_HEADER + bytes(60_000_000), compresslevel=1),
            "gzip data expands past the limit",
        ),
        ("t10k-labels-idx1-ubyte", encode_idx(np.zeros(5, np.uint8)), "hold only one class"),
    ],
    ids=["empty", "header-claims-a-billion-images", "gzip-bomb", "one-class"],
)
def test_an_idx_upload_is_checked_when_it_arrives_and_not_kept_when_bad(
    client: TestClient, settings: Settings, name: str, content: bytes, fragment: str
) -> None:
    response = upload(client, name, content)

    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    assert fragment in detail["msg"]
    assert uploaded_files(settings) == []


def test_other_requests_are_answered_while_an_upload_is_checked(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checking an upload (decompressing, parsing) must not hold the event loop: while one is checked,
    a plain request is answered."""
    checking, release = threading.Event(), threading.Event()
    real_load = datasets_api.load_dataset

    def slow_load(*args: Any) -> Any:
        checking.set()
        release.wait(30)
        return real_load(*args)

    monkeypatch.setattr(datasets_api, "load_dataset", slow_load)
    uploading = threading.Thread(target=upload, args=(client, "halves.npz", npz_bytes()))
    uploading.start()
    assert checking.wait(30), "the upload was never checked"
    answered: list[int] = []
    asking = threading.Thread(target=lambda: answered.append(client.get("/api/jobs").status_code))
    asking.start()
    asking.join(timeout=10)
    while_checking = list(answered)
    release.set()
    uploading.join(timeout=30)
    asking.join(timeout=30)

    assert while_checking == [200]


def test_upload_without_a_file_is_rejected(client: TestClient) -> None:
    response = client.post("/api/datasets", data={"name": "nothing"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
