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

Placement and data sets are the executor core's (app.jobs.core), with each node's cap of
`jobs_per_node` jobs; the actors build each data set from its spec, and the uploaded files it reads
travel with the ``dataset`` command as bytes (an actor may run on another machine).
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from app.jobs.core import PoolCore, Worker
from app.jobs.executor import ExecutorEvents
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


@dataclass(eq=False, kw_only=True)
class _Actor(Worker):
    """One worker actor, its Ray node and the numbers of its commands."""

    node_id: str
    handle: Any
    seq: Iterator[int] = field(default_factory=itertools.count)

    def submit(self, command: Command) -> None:
        """Send `command` after every earlier one (the caller holds the pool's lock)."""
        self.handle.submit.remote(next(self.seq), command)


class RayPool(PoolCore[_Actor]):
    """Worker actors on a Ray cluster (see the module docstring); implements app.jobs.executor.Executor."""

    def __init__(self, address: str, jobs_per_node: int) -> None:
        super().__init__(where=f"the Ray cluster at {address}", ships_files=True, jobs_per_node=jobs_per_node)
        self.address = address
        self._stopping = threading.Event()
        self._joined = False
        self._watcher = threading.Thread(target=self._watch, name="netplay-ray-nodes", daemon=True)

    def start(self, events: ExecutorEvents) -> None:
        """Join the cluster and start a worker on every CPU slot of its nodes."""
        self.events = events
        self._joined = connect(self.address)
        self._grow()
        if not self.current():
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
        held = Counter(actor.node_id for actor in self.current())
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
            if info is None or not self._adopt(handle, info):
                ray.kill(handle)  # its node is gone or full (the next look tries again), or the pool stops

    def _answer(self, answer: Any) -> dict[str, Any] | None:
        try:
            return ray.get(answer)
        except ray.exceptions.RayError:
            return None

    def _adopt(self, handle: Any, info: dict[str, Any]) -> bool:
        """Put a started actor in the book and read its stream; False once the pool is stopping."""
        node_id = info["node_id"]
        actor = _Actor(
            name=f"ray-{node_id[:8]}-{info['pid']}",
            node=f"{info['host']}:{node_id[:8]}",
            pid=info["pid"],
            node_id=node_id,
            handle=handle,
        )
        if not self.add(actor):
            return False
        threading.Thread(target=self._read, args=(actor,), name=f"{actor.name}-reader", daemon=True).start()
        return True

    def _read(self, actor: _Actor) -> None:
        try:
            for batch in actor.handle.stream.remote():
                for message in ray.get(batch):
                    self.deliver(actor, message)
            reason = "its actor stopped"
        except ray.exceptions.RayError:
            reason = self._why(actor)
        self.lose(actor, reason)  # the watcher starts a replacement if its node is alive

    def _why(self, actor: _Actor) -> str:
        """Why `actor`'s stream broke, in words."""
        try:
            alive = any(node["NodeID"] == actor.node_id and node["Alive"] for node in ray.nodes())
        except Exception:  # the cluster itself is in trouble: say what is known
            alive = False
        return f"its Ray actor on {actor.node} died" if alive else f"its node {actor.node} left the cluster"

    def shutdown(self) -> None:
        """End every actor now (their jobs' state is whatever the server last received); leave the
        cluster if `start` joined it."""
        self._stopping.set()
        for actor in self.close():
            ray.kill(actor.handle)
        if self._watcher.is_alive():
            self._watcher.join(timeout=ACTOR_READY_SECONDS)
        if self._joined:
            ray.shutdown()

    def __repr__(self) -> str:
        return f"RayPool(address={self.address!r}, jobs_per_node={self.jobs_per_node})"
