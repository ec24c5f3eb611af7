"""The training loop (TrainingRun), its held-out measurements and their cadence, and the terminal entry
point."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import Net, SpecError, make_optimizer, training
from engine.__main__ import main
from engine.datasets import make_dataset
from engine.evaluation import (
    EVAL_MIN_SECONDS,
    MAX_INTERVAL_SECONDS,
    MIN_SUBSET,
    Figures,
    evaluate,
    evaluate_predictions,
)
from engine.training import StopConditions, TrainingRun

CLASSIFY2D = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]


def run_on(dataset: str, trainer: dict, seed: int = 0, **params: object) -> TrainingRun:
    data = make_dataset(dataset, seed=seed, **params)
    net = Net(CLASSIFY2D, seed=seed)
    return TrainingRun(net, make_optimizer(net, trainer), data, seed=seed)


def test_advance_reports_counts_and_held_out_accuracy_that_rises() -> None:
    run = run_on("quadrants", {"method": "adam", "learning_rate": 0.02, "batch_size": 10}, seed=1)
    _, accuracy_before = evaluate(run.net, run.data.X_test, run.data.y_test)

    while run.advance(0.05, StopConditions(max_steps=400)) is None:
        pass
    progress = run.take_progress()

    assert (progress["step"], progress["examples_seen"]) == (400, 4000)
    assert progress["epoch"] == 4000 // run.data.X_train.shape[0]
    assert progress["examples_per_second"] > 0
    assert progress["test_accuracy"] > max(0.9, accuracy_before)
    assert 0 < progress["test_step"] <= 400
    assert 0.0 <= progress["train_accuracy"] <= 1.0


def test_a_batch_size_changed_between_slices_is_used_from_the_next_step() -> None:
    run = run_on("xor", {"method": "sgd", "batch_size": 5})
    run.train_for(10.0, max_steps=10)
    first = run.examples_seen
    run.set_trainer({"batch_size": 20})
    run.train_for(10.0, max_steps=10)
    assert run.examples_seen - first == 10 * 20


def test_measurements_are_due_after_a_tenth_of_their_cost_in_training_time() -> None:
    run = run_on("rings", {"method": "sgd", "batch_size": 10})
    held_out = run.held_out
    assert held_out.due(0.0)  # never measured

    held_out.measure(0, 0.0)

    assert not held_out.due(EVAL_MIN_SECONDS / 2)
    assert held_out.due(EVAL_MIN_SECONDS)


def test_a_slow_first_measurement_does_not_leave_the_figures_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """MNIST used to show the test accuracy of step 1 for 15 s: the first pass, slowed by cold caches,
    set the interval to ten times its own cost."""
    run = run_on("rings", {"method": "sgd", "batch_size": 10}, n_samples=2000)  # 1,000 test points
    clock = iter([0.0, 1.4])  # the whole split took 1.4 s to measure
    monkeypatch.setattr("engine.evaluation.perf_counter", lambda: next(clock))

    first = run.held_out.measure(1, train_seconds=0.0)

    assert first.test_examples == 1000
    assert run.held_out.due(MAX_INTERVAL_SECONDS)


def test_a_big_test_split_is_measured_on_rotating_subsets_and_whole_less_often() -> None:
    run = run_on("rings", {"method": "sgd", "batch_size": 10}, n_samples=5000)  # 2,500 test points
    held_out = run.held_out
    n_test = run.data.X_test.shape[0]

    def measure(step: int, train_seconds: float) -> Figures:
        held_out._seconds_per_example = 1e-4  # as on a slow net: the whole split would cost 0.25 s
        return held_out.measure(step, train_seconds)

    subsets = [measure(step, train_seconds=0.1 * step) for step in range(1, 11)]
    whole = measure(11, train_seconds=100.0)

    sizes = [figures.test_examples for figures in subsets]
    assert all(MIN_SUBSET <= size < n_test for size in sizes)
    assert [figures.test_step for figures in subsets] == list(range(1, 11))
    assert all(figures.full_test_accuracy is None for figures in subsets)
    assert (held_out.predictions >= 0).sum() == min(n_test, sum(sizes))  # windows cover new examples
    assert (whole.test_examples, whole.test_step, whole.full_test_step) == (n_test, 11, 11)
    assert whole.full_test_accuracy == whole.test_accuracy


def test_a_subset_that_meets_the_target_is_confirmed_on_the_whole_split() -> None:
    run = run_on("rings", {"method": "adam", "learning_rate": 0.02, "batch_size": 10}, n_samples=5000)
    run.train_for(10.0, max_steps=3000)
    run.held_out._seconds_per_example = 1e-3  # the whole split would cost 2.5 s: subsets are used
    stop = StopConditions(target_test_accuracy=0.5)

    run.evaluate_if_due(stop.target_test_accuracy)

    figures = run.held_out.figures
    assert figures.test_examples == run.data.X_test.shape[0]
    assert figures.full_test_step == run.step
    assert run.stop_reason(stop) == "target_test_accuracy"


def test_a_restored_run_keeps_its_figures_and_the_step_they_belong_to() -> None:
    run = run_on("quadrants", {"method": "sgd", "batch_size": 10})
    run.train_for(10.0, max_steps=20)
    run.evaluate()
    run.train_for(10.0, max_steps=5)

    restored = TrainingRun.restore(run.data, run.checkpoint())

    assert restored.held_out.figures == run.held_out.figures
    assert restored.take_progress()["test_step"] == 20


def test_evaluate_on_regression_gives_loss_and_no_accuracy() -> None:
    data = make_dataset("sine", seed=0)
    net = Net(
        [
            {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1},
            {"type": "fc", "num_neurons": 10, "activation": "relu"},
            {"type": "regression", "num_neurons": 1},
        ]
    )
    loss, accuracy = evaluate(net, data.X_test, data.y_test)
    expected = 0.5 * np.mean(np.sum((net.forward(data.X_test) - data.y_test) ** 2, axis=1))
    assert accuracy is None
    assert loss == pytest.approx(expected, rel=1e-5)


def test_cli_trains_and_prints_progress(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dataset", "quadrants", "--steps", "500"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("quadrants: ")
    assert len(lines) == 11
    assert lines[-1].startswith("step    500 ")
    assert "test acc" in lines[-1]


def test_cli_rejects_an_unknown_dataset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dataset", "nope"]) == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err


def test_evaluate_predictions_gives_the_classes_its_accuracy_counts() -> None:
    data = make_dataset("rings", n_samples=2400, seed=1)  # a test split larger than one eval batch
    net = Net(CLASSIFY2D, seed=0)
    loss, accuracy, predicted = evaluate_predictions(net, data.X_test, data.y_test)
    np.testing.assert_array_equal(predicted, net.forward(data.X_test).argmax(axis=1))
    assert (loss, accuracy) == evaluate(net, data.X_test, data.y_test)
    assert accuracy == (predicted == data.y_test).mean()
    assert evaluate_predictions(net, data.X_test[:0], data.y_test[:0]) == (None, None, None)


class SteppingClock:
    """A perf_counter that moves on by `tick` seconds at every reading: each training step then
    takes exactly `tick` of training time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.tick = 0.001

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_examples_per_second_is_smoothed_so_one_stalled_step_does_not_make_it_jump(monkeypatch) -> None:
    run = run_on("xor", {"method": "sgd", "batch_size": 10})
    clock = SteppingClock()
    monkeypatch.setattr(training.time, "perf_counter", clock)

    def windows(count: int, tick: float) -> float:
        clock.tick = tick
        for _ in range(count):
            for _ in range(5):
                run.train_step()
            rate = run.take_progress()["examples_per_second"]
        return rate

    steady = windows(400, 0.001)  # 2 s of training at 1 ms a step of 10 examples
    assert steady == pytest.approx(10_000, rel=1e-3)
    clock.tick = 0.1  # one step stalls for 100 ms (another process had the core)
    run.train_step()
    stalled = run.take_progress()["examples_per_second"]
    assert stalled > 0.85 * steady  # that window alone says 100 examples/s
    assert windows(400, 0.001) > 0.95 * steady  # and is forgotten
    assert windows(600, 0.002) == pytest.approx(5_000, rel=0.1)  # a real change is followed


