"""The local worker pool with real worker processes: warm workers, fair time slices, shared data built
by the workers from its spec, least-loaded placement, a killed worker replaced, and a failing job (or
data set) that fails alone."""

from __future__ import annotations

import json
import operator
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import app.jobs.worker_data
from app.checks import load_dataset
from app.jobs import pool_worker
from app.jobs.executor import DatasetRef
from app.jobs.inbox import NumberedInbox
from app.jobs.pool import LocalPool, _Process
from app.jobs.pool_worker import PoolWorker, read_only
from app.jobs.worker_data import DatasetBuilder
from app.spec import JobSpec
from engine.datasets import Dataset
from tests.app.test_api_datasets import npz_bytes

Message = tuple[Any, ...]


class Collector:
    """The pool's events, kept for the test to read."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.lost: list[tuple[str, list[str], str]] = []
        self._lock = threading.Lock()

    def message(self, message: Message) -> None:
        with self._lock:
            self.messages.append(message)

    def worker_lost(self, worker: str, jobs: list[str], reason: str) -> None:
        with self._lock:
            self.lost.append((worker, jobs, reason))

    def of(self, kind: str, job: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self.messages if m[0] == kind and (job is None or m[1] == job)]

    def step(self, job: str) -> int:
        """The job's newest reported step (0 before its first report)."""
        reports = self.of("progress", job)
        return reports[-1][3]["step"] if reports else 0


@pytest.fixture
def collector() -> Collector:
    return Collector()


@pytest.fixture
def uploads(tmp_path: Path) -> Path:
    """The uploads folder the pool's workers read."""
    folder = tmp_path / "uploads"
    folder.mkdir()
    return folder


@pytest.fixture
def start_pool(collector: Collector, uploads: Path) -> Iterator[Callable[[int], LocalPool]]:
    pools: list[LocalPool] = []

    def start(workers: int) -> LocalPool:
        pool = LocalPool(workers, uploads)
        pool.start(collector)
        pools.append(pool)
        return pool

    yield start
    for pool in pools:
        pool.shutdown()


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every command the pool queues for a worker's pipe, in order."""
    commands: list[dict[str, Any]] = []
    submit = _Process.submit

    def record(worker: _Process, command: dict[str, Any]) -> None:
        commands.append(command)
        submit(worker, command)

    monkeypatch.setattr(_Process, "submit", record)
    return commands


def dataset_ref(spec: dict[str, Any]) -> DatasetRef:
    """A reference to the spec's data set."""
    return DatasetRef(json.dumps(spec["dataset"], sort_keys=True), spec["dataset"])


