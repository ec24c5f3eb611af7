"""A job's training run (engine.training.TrainingRun, started by app.jobs.runs.start_run): checkpoints
that continue exactly, divergence, stop conditions and measured metrics."""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import numpy as np
import pytest

from app.jobs.runs import start_run, stop_conditions
from app.settings import Settings
from app.spec import JobSpec
from engine import SpecError
from engine.datasets import make_dataset_from_spec
from engine.training import Diverged, StopConditions, TrainingRun

LIMIT_STEPS, LIMIT_SECONDS = 1_000_000, 3600.0


def job_spec(spec: dict[str, Any], **changes: Any) -> JobSpec:
    """`spec` with top-level keys replaced."""
    return JobSpec.model_validate({**copy.deepcopy(spec), **changes})


def session_for(spec: dict[str, Any], **changes: Any) -> TrainingRun:
    """A fresh run of `spec` with top-level keys replaced."""
    job = job_spec(spec, **changes)
    return start_run(job, make_dataset_from_spec(job.dataset.model_dump()))


def params(session: TrainingRun) -> np.ndarray:
    return session.optimizer.flat.values.copy()


def limits(
    spec: dict[str, Any], max_steps: int = LIMIT_STEPS, max_seconds: float = LIMIT_SECONDS, **changes: Any
) -> StopConditions:
    """The stop conditions of `spec` (keys replaced) under server limits of `max_steps` and
    `max_seconds`."""
    settings = Settings(max_steps=max_steps, max_job_seconds=max_seconds)
    return stop_conditions(job_spec(spec, **changes), settings)


def test_a_checkpoint_continues_with_identical_weights_and_optimizer_state(rings_spec: dict) -> None:
    original = session_for(rings_spec, trainer={"method": "adam", "learning_rate": 0.01, "batch_size": 10})
    original.train_for(10.0, max_steps=25)
    original.evaluate()

    saved = json.loads(json.dumps(original.checkpoint()))  # as the store keeps it
    restored = start_run(job_spec(rings_spec), original.data, saved)

    assert np.array_equal(params(restored), params(original))
    assert restored.optimizer.steps == original.optimizer.steps == 25
    assert set(restored.optimizer.state) == set(original.optimizer.state) == {"first_moment", "second_moment"}
    for name, value in original.optimizer.state.items():
        assert np.array_equal(restored.optimizer.state[name], value), name
    assert restored.trainer == original.trainer
    counters = ("step", "examples_seen", "train_seconds")
    assert [getattr(restored, name) for name in counters] == [getattr(original, name) for name in counters]
    assert restored.held_out.figures.as_progress() == original.held_out.figures.as_progress()
    assert restored.held_out.figures.full_test_accuracy == original.held_out.figures.full_test_accuracy

    X, y = original.data.X_train[:10], original.data.y_train[:10]
    original.net.train_step(X, y, original.optimizer)
    restored.net.train_step(X, y, restored.optimizer)
    assert np.array_equal(params(restored), params(original))


def test_a_checkpoint_without_its_optimizer_state_would_not_continue_the_same(rings_spec: dict) -> None:
    """The check above is sensitive: fresh Adam moments on the same weights give another step."""
    original = session_for(rings_spec, trainer={"method": "adam", "learning_rate": 0.01, "batch_size": 10})
    original.train_for(10.0, max_steps=25)
    saved = original.checkpoint()
    saved["optimizer"] = {"steps": 0, "state": {}}
    restored = start_run(job_spec(rings_spec), original.data, saved)

    X, y = original.data.X_train[:10], original.data.y_train[:10]
    original.net.train_step(X, y, original.optimizer)
    restored.net.train_step(X, y, restored.optimizer)

    assert not np.array_equal(params(restored), params(original))


def test_a_restored_session_counts_on_from_its_checkpoint(rings_spec: dict) -> None:
    original = session_for(rings_spec)
    original.train_for(10.0, max_steps=12)

    restored = start_run(job_spec(rings_spec), original.data, original.checkpoint())
    restored.train_for(10.0, max_steps=3)

    assert (restored.step, restored.examples_seen, restored.epoch) == (15, 150, 1)


