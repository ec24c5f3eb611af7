"""Owners control their jobs, the teacher every job, nobody else any; watching needs nothing. And one
client cannot take the class's capacity."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.checks import check_job_spec
from app.owners import bearer_token
from app.spec import JobSpec

CHANGES = [
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("POST", "/step", None),
    ("POST", "/reset", {}),
    ("PATCH", "", {"trainer": {"learning_rate": 0.02}}),
    ("POST", "/stop", None),
    ("DELETE", "", None),
]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def created(client: TestClient, spec: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = client.post("/api/jobs?paused=true", json=spec, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize(
    ("method", "suffix", "body"), CHANGES, ids=[f"{m} {s or '/'}" for m, s, _ in CHANGES]
)
def test_only_the_owner_or_the_teacher_changes_a_job(
    anyone: TestClient, rings_spec: dict, teacher_token: str, method: str, suffix: str, body: Any
) -> None:
    job = created(anyone, rings_spec)
    other = created(anyone, rings_spec)
    url = f"/api/jobs/{job['id']}{suffix}"

    nobody = anyone.request(method, url, json=body)
    stranger = anyone.request(method, url, json=body, headers=bearer(other["owner_token"]))
    owner = anyone.request(method, url, json=body, headers=bearer(job["owner_token"]))
    teacher = anyone.request(
        method, f"/api/jobs/{other['id']}{suffix}", json=body, headers=bearer(teacher_token)
    )

    assert (nobody.status_code, stranger.status_code) == (403, 403)
    assert nobody.json()["detail"] == (
        f"job '{job['id']}' can only be changed by whoever created it, or the teacher: no token was given "
        "(send Authorization: Bearer <owner token>)"
    )
    assert "this token is not its owner's" in stranger.json()["detail"]
    assert owner.status_code in (200, 204), owner.text
    assert teacher.status_code in (200, 204), teacher.text


def test_watching_listing_predicting_and_downloading_need_no_token(
    anyone: TestClient, rings_spec: dict
) -> None:
    job = created(anyone, rings_spec)
    job_id = job["id"]

    answers = [
        anyone.get(f"/api/jobs/{job_id}"),
        anyone.get("/api/jobs"),
        anyone.get(f"/api/jobs/{job_id}/metrics"),
        anyone.get(f"/api/jobs/{job_id}/model"),
        anyone.post(f"/api/jobs/{job_id}/predict", json={"points": [[0.0, 0.0]]}),
    ]

    assert [answer.status_code for answer in answers] == [200] * 5
    assert "owner_token" not in answers[0].json()  # shown once, when the job is created
    assert len(job["owner_token"]) >= 32
    with anyone.websocket_connect(f"/api/jobs/{job_id}/stream?kinds=") as ws:
        assert json.loads(ws.receive_text())["type"] == "snapshot"


def test_a_viewer_changes_a_job_through_its_socket_only_with_the_owner_token(
    anyone: TestClient, rings_spec: dict
) -> None:
    job = created(anyone, rings_spec)
    with anyone.websocket_connect(f"/api/jobs/{job['id']}/stream?kinds=") as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "resume"}))
        refused = next_of(ws, "error")
        ws.send_text(json.dumps({"type": "auth", "token": "guess"}))
        guessed = next_of(ws, "auth")
        ws.send_text(json.dumps({"type": "auth", "token": job["owner_token"]}))
        owned = next_of(ws, "auth")
        ws.send_text(json.dumps({"type": "resume"}))
        running = next_of(ws, "status")

    assert refused["message"].startswith(f"job '{job['id']}' can only be changed by whoever created it")
    assert (guessed["may_change"], owned["may_change"]) == (False, True)
    assert running["status"] in ("queued", "running")


def test_a_script_may_give_its_token_with_the_socket_handshake(anyone: TestClient, rings_spec: dict) -> None:
    job = created(anyone, rings_spec)
    with anyone.websocket_connect(
        f"/api/jobs/{job['id']}/stream?kinds=", headers=bearer(job["owner_token"])
    ) as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "resume"}))
        assert next_of(ws, "status")["status"] in ("queued", "running")


def until(ws: Any, kind: str) -> list[dict[str, Any]]:
    """The JSON messages up to and including the next one of type `kind` (frames skipped)."""
    messages = []
    while not messages or messages[-1]["type"] != kind:
        raw = ws.receive()
        if raw.get("text") is not None:
            messages.append(json.loads(raw["text"]))
    return messages


def next_of(ws: Any, kind: str) -> dict[str, Any]:
    """The next JSON message of type `kind` (frames and other messages skipped)."""
    while True:
        raw = ws.receive()
        if raw.get("text") is not None and (body := json.loads(raw["text"]))["type"] == kind:
            return body


def test_one_page_cannot_keep_more_jobs_training_than_its_share(
    make_client: Callable[..., TestClient], rings_spec: dict
) -> None:
    client = make_client(max_live_jobs_per_client=2)
    page = {"x-netplay-client": "page-1"}
    first = client.post("/api/jobs", json=rings_spec, headers=page)
    second = client.post("/api/jobs", json=rings_spec, headers=page)
    third = client.post("/api/jobs", json=rings_spec, headers=page)
    paused = client.post("/api/jobs?paused=true", json=rings_spec, headers=page)  # paused jobs are free
    other_page = client.post("/api/jobs", json=rings_spec, headers={"x-netplay-client": "page-2"})
    client.post(f"/api/jobs/{first.json()['id']}/pause")
    again = client.post("/api/jobs", json=rings_spec, headers=page)

    assert [r.status_code for r in (first, second, third, paused, other_page, again)] == [
        201,
        201,
        429,
        201,
        201,
        201,
    ]
    assert third.json()["detail"].startswith("at most 2 jobs may train at once from this page")


def test_one_client_cannot_create_jobs_without_end(
    make_client: Callable[..., TestClient], rings_spec: dict
) -> None:
    client = make_client(max_jobs_per_minute=3, clients_per_address=2)
    page = {"x-netplay-client": "page-1"}

    answers = [
        client.post("/api/jobs?paused=true", json=rings_spec, headers=page).status_code for _ in range(4)
    ]
    rotating = [
        client.post(
            "/api/jobs?paused=true", json=rings_spec, headers={"x-netplay-client": f"id-{n}"}
        ).status_code
        for n in range(4)
    ]
    refused = client.post("/api/jobs?paused=true", json=rings_spec, headers=page)

    assert answers == [201, 201, 201, 429]
    assert rotating == [201, 201, 201, 429]  # new ids gain nothing past the address's share (3 x 2)
    assert refused.json()["detail"].startswith("at most 3 new jobs a minute from this page")


def test_resuming_counts_against_the_share_of_the_page_that_made_the_job(
    make_client: Callable[..., TestClient], rings_spec: dict
) -> None:
    client = make_client(max_live_jobs_per_client=1)
    page = {"x-netplay-client": "page-1"}
    training = client.post("/api/jobs", json=rings_spec, headers=page).json()
    waiting = client.post("/api/jobs?paused=true", json=rings_spec, headers=page).json()

    owner = bearer(waiting["owner_token"])  # the teacher is held to no share (below)
    refused = client.post(f"/api/jobs/{waiting['id']}/resume", headers=owner)
    client.post(f"/api/jobs/{training['id']}/pause")
    allowed = client.post(f"/api/jobs/{waiting['id']}/resume", headers=owner)

    assert refused.status_code == 429
    assert allowed.status_code == 200 and allowed.json()["status"] in ("queued", "running")


def test_resuming_over_the_socket_counts_against_the_same_share(
    make_client: Callable[..., TestClient], rings_spec: dict, teacher_token: str
) -> None:
    client = make_client(max_live_jobs_per_client=1)
    page = {"x-netplay-client": "page-1"}
    client.post("/api/jobs", json=rings_spec, headers=page)
    waiting = client.post("/api/jobs?paused=true", json=rings_spec, headers=page).json()

    with client.websocket_connect(f"/api/jobs/{waiting['id']}/stream?kinds=") as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "auth", "token": waiting["owner_token"]}))
        until(ws, "auth")
        ws.send_text(json.dumps({"type": "resume"}))
        # answered in order: whatever the resume brought comes before this auth message's answer
        ws.send_text(json.dumps({"type": "auth", "token": teacher_token}))
        answers = until(ws, "auth")

    errors = [answer["message"] for answer in answers if answer["type"] == "error"]
    assert errors and errors[0].startswith("at most 1 jobs may train at once from this page")
    assert client.get(f"/api/jobs/{waiting['id']}").json()["status"] == "paused"


def test_a_job_stored_before_owners_existed_is_anyone_s(anyone: TestClient, rings_spec: dict) -> None:
    manager = anyone.app.state.manager
    settings = anyone.app.state.settings
    legacy = manager.create(check_job_spec(JobSpec.model_validate(rings_spec), settings), paused=True)

    assert legacy.owner_hash is None
    assert anyone.post(f"/api/jobs/{legacy.id}/step").status_code == 200


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Basic abc", None), ("Bearer", None)],
)
def test_bearer_token_reads_only_bearer_headers(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_a_token_of_any_text_is_refused_not_an_error(anyone: TestClient, rings_spec: dict) -> None:
    """compare_digest takes ASCII text only: a token with other characters must still compare."""
    job = created(anyone, rings_spec)
    with anyone.websocket_connect(f"/api/jobs/{job['id']}/stream?kinds=") as ws:
        ws.receive_text()
        ws.send_text('{"type": "auth", "token": "\\u00e9\\ud800"}')
        answer = next_of(ws, "auth")

    assert answer["may_change"] is False
    assert anyone.get(
        "/api/access", headers={"authorization": "Bearer \xe9t\xe9".encode("latin-1")}
    ).json() == {"teacher": False}


def test_a_page_learns_whether_its_token_is_the_teacher_s(anyone: TestClient, teacher_token: str) -> None:
    def teacher(headers: dict[str, str]) -> bool:
        response = anyone.get("/api/access", headers=headers)
        assert response.status_code == 200
        return response.json()["teacher"]

    assert teacher(bearer(teacher_token)) is True
    assert teacher(bearer("guess")) is False
    assert teacher({}) is False


def test_the_teacher_resumes_a_student_s_job_past_the_student_s_share(
    make_client: Callable[..., TestClient], rings_spec: dict, teacher_token: str
) -> None:
    client = make_client(max_live_jobs_per_client=1)
    page = {"x-netplay-client": "page-1"}
    client.post("/api/jobs", json=rings_spec, headers=page)  # the student's one share is in use
    waiting = client.post("/api/jobs?paused=true", json=rings_spec, headers=page).json()
    as_teacher = {"authorization": f"Bearer {teacher_token}"}
    as_student = {"authorization": f"Bearer {waiting['owner_token']}"}

    refused = client.post(f"/api/jobs/{waiting['id']}/resume", headers=as_student)
    resumed = client.post(f"/api/jobs/{waiting['id']}/resume", headers=as_teacher)
    other = client.post("/api/jobs?paused=true", json=rings_spec, headers=page).json()
    with client.websocket_connect(f"/api/jobs/{other['id']}/stream?kinds=", headers=as_teacher) as ws:
        ws.receive_text()
        ws.send_text(json.dumps({"type": "resume"}))
        ws.send_text(json.dumps({"type": "auth", "token": teacher_token}))
        answers = until(ws, "auth")

    assert refused.status_code == 429
    assert resumed.status_code == 200 and resumed.json()["status"] in ("queued", "running")
    assert not [answer for answer in answers if answer["type"] == "error"]
    assert client.get(f"/api/jobs/{other['id']}").json()["status"] in ("queued", "running")
