"""A classroom on one server: many simulated students, each training the playground's rings job live.

Starts a real ``netplay serve`` on a free loopback port with a throwaway data dir (one per class size),
then for each class size N (``--students 30,60,100``):

- N students POST the job the playground starts on rings (its ``default_for`` preset, read from
  ``GET /api/presets``: 1,000 points, 2 -> fc 8 tanh -> fc 8 tanh -> softmax 2, adam, the stream at 30
  frames/s, ``pause_when_unwatched``), open its WebSocket asking for the frame kinds the page asks for,
  and read everything, as a page does. The page draws the boundary and the neuron thumbnails of a net
  of fc layers and activations itself from the ``weights`` frames (static/js/netforward.js), so a
  student asks for ``weights`` only; ``--server-drawn`` asks for the server's grids instead
  (``boundary,neurons,weights``), as the page did before;
- per student: seconds from POST to the first frame that draws the boundary (a ``weights`` frame, or a
  ``boundary`` frame with ``--server-drawn``), such frames per second while training, bytes per second
  received (every message, text and binary, after the snapshot), seconds from POST to a progress
  message with test accuracy >= 95%, and the round trip of a ``pause`` sent on the socket until its
  ``paused`` status arrives (then it resumes);
- overall: p50/p95 of those; the latency of ``GET /api/jobs`` (what the jobs page asks, every 0.2 s
  while the class trains); jobs that were queued; CPU used by the server and its workers (cores, over
  the class's training) and by the students themselves (this process); resident memory of the server
  and its workers idle, while training, then after every tab closed and the jobs parked (nobody
  watching).

More figures: ``--fast-start`` (an idle server; median seconds from POST to the first training step
and to ``completed`` for the same job stopping at 95% test accuracy), ``--viewers 50`` (one job's
training speed with that many viewers reading everything, against no viewer) and ``--parked 100``
(memory of that many jobs trained and then parked, against the idle server, and how soon a parked job
takes its first step after ``resume``), ``--page 5`` (seconds from opening the playground in headless
Chromium to its first frame that draws the boundary) and ``--tabs 12`` (that many playground tabs open in
one headless Chromium on the same machine, every one pressing Play at once: seconds from the click to the
page showing 95% test accuracy, and the frames/s each page shows 5 s after it; the browser's drawing
shares the cores with the server, as in a real class trying it on one laptop). The browser figures need
Playwright and Debian's Chromium (the test extra).

``--executor ray`` runs the classroom table on a local 3-node Ray cluster (app.jobs.ray_local), its
memory then counting every node's Ray processes, with a column per node.

Usage: ``python benchmarks/bench_classroom.py [--students 30,60,100] [--seconds 15]
[--fast-start 20] [--viewers 50] [--parked 100] [--page 5] [--tabs 12] [--skip-classroom] [--server-drawn]
[--executor ray]``. Prints Markdown tables. Timings are figures to read, never test assertions; this
process's own students share the machine with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import resource
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pages import page_first_boundary, tabs_to_95
from profiles import print_profiles, record, summarise
from serving import (
    AS_TEACHER,
    Workers,
    cpu_seconds,
    frame_type,
    server,
    tree_cpu_seconds,
    tree_rss,
    workers,
    ws_url,
)
from websockets.asyncio.client import connect

DATASET = "rings"
# What the page asks for: it draws a plane net's boundary and neurons from the weights frames.
PAGE_KINDS = "weights"
SERVER_DRAWN_KINDS = "boundary,neurons,weights"
TARGET = 0.95
LIST_EVERY_SECONDS = 0.2


@dataclass
class Setup:
    """What every student trains and asks to see: the job spec, the frame kinds, and the kind of frame
    that draws the boundary."""

    job: dict[str, Any]
    kinds: str
    drawing: str


def playground_setup(url: str, park_after: float, server_drawn: bool) -> Setup:
    """The playground's start on rings, from the server's own presets."""
    presets = httpx.get(f"{url}/api/presets", timeout=60).json()
    preset = next(preset for preset in presets if preset.get("default_for") == DATASET)
    job = copy.deepcopy(preset["spec"])
    job["name"] = f"playground {DATASET}"
    job["stream"] = {**job.get("stream", {}), "fps": 30}
    job["pause_when_unwatched"] = park_after
    if server_drawn:
        return Setup(job, SERVER_DRAWN_KINDS, "boundary")
    return Setup(job, PAGE_KINDS, "weights")


# ---- one student ----------------------------------------------------------------------------------


@dataclass
class Student:
    """What one simulated student saw."""

    first_frame: float | None = None
    reached_target: float | None = None
    frames: int = 0
    received_bytes: int = 0
    training_seconds: float = 0.0
    pause_round_trip: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.training_seconds if self.training_seconds else 0.0

    @property
    def bytes_per_second(self) -> float:
        return self.received_bytes / self.training_seconds if self.training_seconds else 0.0


async def student(
    http: httpx.AsyncClient,
    url: str,
    setup: Setup,
    seconds: float,
    measured: asyncio.Event,
    closed: asyncio.Event,
) -> Student:
    """POST the job, watch it for `seconds`, pause it and resume it (then set `measured`), and keep
    the tab open until `closed` is set."""
    seen = Student()
    posted = time.monotonic()
    response = await http.post(f"{url}/api/jobs", json=setup.job)
    if response.status_code != 201:
        seen.errors.append(f"POST {response.status_code}: {response.text[:200]}")
        measured.set()
        return seen
    job_id, token = response.json()["id"], response.json()["owner_token"]
    async with connect(ws_url(url, job_id, setup.kinds), max_size=None) as socket:
        json.loads(await socket.recv())  # the snapshot
        await socket.send(json.dumps({"type": "auth", "token": token}))  # as a page does
        training_started = time.monotonic()
        deadline = training_started + seconds
        while (now := time.monotonic()) < deadline:
            try:
                message = await asyncio.wait_for(socket.recv(), timeout=deadline - now)
            except TimeoutError:
                break
            note(seen, message, posted, setup.drawing)
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


def note(seen: Student, message: str | bytes, posted: float, drawing: str) -> None:
    """Count the bytes, a frame that draws the boundary, or the first progress at the target."""
    now = time.monotonic()
    seen.received_bytes += len(message) if isinstance(message, bytes) else len(message.encode())
    if isinstance(message, bytes):
        if frame_type(message) == drawing:
            seen.frames += 1
            if seen.first_frame is None:
                seen.first_frame = now - posted
        return
    body = json.loads(message)
    if body["type"] == "progress" and seen.reached_target is None:
        if (body.get("test_accuracy") or 0) >= TARGET:
            seen.reached_target = now - posted
    elif body["type"] == "error":
        seen.errors.append(body["message"])


async def list_latencies(http: httpx.AsyncClient, url: str, stop: asyncio.Event) -> list[float]:
    """Seconds each ``GET /api/jobs`` took (the jobs page's request), one every 0.2 s until `stop`."""
    latencies = []
    while not stop.is_set():
        started = time.monotonic()
        response = await http.get(f"{url}/api/jobs", params={"limit": 20})
        response.raise_for_status()
        latencies.append(time.monotonic() - started)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=LIST_EVERY_SECONDS)
    return latencies