def test_the_same_spec_and_seed_train_the_same(rings_spec: dict) -> None:
    first, second = session_for(rings_spec, seed=7), session_for(rings_spec, seed=7)
    other = session_for(rings_spec, seed=8)

    losses = [[session.train_step() for _ in range(5)] for session in (first, second, other)]

    assert losses[0] == losses[1]
    assert losses[0] != losses[2]
    assert np.array_equal(params(first), params(second))


def test_a_diverging_net_raises_diverged_with_the_step_and_the_learning_rate(rings_spec: dict) -> None:
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        {"type": "fc", "num_neurons": 8, "activation": "relu"},
        {"type": "fc", "num_neurons": 8, "activation": "relu"},
        {"type": "softmax", "num_classes": 2},
    ]
    session = session_for(rings_spec, layers=layers, trainer={"method": "sgd", "learning_rate": 1e6})

    with pytest.raises(Diverged) as raised:
        session.train_for(5.0)

    message = str(raised.value)
    assert message.startswith(f"diverged at step {session.step + 1}: the loss became ")
    assert message.endswith("; lower the learning rate (now 1e+06)")
    assert session.step < 1000  # found at once, not after the whole time budget


def test_no_stop_condition_trains_until_the_server_limit(rings_spec: dict) -> None:
    session = session_for(rings_spec)
    session.train_for(10.0, max_steps=4)

    assert session.stop_reason(limits(rings_spec)) is None
    assert session.stop_reason(limits(rings_spec, max_steps=4)) == "limit"
    assert session.stop_reason(limits(rings_spec, max_steps=5)) is None
    assert session.stop_reason(limits(rings_spec, max_seconds=session.train_seconds)) == "limit"
    assert session.remaining_steps(limits(rings_spec, max_steps=10)) == 6


def test_max_steps_stops_exactly(rings_spec: dict) -> None:
    session = session_for(rings_spec, stop={"max_steps": 7})
    stop = limits(rings_spec, stop={"max_steps": 7})

    taken = session.train_for(10.0, max_steps=session.remaining_steps(stop))

    assert (taken, session.step) == (7, 7)
    assert session.stop_reason(stop) == "max_steps"
    assert session.stop_reason(limits(rings_spec, max_steps=7, stop={"max_steps": 7})) == "max_steps"
    assert session.remaining_steps(stop) == 0


def test_advance_never_trains_past_a_step_condition(rings_spec: dict) -> None:
    session = session_for(rings_spec, stop={"max_steps": 7})
    stop = limits(rings_spec, stop={"max_steps": 7})

    reasons = [session.advance(10.0, stop) for _ in range(3)]

    assert session.step == 7
    assert reasons == ["max_steps"] * 3


def test_max_epochs_stops_exactly(rings_spec: dict) -> None:
    session = session_for(rings_spec, stop={"max_epochs": 1.5})  # 100 training examples, batches of 10
    stop = limits(rings_spec, stop={"max_epochs": 1.5})

    assert session.remaining_steps(stop) == 15
    session.train_for(10.0, max_steps=14)
    assert session.stop_reason(stop) is None
    session.train_for(10.0, max_steps=session.remaining_steps(stop))

    assert (session.step, session.examples_seen, session.epoch) == (15, 150, 1)
    assert session.stop_reason(stop) == "max_epochs"


def test_max_seconds_counts_training_time(rings_spec: dict) -> None:
    session = session_for(rings_spec, stop={"max_seconds": 0.05})
    stop = limits(rings_spec, stop={"max_seconds": 0.05})
    session.train_for(10.0, max_steps=1)
    assert session.stop_reason(stop) is None

    deadline = time.monotonic() + 10
    while session.train_seconds < 0.05 and time.monotonic() < deadline:
        session.train_for(0.01)

    assert session.stop_reason(stop) == "max_seconds"