def plain(value: Any) -> bool:
    """Whether `value` is made only of JSON-able values and bytes (app.jobs.protocol)."""
    if isinstance(value, dict):
        return all(isinstance(key, str) and plain(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(plain(item) for item in value)
    return value is None or isinstance(value, str | int | float | bool | bytes)


NPZ_JOB = {
    "layers": [
        {"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1},
        {"type": "fc", "num_neurons": 4, "activation": "relu"},
        {"type": "softmax", "num_classes": 2},
    ],
}


def dataset_command(key: str, spec: dict[str, Any], files: dict[str, bytes] | None = None) -> dict[str, Any]:
    """The ``dataset`` command the server sends for `spec` (app.jobs.protocol)."""
    return {"op": "dataset", "key": key, "spec": spec, "files": files or {}}


def place_command(job: str, spec: dict[str, Any], **changes: Any) -> dict[str, Any]:
    command = {
        "op": "place",
        "job": job,
        "run": 1,
        "spec": JobSpec.model_validate(spec).model_dump(mode="json"),
        "dataset_key": json.dumps(spec["dataset"], sort_keys=True),
        "trainer": None,
        "checkpoint": None,
        "stop": {"limit_steps": 10_000_000},
        "view": {},
        "kinds": [],
        "paused": False,
    }
    return {**command, **changes}


def test_workers_start_warm_and_no_process_starts_for_a_job(
    start_pool: Callable[[int], LocalPool],
    rings_spec: dict,
    collector: Collector,
    wait_for: Callable,
    processes: Any,
) -> None:
    pool = start_pool(2)
    workers = {info.pid for info in pool.workers()}
    fork_server = {processes.parent(pid) for pid in workers}
    for pid in workers:  # NumPy's compiled core is loaded before any job exists
        assert "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()

    ref = dataset_ref(rings_spec)
    for number in range(6):
        pool.place(f"job{number}", place_command(f"job{number}", rings_spec), ref)
    wait_for(
        lambda: all(collector.step(f"job{number}") > 0 for number in range(6)), what="every job training"
    )

    assert {info.pid for info in pool.workers()} == workers
    forked = set().union(*(processes.children(pid) for pid in fork_server))
    assert forked == workers  # nothing forked for the jobs
    assert sorted(info.jobs for info in pool.workers()) == [3, 3]


def test_two_jobs_on_one_worker_share_its_time_fairly(
    start_pool: Callable[[int], LocalPool], rings_spec: dict, collector: Collector, wait_for: Callable
) -> None:
    pool = start_pool(1)
    ref = dataset_ref(rings_spec)
    pool.place("a", place_command("a", rings_spec), ref)
    pool.place("b", place_command("b", rings_spec), ref)

    wait_for(lambda: collector.step("a") + collector.step("b") > 40_000, what="40,000 steps in all")

    steps_a, steps_b = collector.step("a"), collector.step("b")
    assert 0.4 <= steps_a / (steps_a + steps_b) <= 0.6, (steps_a, steps_b)


def test_jobs_on_the_same_data_share_one_copy_per_worker_sent_as_its_spec_never_as_a_built_set(
    start_pool: Callable[[int], LocalPool],
    rings_spec: dict,
    collector: Collector,
    wait_for: Callable,
    sent: list[dict[str, Any]],
) -> None:
    pool = start_pool(2)
    ref = dataset_ref(rings_spec)

    for job in "abcd":
        pool.place(job, place_command(job, rings_spec), ref)
    wait_for(lambda: all(collector.step(job) > 0 for job in "abcd"), what="four jobs training")

    expected = {"op": "dataset", "key": ref.key, "spec": rings_spec["dataset"], "files": {}}
    assert [command for command in sent if command["op"] == "dataset"] == [expected, expected]  # one each
    assert [info.datasets for info in pool.workers()] == [1, 1]
    assert all(plain(command) for command in sent)  # the worker builds the set: no Dataset goes to it
    assert not any(isinstance(value, Dataset) for command in sent for value in command.values())


def test_a_worker_reads_an_uploaded_data_set_from_the_uploads_folder(
    start_pool: Callable[[int], LocalPool],
    uploads: Path,
    collector: Collector,
    wait_for: Callable,
    sent: list[dict[str, Any]],
) -> None:
    (uploads / "halves.npz").write_bytes(npz_bytes())
    pool = start_pool(1)
    spec = {**NPZ_JOB, "dataset": {"name": "npz", "file": "halves.npz"}}

    pool.place("upload", place_command("upload", spec), dataset_ref(spec))

    wait_for(lambda: collector.step("upload") > 0 or collector.of("done"), what="the job training")
    assert not collector.of("done")
    assert sent[0]["files"] == {}  # the worker read the file itself: no bytes went down the pipe


def test_a_data_set_the_worker_cannot_build_fails_the_jobs_on_it_with_the_reason_and_no_other(
    start_pool: Callable[[int], LocalPool], rings_spec: dict, collector: Collector, wait_for: Callable
) -> None:
    pool = start_pool(1)
    missing = {**NPZ_JOB, "dataset": {"name": "npz", "file": "gone.npz"}}
    pool.place("rings", place_command("rings", rings_spec), dataset_ref(rings_spec))
    for job in ("broken", "broken-too"):
        pool.place(job, place_command(job, missing), dataset_ref(missing))

    wait_for(lambda: len(collector.of("done")) == 2, what="both broken jobs' ends")
    before = collector.step("rings")
    wait_for(lambda: collector.step("rings") > before, what="the good job going on")

    for job in ("broken", "broken-too"):
        outcome = collector.of("done", job)[0][3]
        assert outcome["status"] == "failed"
        assert "gone.npz" in outcome["error"]
    assert not collector.lost


def test_a_new_job_goes_to_the_least_loaded_worker(
    start_pool: Callable[[int], LocalPool], rings_spec: dict
) -> None:
    pool = start_pool(2)
    ref = dataset_ref(rings_spec)
    names = [pool.place(job, place_command(job, rings_spec), ref) for job in ("a", "b", "c")]

    pool.release("a")
    again = pool.place("d", place_command("d", rings_spec), ref)

    assert names[0] != names[1] and names[2] == names[0]
    assert again == names[0]
    assert sorted(info.jobs for info in pool.workers()) == [1, 2]


def test_a_killed_worker_is_replaced_and_its_jobs_are_reported_lost(
    start_pool: Callable[[int], LocalPool], rings_spec: dict, collector: Collector, wait_for: Callable
) -> None:
    pool = start_pool(2)
    ref = dataset_ref(rings_spec)
    where = {job: pool.place(job, place_command(job, rings_spec), ref) for job in ("a", "b")}
    wait_for(lambda: collector.step("a") > 0 and collector.step("b") > 0, what="both jobs training")
    victim = next(info for info in pool.workers() if info.name == where["a"])

    os.kill(victim.pid, signal.SIGKILL)
    wait_for(lambda: collector.lost, what="the loss to be reported")

    worker, jobs, reason = collector.lost[0]
    assert (worker, jobs, reason) == (where["a"], ["a"], "killed by SIGKILL, perhaps out of memory")
    slot = where["a"].rsplit("-", 1)[0]  # names are worker-<slot>-<pid>: a replacement is told apart
    replacement = next(info for info in pool.workers() if info.name.startswith(f"{slot}-"))
    assert replacement.pid != victim.pid and replacement.jobs == 0
    assert replacement.name == f"{slot}-{replacement.pid}" != where["a"]
    pool.place("c", place_command("c", rings_spec), ref)  # the replacement takes new work
    wait_for(lambda: collector.step("c") > 0, what="a job on the replacement")
    assert not collector.of("done", "b")  # the other worker's job went on untouched


class Unreadable:
    """A value that pickles but cannot be unpickled (its rebuild divides by zero)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (operator.truediv, (1, 0))


def test_a_command_the_worker_cannot_read_ends_it_and_it_is_replaced_like_a_crash(
    start_pool: Callable[[int], LocalPool], rings_spec: dict, collector: Collector, wait_for: Callable
) -> None:
    pool = start_pool(1)
    name = pool.place("a", place_command("a", rings_spec), dataset_ref(rings_spec))
    wait_for(lambda: collector.step("a") > 0, what="the job training")

    pool.send("a", {"op": "set_view", "job": "a", "changes": Unreadable(), "reply_to": None})

    wait_for(lambda: collector.lost, what="the loss to be reported")
    assert collector.lost[0][:2] == (name, ["a"])  # its receiving thread ended the worker's turns too
    (replacement,) = pool.workers()
    assert replacement.name != name
    pool.place("b", place_command("b", rings_spec), dataset_ref(rings_spec))
    wait_for(lambda: collector.step("b") > 0, what="a job on the replacement")


def test_a_job_that_cannot_start_fails_alone(
    start_pool: Callable[[int], LocalPool], rings_spec: dict, collector: Collector, wait_for: Callable
) -> None:
    pool = start_pool(1)
    ref = dataset_ref(rings_spec)
    broken = place_command("broken", rings_spec, checkpoint={"model": {"format": "not a net"}})
    pool.place("good", place_command("good", rings_spec), ref)
    pool.place("broken", broken, ref)

    wait_for(lambda: collector.of("done", "broken"), what="the broken job's end")
    before = collector.step("good")
    wait_for(lambda: collector.step("good") > before, what="the good job going on")

    outcome = collector.of("done", "broken")[0][3]
    assert outcome["status"] == "failed"
    assert outcome["error"].startswith("the worker failed: ")
    assert not collector.lost


def test_a_shared_data_set_cannot_be_changed_by_one_of_its_jobs(rings_spec: dict) -> None:
    data = read_only(load_dataset(rings_spec["dataset"], Path(".")))

    with pytest.raises(ValueError, match="read-only"):
        data.X_train[0, 0] = 1.0
    assert not data.y_test.flags.writeable and not data.points_train.flags.writeable


def test_a_worker_gives_memory_back_once_it_has_let_jobs_go(
    rings_spec: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    given_back: list[str] = []
    monkeypatch.setattr("app.jobs.pool_worker.give_back_memory", lambda: given_back.append("trim"))
    worker = PoolWorker(send=lambda message: None)
    key = dataset_ref(rings_spec).key
    worker.handle(DatasetBuilder(Path(".")).receive(dataset_command(key, rings_spec["dataset"])))
    worker.handle(place_command("a", rings_spec))

    worker.rest()  # holding a job: nothing to give back
    worker.handle({"op": "drop", "job": "a"})
    worker.rest()
    worker.rest()

    assert given_back == ["trim"]


def test_the_inbox_hands_out_what_came_before_it_closed_then_says_the_sender_is_gone() -> None:
    inbox = NumberedInbox()
    inbox.put(0, {"op": "a"})
    inbox.close()

    assert inbox.poll(0) and inbox.recv()["op"] == "a"
    assert inbox.poll(0)  # a closed inbox never keeps its reader waiting
    with pytest.raises(EOFError):
        inbox.recv()


def test_building_a_data_set_writes_the_uploads_it_carries_reads_them_and_deletes_them(
    tmp_path: Path,
) -> None:
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    builder = DatasetBuilder(uploads)
    command = dataset_command("k", {"name": "npz", "file": "halves.npz"}, {"../halves.npz": npz_bytes()})
    written: list[bool] = []
    read = app.jobs.worker_data.make_dataset_from_spec

    def reading(spec: dict, data_dir: Path) -> Dataset:
        written.append((data_dir / "halves.npz").exists())  # the name's folder part is dropped
        return read(spec, data_dir=data_dir)

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(app.jobs.worker_data, "make_dataset_from_spec", reading)
        built = builder.receive(command)

    assert built["op"] == "dataset" and built["key"] == "k"
    assert isinstance(built["data"], Dataset) and built["data"].X_train.shape[1:] == (1, 8, 8)
    assert written == [True]
    assert list(tmp_path.rglob("*.npz")) == []  # gone once built (a Ray node's disk keeps none)
    gone = builder.receive(dataset_command("g", {"name": "npz", "file": "gone.npz"}))
    assert isinstance(gone["data"], Exception) and "gone.npz" in str(gone["data"])


class TimedTask:
    """A stand-in for a JobTask: each slice takes exactly its length on the worker's clock."""

    def __init__(self, job: str, share: float, clock: list[float]) -> None:
        self.job, self.run_id, self.share, self.clock = job, 1, share, clock
        self.vtime, self.runnable, self.finished, self.worked = 0.0, True, False, 0.0

    def run_slice(self, seconds: float) -> None:
        self.clock[0] += seconds
        self.worked += seconds

    def apply(self, command: dict[str, Any]) -> None:
        self.share = command["share"]  # as a watch command changes a JobTask's share


class Commands:
    """An inbox holding the given commands."""

    def __init__(self, *commands: dict[str, Any]) -> None:
        self.commands = list(commands)

    def poll(self, timeout: float) -> bool:
        return bool(self.commands)

    def recv(self) -> dict[str, Any]:
        return self.commands.pop(0)


def test_the_worker_shares_its_time_in_proportion_to_each_job_s_share(monkeypatch) -> None:
    clock = [0.0]
    monkeypatch.setattr(pool_worker.time, "perf_counter", lambda: clock[0])
    worker = PoolWorker(send=lambda message: None)
    shares = {"fresh": 4.0, "watched": 1.0, "unwatched": 0.25}
    worker.tasks = {job: TimedTask(job, share, clock) for job, share in shares.items()}

    for _ in range(2_000):
        worker.turn(Commands())

    worked = {job: task.worked for job, task in worker.tasks.items()}
    assert worked["fresh"] / worked["watched"] == pytest.approx(4.0, rel=0.05)
    assert worked["watched"] / worked["unwatched"] == pytest.approx(4.0, rel=0.05)


def test_a_job_whose_share_grows_is_not_held_back_by_the_time_it_had_at_its_smaller_share(
    monkeypatch,
) -> None:
    clock = [0.0]
    monkeypatch.setattr(pool_worker.time, "perf_counter", lambda: clock[0])
    worker = PoolWorker(send=lambda message: None)
    early = TimedTask("early", 0.25, clock)  # started before anyone watched it
    worker.tasks = {"early": early}
    for _ in range(200):
        worker.turn(Commands())
    late = worker.tasks["late"] = TimedTask("late", 1.0, clock)
    late.vtime = early.vtime  # joins level, as a placed job does
    for _ in range(200):
        worker.turn(Commands())

    worker.turn(Commands({"op": "watch", "job": "early", "share": 4.0}))  # its viewer arrived
    before = early.worked
    for _ in range(20):
        worker.turn(Commands())
    assert early.worked - before >= 0.6 * 20 * pool_worker.slice_seconds(2)  # its share now, at once
