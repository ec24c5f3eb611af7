"""Saving and loading nets: bit-identical round trips through real JSON text, and SpecError naming the
field for every malformed or mismatched file."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import numpy as np
import pytest

from engine import Net, SpecError, make_optimizer

MIXED = [
    {"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 2},
    {"type": "conv", "sx": 3, "filters": 4, "pad": 1, "activation": "relu"},
    {"type": "batchnorm"},
    {"type": "pool", "sx": 2, "stride": 2, "kind": "avg"},
    {"type": "fc", "num_neurons": 6, "activation": "maxout", "group_size": 2, "drop_prob": 0.25},
    {"type": "softmax", "num_classes": 3},
]
CLASSIFY2D = [
    {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
    {"type": "fc", "num_neurons": 6, "activation": "tanh"},
    {"type": "fc", "num_neurons": 2, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]


def through_text(obj: dict[str, Any]) -> Any:
    """What a file or an HTTP body turns the dict into and back."""
    return json.loads(json.dumps(obj))


def trained(defs: list[dict[str, Any]], dtype: Any = np.float32, steps: int = 5) -> tuple[Net, np.ndarray]:
    net = Net(defs, seed=3, dtype=dtype)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, *net.input_shape))
    y = rng.integers(0, net.num_outputs, size=10)
    optimizer = make_optimizer(net, {"method": "adam", "learning_rate": 0.05})
    for _ in range(steps):
        net.train_step(x, y, optimizer)
    return net, x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("defs", [pytest.param(MIXED, id="mixed"), pytest.param(CLASSIFY2D, id="classify2d")])
def test_round_trip_gives_bit_identical_outputs(defs: list[dict[str, Any]], dtype: Any) -> None:
    net, x = trained(defs, dtype)
    loaded = Net.from_json(through_text(net.to_json()))
    assert loaded.dtype == net.dtype
    np.testing.assert_array_equal(loaded.flat.values, net.flat.values)
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))
    for mine, theirs in zip(net.activations(x), loaded.activations(x), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_round_trip_keeps_batchnorm_running_statistics() -> None:
    net, x = trained(MIXED, steps=8)
    running = net.layers[3].buffers["running_mean"]
    assert np.any(running != 0), "training must have moved the running mean for this test to mean anything"
    loaded = Net.from_json(through_text(net.to_json()))
    for name in ("running_mean", "running_var"):
        np.testing.assert_array_equal(loaded.layers[3].buffers[name], net.layers[3].buffers[name])
    np.testing.assert_array_equal(loaded.forward(x), net.forward(x))


def test_a_fresh_net_with_the_same_seed_differs_from_the_trained_one() -> None:
    net, x = trained(CLASSIFY2D)
    assert not np.array_equal(Net(CLASSIFY2D, seed=3).forward(x), net.forward(x))


def test_saved_file_holds_the_users_definitions_and_header() -> None:
    net = Net(CLASSIFY2D, seed=9)
    saved = net.to_json()
    assert saved["format"] == "netplay.net"
    assert saved["version"] == 1
    assert saved["layers"] == CLASSIFY2D
    assert saved["seed"] == 9
    assert saved["dtype"] == "float32"
    assert saved["num_parameters"] == 38
    assert saved["params"]["shape"] == [38]
    assert len(base64.b64decode(saved["params"]["data"])) == 38 * 4
    assert saved["buffers"] == {}
    json.dumps(saved)  # plain JSON types only


def test_mutating_the_saved_dict_does_not_change_the_net() -> None:
    net = Net(CLASSIFY2D)
    saved = net.to_json()
    saved["layers"][1]["num_neurons"] = 99
    assert net.to_json()["layers"][1]["num_neurons"] == 6


def test_loaded_net_trains_on() -> None:
    net, x = trained(CLASSIFY2D, dtype=np.float64)
    loaded = Net.from_json(through_text(net.to_json()))
    y = np.zeros(len(x), dtype=int)
    assert loaded.compute_gradients(x, y) == net.compute_gradients(x, y)
    np.testing.assert_array_equal(loaded.flat.grads, net.flat.grads)


# ---- malformed and mismatched files ----


def saved(defs: list[dict[str, Any]] = MIXED) -> dict[str, Any]:
    return through_text(Net(defs, seed=1).to_json())


def rejection(obj: Any) -> SpecError:
    with pytest.raises(SpecError) as caught:
        Net.from_json(obj)
    return caught.value


@pytest.mark.parametrize("obj", [[], "net", None, 3])
def test_rejects_a_file_that_is_not_an_object(obj: Any) -> None:
    error = rejection(obj)
    assert str(error).startswith("model: must be an object")
    assert error.location == ""


@pytest.mark.parametrize("value", ["convnetjs", None, 1])
def test_rejects_wrong_format(value: Any) -> None:
    obj = saved()
    obj["format"] = value
    error = rejection(obj)
    assert str(error) == f"format: must be 'netplay.net', got {value!r}"
    assert error.location == "format"


@pytest.mark.parametrize("value", [2, 0, "1", None])
def test_rejects_wrong_version(value: Any) -> None:
    obj = saved()
    obj["version"] = value
    error = rejection(obj)
    assert str(error) == f"version: only version 1 is supported, got {value!r}"
    assert error.location == "version"


@pytest.mark.parametrize("key", ["layers", "params"])
def test_rejects_missing_sections(key: str) -> None:
    obj = saved()
    del obj[key]
    error = rejection(obj)
    assert str(error) == f"{key}: missing"
    assert error.location == key


def test_rejects_bad_base64() -> None:
    obj = saved()
    obj["params"]["data"] = "not base64!!"
    error = rejection(obj)
    assert str(error).startswith("params: data is not valid base64")
    assert error.location == "params"


@pytest.mark.parametrize("data", [123, None, ["AAAA"]])
def test_rejects_data_that_is_not_a_string(data: Any) -> None:
    obj = saved()
    obj["params"]["data"] = data
    assert rejection(obj).location == "params"


def test_rejects_wrong_data_length() -> None:
    obj = saved()
    raw = base64.b64decode(obj["params"]["data"])
    obj["params"]["data"] = base64.b64encode(raw[:-4]).decode()
    error = rejection(obj)
    expected = len(raw)
    assert str(error) == f"params: data holds {expected - 4} bytes, expected {expected}"
    assert error.location == "params"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_rejects_non_finite_weights(bad: float) -> None:
    net = Net(CLASSIFY2D)
    obj = net.to_json()
    values = net.flat.values.copy()
    values[7] = bad
    obj["params"]["data"] = base64.b64encode(values.astype("<f4").tobytes()).decode()
    error = rejection(through_text(obj))
    assert str(error) == "params: contains NaN or infinite values"
    assert error.location == "params"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("AAAA", "params: must be an object with dtype, shape and data"),
        ({"dtype": "float32", "shape": [38]}, "params: must be an object with dtype, shape and data"),
        ({"dtype": "float16", "shape": [38], "data": ""},
         "params: dtype must be float32 or float64, got 'float16'"),
        ({"dtype": "float64", "shape": [38], "data": ""},
         "params: dtype float64 does not match the net's float32"),
        ({"dtype": "float32", "shape": [37], "data": ""}, "params: shape [37] does not match the net's [38]"),
        ({"dtype": "float32", "shape": 38, "data": ""}, "params: shape 38 does not match the net's [38]"),
        ({"dtype": "float32", "shape": [2, 19], "data": ""},
         "params: shape [2, 19] does not match the net's [38]"),
    ],
)  # fmt: skip
def test_rejects_malformed_params(params: Any, message: str) -> None:
    obj = saved(CLASSIFY2D)
    obj["params"] = params
    error = rejection(obj)
    assert str(error) == message
    assert error.location == "params"


def test_rejects_layers_that_do_not_match_the_weights() -> None:
    obj = saved(CLASSIFY2D)
    obj["layers"][1]["num_neurons"] = 7
    error = rejection(obj)
    assert str(error) == "params: shape [38] does not match the net's [43]"
    assert error.location == "params"


def test_rejects_invalid_layers_with_their_field_path() -> None:
    obj = saved(CLASSIFY2D)
    obj["layers"][2]["num_neurons"] = 0
    error = rejection(obj)
    assert str(error) == "layer 2 (fc): num_neurons must be >= 1, got 0"
    assert error.location == "layers[2].num_neurons"


@pytest.mark.parametrize(("key", "value"), [("dtype", "float16"), ("dtype", "banana"), ("dtype", None)])
def test_rejects_bad_dtype(key: str, value: Any) -> None:
    obj = saved(CLASSIFY2D)
    obj[key] = value
    error = rejection(obj)
    assert str(error) == f"dtype: must be float32 or float64, got {value!r}"
    assert error.location == "dtype"


def test_rejects_bad_seed() -> None:
    obj = saved(CLASSIFY2D)
    obj["seed"] = -3
    assert rejection(obj).location == "seed"


def test_rejects_missing_batchnorm_statistics() -> None:
    obj = saved()
    del obj["buffers"]["3"]["running_var"]
    error = rejection(obj)
    assert str(error) == "buffers: layer 3 (batchnorm) is missing running_var"
    assert error.path == ("buffers", "3", "running_var")


@pytest.mark.parametrize("buffers", [[], "x", None])
def test_rejects_buffers_that_are_not_an_object(buffers: Any) -> None:
    obj = saved()
    obj["buffers"] = buffers
    error = rejection(obj)
    assert str(error) == "buffers: must be an object"
    assert error.location == "buffers"


@pytest.mark.parametrize("entry", [[1, 2], "running_mean", 0])
def test_rejects_a_layers_buffers_that_are_not_an_object(entry: Any) -> None:
    obj = saved()
    obj["buffers"]["3"] = entry
    error = rejection(obj)
    assert str(error) == "buffers[3]: must be an object"
    assert error.path == ("buffers", "3")


def test_rejects_batchnorm_statistics_of_the_wrong_shape() -> None:
    obj = saved()
    obj["buffers"]["3"]["running_mean"]["shape"] = [5]
    error = rejection(obj)
    assert str(error) == "buffers[3].running_mean: shape [5] does not match the net's [4]"
    assert error.path == ("buffers", "3", "running_mean")


def test_rejects_non_finite_batchnorm_statistics() -> None:
    obj = saved()
    obj["buffers"]["3"]["running_var"]["data"] = base64.b64encode(
        np.full(4, np.nan, "<f4").tobytes()
    ).decode()
    error = rejection(obj)
    assert str(error) == "buffers[3].running_var: contains NaN or infinite values"


def test_nets_without_buffers_load_without_a_buffers_section() -> None:
    obj = saved(CLASSIFY2D)
    del obj["buffers"]
    reference = Net(CLASSIFY2D, seed=1)
    np.testing.assert_array_equal(Net.from_json(obj).flat.values, reference.flat.values)


def test_loading_leaves_the_given_dict_unchanged() -> None:
    obj = saved()
    before = copy.deepcopy(obj)
    Net.from_json(obj)
    assert obj == before
