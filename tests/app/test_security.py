"""No page of another site gets in: a foreign Origin, an unknown Host or a form body changes nothing."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.security import default_hosts, host_name

FOREIGN = {"origin": "http://evil.example"}
SAME = {"origin": "http://testserver"}
CHANGES = [
    ("POST", "/pause", None),
    ("POST", "/resume", None),
    ("POST", "/step", None),
    ("POST", "/stop", None),
    ("POST", "/reset", {}),
    ("PATCH", "", {"trainer": {"learning_rate": 0.02}}),
    ("POST", "/predict", {"points": [[0.0, 0.0]]}),
    ("DELETE", "", None),
]


def job(client: TestClient, spec: dict[str, Any]) -> str:
    response = client.post("/api/jobs?paused=true", json=spec)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize(
    ("method", "suffix", "body"), CHANGES, ids=[f"{m} {s or '/'}" for m, s, _ in CHANGES]
)
def test_a_request_from_another_site_changes_nothing(
    client: TestClient, rings_spec: dict, method: str, suffix: str, body: Any
) -> None:
    job_id = job(client, rings_spec)
    before = client.get(f"/api/jobs/{job_id}").json()

    refused = client.request(method, f"/api/jobs/{job_id}{suffix}", json=body, headers=FOREIGN)
    allowed = client.request(method, f"/api/jobs/{job_id}{suffix}", json=body, headers=SAME)

    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("requests from http://evil.example are refused")
    assert allowed.status_code in (200, 204), allowed.text
    assert before["status"] == "paused"


def test_creating_a_job_or_uploading_from_another_site_is_refused(
    client: TestClient, rings_spec: dict
) -> None:
    created = client.post("/api/jobs", json=rings_spec, headers=FOREIGN)
    uploaded = client.post("/api/datasets", files={"file": ("x.npz", b"junk")}, headers=FOREIGN)

    assert (created.status_code, uploaded.status_code) == (403, 403)
    assert client.get("/api/jobs").json()["total"] == 0


def test_a_form_body_is_refused_even_without_an_origin(client: TestClient, rings_spec: dict) -> None:
    job_id = job(client, rings_spec)
    form = {"content-type": "application/x-www-form-urlencoded"}

    response = client.post(f"/api/jobs/{job_id}/resume", content=b"status=running", headers=form)
    plain = client.post("/api/jobs", content=b'{"x": 1}', headers={"content-type": "text/plain"})

    assert response.status_code == 415
    assert "JSON body" in response.json()["detail"]
    assert plain.status_code == 415
    assert client.get(f"/api/jobs/{job_id}").json()["status"] == "paused"


def test_a_host_this_server_does_not_answer_to_is_refused(client: TestClient) -> None:
    response = client.get("/api/jobs", headers={"host": "rebound.evil.example"})

    assert response.status_code == 400
    assert (
        response.json()["detail"] == "host 'rebound.evil.example' is not served here (NETPLAY_ALLOWED_HOSTS)"
    )
    assert client.get("/api/jobs").status_code == 200


def test_a_socket_from_another_site_or_host_is_refused(client: TestClient, rings_spec: dict) -> None:
    job_id = job(client, rings_spec)
    url = f"/api/jobs/{job_id}/stream"

    for headers in (FOREIGN, {"host": "rebound.evil.example"}):
        with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(url, headers=headers):
            pass
        assert refused.value.code == 4403
    with client.websocket_connect(url, headers=SAME) as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_any_host_is_served_when_the_operator_says_so(make_client: Any) -> None:
    client = make_client(allowed_hosts="*")

    assert client.get("/api/jobs", headers={"host": "anything.example"}).status_code == 200


def test_the_default_hosts_are_the_loopback_names_and_the_bound_address() -> None:
    assert default_hosts("127.0.0.1") == ["127.0.0.1", "::1", "localhost"]
    assert "192.168.1.20" in default_hosts("192.168.1.20")
    every = default_hosts("0.0.0.0")
    assert socket.gethostname().lower() in every and "localhost" in every and "0.0.0.0" not in every


@pytest.mark.parametrize(
    ("netloc", "host"),
    [("Example.org:8000", "example.org"), ("[::1]:8000", "::1"), ("::1", "::1"), ("localhost", "localhost")],
)
def test_host_name_drops_the_port(netloc: str, host: str) -> None:
    assert host_name(netloc) == host
