"""Server throughput: training examples/s of a job with no viewer and with one, and frames/s delivered.

Starts a real ``netplay serve`` on a free loopback port with a throwaway data dir, then for each
workload measures, over ``--seconds`` each:

- the engine alone in this process (`TrainingRun.train_for`, the reference),
- the job's examples/s as the server reports it with no viewer attached,
- the same with one WebSocket viewer that reads everything, and the frames/s that viewer received
  (decision-boundary frames for 2D jobs, activation frames for image jobs).

Usage: ``python benchmarks/bench_server.py [--seconds 5] [--only classify2d,mnist]``. Prints a Markdown
table. Timings are figures to read, never test assertions.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import httpx
from serving import AS_TEACHER, server
from websockets.sync.client import connect

from app.checks import check_job_spec
from app.frames import decode_frame
from app.jobs.runs import start_run
from app.presets import list_presets
from app.settings import Settings
from app.spec import JobSpec

WORKLOADS = {"classify2d": "classify2d-rings", "mnist": "mnist"}


def engine_alone(spec: dict[str, Any], seconds: float) -> float:
    """Examples/s of the same spec trained in this process without a server."""
    job_spec = JobSpec.model_validate(spec)
    session = start_run(job_spec, check_job_spec(job_spec, Settings()).dataset)
    session.train_for(0.5)
    session.take_progress()
    started_examples, started = session.examples_seen, time.perf_counter()
    session.train_for(seconds)
    return (session.examples_seen - started_examples) / (time.perf_counter() - started)


def served(url: str, spec: dict[str, Any], seconds: float) -> dict[str, float]:
    """Examples/s without and with a viewer, and frames/s delivered to that viewer."""
    job_id = httpx.post(f"{url}/api/jobs", json=spec, timeout=60).json()["id"]
    time.sleep(2.0)  # the worker process starts and warms up
    alone = _examples_per_second(url, job_id, seconds)
    frames = 0
    with connect(url.replace("http", "ws") + f"/api/jobs/{job_id}/stream", max_size=None) as viewer:
        viewer.recv(timeout=30)
        started = time.monotonic()
        first = httpx.get(f"{url}/api/jobs/{job_id}").json()["examples_seen"]
        while time.monotonic() - started < seconds:
            message = viewer.recv(timeout=10)
            if isinstance(message, bytes) and decode_frame(message)[0]["type"] in ("boundary", "activations"):
                frames += 1
        elapsed = time.monotonic() - started
        watched = (httpx.get(f"{url}/api/jobs/{job_id}").json()["examples_seen"] - first) / elapsed
    httpx.post(f"{url}/api/jobs/{job_id}/stop", headers=AS_TEACHER)
    return {"alone": alone, "watched": watched, "frames_per_second": frames / elapsed}


def _examples_per_second(url: str, job_id: str, seconds: float) -> float:
    first = httpx.get(f"{url}/api/jobs/{job_id}").json()["examples_seen"]
    started = time.monotonic()
    time.sleep(seconds)
    last = httpx.get(f"{url}/api/jobs/{job_id}").json()["examples_seen"]
    return (last - first) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    args = parser.parse_args()
    presets = {preset["id"]: preset["spec"] for preset in list_presets()}
    with server() as (url, _):
        print("| workload | engine alone ex/s | served, no viewer | served, 1 viewer | main frames/s |")
        print("|---|---|---|---|---|")
        for name in args.only.split(","):
            spec = presets[WORKLOADS[name]]
            reference = engine_alone(spec, args.seconds)
            figures = served(url, spec, args.seconds)
            alone, watched = figures["alone"], figures["watched"]
            print(
                f"| {name} | {reference:,.0f} | {alone:,.0f} ({alone / reference:.2f}x) "
                f"| {watched:,.0f} ({watched / reference:.2f}x) | {figures['frames_per_second']:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