def memory(pid: int, nodes: list[int]) -> int:
    """Resident bytes of the server's process tree and of every node's (Ray's workers)."""
    return tree_rss(pid) + sum(tree_rss(node) for node in nodes)


def used_cpu(pid: int, nodes: list[int]) -> tuple[float, float]:
    """CPU seconds used so far by the server process itself, and by its workers (its other processes
    and every node's)."""
    server_only = cpu_seconds(pid)
    return server_only, tree_cpu_seconds(pid) - server_only + sum(tree_cpu_seconds(node) for node in nodes)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class LateJoiners:
    """Students who join a class already training: how many, and how many seconds after it started."""

    count: int
    after: float


async def classroom(
    url: str,
    pid: int,
    students: int,
    setup: Setup,
    seconds: float,
    nodes: list[int],
    profile: Path | None,
    late: LateJoiners,
) -> dict[str, Any]:
    """N students at once, then `late` more; returns the figures of one table row (`nodes`: see
    `serving.Workers`), and with `profile` py-spy's samples of the server while they train written
    there."""
    limits = httpx.Limits(max_connections=students + late.count + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=AS_TEACHER) as http:
        await http.get(f"{url}/api/jobs")  # answered once the server has started its workers
        rss_idle = memory(pid, nodes)
        closed, training = asyncio.Event(), asyncio.Event()
        measured = [asyncio.Event() for _ in range(students)]
        cpu_before, own_before, started = used_cpu(pid, nodes), own_cpu_seconds(), time.monotonic()
        prober = asyncio.create_task(list_latencies(http, url, training))
        tasks = [asyncio.create_task(student(http, url, setup, seconds, done, closed)) for done in measured]
        sampler = None if profile is None else asyncio.create_task(record(pid, seconds * 0.8, profile))
        await asyncio.sleep(min(seconds / 2, 5))
        queued = (await http.get(f"{url}/api/jobs", params={"status": "queued"})).json()["total"]
        running = (await http.get(f"{url}/api/jobs", params={"status": "running"})).json()["total"]
        rss_training, rss_nodes = memory(pid, nodes), [tree_rss(node) for node in nodes]
        if late.count:
            await asyncio.sleep(max(0.0, started + late.after - time.monotonic()))
            joined = [asyncio.Event() for _ in range(late.count)]
            tasks += [
                asyncio.create_task(student(http, url, setup, seconds, done, closed)) for done in joined
            ]
            measured += joined
        for done in measured:
            await done.wait()
        elapsed = time.monotonic() - started
        cpu_after = used_cpu(pid, nodes)
        server_cores, worker_cores = (
            (after - before) / elapsed for after, before in zip(cpu_after, cpu_before, strict=True)
        )
        own_cores = (own_cpu_seconds() - own_before) / elapsed
        training.set()
        if sampler is not None:
            await sampler
        latencies = await prober
        closed.set()  # every tab closes
        everyone = await asyncio.gather(*tasks)
        seen, latecomers = everyone[:students], everyone[students:]
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
        "errors": sum(len(one.errors) for one in everyone),
        "first_frame": [one.first_frame for one in seen],
        "frames_per_second": [one.frames_per_second for one in seen],
        "kilobytes_per_second": [one.bytes_per_second / 1000 for one in seen],
        "to_target": [one.reached_target for one in seen],
        "late": late,
        "late_to_target": [one.reached_target for one in latecomers],
        "pause": [one.pause_round_trip for one in seen],
        "list_latency": latencies,
        "server_cores": server_cores,
        "worker_cores": worker_cores,
        "own_cores": own_cores,
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


