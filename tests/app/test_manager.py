"""The job manager on its own, with a fake executor the test drives: what each status change asks of the
workers, and what the manager makes of what workers say, message by message, in any order a race could
produce. No process runs here."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.checks import check_job_spec
from app.hub import Hub, Watch
from app.jobs.events import MAX_CRASHES
from app.jobs.executor import DatasetRef, ExecutorEvents, WorkerInfo
from app.jobs.manager import JobManager
from app.jobs.states import JobConflict
from app.settings import Settings
from app.spec import JobSpec
from app.store import JobStore

Spec = dict[str, Any]
Wait = Any


class FakeExecutor:
    """Records what the manager asks; the test plays the workers' part."""

    def __init__(self) -> None:
        self.commands: list[dict[str, Any]] = []
        self.placed: dict[str, str] = {}
        self.events: ExecutorEvents | None = None
        self.limit: int | None = None  # what capacity() answers

    def start(self, events: ExecutorEvents) -> None:
        self.events = events

    def place(self, job: str, command: dict[str, Any], dataset: DatasetRef) -> str:
        self.commands.append(command)
        self.placed[job] = "worker-0"
        return "worker-0"

    def send(self, job: str, command: dict[str, Any]) -> None:
        self.commands.append(command)

    def release(self, job: str) -> None:
        self.placed.pop(job, None)

    def workers(self) -> list[WorkerInfo]:
        return [WorkerInfo("worker-0", None, len(self.placed), 0, "box")]

    def node(self, worker: str) -> str | None:
        return "box" if worker == "worker-0" else None

    def capacity(self) -> int | None:
        return self.limit

    def shutdown(self) -> None:
        self.placed.clear()

    def ops(self, job: str) -> list[str]:
        """The ops sent about `job`, in order."""
        return [command["op"] for command in self.commands if command.get("job") == job]

    def run(self, job: str) -> int:
        """The run number of the job's latest placement."""
        return [command for command in self.commands if command["op"] == "place" and command["job"] == job][
            -1
        ]["run"]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", max_running_jobs=10)


@pytest.fixture
def fake() -> FakeExecutor:
    return FakeExecutor()


@pytest.fixture
def manager(settings: Settings, fake: FakeExecutor) -> Iterator[JobManager]:
    store = JobStore(settings.database_path)
    job_manager = JobManager(settings, store, Hub(), fake)
    job_manager.start(None)
    yield job_manager
    job_manager.shutdown(wait_seconds=0)
    store.close()


def create(
    manager: JobManager, settings: Settings, spec: Spec, *, paused: bool = False, **changes: Any
) -> str:
    checked = check_job_spec(JobSpec.model_validate({**spec, **changes}), settings)
    return manager.create(checked, paused=paused).id


def progress(step: int) -> dict[str, Any]:
    return {"step": step, "epoch": 0, "examples_seen": 10 * step, "loss": 0.5, "test_accuracy": None}


def checkpoint(step: int) -> str:
    """A checkpoint as workers send it: JSON text."""
    return json.dumps({"step": step, "model": {"marker": step}})


def say(manager: JobManager, fake: FakeExecutor, kind: str, job: str, *rest: Any) -> None:
    """A message from the worker holding the job's latest run."""
    manager.events.message((kind, job, fake.run(job), *rest))


def watch(seq: int, count: int, kinds: tuple[str, ...] | None = None, since: float = 0.0) -> Watch:
    return Watch(seq, count, kinds if count else (), since)


def test_a_new_job_is_placed_running_with_no_frames_until_someone_watches(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec)

    place = fake.commands[0]
    manager.watch(job, watch(1, 1, ("boundary",)))

    assert manager.get(job).status == "running"
    assert (place["op"], place["paused"], place["checkpoint"], place["kinds"]) == ("place", False, None, [])
    assert fake.commands[-1] == {"op": "watch", "job": job, "kinds": ("boundary",)}


