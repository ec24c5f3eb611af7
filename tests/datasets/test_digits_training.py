"""Real-data sanity check: a small net trained on the bundled digits through the batch iterator."""

from __future__ import annotations

import numpy as np

import engine
from engine.datasets import make_dataset, train_batches
from tests.extras import require


def test_small_net_reaches_well_over_90_percent_on_the_digits() -> None:
    require("data")  # scikit-learn's digits
    data = make_dataset("digits", seed=0)
    sx, sy, depth = data.input_shape
    net = engine.Net(
        [
            {"type": "input", "out_sx": sx, "out_sy": sy, "out_depth": depth},
            {"type": "fc", "num_neurons": 64, "activation": "relu"},
            {"type": "softmax", "num_classes": data.num_classes},
        ],
        seed=0,
    )
    optimizer = engine.make_optimizer(net, {"method": "adam", "learning_rate": 0.01, "batch_size": 32})
    batches = train_batches(data, 32, rng=np.random.default_rng(0))
    losses = [net.train_step(Xb, yb, optimizer)["loss"] for _ in range(8) for Xb, yb in batches.one_epoch()]
    assert batches.epoch == 7
    assert np.mean(losses[-20:]) < 0.25 * np.mean(losses[:20])
    accuracy = float((net.forward(data.X_test).argmax(axis=1) == data.y_test).mean())
    assert accuracy > 0.95
    assert data.X_test.shape[0] == 355
