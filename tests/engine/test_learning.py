"""Small nets learn small problems: XOR-like points, bar orientations, a 1D curve."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net, make_optimizer


def xor_points(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points in [-1, 1]^2, class 1 where x0 * x1 > 0, kept 0.1 away from the axes so the classes
    have a margin."""
    x = rng.uniform(-1, 1, size=(count * 2, 2))
    x = x[np.all(np.abs(x) > 0.1, axis=1)][:count]
    return x, (x[:, 0] * x[:, 1] > 0).astype(int)


def fit(net: Net, trainer: dict[str, Any], x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0) -> None:
    optimizer = make_optimizer(net, trainer)
    batch_size = trainer.get("batch_size", 1)
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start : start + batch_size]
            net.train_step(x[batch], y[batch], optimizer)


def accuracy(net: Net, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(net.forward(x).argmax(axis=1) == y))


XOR_NET = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "fc", "num_neurons": 8, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]


@pytest.mark.parametrize(
    ("trainer", "epochs"),
    [
        ({"method": "sgd", "learning_rate": 0.1, "momentum": 0.9, "batch_size": 10}, 60),
        ({"method": "adam", "learning_rate": 0.02, "batch_size": 10}, 60),
        # The classify2d demo's trainer: adadelta starts with tiny steps, so it gets more epochs.
        ({"method": "adadelta", "batch_size": 10, "l2_decay": 0.001}, 150),
    ],
    ids=["sgd", "adam", "adadelta"],
)
def test_small_net_learns_xor(trainer: dict[str, Any], epochs: int) -> None:
    rng = np.random.default_rng(0)
    x_train, y_train = xor_points(300, rng)
    x_test, y_test = xor_points(300, rng)
    net = Net(XOR_NET, seed=1)
    assert accuracy(net, x_test, y_test) < 0.8  # not solved by the initial weights
    fit(net, trainer, x_train, y_train, epochs=epochs)
    assert accuracy(net, x_train, y_train) >= 0.95
    assert accuracy(net, x_test, y_test) >= 0.95


def test_relu_net_with_dropout_and_svm_loss_learns_xor() -> None:
    rng = np.random.default_rng(1)
    x_train, y_train = xor_points(300, rng)
    x_test, y_test = xor_points(300, rng)
    net = Net([XOR_NET[0], {"type": "fc", "num_neurons": 24, "activation": "relu", "drop_prob": 0.1},
               {"type": "fc", "num_neurons": 12, "activation": "relu"}, {"type": "svm", "num_classes": 2}],
              seed=2)  # fmt: skip
    fit(net, {"method": "adam", "learning_rate": 0.01, "batch_size": 10}, x_train, y_train, epochs=60)
    assert accuracy(net, x_test, y_test) >= 0.95


def bar_images(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """8x8 noisy images holding one horizontal (class 0) or vertical (class 1) bar."""
    y = rng.integers(0, 2, size=count)
    x = rng.normal(0, 0.3, size=(count, 1, 8, 8))
    positions = rng.integers(0, 8, size=count)
    for i in range(count):
        if y[i] == 0:
            x[i, 0, positions[i], :] += 1.0
        else:
            x[i, 0, :, positions[i]] += 1.0
    return x, y


def test_small_conv_net_learns_bar_orientation() -> None:
    rng = np.random.default_rng(2)
    x_train, y_train = bar_images(300, rng)
    x_test, y_test = bar_images(200, rng)
    net = Net([{"type": "input", "out_sx": 8, "out_sy": 8, "out_depth": 1},
               {"type": "conv", "sx": 3, "filters": 4, "pad": 1, "activation": "relu"},
               {"type": "pool", "sx": 2, "stride": 2},
               {"type": "softmax", "num_classes": 2}], seed=0)  # fmt: skip
    fit(net, {"method": "adam", "learning_rate": 0.01, "batch_size": 20}, x_train, y_train, epochs=15)
    assert accuracy(net, x_test, y_test) >= 0.95


def test_regression_net_fits_a_curve() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(-2, 2, size=(200, 1))
    y = np.sin(2 * x)
    net = Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1},
               {"type": "fc", "num_neurons": 16, "activation": "tanh"},
               {"type": "fc", "num_neurons": 16, "activation": "tanh"},
               {"type": "regression", "num_neurons": 1}], seed=0)  # fmt: skip
    before = float(np.mean((net.forward(x) - y) ** 2))
    fit(net, {"method": "adam", "learning_rate": 0.01, "batch_size": 10}, x, y, epochs=100)
    after = float(np.mean((net.forward(x) - y) ** 2))
    assert after < 0.02
    assert after < before / 10
