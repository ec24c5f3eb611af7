"""The training loop's measured progress and the terminal entry point."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import Net, make_optimizer
from engine.__main__ import main
from engine.datasets import make_dataset
from engine.training import evaluate, evaluate_predictions, train

CLASSIFY2D = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]


def test_train_reports_counts_and_held_out_accuracy_that_rises() -> None:
    data = make_dataset("quadrants", seed=1)
    net = Net(CLASSIFY2D, seed=1)
    optimizer = make_optimizer(net, {"method": "adam", "learning_rate": 0.02, "batch_size": 10})
    _, accuracy_before = evaluate(net, data.X_test, data.y_test)
    reports = list(itertools.islice(train(net, optimizer, data, report_every=50), 8))
    assert [report.step for report in reports] == [50 * k for k in range(1, 9)]
    assert reports[-1].examples_seen == 400 * 10
    assert reports[-1].epoch == 400 * 10 // data.X_train.shape[0]
    assert all(report.examples_per_second > 0 for report in reports)
    assert reports[-1].test_accuracy > max(0.9, accuracy_before)
    assert 0.0 <= reports[-1].train_accuracy <= 1.0


def test_train_follows_a_batch_size_changed_between_reports() -> None:
    data = make_dataset("xor", seed=0)
    net = Net(CLASSIFY2D)
    optimizer = make_optimizer(net, {"method": "sgd", "batch_size": 5})
    progress = train(net, optimizer, data, report_every=10)
    first = next(progress)
    optimizer.set(batch_size=20)
    second = next(progress)
    assert second.examples_seen - first.examples_seen == 10 * 20


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