def late_joiners(row: dict[str, Any]) -> str:
    """The late joiners' time to 95%, and how many joined when."""
    late = row["late"]
    if not late.count:
        return "-"
    return f"{quantiles(row['late_to_target'])} ({late.count} at {late.after:g} s)"


def milliseconds(values: list[float | None]) -> list[float | None]:
    return [None if value is None else 1000 * value for value in values]


def print_classroom(rows: list[dict[str, Any]], setup: Setup) -> None:
    print(f"Students ask for `{setup.kinds}`; a `{setup.drawing}` frame draws the boundary.\n")
    print(
        "| students | running / queued / failed | first frame s p50/p95 | frames/s p50/p5 "
        "| KB/s per student p50/p95 | to 95% s p50/p95 | late joiners to 95% s p50/p95 "
        "| GET /api/jobs ms p50/p95 "
        "| pause round trip ms p50/p95 | cores: server / workers / students "
        "| RSS idle / training / parked (parked after s) | per node while training | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['students']} | {row['running']} / {row['queued']} / {row['failed']} "
            f"| {quantiles(row['first_frame'])} | {low_quantiles(row['frames_per_second'])} "
            f"| {quantiles(row['kilobytes_per_second'])} | {quantiles(row['to_target'])} "
            f"| {late_joiners(row)} "
            f"| {quantiles(milliseconds(row['list_latency']))} | {quantiles(milliseconds(row['pause']))} "
            f"| {row['server_cores']:.2f} / {row['worker_cores']:.2f} / {row['own_cores']:.2f} "
            f"| {row['rss_idle'] / 2**20:.0f} / {row['rss_training'] / 2**20:.0f} / "
            f"{row['rss_parked'] / 2**20:.0f} MiB ({row['parked_after']:.0f}) "
            f"| {' / '.join(f'{rss / 2**20:.0f}' for rss in row['rss_nodes']) or '-'} | {row['errors']} |",
            flush=True,
        )


