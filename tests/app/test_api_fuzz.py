"""Schemathesis against a live server's OpenAPI document: generated requests to every operation (on a
real job of each kind, too) get no server error and no status the document does not list, and the
server logs no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.app.test_live_server import rings_spec, running_server, wait_until

TEACHER = "fuzz-teacher"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES_PER_OPERATION = "30"  # with the coverage and stateful phases: about a thousand requests


@pytest.mark.slow  # 8 s alone
def test_generated_requests_get_documented_answers_and_no_server_error(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    # Generous creation limits: the fuzzer creates many jobs from one address, which is not the point.
    with running_server(tmp_path / "data", log, admin_token=TEACHER, max_jobs_per_minute="100000") as (
        _,
        url,
    ):
        teacher = {"authorization": f"Bearer {TEACHER}"}
        job = httpx.post(f"{url}/api/jobs?paused=true", json=rings_spec(), headers=teacher).json()["id"]
        finished = httpx.post(f"{url}/api/jobs", json=rings_spec(max_steps=5), headers=teacher).json()["id"]
        wait_until(
            lambda: httpx.get(f"{url}/api/jobs/{finished}").json()["status"] == "completed", "a finished job"
        )
        config = tmp_path / "schemathesis.toml"
        # The generated job ids stay random (404s); these operations also get the two real jobs.
        config.write_text(
            f'[parameters]\n"path.job_id" = {{ dictionary = "jobs", probability = 0.7 }}\n\n'
            f'[dictionaries.jobs]\nvalues = ["{job}", "{finished}"]\n'
        )
        run = subprocess.run(
            [
                sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
                f"{url}/openapi.json", "--checks", CHECKS, "--max-examples", EXAMPLES_PER_OPERATION,
                "--generation-deterministic", "--header", f"Authorization: Bearer {TEACHER}",
                "--request-timeout", "30", "--no-color",
            ],
            capture_output=True, text=True, timeout=900,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "Traceback" not in log.read_text(), log.read_text()[-4000:]
