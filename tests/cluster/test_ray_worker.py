"""The worker actor alone: commands taken in the server's order, data sets built from their spec (an
upload's bytes included), and a data set it cannot build failing only the jobs placed on it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from app.jobs.inbox import NumberedInbox
from tests.app.conftest import rings_job
from tests.app.test_api_datasets import npz_bytes
from tests.app.test_pool import place_command
from tests.extras import from_extra

ray = from_extra("cluster", "ray")
from app.jobs.ray_worker import PoolActor  # noqa: E402 (it imports ray)

NPZ_JOB = {
    "dataset": {"name": "npz", "file": "halves.npz"},
    "layers": [
        {"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1},
        {"type": "fc", "num_neurons": 4, "activation": "relu"},
        {"type": "softmax", "num_classes": 2},
    ],
}


def test_the_inbox_hands_commands_out_in_the_order_they_were_numbered() -> None:
    inbox = NumberedInbox()
    inbox.put(2, {"op": "c"})
    inbox.put(1, {"op": "b"})

    assert not inbox.poll(0)  # number 0 has not come: nothing may go ahead of it
    inbox.put(0, {"op": "a"})
    taken = []
    while inbox.poll(0):
        taken.append(inbox.recv()["op"])

    assert taken == ["a", "b", "c"]


@pytest.fixture
def actor(ray_cluster: Any) -> Iterator[Any]:
    handle = PoolActor.options(num_cpus=1).remote()
    ray.get(handle.ready.remote(), timeout=120)
    yield handle
    ray.kill(handle)


def messages(handle: Any) -> Iterator[tuple[Any, ...]]:
    """Every message the actor sends, in order."""
    for batch in handle.stream.remote():
        yield from ray.get(batch)


def first_progress_or_end(stream: Iterator[tuple[Any, ...]], job: str) -> tuple[Any, ...]:
    return next(message for message in stream if message[1] == job and message[0] in ("progress", "done"))


def dataset_command(key: str, spec: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
    return {"op": "dataset", "key": key, "spec": spec, "files": files}


def test_the_actor_builds_data_sets_from_their_spec_and_runs_commands_in_numbered_order(actor: Any) -> None:
    rings, npz = rings_job(), NPZ_JOB
    seq = itertools.count()
    numbers = [next(seq) for _ in range(4)]
    key = json.dumps(rings["dataset"], sort_keys=True)
    npz_key = json.dumps(npz["dataset"], sort_keys=True)
    # Each place is sent before the data set it needs, but numbered after it.
    actor.submit.remote(numbers[1], place_command("rings", rings, kinds=[]))
    actor.submit.remote(numbers[0], dataset_command(key, rings["dataset"], {}))
    actor.submit.remote(numbers[3], place_command("upload", npz))
    actor.submit.remote(numbers[2], dataset_command(npz_key, npz["dataset"], {"halves.npz": npz_bytes()}))
    stream = messages(actor)

    assert first_progress_or_end(stream, "rings")[0] == "progress"
    assert first_progress_or_end(stream, "upload")[0] == "progress"


def test_a_data_set_the_actor_cannot_build_fails_the_jobs_on_it_and_no_other(actor: Any) -> None:
    rings = rings_job()
    key = json.dumps(rings["dataset"], sort_keys=True)
    missing = {"name": "npz", "file": "gone.npz"}
    actor.submit.remote(0, dataset_command("missing", missing, {}))
    actor.submit.remote(1, place_command("broken", NPZ_JOB, dataset_key="missing"))
    actor.submit.remote(2, dataset_command(key, rings["dataset"], {}))
    actor.submit.remote(3, place_command("rings", rings))
    stream = messages(actor)

    kind, _, _, outcome, *_ = first_progress_or_end(stream, "broken")
    assert (kind, outcome["status"]) == ("done", "failed")
    assert "gone.npz" in outcome["error"]
    assert first_progress_or_end(stream, "rings")[0] == "progress"