# ---- fast start and many viewers ------------------------------------------------------------------


async def fast_start(url: str, setup: Setup, repeats: int) -> tuple[list[float], list[float]]:
    """Seconds from POST to the first step and to ``completed``, for the rings job stopping at 95%."""
    spec = {**setup.job, "stop": {"target_test_accuracy": TARGET}, "pause_when_unwatched": None}
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


async def viewers_speed(url: str, setup: Setup, viewers: int, seconds: float) -> tuple[float, float, float]:
    """Examples/s of one job with no viewer and with `viewers` viewers, and frames/s each viewer got."""
    spec = {**setup.job, "pause_when_unwatched": None}
    async with httpx.AsyncClient(timeout=60, headers=AS_TEACHER) as http:
        job_id = (await http.post(f"{url}/api/jobs", json=spec)).json()["id"]
        await asyncio.sleep(1.0)
        alone = await examples_per_second(http, url, job_id, seconds)
        counts = [0] * viewers
        stop = asyncio.Event()

        async def viewer(index: int) -> None:
            async with connect(ws_url(url, job_id, setup.kinds), max_size=None) as socket:
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


async def parked_jobs(url: str, pid: int, setup: Setup, count: int) -> dict[str, Any]:
    """Memory before, while `count` jobs train, and once they are all parked; then seconds from
    ``resume`` to the first new step of 20 of them."""
    spec = {**setup.job, "pause_when_unwatched": None}
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


async def examples_per_second(http: httpx.AsyncClient, url: str, job_id: str, seconds: float) -> float:
    first = (await http.get(f"{url}/api/jobs/{job_id}")).json()["examples_seen"]
    started = time.monotonic()
    await asyncio.sleep(seconds)
    last = (await http.get(f"{url}/api/jobs/{job_id}")).json()["examples_seen"]
    return (last - first) / (time.monotonic() - started)


# ---- main -----------------------------------------------------------------------------------------


def report_classroom(sizes: str, seconds: float, where: Workers, options: argparse.Namespace) -> None:
    rows, profiles, setup = [], {}, None
    for students in (int(size) for size in sizes.split(",")):
        with server(**where.environment) as (url, pid), tempfile.TemporaryDirectory() as scratch:
            setup = playground_setup(url, options.park_after, options.server_drawn)
            samples = Path(scratch) / "samples.txt" if options.profile else None
            late = LateJoiners(options.late, options.late_after)
            row = classroom(url, pid, students, setup, seconds, where.node_pids, samples, late)
            rows.append(asyncio.run(row))
            if samples is not None:
                profiles[students] = summarise(samples)
    print_classroom(rows, setup)
    for students, profile in profiles.items():
        print_profiles(profile, students)


def report_fast_start(repeats: int, options: argparse.Namespace) -> None:
    with server() as (url, _):
        setup = playground_setup(url, options.park_after, options.server_drawn)
        first_steps, completions = asyncio.run(fast_start(url, setup, repeats))
    print(
        f"\nFast start ({repeats} runs, idle server): POST -> first step median "
        f"{1000 * statistics.median(first_steps):.1f} ms; POST -> completed (95% test accuracy) "
        f"median {statistics.median(completions):.3f} s (min {min(completions):.3f}, "
        f"max {max(completions):.3f})"
    )


