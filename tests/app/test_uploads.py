"""The uploads folder: a total quota checked while files stream in, a listing, and deletion by the
uploader or the teacher only, never of a file a live job reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import datasets as datasets_api
from app.settings import Settings
from tests.app.test_api_datasets import npz_bytes, upload, uploaded_files
from tests.app.test_owners import bearer


def stored(client: TestClient, name: str = "halves.npz", content: bytes | None = None) -> dict[str, Any]:
    response = upload(client, name, content or npz_bytes())
    assert response.status_code == 201, response.text
    return response.json()


def test_uploads_are_listed_with_their_dataset_spec_and_the_quota(anyone: TestClient) -> None:
    first, second = stored(anyone), stored(anyone, "other.npz")

    listing = anyone.get("/api/datasets/uploads").json()

    assert [item["file"] for item in listing["items"]] == [first["file"], second["file"]]
    assert listing["items"][0]["dataset"] == {"name": "npz", "file": first["file"]}
    assert listing["items"][0]["size"] == first["size"]
    assert listing["used"] == first["size"] + second["size"]
    assert listing["limit"] == anyone.app.state.settings.max_uploads_bytes
    assert "owner_token" not in listing["items"][0]


def test_an_upload_past_the_folder_quota_is_refused_and_nothing_of_it_kept(
    make_client: Callable[..., TestClient],
) -> None:
    content = npz_bytes()
    client = make_client(max_uploads_bytes=int(len(content) * 1.5))
    settings: Settings = client.app.state.settings
    kept = stored(client, content=content)

    refused = upload(client, "more.npz", content)

    assert refused.status_code == 422
    detail = refused.json()["detail"][0]
    assert detail["loc"] == ["body", "file"]
    assert "uploads folder is full" in detail["msg"] and "delete an upload first" in detail["msg"]
    assert uploaded_files(settings) == [kept["file"]]
    deleted = client.delete(f"/api/datasets/uploads/{kept['file']}")
    assert deleted.status_code == 204
    assert stored(client, content=content)["size"] == len(content)  # room again


def test_only_the_uploader_or_the_teacher_deletes_an_upload(
    anyone: TestClient, teacher_token: str, make_settings: Callable[..., Settings]
) -> None:
    settings: Settings = anyone.app.state.settings
    mine, theirs = stored(anyone), stored(anyone, "theirs.npz")

    nobody = anyone.delete(f"/api/datasets/uploads/{mine['file']}")
    stranger = anyone.delete(f"/api/datasets/uploads/{mine['file']}", headers=bearer(theirs["owner_token"]))
    assert (nobody.status_code, stranger.status_code) == (403, 403)
    assert "no token was given" in nobody.json()["detail"]
    assert "not its owner's" in stranger.json()["detail"]
    assert mine["file"] in uploaded_files(settings)

    owner = anyone.delete(f"/api/datasets/uploads/{mine['file']}", headers=bearer(mine["owner_token"]))
    teacher = anyone.delete(f"/api/datasets/uploads/{theirs['file']}", headers=bearer(teacher_token))

    assert (owner.status_code, teacher.status_code) == (204, 204)
    assert uploaded_files(settings) == []
    again = anyone.delete(f"/api/datasets/uploads/{mine['file']}", headers=bearer(mine["owner_token"]))
    assert again.status_code == 404


@pytest.mark.parametrize("name", ["nothing.npz", "%2E%2E", "%2E%2E%2Fnetplay.sqlite3", "a%2Fb.npz"])
def test_deleting_an_unknown_upload_is_a_404_and_never_leaves_the_folder(
    client: TestClient, settings: Settings, name: str
) -> None:
    response = client.delete(f"/api/datasets/uploads/{name}")

    assert response.status_code == 404
    assert settings.database_path.exists()


def test_an_upload_a_live_job_reads_is_kept_until_the_job_finishes(
    client: TestClient, wait_for_job: Callable[..., dict]
) -> None:
    file = stored(client)["file"]
    spec = {
        "dataset": {"name": "npz", "file": file},
        "layers": [
            {"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1},
            {"type": "softmax", "num_classes": 2},
        ],
    }
    job = client.post("/api/jobs?paused=true", json=spec).json()

    refused = client.delete(f"/api/datasets/uploads/{file}")

    assert refused.status_code == 409
    assert job["id"] in refused.json()["detail"]
    assert client.post(f"/api/jobs/{job['id']}/stop").status_code == 200
    wait_for_job(client, job["id"], lambda state: state["status"] == "stopped")
    assert client.delete(f"/api/datasets/uploads/{file}").status_code == 204


def test_an_upload_that_fails_unexpectedly_leaves_no_partial_file(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_failed(*_: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(datasets_api, "_check_upload", disk_failed)
    with pytest.raises(OSError, match="Input/output error"):
        upload(client, "halves.npz", npz_bytes())

    assert uploaded_files(settings) == []


def test_an_upload_to_a_full_disk_is_a_507_and_leaves_no_partial_file(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(datasets_api, "_check_upload", disk_full)
    response = upload(client, "halves.npz", npz_bytes())

    assert response.status_code == 507
    assert "is full; nothing was kept" in response.json()["detail"]
    assert uploaded_files(settings) == []
