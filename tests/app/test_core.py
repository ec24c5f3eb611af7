"""The executor core alone, with workers that only record what they are sent: placement (least loaded,
data affinity, node caps), data sets sent once as their spec and forgotten when unused, uploads shipped
only to other machines, and a lost worker's jobs reported. No process runs here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from app.checks import SpecInvalid
from app.jobs.core import KEEP_UNUSED_DATASETS, PoolCore, Worker
from app.jobs.executor import DatasetRef


@dataclass(eq=False, kw_only=True)
class Recorder(Worker):
    """A worker that keeps every command it is sent."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def submit(self, command: dict[str, Any]) -> None:
        self.sent.append(command)

    def ops(self) -> list[str]:
        return [command["op"] for command in self.sent]


class Events:
    def __init__(self) -> None:
        self.messages: list[tuple[Any, ...]] = []
        self.lost: list[tuple[str, list[str], str]] = []

    def message(self, message: tuple[Any, ...]) -> None:
        self.messages.append(message)

    def worker_lost(self, worker: str, jobs: list[str], reason: str) -> None:
        self.lost.append((worker, jobs, reason))


def pool(*nodes: str, ships_files: bool = False, jobs_per_node: int | None = None) -> PoolCore[Recorder]:
    """A core with one worker per name in `nodes` (the node it runs on), called w0, w1..."""
    core: PoolCore[Recorder] = PoolCore(
        where="the test pool", ships_files=ships_files, jobs_per_node=jobs_per_node
    )
    core.events = Events()
    for number, node in enumerate(nodes):
        core.add(Recorder(name=f"w{number}", node=node, pid=None))
    return core


def ref(name: str, reads: list[str] | None = None) -> DatasetRef:
    """A data set called `name`; `reads` records every time its uploads are read to be shipped."""

    def files() -> dict[str, bytes]:
        if reads is not None:
            reads.append(name)
        return {f"{name}.npz": b"bytes"}

    return DatasetRef(name, {"name": "npz", "file": f"{name}.npz"}, files)


def place(core: PoolCore[Recorder], job: str, data: DatasetRef) -> str:
    return core.place(job, {"op": "place", "job": job}, data)


def worker(core: PoolCore[Recorder], name: str) -> Recorder:
    return next(known for known in core.current() if known.name == name)


def test_a_job_goes_to_the_worker_with_fewest_jobs_and_among_those_to_one_holding_its_data() -> None:
    core = pool("box", "box", "box")
    first = [("j1", "a"), ("j2", "a"), ("j3", "b")]
    assert [place(core, job, ref(data)) for job, data in first] == ["w0", "w1", "w2"]

    assert place(core, "j4", ref("b")) == "w2"  # every worker has one job: the one holding b
    core.release("j1")
    assert place(core, "j5", ref("b")) == "w0"  # fewest jobs first, though w2 holds b
    assert worker(core, "w0").ops() == ["dataset", "place", "dataset", "place"]
    assert [w.jobs for w in core.workers()] == [1, 1, 2]


def test_a_worker_gets_each_data_set_once_as_its_spec_and_forgets_the_ones_unused_beyond_the_kept() -> None:
    core = pool("box")
    names = [f"set{number}" for number in range(KEEP_UNUSED_DATASETS + 2)]
    for number, name in enumerate(names):
        place(core, f"job{number}", ref(name))
        place(core, f"again{number}", ref(name))
    recorder = worker(core, "w0")
    assert [c["spec"] for c in recorder.sent if c["op"] == "dataset"] == [ref(n).spec for n in names]
    assert all(c["files"] == {} for c in recorder.sent if c["op"] == "dataset")

    for number in range(len(names)):  # every set unused now, the oldest released first
        core.release(f"job{number}")
        core.release(f"again{number}")

    forgotten = [c["key"] for c in recorder.sent if c["op"] == "forget_dataset"]
    assert forgotten == names[:2]  # the least recently used beyond the kept ones
    assert core.workers()[0].datasets == KEEP_UNUSED_DATASETS
    place(core, "back", ref(names[-1]))  # still held: not sent again
    assert recorder.ops()[-1] == "place" and recorder.ops().count("dataset") == len(names)


def test_uploads_are_read_and_shipped_as_bytes_only_to_workers_on_other_machines() -> None:
    local, remote = pool("box", "box"), pool("n1", "n2", ships_files=True)
    reads: list[str] = []
    for core in (local, remote):
        for job in ("a", "b", "c"):
            place(core, job, ref("up", reads))

    assert reads == ["up", "up"]  # once for each remote worker that lacked the set, never locally
    shipped = [c["files"] for w in remote.current() for c in w.sent if c["op"] == "dataset"]
    assert shipped == [{"up.npz": b"bytes"}, {"up.npz": b"bytes"}]
    assert [c["files"] for w in local.current() for c in w.sent if c["op"] == "dataset"] == [{}, {}]


def test_nodes_below_their_cap_come_first_then_the_node_with_fewest_jobs_per_worker() -> None:
    core = pool("big", "big", "big", "small", jobs_per_node=2)

    placed = [place(core, f"j{number}", ref("a")) for number in range(5)]

    # j3: big holds 2 jobs (at its cap) on 3 workers, small 1 on 1: small, though busier per worker;
    # j4: both at their cap: the node with the fewest jobs per worker
    assert placed == ["w0", "w3", "w1", "w3", "w2"]
    assert core.capacity() == 4  # two nodes of two jobs each
    assert pool("box", "box").capacity() is None  # no cap of its own


def test_a_lost_worker_s_jobs_are_reported_and_its_replacement_takes_new_work() -> None:
    core = pool("box", "box")
    place(core, "a", ref("d"))
    place(core, "b", ref("d"))
    place(core, "c", ref("d"))
    victim = worker(core, "w0")
    replacement = Recorder(name="w0-again", node="box", pid=None)

    core.lose(victim, "killed by SIGKILL", lambda: replacement)
    core.send("a", {"op": "step", "job": "a"})  # held by no worker now: dropped

    assert core.events.lost == [("w0", ["a", "c"], "killed by SIGKILL")]
    assert [w.name for w in core.workers()] == ["w0-again", "w1"]
    assert victim.ops()[-1] == "place"
    assert place(core, "d", ref("d")) == "w0-again"
    assert replacement.ops() == ["dataset", "place"]


def test_a_worker_being_replaced_is_placed_around_and_a_pool_without_workers_refuses_naming_itself() -> None:
    core = pool("box", "box")
    worker(core, "w0").alive = False  # its end was noticed; its replacement is on its way

    assert [place(core, job, ref("d")) for job in ("a", "b")] == ["w1", "w1"]
    for lost in core.current():
        core.lose(lost, "gone")
    with pytest.raises(SpecInvalid, match="the test pool has no worker left"):
        place(core, "c", ref("d"))
    assert core.events.lost == [("w0", [], "gone"), ("w1", ["a", "b"], "gone")]


def test_a_stopping_pool_adds_no_worker_and_reports_no_loss() -> None:
    core = pool("box")
    place(core, "a", ref("d"))

    ended = core.close()
    core.lose(ended[0], "killed at shutdown")

    assert [w.name for w in ended] == ["w0"]
    assert not core.add(Recorder(name="late", node="box", pid=None))
    assert core.workers() == [] and core.events.lost == []
