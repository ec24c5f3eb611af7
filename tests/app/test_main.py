"""The application as a whole: its home route and its OpenAPI description."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_home_opens_the_api_docs_until_the_pages_land(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        response = client.get("/", follow_redirects=False)
        assert response.status_code == 307 and response.headers["location"] == "/docs"
        assert client.get("/docs").status_code == 200


def test_every_route_is_documented_with_a_description_and_a_response(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        paths = client.get("/openapi.json").json()["paths"]
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) >= 17
    for path, method, operation in operations:
        assert operation.get("description"), f"{method.upper()} {path} has no docstring"
        assert any(code.startswith("2") for code in operation["responses"]), f"{method.upper()} {path}"