def report_parked(count: int, options: argparse.Namespace) -> None:
    with server() as (url, pid):
        setup = playground_setup(url, options.park_after, options.server_drawn)
        figures = asyncio.run(parked_jobs(url, pid, setup, count))
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
        f"\nThe playground's first frame that draws the boundary ({loads} loads, idle server): median "
        f"{statistics.median(seconds):.3f} s after navigation (min {min(seconds):.3f}, "
        f"max {max(seconds):.3f})"
    )


def report_tabs(tabs: int) -> None:
    with server() as (url, _):
        httpx.get(f"{url}/api/jobs", timeout=60)  # answered once the server has started its workers
        reached, frames = asyncio.run(tabs_to_95(url, tabs))
    print(
        f"\n{tabs} playground tabs in one headless Chromium, Play clicked on all at once: the page showed "
        f"95% test accuracy {quantiles(reached)} s (p50 / p95) after the click (max {max(reached):.2f}); "
        f"frames/s shown 5 s after it: {low_quantiles(frames)} (p50 / p5)"
    )


def report_viewers(viewers: int, seconds: float, options: argparse.Namespace) -> None:
    with server() as (url, _):
        setup = playground_setup(url, options.park_after, options.server_drawn)
        alone, watched, frames = asyncio.run(viewers_speed(url, setup, viewers, seconds))
    print(
        f"\n{viewers} viewers of one job: {watched:,.0f} examples/s against {alone:,.0f} with no "
        f"viewer ({watched / alone:.2f}x); each viewer received {frames:.1f} frames/s"
    )


def stop_on_sigterm() -> None:
    """Make SIGTERM end the script as an exception does: its servers and clusters are shut down on
    the way out (a test that ends the script early sends it)."""
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))


def main() -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", default="30,60,100", help="class sizes, comma-separated")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long each student watches")
    parser.add_argument("--park-after", type=float, default=3.0, help="pause_when_unwatched in this run")
    parser.add_argument(
        "--fast-start", type=int, default=20, help="repeats of the fast-start figure (0: skip)"
    )
    parser.add_argument("--viewers", type=int, default=50, help="viewers of one job (0: skip)")
    parser.add_argument("--parked", type=int, default=100, help="jobs trained then parked (0: skip)")
    parser.add_argument("--page", type=int, default=0, help="playground loads in Chromium (0: skip)")
    parser.add_argument(
        "--tabs", type=int, default=0, help="playground tabs in one Chromium pressing Play at once (0: skip)"
    )
    parser.add_argument("--skip-classroom", action="store_true")
    parser.add_argument(
        "--server-drawn",
        action="store_true",
        help="students ask for the server's boundary and neuron grids instead of drawing from weights",
    )
    parser.add_argument("--late", type=int, default=5, help="students who join a class already training")
    parser.add_argument(
        "--late-after", type=float, default=12.0, help="seconds after the class started that they join"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the server and its workers with py-spy while each class trains, and print where "
        "the time went (needs py-spy: pip install py-spy)",
    )
    parser.add_argument(
        "--executor",
        choices=["local", "ray"],
        default="local",
        help="the classroom's workers: ray on a "
        "local 3-node cluster (1 CPU each; RSS then adds every node's Ray processes)",
    )
    args = parser.parse_args()
    if not args.skip_classroom:
        with workers(args.executor) as where:
            report_classroom(args.students, args.seconds, where, args)
    if args.fast_start:
        report_fast_start(args.fast_start, args)
    if args.parked:
        report_parked(args.parked, args)
    if args.page:
        report_page(args.page)
    if args.tabs:
        report_tabs(args.tabs)
    if args.viewers:
        report_viewers(args.viewers, args.seconds / 3, args)


if __name__ == "__main__":
    main()