def test_target_test_accuracy_is_met_on_an_easy_set(rings_spec: dict) -> None:
    changes = {
        "dataset": {"name": "linear", "n_samples": 200},
        "trainer": {"method": "adam", "learning_rate": 0.05, "batch_size": 10},
        "stop": {"target_test_accuracy": 0.9},
    }
    session, stop = session_for(rings_spec, **changes), limits(rings_spec, **changes)
    session.train_for(10.0, max_steps=1)
    assert session.stop_reason(stop) is None  # not measured yet

    deadline = time.monotonic() + 10
    while session.advance(0.01, stop) is None and time.monotonic() < deadline:
        pass

    assert session.stop_reason(stop) == "target_test_accuracy"
    figures = session.held_out.figures
    assert figures.full_test_accuracy is not None and figures.full_test_accuracy >= 0.9


def test_take_progress_reports_means_over_the_steps_since_the_last_call(rings_spec: dict) -> None:
    session = session_for(rings_spec)
    session.train_for(10.0, max_steps=2)
    session.take_progress()

    losses = [session.train_step() for _ in range(3)]
    window = session.take_progress()
    empty = session.take_progress()
    one = session.train_step()
    single = session.take_progress()

    assert window["loss"] == pytest.approx(np.mean(losses))
    assert (window["step"], window["examples_seen"], window["epoch"]) == (5, 50, 0)
    assert 0.0 <= window["train_accuracy"] <= 1.0
    assert window["train_accuracy"] * 30 == pytest.approx(round(window["train_accuracy"] * 30))
    assert window["examples_per_second"] > 0
    assert window["ms_per_example"] == pytest.approx(1000 / window["examples_per_second"])
    for key in ("loss", "train_accuracy", "examples_per_second", "ms_per_example"):
        assert empty[key] is None, key
    assert empty["step"] == 5
    assert single["loss"] == pytest.approx(one)


def test_progress_carries_the_latest_test_figures_with_their_step(rings_spec: dict) -> None:
    session = session_for(rings_spec)
    first = session.take_progress()
    assert (first["test_accuracy"], first["test_step"], first["test_examples"]) == (None, None, 0)
    session.train_for(10.0, max_steps=3)

    session.evaluate()
    session.train_for(10.0, max_steps=2)
    progress = session.take_progress()

    assert 0.0 <= progress["test_accuracy"] <= 1.0
    assert progress["test_loss"] > 0
    assert (progress["step"], progress["test_step"]) == (5, 3)
    assert progress["test_examples"] == len(session.data.X_test)  # a small split: measured whole
    assert session.held_out.predictions is not None
    assert session.held_out.predictions.shape == (len(session.data.X_test),)


def test_evaluate_gives_every_test_example_s_class(rings_spec: dict) -> None:
    session = session_for(rings_spec)
    figures = session.evaluate()
    predicted = session.net.forward(session.data.X_test).argmax(axis=1)
    np.testing.assert_array_equal(session.held_out.predictions, predicted)
    assert figures.test_accuracy == (predicted == session.data.y_test).mean()


def test_a_regression_session_has_no_train_accuracy(rings_spec: dict) -> None:
    layers = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1},
        {"type": "fc", "num_neurons": 8, "activation": "tanh"},
        {"type": "regression", "num_neurons": 1},
    ]
    session = session_for(rings_spec, dataset={"name": "sine", "n_samples": 60}, layers=layers)

    session.train_for(10.0, max_steps=3)
    progress = session.take_progress()

    assert progress["loss"] is not None
    assert progress["train_accuracy"] is None


def test_set_trainer_changes_settings_and_a_bad_value_changes_nothing(rings_spec: dict) -> None:
    session = session_for(rings_spec)

    changed = session.set_trainer({"learning_rate": 0.5, "batch_size": 20})
    with pytest.raises(SpecError):
        session.set_trainer({"learning_rate": -1.0})
    session.train_step()

    assert (changed["learning_rate"], changed["batch_size"]) == (0.5, 20)
    assert session.trainer["learning_rate"] == 0.5
    assert session.examples_seen == 20  # the new batch size is used from the next step
