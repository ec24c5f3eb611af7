"""The Ray executor: one worker actor per CPU of every node of a Ray cluster (app.jobs.ray_worker).

The server is the cluster's driver (it runs on the head node: a lost head takes the cluster with it).
A watcher thread looks at the cluster's nodes every `NODE_POLL_SECONDS` and starts an actor for each
CPU slot that has none, pinned to its node: nodes that join add workers, and a worker that died on a
live node is replaced. Each actor trains many jobs in time slices exactly as a local pool worker does.

Commands go to an actor as numbered calls (the actor puts them back in order); everything an actor
says comes back through one streaming generator per actor, read by one server thread that hands each
message to the events in order. When the stream breaks (the actor or its node died) the jobs it held
are reported with `worker_lost`, and the job table places them again, from the server's own
checkpoints, on the workers left. Ray's own actor restarts are off: they would rerun the constructor
and lose every job's state.

Placement: among the live actors, those on nodes holding fewer than `jobs_per_node` jobs first, then
the node with the fewest jobs per worker, then the actor with the fewest jobs, then one that already
holds the data set. Data sets are built by the actors from their spec; uploaded files travel with the
``dataset`` command as bytes.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from app.checks import SpecInvalid
from app.jobs.executor import DatasetRef, ExecutorEvents, WorkerInfo
from app.jobs.pool import hold_dataset, release_dataset
from app.jobs.protocol import Command
from app.jobs.ray_worker import PoolActor

CONNECT_SECONDS = 10.0
NODE_POLL_SECONDS = 1.0
ACTOR_READY_SECONDS = 60.0
log = logging.getLogger("netplay.ray")


class ClusterUnreachable(Exception):
    """The Ray cluster named by the settings cannot be joined; the message names its address."""


def connect(address: str, timeout: float = CONNECT_SECONDS) -> bool:
    """Join the Ray cluster at `address` (``host:port`` or ``auto``) within `timeout` seconds; True
    when this call joined it, False when this process already had. Raises ClusterUnreachable."""
    if ray.is_initialized():
        return False
    if address.startswith("ray://"):
        raise ClusterUnreachable(
            f"cannot use the Ray cluster at {address}: run netplay on a node of the cluster and give "
            "the head's host:6379 (or auto); Ray Client (ray://) is not supported"
        )
    if address != "auto":
        _probe(address, timeout)
    outcome: dict[str, BaseException] = {}

    def join() -> None:
        try:
            ray.init(address=address, log_to_driver=False, logging_level=logging.ERROR)
        except BaseException as error:  # told to the caller, on its own thread
            outcome["error"] = error

    joining = threading.Thread(target=join, name="netplay-ray-connect", daemon=True)
    joining.start()
    joining.join(timeout)
    if joining.is_alive():
        raise ClusterUnreachable(f"the Ray cluster at {address} did not answer within {timeout:g} s")
    if "error" in outcome:
        detail = str(outcome["error"]).strip().splitlines()[0] if str(outcome["error"]).strip() else ""
        raise ClusterUnreachable(f"cannot join the Ray cluster at {address}: {detail}")
    return True


def _probe(address: str, timeout: float) -> None:
    """Raise ClusterUnreachable unless something listens at `address` (``host:port``)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterUnreachable(f"cannot use the Ray cluster at {address}: give host:port or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise ClusterUnreachable(f"cannot reach the Ray cluster at {address}: {reason}") from None


@dataclass(eq=False)
class _Actor:
    """One worker actor, the server's view of what it holds, and the numbers of its commands."""

    name: str
    node_id: str
    node: str
    pid: int
    handle: Any
    seq: Iterator[int] = field(default_factory=itertools.count)
    jobs: dict[str, str] = field(default_factory=dict)  # job -> its data set's key
    datasets: OrderedDict[str, int] = field(default_factory=OrderedDict)  # key -> jobs using it

    def submit(self, command: Command) -> None:
        """Send `command` after every earlier one (the caller holds the pool's lock)."""
        self.handle.submit.remote(next(self.seq), command)


class RayPool:
    """Worker actors on a Ray cluster (see the module docstring); implements app.jobs.executor.Executor."""

    def __init__(self, address: str, jobs_per_node: int) -> None:
        self.address, self.jobs_per_node = address, jobs_per_node
        self._actors: list[_Actor] = []
        self._where: dict[str, _Actor] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._joined = False
        self._events: ExecutorEvents | None = None
        self._watcher = threading.Thread(target=self._watch, name="netplay-ray-nodes", daemon=True)

    def start(self, events: ExecutorEvents) -> None:
        """Join the cluster and start a worker on every CPU slot of its nodes."""
        self._events = events
        self._joined = connect(self.address)
        self._grow()
        if not self._actors:
            raise ClusterUnreachable(f"no node of the Ray cluster at {self.address} has a CPU for a worker")
        self._watcher.start()

    def _watch(self) -> None:
        while not self._stopping.wait(NODE_POLL_SECONDS):
            try:
                self._grow()
            except Exception:  # the next look may go better; the workers already there go on
                log.exception("looking at the Ray cluster's nodes failed")

    def _grow(self) -> None:
        """Start an actor on every CPU slot of a live node that has none, and wait until they are up."""
        with self._lock:
            held = Counter(actor.node_id for actor in self._actors)
        starting = []
        for node in ray.nodes():
            slots = int(node["Resources"].get("CPU", 0)) if node["Alive"] else 0
            for _ in range(slots - held[node["NodeID"]]):
                pinned = NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)
                starting.append(PoolActor.options(num_cpus=1, scheduling_strategy=pinned).remote())
        if not starting:
            return
        answers = [handle.ready.remote() for handle in starting]
        ready, _ = ray.wait(answers, num_returns=len(answers), timeout=ACTOR_READY_SECONDS)
        for handle, answer in zip(starting, answers, strict=True):
            info = self._answer(answer) if answer in ready else None
            if info is None or self._stopping.is_set():
                ray.kill(handle)  # its node is gone or full: the next look tries again
                continue
            self._adopt(handle, info)

    def _answer(self, answer: Any) -> dict[str, Any] | None:
        try:
            return ray.get(answer)
        except ray.exceptions.RayError:
            return None

    def _adopt(self, handle: Any, info: dict[str, Any]) -> None:
        node_id = info["node_id"]
        actor = _Actor(
            f"ray-{node_id[:8]}-{info['pid']}", node_id, f"{info['host']}:{node_id[:8]}", info["pid"], handle
        )
        with self._lock:
            self._actors.append(actor)
        threading.Thread(target=self._read, args=(actor,), name=f"{actor.name}-reader", daemon=True).start()

    def _read(self, actor: _Actor) -> None:
        assert self._events is not None
        try:
            for batch in actor.handle.stream.remote():
                for message in ray.get(batch):
                    try:
                        self._events.message(message)
                    except Exception:
                        log.exception("handling a message from %s failed", actor.name)
            reason = "its actor stopped"
        except ray.exceptions.RayError:
            reason = self._why(actor)
        self._lose(actor, reason)

    def _why(self, actor: _Actor) -> str:
        """Why `actor`'s stream broke, in words."""
        try:
            alive = any(node["NodeID"] == actor.node_id and node["Alive"] for node in ray.nodes())
        except Exception:  # the cluster itself is in trouble: say what is known
            alive = False
        return f"its Ray actor on {actor.node} died" if alive else f"its node {actor.node} left the cluster"

    def _lose(self, actor: _Actor, reason: str) -> None:
        assert self._events is not None
        with self._lock:
            if self._stopping.is_set() or actor not in self._actors:
                return
            self._actors.remove(actor)  # the watcher starts a replacement if its node is alive
            lost = list(actor.jobs)
            for job in lost:
                self._where.pop(job, None)
        try:
            self._events.worker_lost(actor.name, lost, reason)
        except Exception:
            log.exception("handling the loss of %s failed", actor.name)

    def place(self, job: str, command: Command, dataset: DatasetRef) -> str:
        """Send `command` to the chosen actor (the data set's spec and files first, if it lacks it)."""
        with self._lock:
            needed = dataset.key not in self._choose(dataset.key).datasets
        files = dataset.files() if needed else None
        with self._lock:
            self._release(job)
            actor = self._choose(dataset.key)
            if hold_dataset(actor.datasets, dataset.key):
                files = dataset.files() if files is None else files
                actor.submit({"op": "dataset", "key": dataset.key, "spec": dataset.spec, "files": files})
            actor.jobs[job] = dataset.key
            self._where[job] = actor
            actor.submit(command)
            return actor.name

    def _choose(self, key: str) -> _Actor:
        """The module docstring's choice of actor for a job on data set `key`."""
        if not self._actors:
            raise SpecInvalid(("body",), f"the Ray cluster at {self.address} has no worker left")
        jobs, slots = Counter(), Counter(actor.node_id for actor in self._actors)
        for actor in self._actors:
            jobs[actor.node_id] += len(actor.jobs)

        def rank(actor: _Actor) -> tuple[bool, float, int, bool]:
            node = actor.node_id
            return (
                jobs[node] >= self.jobs_per_node,
                jobs[node] / slots[node],
                len(actor.jobs),
                key not in actor.datasets,
            )

        return min(self._actors, key=rank)

    def send(self, job: str, command: Command) -> None:
        """Send a command to the actor holding `job`; dropped when none does."""
        with self._lock:
            actor = self._where.get(job)
            if actor is not None:
                actor.submit(command)

    def release(self, job: str) -> None:
        """`job` no longer counts on its actor; a data set no job there uses may be forgotten."""
        with self._lock:
            self._release(job)

    def _release(self, job: str) -> None:
        actor = self._where.pop(job, None)
        if actor is not None:
            for key in release_dataset(actor.datasets, actor.jobs.pop(job)):
                actor.submit({"op": "forget_dataset", "key": key})

    def node(self, worker: str) -> str | None:
        """The node (host name and Ray node id) of the actor called `worker`."""
        with self._lock:
            return next((actor.node for actor in self._actors if actor.name == worker), None)

    def capacity(self) -> int | None:
        """`jobs_per_node` on every node with a worker (at least one node's worth)."""
        with self._lock:
            return max(1, len({actor.node_id for actor in self._actors})) * self.jobs_per_node

    def workers(self) -> list[WorkerInfo]:
        """Every live actor."""
        with self._lock:
            return [WorkerInfo(a.name, a.pid, len(a.jobs), len(a.datasets), a.node) for a in self._actors]

    def shutdown(self) -> None:
        """End every actor now (their jobs' state is whatever the server last received); leave the
        cluster if `start` joined it."""
        self._stopping.set()
        with self._lock:
            actors, self._actors = list(self._actors), []
        for actor in actors:
            ray.kill(actor.handle)
        if self._watcher.is_alive():
            self._watcher.join(timeout=ACTOR_READY_SECONDS)
        if self._joined:
            ray.shutdown()

    def __repr__(self) -> str:
        return f"RayPool(address={self.address!r}, jobs_per_node={self.jobs_per_node})"
