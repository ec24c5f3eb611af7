"""A job spec is checked completely before a job exists: every bad spec gets a 422 with the field path
(``loc``) and a reason a person can act on, and nothing is stored. Also the layer table viewers draw."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.checks import describe_layers
from engine import Net
from engine.demo_nets import CLASSIFY2D_LAYERS, MNIST_LAYERS

Spec = dict[str, Any]
INPUT_2D = {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}
SOFTMAX_2 = {"type": "softmax", "num_classes": 2}
INPUT_9x9 = {"type": "input", "out_sx": 9, "out_sy": 9, "out_depth": 1}


def fc(neurons: int, **extra: Any) -> dict[str, Any]:
    return {"type": "fc", "num_neurons": neurons, **extra}


def rejected(client: TestClient, spec: Spec | str) -> dict[str, Any]:
    """POST a spec that must be refused; its only error, {loc, msg, type}."""
    if isinstance(spec, str):
        response = client.post("/api/jobs", content=spec, headers={"content-type": "application/json"})
    else:
        response = client.post("/api/jobs", json=spec)
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert len(errors) == 1, errors
    return errors[0]


def changed(spec: Spec, **changes: Any) -> Spec:
    """A copy of `spec` with top-level keys replaced (None removes one)."""
    spec = copy.deepcopy(spec)
    for key, value in changes.items():
        if value is None:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


@pytest.mark.parametrize("filters", [-3, 0])
def test_create_job_rejects_non_positive_filters(client: TestClient, rings_spec: Spec, filters: int) -> None:
    layers = [INPUT_2D, {"type": "conv", "sx": 1, "filters": filters}, SOFTMAX_2]

    error = rejected(client, changed(rings_spec, layers=layers))

    assert error["loc"] == ["body", "layers", 1, "filters"]
    assert error["msg"] == f"layer 1 (conv): filters must be >= 1, got {filters}"
    assert client.get("/api/jobs").json()["total"] == 0


STRUCTURE_CASES: list[tuple[str, Spec, list, str]] = [
    (
        "pool-larger-than-its-input",
        {
            "dataset": {"name": "xo", "n_samples": 100},
            "layers": [INPUT_9x9, {"type": "pool", "sx": 10}, SOFTMAX_2],
        },
        ["body", "layers", 1],
        "window 10x10 is larger than the padded input 9x9",
    ),
    (
        "negative-neurons",
        {"layers": [INPUT_2D, fc(-2), SOFTMAX_2]},
        ["body", "layers", 1, "num_neurons"],
        "num_neurons must be >= 1, got -2",
    ),
    (
        "unknown-layer-type",
        {"layers": [INPUT_2D, {"type": "dense", "num_neurons": 3}, SOFTMAX_2]},
        ["body", "layers", 1, "type"],
        "unknown type 'dense'",
    ),
    (
        "first-not-input",
        {"layers": [fc(3), SOFTMAX_2]},
        ["body", "layers", 0, "type"],
        "the first layer must be input",
    ),
    (
        "last-not-a-loss",
        {"layers": [INPUT_2D, fc(3)]},
        ["body", "layers", 1, "type"],
        "the last layer must be softmax, svm or regression",
    ),
    (
        "input-depth-not-the-features",
        {"layers": [{**INPUT_2D, "out_depth": 3}, fc(3), SOFTMAX_2]},
        ["body", "layers", 0],
        "input is 1x1x3 but dataset rings gives 1x1x2",
    ),
    (
        "num-classes-mismatch",
        {"layers": [INPUT_2D, fc(3), {"type": "softmax", "num_classes": 3}]},
        ["body", "layers", 2],
        "num_classes is 3 but dataset rings has 2",
    ),
    (
        "regression-on-classes",
        {"layers": [INPUT_2D, {"type": "regression", "num_neurons": 2}]},
        ["body", "layers", 1],
        "dataset rings is classification: end with softmax or svm",
    ),
    (
        "unknown-dataset",
        {"dataset": {"name": "ringz"}},
        ["body", "dataset", "name"],
        "unknown dataset 'ringz' (known: quadrants, rings,",
    ),
    (
        "dataset-param-out-of-range",
        {"dataset": {"name": "rings", "n_samples": 5}},
        ["body", "dataset", "n_samples"],
        "must be between 10 and 5000, got 5",
    ),
    (
        "unknown-dataset-param",
        {"dataset": {"name": "rings", "nois": 0.1}},
        ["body", "dataset", "nois"],
        "unknown parameter (known: n_samples, noise,",
    ),
    (
        "unknown-trainer-method",
        {"trainer": {"method": "sgdx"}},
        ["body", "trainer", "method"],
        "Input should be 'sgd', 'nesterov',",
    ),
    (
        "key-the-method-does-not-take",
        {"trainer": {"method": "sgd", "beta1": 0.9}},
        ["body", "trainer", "beta1"],
        "unknown for sgd (known: learning_rate,",
    ),
    (
        "negative-learning-rate",
        {"trainer": {"method": "adam", "learning_rate": -0.1}},
        ["body", "trainer", "learning_rate"],
        "must be between 0 and inf, got -0.1",
    ),
    (
        "unknown-top-level-key",
        {"optimizer": "sgd"},
        ["body", "optimizer"],
        "Extra inputs are not permitted",
    ),
    (
        "neither-layers-nor-model",
        {"layers": None},
        ["body"],
        "give exactly one of layers (definitions) or model (a saved net)",
    ),
    (
        "both-layers-and-model",
        {"model": Net(CLASSIFY2D_LAYERS, seed=0).to_json()},
        ["body"],
        "give exactly one of layers (definitions) or model (a saved net)",
    ),
    (
        "model-of-another-format",
        {"layers": None, "model": {**Net(CLASSIFY2D_LAYERS, seed=0).to_json(), "format": "keras"}},
        ["body", "model", "format"],
        "must be 'netplay.net', got 'keras'",
    ),
    (
        "hidden-layer-not-in-the-net",
        {"stream": {"hidden_layer": 999}},
        ["body", "stream", "hidden_layer"],
        "hidden_layer: must be a layer index in 0..6, got 999",
    ),
    (
        "hidden-neuron-not-in-the-layer",
        {"stream": {"hidden_layer": 2, "hidden_neurons": [99999, 5]}},
        ["body", "stream", "hidden_neurons", 0],
        "must be neuron indices in 0..5 for layer 2, got 99999",
    ),
    (
        "sample-beyond-the-test-split",
        {"stream": {"sample": 100}},
        ["body", "stream", "sample"],
        "sample: must be an integer in 0..99, got 100",
    ),
    (
        "model-input-not-the-features",
        {"layers": None, "model": Net([{**INPUT_2D, "out_depth": 3}, fc(2), SOFTMAX_2], seed=0).to_json()},
        ["body", "model", "layers", 0],
        "input is 1x1x3 but dataset rings gives 1x1x2",
    ),
]


@pytest.mark.parametrize(
    ("changes", "loc", "fragment"),
    [case[1:] for case in STRUCTURE_CASES],
    ids=[case[0] for case in STRUCTURE_CASES],
)
def test_create_job_rejects_a_bad_spec_naming_the_field(
    client: TestClient, rings_spec: Spec, changes: Spec, loc: list, fragment: str
) -> None:
    error = rejected(client, changed(rings_spec, **changes))

    assert error["loc"] == loc
    assert fragment in error["msg"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_create_job_rejects_a_non_finite_learning_rate(
    client: TestClient, rings_spec: Spec, number: str
) -> None:
    text = json.dumps(rings_spec).replace('"learning_rate": 0.01', f'"learning_rate": {number}')
    assert number in text

    error = rejected(client, text)

    assert error == {
        "loc": ["body", "trainer", "learning_rate"],
        "msg": "Input should be a finite number",
        "type": "finite_number",
    }


LIMITS = {
    "max_layers": 6,
    "max_neurons": 16,
    "max_parameters": 300,
    "max_image_side": 12,
    "max_batch_size": 32,
    "max_batch_values": 600,
    "max_grid": 32,
    "max_fps": 10,
    "max_steps": 1000,
    "max_job_seconds": 60,
    "max_dataset_samples": 300,
}
# Each spec goes over exactly one of LIMITS; the rings spec (200 examples, 38 parameters, 22 values per
# example in batches of 10, grid 16 at 10 fps) is within all of them.
LIMIT_CASES: list[tuple[str, Spec, list, str]] = [
    (
        "max_layers",
        {"layers": [INPUT_2D, *[fc(2)] * 5, SOFTMAX_2]},
        ["body", "layers"],
        "7 layers; the limit is 6",
    ),
    (
        "max_neurons",
        {"layers": [INPUT_2D, fc(17), SOFTMAX_2]},
        ["body", "layers", 1],
        "17 neurons, filters or channels; the limit per layer is 16",
    ),
    (
        "max_parameters",
        {"layers": [INPUT_2D, fc(16), fc(16), SOFTMAX_2]},
        ["body", "layers"],
        "the net has 354 parameters; the limit is 300",
    ),
    (
        "max_image_side",
        {
            "dataset": {"name": "xo", "n_samples": 100, "size": 16},
            "layers": [{**INPUT_9x9, "out_sx": 16, "out_sy": 16}, SOFTMAX_2],
        },
        ["body", "layers", 0],
        "input side 16 is over the limit of 12",
    ),
    (
        "max_batch_size",
        {"trainer": {"method": "sgd", "batch_size": 33}},
        ["body", "trainer", "batch_size"],
        "must be <= 32 (a server limit), got 33",
    ),
    (
        "max_batch_values",
        {"trainer": {"method": "sgd", "batch_size": 30}},
        ["body", "trainer", "batch_size"],
        "a batch would hold 660 layer output values; the limit is 600",
    ),
    (
        "max_grid",
        {"stream": {"grid": 33}},
        ["body", "stream", "grid"],
        "must be <= 32 (a server limit), got 33",
    ),
    (
        "max_fps",
        {"stream": {"grid": 16, "fps": 10.5}},
        ["body", "stream", "fps"],
        "must be <= 10 (a server limit), got 10.5",
    ),
    (
        "max_steps",
        {"stop": {"max_steps": 1001}},
        ["body", "stop", "max_steps"],
        "must be <= 1000 (a server limit), got 1001",
    ),
    (
        "max_job_seconds",
        {"stop": {"max_seconds": 61}},
        ["body", "stop", "max_seconds"],
        "must be <= 60 (a server limit), got 61",
    ),
    (
        "max_dataset_samples",
        {"dataset": {"name": "rings", "n_samples": 400}},
        ["body", "dataset"],
        "400 examples; the limit is 300",
    ),
]


@pytest.fixture
def limited_client(make_client: Callable[..., TestClient]) -> TestClient:
    """A server with LIMITS."""
    return make_client(**LIMITS)


@pytest.mark.parametrize(
    ("changes", "loc", "message"), [case[1:] for case in LIMIT_CASES], ids=[case[0] for case in LIMIT_CASES]
)
def test_create_job_rejects_a_spec_over_a_server_limit(
    limited_client: TestClient, rings_spec: Spec, changes: Spec, loc: list, message: str
) -> None:
    error = rejected(limited_client, changed(rings_spec, **changes))

    assert error["loc"] == loc
    assert message in error["msg"]
    assert limited_client.get("/api/jobs").json()["total"] == 0


def test_the_limit_cases_are_within_every_other_limit(limited_client: TestClient, rings_spec: Spec) -> None:
    """The base spec is accepted under LIMITS, so each case above fails on its own limit only."""
    response = limited_client.post("/api/jobs", json={**rings_spec, "stop": {"max_steps": 1}})

    assert response.status_code == 201, response.text


def test_create_job_rejects_a_job_over_the_stored_jobs_limit(
    make_client: Callable[..., TestClient], rings_spec: Spec
) -> None:
    client = make_client(max_stored_jobs=1)
    first = client.post("/api/jobs", json=rings_spec)

    error = rejected(client, rings_spec)

    assert first.status_code == 201
    assert error["loc"] == ["body"]
    assert error["msg"] == (
        "the server keeps at most 1 jobs (1 running or queued), and none of them can be deleted to make "
        "room: stop or delete some first"
    )
    assert client.delete(f"/api/jobs/{first.json()['id']}").status_code == 204
    assert client.post("/api/jobs", json=rings_spec).status_code == 201


@pytest.mark.parametrize("layers", [MNIST_LAYERS, CLASSIFY2D_LAYERS], ids=["mnist", "classify2d"])
def test_describe_layers_matches_the_built_net(layers: list[dict[str, Any]]) -> None:
    keys = ("index", "source", "type", "out_sx", "out_sy", "out_depth", "num_params")
    net = Net(layers, seed=0)

    rows = describe_layers(layers)

    assert [{key: row[key] for key in keys} for row in rows] == [
        {key: row[key] for key in keys} for row in net.describe()
    ]
    assert sum(row["num_params"] for row in rows) == net.to_json()["num_parameters"]


def test_describe_layers_of_the_mnist_net() -> None:
    rows = describe_layers(MNIST_LAYERS)

    shapes = [
        (row["type"], row["out_sx"], row["out_sy"], row["out_depth"], row["num_params"]) for row in rows
    ]
    assert shapes == [
        ("input", 24, 24, 1, 0),
        ("conv", 24, 24, 8, 5 * 5 * 8 + 8),
        ("relu", 24, 24, 8, 0),
        ("pool", 12, 12, 8, 0),
        ("conv", 12, 12, 16, 5 * 5 * 8 * 16 + 16),
        ("relu", 12, 12, 16, 0),
        ("pool", 4, 4, 16, 0),
        ("fc", 1, 1, 10, 4 * 4 * 16 * 10 + 10),
        ("softmax", 1, 1, 10, 0),
    ]
    assert rows[1]["filters"] == 8 and rows[1]["pad"] == 2  # the desugared definition comes along
