"""A classroom on one server: many simulated students, each training the playground's rings job live.

Starts a real ``netplay serve`` on a free loopback port with a throwaway data dir (one per class size),
then for each class size N (``--students 10,30,60``):

- N students POST the job the playground builds for rings (2,000 points, 2 -> fc 16 tanh -> fc 16 tanh
  -> softmax 2, sgd lr 0.01 momentum 0.9 batch 10, ``pause_when_unwatched``), open its WebSocket with
  the kinds the page shows (boundary and neurons) and read everything, as a page does;
- per student: seconds from POST to the first boundary frame, boundary frames/s received while
  training, seconds from POST to a progress message with test accuracy >= 95%, and the round trip of a
  ``pause`` sent on the socket until its ``paused`` status arrives (then it resumes);
- overall: p50/p95 of those, jobs that were queued, resident memory of the server and its workers
  while training, then after every tab closed and the jobs parked (nobody watching).

More figures: ``--fast-start`` (an idle server; median seconds from POST to the first training step
and to ``completed`` for the same job stopping at 95% test accuracy), ``--viewers 50`` (one job's
training speed with that many viewers reading everything, against no viewer) and ``--parked 100``
(memory of that many jobs trained and then parked, against the idle server, and how soon a parked job
takes its first step after ``resume``), and ``--page 5`` (seconds from opening the playground in headless
Chromium to its first boundary frame; needs Playwright and Debian's Chromium, the test extra).

``--executor ray`` runs the classroom table on a local 3-node Ray cluster (app.jobs.ray_local), its
memory then counting every node's Ray processes, with a column per node.

Usage: ``python benchmarks/bench_classroom.py [--students 10,30,60] [--seconds 15]
[--fast-start 20] [--viewers 50] [--parked 100] [--page 5] [--skip-classroom] [--executor ray]``.
Prints Markdown tables. Timings are figures to read, never test assertions; this process's own
students share the machine with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from serving import AS_TEACHER, Workers, frame_type, server, tree_rss, workers, ws_url
from websockets.asyncio.client import connect

RINGS_JOB: dict[str, Any] = {
    "name": "playground rings",
    "dataset": {"name": "rings", "n_samples": 2000, "features": ["x1", "x2"], "test_fraction": 0.5},
    "layers": [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 16, "activation": "tanh"},
        {"type": "fc", "num_neurons": 16, "activation": "tanh"},
        {"type": "softmax", "num_classes": 2},
    ],
    "trainer": {"method": "sgd", "learning_rate": 0.01, "momentum": 0.9, "batch_size": 10},
    "stream": {"grid": 100, "fps": 30},
    "pause_when_unwatched": 30,
}
PAGE_KINDS = "boundary,neurons"
CHROMIUM = os.environ.get("NETPLAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TARGET = 0.95


# ---- one student ----------------------------------------------------------------------------------


@dataclass
class Student:
    """What one simulated student saw."""

    first_boundary: float | None = None
    reached_target: float | None = None
    frames: int = 0
    training_seconds: float = 0.0
    pause_round_trip: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.training_seconds if self.training_seconds else 0.0


async def student(
    http: httpx.AsyncClient, url: str, seconds: float, measured: asyncio.Event, closed: asyncio.Event
) -> Student:
    """POST the job, watch it for `seconds`, pause it and resume it (then set `measured`), and keep
    the tab open until `closed` is set."""
    seen = Student()
    posted = time.monotonic()
    response = await http.post(f"{url}/api/jobs", json=RINGS_JOB)
    if response.status_code != 201:
        seen.errors.append(f"POST {response.status_code}: {response.text[:200]}")
        measured.set()
        return seen
    job_id, token = response.json()["id"], response.json()["owner_token"]
    async with connect(ws_url(url, job_id, PAGE_KINDS), max_size=None) as socket:
        json.loads(await socket.recv())  # the snapshot
        await socket.send(json.dumps({"type": "auth", "token": token}))  # as a page does
        training_started = time.monotonic()
        deadline = training_started + seconds
        while (now := time.monotonic()) < deadline:
            try:
                message = await asyncio.wait_for(socket.recv(), timeout=deadline - now)
            except TimeoutError:
                break
            note(seen, message, posted)
        seen.training_seconds = time.monotonic() - training_started
        sent = time.monotonic()
        await socket.send(json.dumps({"type": "pause"}))
        while seen.pause_round_trip is None:
            message = await asyncio.wait_for(socket.recv(), timeout=30)
            if isinstance(message, str) and (body := json.loads(message))["type"] == "status":
                if body["status"] == "paused":
                    seen.pause_round_trip = time.monotonic() - sent
            elif isinstance(message, str) and body.get("type") == "error":
                seen.errors.append(body["message"])
                break  # the pause was refused: no answer is coming
        await socket.send(json.dumps({"type": "resume"}))
        measured.set()
        while not closed.is_set():  # the tab stays open, reading, until the whole class is done
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(socket.recv(), timeout=0.5)
    return seen


def note(seen: Student, message: str | bytes, posted: float) -> None:
    """Count a boundary frame, or notice the first progress at the target accuracy."""
    now = time.monotonic()
    if isinstance(message, bytes):
        if frame_type(message) == "boundary":
            seen.frames += 1
            if seen.first_boundary is None:
                seen.first_boundary = now - posted
        return
    body = json.loads(message)
    if body["type"] == "progress" and seen.reached_target is None:
        if (body.get("test_accuracy") or 0) >= TARGET:
            seen.reached_target = now - posted
    elif body["type"] == "error":
        seen.errors.append(body["message"])


def memory(pid: int, nodes: list[int]) -> int:
    """Resident bytes of the server's process tree and of every node's (Ray's workers)."""
    return tree_rss(pid) + sum(tree_rss(node) for node in nodes)


async def classroom(url: str, pid: int, students: int, seconds: float, nodes: list[int]) -> dict[str, Any]:
    """N students at once; returns the figures of one table row (`nodes`: see `serving.Workers`)."""
    limits = httpx.Limits(max_connections=students + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=AS_TEACHER) as http:
        await http.get(f"{url}/api/jobs")  # answered once the server has started its workers
        rss_idle = memory(pid, nodes)
        closed = asyncio.Event()
        measured = [asyncio.Event() for _ in range(students)]
        tasks = [asyncio.create_task(student(http, url, seconds, done, closed)) for done in measured]
        await asyncio.sleep(min(seconds / 2, 5))
        queued = (await http.get(f"{url}/api/jobs", params={"status": "queued"})).json()["total"]
        running = (await http.get(f"{url}/api/jobs", params={"status": "running"})).json()["total"]
        rss_training, rss_nodes = memory(pid, nodes), [tree_rss(node) for node in nodes]
        for done in measured:
            await done.wait()
        closed.set()  # every tab closes
        seen = await asyncio.gather(*tasks)
        started = time.monotonic()
        while (await http.get(f"{url}/api/jobs", params={"status": "running"})).json()["total"]:
            await asyncio.sleep(0.5)  # nobody watches: each job parks after pause_when_unwatched
        parked_after = time.monotonic() - started
        rss_parked = memory(pid, nodes)
        failed = (await http.get(f"{url}/api/jobs", params={"status": "failed"})).json()["total"]
    return {
        "students": students,
        "running": running,
        "queued": queued,
        "failed": failed,
        "errors": sum(len(one.errors) for one in seen),
        "first_boundary": [one.first_boundary for one in seen],
        "frames_per_second": [one.frames_per_second for one in seen],
        "to_target": [one.reached_target for one in seen],
        "pause": [one.pause_round_trip for one in seen],
        "rss_idle": rss_idle,
        "rss_training": rss_training,
        "rss_parked": rss_parked,
        "rss_nodes": rss_nodes,
        "parked_after": parked_after,
    }


def quantiles(values: list[float | None]) -> str:
    """``p50 / p95`` of the measured values (missing ones counted as never: shown as how many)."""
    measured = sorted(value for value in values if value is not None)
    missing = len(values) - len(measured)
    if not measured:
        return "none"
    p50 = statistics.median(measured)
    p95 = measured[min(len(measured) - 1, round(0.95 * (len(measured) - 1)))]
    text = f"{p50:.3g} / {p95:.3g}"
    return text + (f" ({missing} never)" if missing else "")


def low_quantiles(values: list[float]) -> str:
    """``p50 / p5`` (for rates, where the low end matters) and the minimum."""
    ordered = sorted(values)
    p5 = ordered[round(0.05 * (len(ordered) - 1))]
    return f"{statistics.median(ordered):.1f} / {p5:.1f} (min {ordered[0]:.1f})"


def print_classroom(rows: list[dict[str, Any]]) -> None:
    print(
        "| students | running / queued / failed | first boundary s p50/p95 | boundary frames/s p50/p5 "
        "| to 95% s p50/p95 | pause round trip ms p50/p95 | RSS idle / training / parked (parked after s) "
        "| per node while training | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        pause_ms = [None if value is None else 1000 * value for value in row["pause"]]
        print(
            f"| {row['students']} | {row['running']} / {row['queued']} / {row['failed']} "
            f"| {quantiles(row['first_boundary'])} | {low_quantiles(row['frames_per_second'])} "
            f"| {quantiles(row['to_target'])} | {quantiles(pause_ms)} "
            f"| {row['rss_idle'] / 2**20:.0f} / {row['rss_training'] / 2**20:.0f} / "
            f"{row['rss_parked'] / 2**20:.0f} MiB ({row['parked_after']:.0f}) "
            f"| {' / '.join(f'{rss / 2**20:.0f}' for rss in row['rss_nodes']) or '-'} | {row['errors']} |",
            flush=True,
        )


# ---- fast start and many viewers ------------------------------------------------------------------


async def fast_start(url: str, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from POST to the first step and to ``completed``, for the rings job stopping at 95%."""
    spec = {**RINGS_JOB, "stop": {"target_test_accuracy": TARGET}, "pause_when_unwatched": None}
    first_steps, completions = [], []
    async with httpx.AsyncClient(timeout=60, headers=AS_TEACHER) as http:
        for _ in range(repeats):
            posted = time.time()
            job = (await http.post(f"{url}/api/jobs", json=spec)).json()
            while (job := (await http.get(f"{url}/api/jobs/{job['id']}")).json())["status"] != "completed":
                await asyncio.sleep(0.002)
            completions.append(time.time() - posted)
            points = (await http.get(f"{url}/api/jobs/{job['id']}/metrics")).json()["points"]
            first = next(point for point in points if point["step"] >= 1)
            first_steps.append(first["time"] - posted)
    return first_steps, completions


async def viewers_speed(url: str, viewers: int, seconds: float) -> tuple[float, float, float]:
    """Examples/s of one job with no viewer and with `viewers` viewers, and frames/s each viewer got."""
    spec = {**RINGS_JOB, "pause_when_unwatched": None}
    async with httpx.AsyncClient(timeout=60, headers=AS_TEACHER) as http:
        job_id = (await http.post(f"{url}/api/jobs", json=spec)).json()["id"]
        await asyncio.sleep(1.0)
        alone = await examples_per_second(http, url, job_id, seconds)
        counts = [0] * viewers
        stop = asyncio.Event()

        async def viewer(index: int) -> None:
            async with connect(ws_url(url, job_id, PAGE_KINDS), max_size=None) as socket:
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        if isinstance(await asyncio.wait_for(socket.recv(), timeout=0.5), bytes):
                            counts[index] += 1

        tasks = [asyncio.create_task(viewer(index)) for index in range(viewers)]
        await asyncio.sleep(1.0)
        before = list(counts)
        watched = await examples_per_second(http, url, job_id, seconds)
        frames = (sum(counts) - sum(before)) / viewers / seconds
        stop.set()
        await asyncio.gather(*tasks)
        await http.post(f"{url}/api/jobs/{job_id}/stop")
    return alone, watched, frames


async def parked_jobs(url: str, pid: int, count: int) -> dict[str, Any]:
    """Memory before, while `count` jobs train, and once they are all parked; then seconds from
    ``resume`` to the first new step of 20 of them."""
    spec = {**RINGS_JOB, "pause_when_unwatched": None}
    async with httpx.AsyncClient(timeout=60, headers=AS_TEACHER) as http:
        await http.get(f"{url}/api/jobs")
        idle = tree_rss(pid)
        ids = [(await http.post(f"{url}/api/jobs", json=spec)).json()["id"] for _ in range(count)]
        await asyncio.sleep(2.0)
        training = tree_rss(pid)
        steps = [(await http.post(f"{url}/api/jobs/{job_id}/pause")).json()["step"] for job_id in ids]
        parked = tree_rss(pid)
        resumes = []
        for job_id, step in list(zip(ids, steps, strict=True))[:20]:
            posted = time.time()
            await http.post(f"{url}/api/jobs/{job_id}/resume")
            while (await http.get(f"{url}/api/jobs/{job_id}")).json()["step"] <= step:
                await asyncio.sleep(0.002)
            points = (await http.get(f"{url}/api/jobs/{job_id}/metrics")).json()["points"]
            resumes.append(next(point["time"] for point in points if point["step"] > step) - posted)
            await http.post(f"{url}/api/jobs/{job_id}/pause")
    return {"idle": idle, "training": training, "parked": parked, "resumes": resumes}


def page_first_boundary(url: str, loads: int) -> list[float]:
    """Seconds from navigating to the playground to the first boundary frame on its socket."""
    from playwright.sync_api import sync_playwright

    seconds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1280, "height": 720})
            page = context.new_page()
            seen: list[float] = []

            def on_socket(socket: Any, seen: list[float] = seen) -> None:
                def on_frame(payload: Any) -> None:
                    if isinstance(payload, bytes) and not seen and frame_type(payload) == "boundary":
                        seen.append(time.monotonic())

                socket.on("framereceived", on_frame)

            page.on("websocket", on_socket)
            started = time.monotonic()
            page.goto(f"{url}/")
            page.wait_for_function("() => true")  # let the page's events reach this process
            deadline = started + 30
            while not seen and time.monotonic() < deadline:
                page.wait_for_timeout(5)
            seconds.append(seen[0] - started)
            context.close()
        browser.close()
    return seconds


async def examples_per_second(http: httpx.AsyncClient, url: str, job_id: str, seconds: float) -> float:
    first = (await http.get(f"{url}/api/jobs/{job_id}")).json()["examples_seen"]
    started = time.monotonic()
    await asyncio.sleep(seconds)
    last = (await http.get(f"{url}/api/jobs/{job_id}")).json()["examples_seen"]
    return (last - first) / (time.monotonic() - started)


# ---- main -----------------------------------------------------------------------------------------


def report_classroom(sizes: str, seconds: float, where: Workers) -> None:
    rows = []
    for students in (int(size) for size in sizes.split(",")):
        with server(**where.environment) as (url, pid):
            rows.append(asyncio.run(classroom(url, pid, students, seconds, where.node_pids)))
    print_classroom(rows)


def report_fast_start(repeats: int) -> None:
    with server() as (url, _):
        first_steps, completions = asyncio.run(fast_start(url, repeats))
    print(
        f"\nFast start ({repeats} runs, idle server): POST -> first step median "
        f"{1000 * statistics.median(first_steps):.1f} ms; POST -> completed (95% test accuracy) "
        f"median {statistics.median(completions):.3f} s (min {min(completions):.3f}, "
        f"max {max(completions):.3f})"
    )


def report_parked(count: int) -> None:
    with server() as (url, pid):
        figures = asyncio.run(parked_jobs(url, pid, count))
    mib = {key: figures[key] / 2**20 for key in ("idle", "training", "parked")}
    added = mib["parked"] - mib["idle"]
    print(
        f"\n{count} jobs: memory {mib['idle']:.0f} MiB idle, {mib['training']:.0f} MiB while they "
        f"train, {mib['parked']:.0f} MiB once all parked (+{added:.0f} MiB); resume -> first new step "
        f"median {1000 * statistics.median(figures['resumes']):.1f} ms "
        f"(max {1000 * max(figures['resumes']):.1f} ms, {len(figures['resumes'])} resumes)"
    )


def report_page(loads: int) -> None:
    with server() as (url, _):
        httpx.get(f"{url}/api/jobs", timeout=60)  # answered once the server has started its workers
        seconds = page_first_boundary(url, loads)
    print(
        f"\nThe playground's first boundary ({loads} loads, idle server): median "
        f"{statistics.median(seconds):.3f} s after navigation (min {min(seconds):.3f}, "
        f"max {max(seconds):.3f})"
    )


def report_viewers(viewers: int, seconds: float) -> None:
    with server() as (url, _):
        alone, watched, frames = asyncio.run(viewers_speed(url, viewers, seconds))
    print(
        f"\n{viewers} viewers of one job: {watched:,.0f} examples/s against {alone:,.0f} with no "
        f"viewer ({watched / alone:.2f}x); each viewer received {frames:.1f} frames/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="10,30,60", help="class sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each student watches")
    parser.add_argument("--park-after", type=float, default=3.0, help="pause_when_unwatched in this run")
    parser.add_argument(
        "--fast-start", type=int, default=20, help="repeats of the fast-start figure (0: skip)"
    )
    parser.add_argument("--viewers", type=int, default=50, help="viewers of one job (0: skip)")
    parser.add_argument("--parked", type=int, default=100, help="jobs trained then parked (0: skip)")
    parser.add_argument("--page", type=int, default=0, help="playground loads in Chromium (0: skip)")
    parser.add_argument("--skip-classroom", action="store_true")
    parser.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="the classroom's workers: ray on a "
        "local 3-node cluster (1 CPU each; RSS then adds every node's Ray processes)",
    )
    args = parser.parse_args()
    RINGS_JOB["pause_when_unwatched"] = args.park_after
    if not args.skip_classroom:
        with workers(args.executor) as where:
            report_classroom(args.students, args.seconds, where)
    if args.fast_start:
        report_fast_start(args.fast_start)
    if args.parked:
        report_parked(args.parked)
    if args.page:
        report_page(args.page)
    if args.viewers:
        report_viewers(args.viewers, args.seconds / 3)


if __name__ == "__main__":
    main()
