"""Placement: how long a job waits, from `Executor.place` to its first training step, for its data set.

Runs the local pool in this process (one worker, as `netplay serve` starts it), with the server's side
done first as job creation does it (`check_job_spec` builds the set and keeps it in the server's cache).
For each data set, `--rounds` times on a fresh pool:

- ``cold``: the first job on a fresh worker (nothing loaded there yet);
- ``new set``: then a job on the same kind of set with another split seed (a data set the worker does
  not hold, on a worker that built or received one before);
- ``held``: then a job on that same set (the worker holds it: no ``dataset`` command is sent).

Prints a Markdown table of medians (and the place call alone, the time the server's thread spends in
it). Usage: ``python benchmarks/bench_placement.py [--rounds 5] [--only rings,digits,mnist]``. Timings
are figures to read, never test assertions.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from app.checks import check_job_spec
from app.jobs.manager import make_executor
from app.jobs.persistence import dataset_ref
from app.jobs.runs import stop_conditions
from app.presets import list_presets
from app.settings import Settings
from app.spec import JobSpec

DIGITS_SPEC = {
    "dataset": {"name": "digits"},
    "layers": [
        {"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1},
        {"type": "fc", "num_neurons": 32, "activation": "relu"},
        {"type": "softmax", "num_classes": 10},
    ],
}
CASES = ("cold", "new set", "held")


def workloads() -> dict[str, dict[str, Any]]:
    """The specs measured: ConvNetJS's classify2d on rings, a digits net, ConvNetJS's MNIST."""
    presets = {preset["id"]: preset["spec"] for preset in list_presets()}
    return {"rings": presets["classify2d-rings"], "digits": DIGITS_SPEC, "mnist": presets["mnist"]}


class FirstSteps:
    """The executor's events: when each job first reported a step."""

    def __init__(self) -> None:
        self.stepped: dict[str, float] = {}
        self.failed: dict[str, str] = {}
        self.changed = threading.Condition()

    def message(self, message: tuple[Any, ...]) -> None:
        kind, job = message[0], message[1]
        with self.changed:
            if kind == "progress" and message[3].get("step", 0) >= 1:
                self.stepped.setdefault(job, time.perf_counter())
            elif kind == "done":
                self.failed[job] = str(message[3])
            self.changed.notify_all()

    def worker_lost(self, worker: str, jobs: list[str], reason: str) -> None:
        raise RuntimeError(f"worker {worker} lost: {reason}")

    def wait(self, job: str, timeout: float = 120.0) -> float:
        with self.changed:
            if not self.changed.wait_for(lambda: job in self.stepped or job in self.failed, timeout):
                raise TimeoutError(f"job {job} did not step within {timeout} s")
            if job not in self.stepped:
                raise RuntimeError(f"job {job} ended before its first step: {self.failed[job]}")
            return self.stepped[job]


def place_and_wait(executor: Any, events: FirstSteps, job: str, spec: dict, settings: Settings) -> tuple:
    """(seconds from place to the first step, seconds in the place call) for one job on `spec`."""
    checked = check_job_spec(JobSpec.model_validate(spec), settings)
    command = {
        "op": "place",
        "job": job,
        "run": 1,
        "spec": checked.spec.model_dump(mode="json"),
        "dataset_key": dataset_ref(checked.spec.dataset.model_dump(), settings).key,
        "trainer": None,
        "checkpoint": None,
        "stop": dataclasses.asdict(stop_conditions(checked.spec, settings)),
        "view": {},
        "kinds": [],
        "paused": False,
    }
    ref = dataset_ref(checked.spec.dataset.model_dump(), settings)
    started = time.perf_counter()
    executor.place(job, command, ref)
    placed = time.perf_counter()
    stepped = events.wait(job)
    executor.send(job, {"op": "drop", "job": job})
    executor.release(job)
    return stepped - started, placed - started


def one_round(spec: dict[str, Any], settings: Settings, number: int) -> dict[str, tuple[float, float]]:
    """The three cases on a fresh one-worker pool."""
    events = FirstSteps()
    executor = make_executor(settings)
    executor.start(events)
    time.sleep(1.0)  # a server's pool is warm long before its first job: let the worker finish starting
    other = copy.deepcopy(spec)
    other["dataset"]["seed"] = 1000 + number
    try:
        return {
            "cold": place_and_wait(executor, events, f"cold-{number}", spec, settings),
            "new set": place_and_wait(executor, events, f"new-{number}", other, settings),
            "held": place_and_wait(executor, events, f"held-{number}", other, settings),
        }
    finally:
        executor.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="rings,digits,mnist")
    args = parser.parse_args()
    chosen = {name: spec for name, spec in workloads().items() if name in args.only.split(",")}
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings(data_dir=Path(data_dir), workers=1)
        print("| data set | case | place to first step (median ms) | in the place call (median ms) |")
        print("|---|---|---|---|")
        for name, spec in chosen.items():
            rounds = [one_round(spec, settings, number) for number in range(args.rounds)]
            for case in CASES:
                first = statistics.median(figures[case][0] for figures in rounds) * 1000
                call = statistics.median(figures[case][1] for figures in rounds) * 1000
                print(f"| {name} | {case} | {first:.1f} | {call:.2f} |", flush=True)


if __name__ == "__main__":
    main()