def test_progress_figures_keep_seven_significant_digits() -> None:
    run = run_on("xor", {"method": "sgd", "batch_size": 10})
    losses = [run.train_step() for _ in range(3)]
    run.evaluate()
    progress = run.take_progress()
    for key in ("loss", "train_accuracy", "test_loss", "examples_per_second", "train_seconds"):
        assert len(repr(progress[key]).lstrip("0.").replace(".", "").split("e")[0]) <= 7, key
    assert progress["loss"] == pytest.approx(np.mean(losses), rel=1e-6)


def test_the_training_split_is_checked_once_and_its_batches_train_as_checked_ones_do() -> None:
    trainer = {"method": "adam", "learning_rate": 0.02, "batch_size": 10}
    once = run_on("rings", trainer, seed=2)
    assert once._split_checked  # float32 inputs and intp labels: taken as they are
    every_step = run_on("rings", trainer, seed=2)
    every_step._split_checked = False  # the checks on every batch, as for data of other types
    assert [once.train_step() for _ in range(50)] == [every_step.train_step() for _ in range(50)]


def test_a_training_split_with_nan_is_checked_at_every_step_and_refused_at_its_batch() -> None:
    data = make_dataset("rings", seed=0)
    data.X_train[3, 1] = np.nan
    net = Net(CLASSIFY2D, seed=0)
    run = TrainingRun(net, make_optimizer(net, {"method": "sgd"}), data)
    assert not run._split_checked
    with pytest.raises(SpecError, match="NaN"):
        run.train_for(10.0, max_steps=len(data.X_train))  # one epoch: the bad row's batch comes


def test_an_augmented_split_is_checked_at_every_step() -> None:
    data = make_dataset("xo", seed=0, crop=7)
    layers = [
        {"type": "input", "out_sx": 7, "out_sy": 7, "out_depth": 1},
        {"type": "softmax", "num_classes": 2},
    ]
    net = Net(layers, seed=0)
    run = TrainingRun(net, make_optimizer(net, {"method": "sgd", "batch_size": 4}), data)
    assert not run._split_checked  # its full-size images are cropped batch by batch
    assert np.isfinite(run.train_step())


def test_labels_of_another_integer_type_are_checked_and_converted_at_every_step() -> None:
    data = make_dataset("rings", seed=0)
    data = dataclasses.replace(data, y_train=data.y_train.astype(np.int32))
    net = Net(CLASSIFY2D, seed=0)
    run = TrainingRun(net, make_optimizer(net, {"method": "sgd"}), data)
    assert not run._split_checked
    assert np.isfinite(run.train_step())