def test_progress_and_its_checkpoint_are_kept_together_and_a_parked_job_leaves_memory(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec, wait_for: Wait
) -> None:
    job = create(manager, settings, rings_spec)
    say(manager, fake, "progress", job, progress(40), checkpoint(40))

    paused = threading.Thread(target=manager.pause, args=(job,))
    paused.start()
    wait_for(lambda: fake.ops(job)[-1] == "park", what="the park")
    say(manager, fake, "parked", job, progress(45), checkpoint(45))
    paused.join(timeout=5)

    assert not paused.is_alive()
    record = manager.get(job)
    assert (record.status, record.pause_reason, record.progress["step"]) == ("paused", "user", 45)
    assert manager.store.checkpoint(job) == checkpoint(45)
    assert json.loads(manager.stored_checkpoint(job))["step"] == record.progress["step"]
    assert job not in manager.table.jobs and job not in fake.placed


def test_stop_and_the_end_of_training_crossing_never_turn_completed_into_stopped(
    manager: JobManager,
    fake: FakeExecutor,
    settings: Settings,
    rings_spec: Spec,
    wait_for: Wait,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker's "done" lands while stop() runs: whichever the manager sees first decides, and a job
    that completed is never stopped afterwards (stop() used to read the status before locking)."""
    monkeypatch.setattr("app.jobs.manager.PARK_WAIT_SECONDS", 0.05)  # this fake worker never parks
    job = create(manager, settings, rings_spec, stop={"max_steps": 100})
    original_get = manager.store.get
    delivered = threading.Event()

    def get_then_complete(job_id: str) -> Any:
        record = original_get(job_id)
        if not delivered.is_set():
            delivered.set()
            outcome = {"status": "completed", "stop_reason": "max_steps", "error": None}
            finisher = threading.Thread(
                target=say, args=(manager, fake, "done", job, outcome, progress(100), checkpoint(100))
            )
            finisher.start()
            finisher.join(timeout=0.5)  # blocks while stop() holds the lock, as a real race would
        return record

    manager.store.get = get_then_complete  # type: ignore[method-assign]
    try:
        outcome = manager.stop(job)
    except JobConflict as error:  # the end came first: stop is refused and says why
        assert str(error) == f"job '{job}' is already completed"
        outcome = manager.get(job)
    wait_for(lambda: job not in manager.table.jobs, what="the job to come to rest")

    final = manager.get(job)
    assert final.status == outcome.status
    assert (final.status, final.stop_reason) in (("completed", "max_steps"), ("stopped", None))


def test_viewer_counts_that_arrive_out_of_order_leave_the_newest(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec, pause_when_unwatched=1.0)

    manager.watch(job, watch(2, 1, ("boundary", "neurons")))  # a viewer came...
    manager.watch(job, watch(1, 0))  # ...and an older count of nobody arrived after it
    manager.housekeeping_round(now=10_000.0)

    assert [command["kinds"] for command in fake.commands if command["op"] == "watch"] == [
        ("boundary", "neurons")
    ]
    assert manager.get(job).status == "running"  # watched: it does not park


def test_a_job_nobody_watches_pauses_itself_and_says_so(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec, pause_when_unwatched=30)
    script_job = create(
        manager, settings, rings_spec
    )  # no pause_when_unwatched: it trains until its stop condition
    started = manager.table.jobs[job].active_since
    manager.watch(job, watch(1, 1, since=started))
    manager.watch(job, watch(2, 0, since=started + 5))

    manager.housekeeping_round(now=started + 34)  # 29 s after the last viewer left
    still = manager.get(job).status
    manager.housekeeping_round(now=started + 35.5)

    record = manager.get(job)
    assert still == "running"
    assert (record.status, record.pause_reason) == ("paused", "unwatched")
    assert record.message == "paused: nobody watching for 30 s"
    assert fake.ops(job)[-1] == "park"
    assert manager.get(script_job).status == "running"


def test_a_job_on_a_lost_worker_goes_on_from_its_checkpoint_and_says_so(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec)
    say(manager, fake, "progress", job, progress(300), checkpoint(300))
    first_run = fake.run(job)

    manager.events.worker_lost("worker-0", [job], "killed by SIGKILL, perhaps out of memory")
    manager.events.message(
        ("progress", job, first_run, progress(7), checkpoint(7))
    )  # the dead run's last word

    record = manager.get(job)
    replacement = fake.commands[-1]
    assert record.status == "running"
    assert record.message == (
        "recovered at step 300: its worker died (killed by SIGKILL, perhaps out of memory) and it went on "
        "from there on box"
    )
    assert (replacement["op"], replacement["checkpoint"]) == ("place", checkpoint(300))
    assert replacement["run"] != first_run
    assert record.progress["step"] == 300


def test_a_job_whose_workers_keep_dying_fails_with_the_reason(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec)
    for _ in range(MAX_CRASHES):
        manager.events.worker_lost("worker-0", [job], "killed by SIGKILL, perhaps out of memory")

    record = manager.get(job)
    assert record.status == "failed"
    assert record.error.startswith(f"its worker died {MAX_CRASHES} times within a minute")
    assert "perhaps out of memory" in record.error


def test_a_step_visits_a_worker_and_parks_again(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec, paused=True)

    manager.step(job)

    assert fake.ops(job) == ["place", "step", "park"]
    assert fake.commands[0]["paused"] is True
    say(manager, fake, "progress", job, progress(1), checkpoint(1))
    say(manager, fake, "parked", job, None, checkpoint(1))
    assert manager.get(job).progress["step"] == 1
    assert job not in manager.table.jobs


def test_a_resume_that_overtakes_the_park_places_the_job_again_from_its_last_checkpoint(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec)
    manager.table.pause(manager.table.jobs[job], "pause", "user", None)  # the park is on its way
    manager.resume(job)
    assert fake.ops(job) == ["place", "park"]  # nothing is placed twice

    say(manager, fake, "parked", job, progress(80), checkpoint(80))

    assert fake.ops(job) == ["place", "park", "place"]
    assert fake.commands[-1]["checkpoint"] == checkpoint(80)
    assert manager.get(job).status == "running"


def test_shutdown_parks_every_job_and_places_none_again(
    settings: Settings, fake: FakeExecutor, rings_spec: Spec, wait_for: Wait
) -> None:
    store = JobStore(settings.database_path)
    manager = JobManager(settings, store, Hub(), fake)
    manager.start(None)
    job = create(manager, settings, rings_spec)
    stopping = threading.Thread(target=manager.shutdown)
    stopping.start()
    wait_for(lambda: fake.ops(job)[-1] == "park", what="the park")

    say(manager, fake, "parked", job, progress(70), checkpoint(70))
    stopping.join(timeout=5)

    assert not stopping.is_alive()
    assert fake.ops(job) == ["place", "park"]
    record = store.get(job)
    assert (record.status, record.progress["step"]) == ("interrupted", 70)
    assert store.checkpoint(job) == checkpoint(70)
    store.close()


def test_jobs_queue_when_their_memory_would_pass_the_budget(
    manager: JobManager,
    fake: FakeExecutor,
    settings: Settings,
    rings_spec: Spec,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.jobs.manager.PARK_WAIT_SECONDS", 0.05)  # this fake worker never parks
    first = create(manager, settings, rings_spec)
    manager.table.memory_budget = int(manager.table.jobs[first].memory * 1.5)  # room for one more half job

    second = create(manager, settings, rings_spec)
    waiting = (manager.get(second).status, manager.queue_position(second))
    manager.stop(first)

    assert waiting == ("queued", 1)
    assert manager.get(second).status == "running"
    assert fake.ops(second) == ["place"]


def test_a_kind_newly_shown_on_a_paused_job_is_drawn(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec, paused=True)
    manager.watch(job, watch(1, 1, ("boundary",)))
    say(manager, fake, "parked", job, None, checkpoint(0))
    first_visit = fake.ops(job)

    manager.watch(job, watch(2, 1, ("boundary",)))  # nothing new to show
    manager.watch(job, watch(3, 1, ("boundary", "hidden")))

    assert first_visit == ["place", "render", "park"]
    assert fake.ops(job) == ["place", "render", "park"] * 2
    assert fake.commands[-3]["kinds"] == ["boundary", "hidden"]


def test_a_job_that_completes_while_queued_leaves_the_queue(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    """A step's visit reaches the stop condition after the job was resumed and queued (no room): the
    job completes and the queue does not keep its id (which broke every later call)."""
    settings_one = manager.settings.model_copy(update={"max_running_jobs": 1})
    manager.settings = manager.table.settings = settings_one
    busy = create(manager, settings, rings_spec)
    job = create(manager, settings, rings_spec, paused=True, stop={"max_steps": 1})
    manager.step(job)
    manager.resume(job)
    assert (manager.get(job).status, manager.queue_position(job)) == ("queued", 1)

    outcome = {"status": "completed", "stop_reason": "max_steps", "error": None}
    say(manager, fake, "done", job, outcome, progress(1), checkpoint(1))

    assert manager.get(job).status == "completed"
    assert manager.queue_position(job) is None
    assert manager.get(create(manager, settings, rings_spec)).status == "queued"  # creating still works
    assert manager.get(busy).status == "running"


def test_a_question_to_a_run_that_ends_is_released_at_once(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec, wait_for: Wait
) -> None:
    job = create(manager, settings, rings_spec)
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(manager.ask_worker(job, {"op": "checkpoint"})))
    asking.start()
    wait_for(lambda: any(command["op"] == "checkpoint" for command in fake.commands), what="the question")

    outcome = {"status": "completed", "stop_reason": "max_steps", "error": None}
    say(manager, fake, "done", job, outcome, progress(5), checkpoint(5))
    asking.join(timeout=5)

    assert not asking.is_alive() and answers == [None]


def test_an_answer_from_a_run_just_replaced_still_reaches_its_question(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec, wait_for: Wait
) -> None:
    job = create(manager, settings, rings_spec)
    first_run = fake.run(job)
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(manager.ask_worker(job, {"op": "checkpoint"})))
    asking.start()
    question = wait_for(lambda: next((c for c in fake.commands if c["op"] == "checkpoint"), None))

    manager.events.message(("answer", job, first_run, question["request"], checkpoint(9)))
    asking.join(timeout=5)

    assert answers == [checkpoint(9)]


def test_two_jobs_on_a_worker_that_keeps_dying_share_the_blame(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    first, second = create(manager, settings, rings_spec), create(manager, settings, rings_spec)
    for _ in range(MAX_CRASHES):
        manager.events.worker_lost("worker-0", [first, second], "killed by SIGKILL, perhaps out of memory")

    assert [manager.get(job).status for job in (first, second)] == ["running", "running"]


def test_a_view_change_made_while_a_resumed_job_parks_reaches_its_next_placement(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec)
    manager.table.pause(manager.table.jobs[job], "pause", "user", None)  # its park is on its way
    manager.resume(job)
    manager.change_view(job, {"hidden_layer": 2}, reply_to=7)

    say(manager, fake, "parked", job, progress(30), checkpoint(30))

    assert fake.ops(job) == ["place", "park", "place", "set_view"]
    assert fake.commands[-1]["changes"] == {"hidden_layer": 2}


def test_a_visit_cut_short_by_a_dead_worker_is_made_again(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    job = create(manager, settings, rings_spec, paused=True)
    manager.step(job)

    manager.events.worker_lost("worker-0", [job], "killed by SIGKILL, perhaps out of memory")

    assert fake.ops(job) == ["place", "step", "park"] * 2
    assert manager.get(job).status == "paused"


def test_shutdown_leaves_queued_jobs_queued(
    settings: Settings, fake: FakeExecutor, rings_spec: Spec, wait_for: Wait
) -> None:
    store = JobStore(settings.database_path)
    manager = JobManager(settings.model_copy(update={"max_running_jobs": 1}), store, Hub(), fake)
    manager.start(None)
    running = create(manager, settings, rings_spec, stop={"max_steps": 50})
    waiting = create(manager, settings, rings_spec)
    stopping = threading.Thread(target=manager.shutdown)
    stopping.start()
    wait_for(lambda: fake.ops(running)[-1] == "park", what="the park")
    outcome = {"status": "completed", "stop_reason": "max_steps", "error": None}
    say(manager, fake, "done", running, outcome, progress(50), checkpoint(50))
    stopping.join(timeout=5)

    assert (store.get(running).status, store.get(waiting).status) == ("completed", "queued")
    assert fake.ops(waiting) == []
    store.close()


def test_jobs_beyond_the_executor_s_capacity_queue_though_max_running_jobs_has_room(
    manager: JobManager, fake: FakeExecutor, settings: Settings, rings_spec: Spec
) -> None:
    fake.limit = 1  # a cluster whose nodes are all at their cap

    first, second = create(manager, settings, rings_spec), create(manager, settings, rings_spec)

    assert (manager.get(first).status, manager.get(second).status) == ("running", "queued")
    assert manager.queue_position(second) == 1
    assert manager.node(first) == "box" and manager.node(second) is None
