"""The application as a whole: its pages, static files and OpenAPI description."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

TEST_HOST = "testserver"  # the Host of Starlette's TestClient
STATIC = Path(__file__).resolve().parents[2] / "static"


@pytest.mark.parametrize("path", ["/", "/convnet", "/jobs"])
def test_pages_render_from_the_templates_with_local_scripts_only(tmp_path: Path, path: str) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, allowed_hosts=TEST_HOST))) as client:
        response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert 'aria-current="page"' in response.text
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert sources and all(not source.startswith(("http:", "https:", "//")) for source in sources), sources


@pytest.mark.parametrize(("path", "entry"), [("/", "playground"), ("/convnet", "convnet"), ("/jobs", "jobs")])
def test_a_page_preloads_every_module_its_entry_imports_and_the_answers_it_fetches_first(
    tmp_path: Path, path: str, entry: str
) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, allowed_hosts=TEST_HOST))) as client:
        page = client.get(path).text
        preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
        fetches = re.findall(r'<link rel="preload" href="([^"]+)" as="fetch" crossorigin>', page)
        answers = [client.get(url).status_code for url in fetches]
    imported, pending = set(), [f"{entry}.js"]
    while pending:  # follow the imports as a browser would
        name = pending.pop()
        if name not in imported:
            imported.add(name)
            text = (STATIC / "js" / name).read_text()
            pending.extend(re.findall(r'^import [^;]*?from "\./([\w.-]+)";', text, flags=re.M | re.S))
    assert preloaded == {f"/static/js/{name}" for name in imported}
    assert f'<script type="module" src="/static/js/{entry}.js"></script>' in page
    assert "/api/datasets" in fetches and answers == [200] * len(fetches)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_api_docs_work_offline_from_assets_served_here(tmp_path: Path, path: str) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, allowed_hosts=TEST_HOST))) as client:
        page = client.get(path)
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        answers = [client.get(asset).status_code for asset in assets]

    assert page.status_code == 200
    assert any(asset.endswith(".js") for asset in assets)
    assert all(asset.startswith("/static-offline-docs/") for asset in assets), assets
    assert answers == [200] * len(assets)


def test_static_modules_are_served_as_javascript(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, allowed_hosts=TEST_HOST))) as client:
        response = client.get("/static/js/api.js")
        assert response.status_code == 200 and "javascript" in response.headers["content-type"]
        assert client.get("/static/js/missing.js").status_code == 404


def test_every_route_is_documented_with_a_description_and_a_response(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, allowed_hosts=TEST_HOST))) as client:
        paths = client.get("/openapi.json").json()["paths"]
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) >= 17
    for path, method, operation in operations:
        assert operation.get("description"), f"{method.upper()} {path} has no docstring"
        assert any(code.startswith("2") for code in operation["responses"]), f"{method.upper()} {path}"


def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, max_upload_bytes=1000, allowed_hosts=TEST_HOST)
    with TestClient(create_app(settings)) as client:
        huge = b'{"dataset": {"name": "rings"}, "model": {"pad": "' + b"x" * (2 << 20) + b'"}}'
        response = client.post("/api/jobs", content=huge, headers={"content-type": "application/json"})
        assert response.status_code == 413 and "larger than the limit" in response.json()["detail"]

        def chunks():  # no content-length: the limit is counted while reading
            for _ in range(40):
                yield b"x" * 65536

        response = client.post("/api/jobs", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert client.get("/api/presets").status_code == 200  # the server goes on


def test_a_predict_body_of_a_million_points_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, allowed_hosts=TEST_HOST)
    huge = b'{"points": [' + b"[1.5, 2.5], " * 1_000_000 + b"[0, 0]]}"
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/jobs/anything/predict", content=huge, headers={"content-type": "application/json"}
        )
        many = client.post("/api/jobs/anything/predict", json={"points": [[0.0, 0.0]] * 10_001})

    assert response.status_code == 413
    assert response.json()["detail"] == "request body is larger than the limit of 1,048,576 bytes"
    assert many.status_code == 422 and many.json()["detail"][0]["loc"] == ["body", "points"]
