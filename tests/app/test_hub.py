"""Hub and Subscriber: each viewer's bounded queue (newest frame per kind, ordered messages with a
``lagged`` notice on overflow) and the fan-out of a job's messages to its viewers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from typing import Any, TypeVar

from app.hub import Hub, Outgoing, Subscriber

T = TypeVar("T")


def compact(message: dict) -> str:
    return json.dumps(message, separators=(",", ":"))


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(asyncio.wait_for(coroutine, timeout=5))


def batch(subscriber: Subscriber) -> list[Outgoing]:
    """The subscriber's next batch (it must have one ready or be closed)."""
    return run(subscriber.next_batch())


def test_a_frame_replaces_the_unsent_frame_of_its_kind() -> None:
    subscriber = Subscriber(max_events=10)

    subscriber.put(b"boundary 1", frame_key="boundary")
    subscriber.put(b"neurons 1", frame_key="neurons")
    subscriber.put(b"boundary 2", frame_key="boundary")

    assert subscriber.pending == 2
    assert batch(subscriber) == [b"neurons 1", b"boundary 2"]  # newest of each kind, in arrival order
    assert subscriber.pending == 0


def test_ordered_messages_go_first_and_all_of_them() -> None:
    subscriber = Subscriber(max_events=10)

    subscriber.put('{"type": "progress", "step": 1}')
    subscriber.put(b"frame", frame_key="boundary")
    subscriber.put('{"type": "progress", "step": 2}')

    assert batch(subscriber) == [
        '{"type": "progress", "step": 1}',
        '{"type": "progress", "step": 2}',
        b"frame",
    ]


def test_overflowing_messages_drop_the_oldest_and_say_how_many() -> None:
    subscriber = Subscriber(max_events=3)

    for step in range(1, 6):
        subscriber.put(f"progress {step}")

    first = batch(subscriber)
    subscriber.put("progress 6")
    second = batch(subscriber)

    assert json.loads(first[0]) == {"type": "lagged", "dropped": 2}
    assert first[1:] == ["progress 3", "progress 4", "progress 5"]
    assert second == ["progress 6"]  # told once


def test_next_batch_waits_for_a_message() -> None:
    async def scenario() -> tuple[bool, list[Outgoing]]:
        subscriber = Subscriber(max_events=10)
        waiting = asyncio.create_task(subscriber.next_batch())
        await asyncio.sleep(0.01)
        was_waiting = not waiting.done()
        subscriber.put("hello")
        return was_waiting, await waiting

    was_waiting, received = run(scenario())

    assert was_waiting
    assert received == ["hello"]


def test_a_closed_subscriber_gives_what_is_left_then_nothing() -> None:
    subscriber = Subscriber(max_events=10)
    subscriber.put("last words")

    subscriber.close()

    assert subscriber.closed
    assert batch(subscriber) == ["last words"]
    assert batch(subscriber) == []


def test_publish_reaches_every_viewer_of_that_job_only() -> None:
    hub = Hub(max_events=10)
    first, second = hub.subscribe("a"), hub.subscribe("a")
    other = hub.subscribe("b")

    hub.publish("a", {"type": "progress", "step": 3})
    hub.publish("a", b"frame", frame_key="boundary")

    assert first.id != second.id
    assert (hub.watch("a").count, hub.watch("b").count, hub.watch("nobody").count) == (2, 1, 0)
    expected = ['{"type":"progress","step":3}', b"frame"]  # compact JSON: no spaces
    assert batch(first) == expected
    assert batch(second) == expected
    assert other.pending == 0


def test_unsubscribed_viewers_get_nothing_more() -> None:
    hub = Hub()
    leaving, staying = hub.subscribe("a"), hub.subscribe("a")

    hub.unsubscribe("a", leaving)
    hub.publish("a", {"type": "status", "status": "paused"})

    assert hub.watch("a").count == 1
    assert leaving.pending == 0
    assert staying.pending == 1
    hub.unsubscribe("a", staying)
    hub.unsubscribe("a", staying)  # twice is harmless
    assert hub.watch("a").count == 0


def test_send_to_reaches_one_viewer_only() -> None:
    hub = Hub()
    asking, watching = hub.subscribe("a"), hub.subscribe("a")

    hub.send_to("a", asking.id, {"type": "error", "message": "bad view"})
    hub.send_to("a", 999_999, {"type": "error", "message": "nobody"})
    hub.send_to("b", asking.id, {"type": "error", "message": "wrong job"})

    assert batch(asking) == [compact({"type": "error", "message": "bad view"})]
    assert watching.pending == 0


def test_close_job_sends_a_last_message_and_closes_every_viewer() -> None:
    hub = Hub()
    viewers = [hub.subscribe("a"), hub.subscribe("a")]
    other = hub.subscribe("b")

    hub.close_job("a", {"type": "status", "status": "deleted"})
    hub.publish("a", {"type": "progress", "step": 9})

    assert hub.watch("a").count == 0
    for viewer in viewers:
        assert viewer.closed
        assert batch(viewer) == [compact({"type": "status", "status": "deleted"})]
        assert batch(viewer) == []
    assert not other.closed


def test_a_frame_goes_only_to_the_viewers_that_show_its_kind() -> None:
    hub = Hub()
    boundary_only = hub.subscribe("a", ["boundary"])
    everything = hub.subscribe("a")

    hub.publish("a", b"neurons", frame_key="neurons")
    hub.publish("a", b"boundary", frame_key="boundary")
    hub.publish("a", {"type": "progress", "step": 1})

    assert batch(boundary_only) == [compact({"type": "progress", "step": 1}), b"boundary"]
    assert batch(everything) == [compact({"type": "progress", "step": 1}), b"neurons", b"boundary"]


def test_watch_counts_the_viewers_and_the_union_of_their_kinds_each_time_numbered_anew() -> None:
    hub = Hub()
    first = hub.subscribe("a", ["boundary"])
    hub.subscribe("a", ["neurons", "boundary"])
    before = hub.watch("a")

    hub.set_kinds(first, None)
    everything = hub.watch("a")
    hub.unsubscribe("a", first)

    assert (before.count, before.kinds) == (2, ("boundary", "neurons"))
    assert (everything.count, everything.kinds) == (2, None)
    nobody = hub.watch("nobody")
    assert (nobody.count, nobody.kinds) == (0, ())
    assert before.seq < everything.seq < nobody.seq
