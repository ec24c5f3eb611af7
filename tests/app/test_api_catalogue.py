"""GET /api/catalogue: the engine's trainer methods, activations and features, as the pages read them."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Net, make_optimizer
from engine.datasets import apply_features
from engine.datasets.features import FEATURES
from engine.definitions import ACTIVATIONS
from engine.optim import OPTIMIZERS


def test_catalogue_lists_every_method_with_its_hyperparameters(client) -> None:
    response = client.get("/api/catalogue")
    assert response.status_code == 200
    trainers = {entry["method"]: entry for entry in response.json()["trainers"]}
    assert set(trainers) == set(OPTIMIZERS)
    assert trainers["rmsprop"]["aliases"] == ["windowgrad"]
    sgd = {hyper["name"]: hyper for hyper in trainers["sgd"]["hyper"]}
    assert sgd["momentum"] == {
        "name": "momentum", "default": 0.9, "low": 0.0, "high": 1.0,
        "integer": False, "open_low": False, "open_high": True,
    }  # fmt: skip
    assert sgd["learning_rate"]["high"] is None  # unbounded above
    assert sgd["batch_size"]["integer"] is True


@pytest.mark.parametrize("method", sorted(OPTIMIZERS))
def test_catalogue_defaults_make_a_valid_optimizer(client, method) -> None:
    entry = next(item for item in client.get("/api/catalogue").json()["trainers"] if item["method"] == method)
    net = Net(
        [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 2}]
    )
    settings = {hyper["name"]: hyper["default"] for hyper in entry["hyper"]}
    assert make_optimizer(net, {"method": method, **settings}).hyper == settings


def test_catalogue_lists_activations_and_features_the_engine_takes(client) -> None:
    body = client.get("/api/catalogue").json()
    assert body["activations"] == list(ACTIVATIONS)
    assert [feature["id"] for feature in body["features"]] == list(FEATURES)
    names = [feature["id"] for feature in body["features"]]
    assert apply_features(np.zeros((1, 2)), names).shape == (1, len(FEATURES))
    assert {"fc", "softmax", "maxout"} <= set(body["layer_types"])
    assert body["loss_types"] == ["softmax", "svm", "regression"]
