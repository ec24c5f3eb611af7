"""ConvNetJS nets in and out: fixtures made by ConvNetJS itself (tests/convnetjs/make_fixtures.js) load
and compute what ConvNetJS computed, and netplay's exports load in ConvNetJS's own ``Net.fromJSON``
(run by node) and compute what netplay computes."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine import Net, SpecError
from engine.convnetjs import from_convnetjs, is_convnetjs, to_convnetjs
from tests.extras import require_program

HERE = Path(__file__).resolve().parent.parent / "convnetjs"
FIXTURES = HERE / "fixtures.json"


@cache
def fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())


def volume_array(volume: dict[str, Any]) -> np.ndarray:
    """A ConvNetJS Vol as netplay's input for one example: (D,) for 1x1xD, else (depth, sy, sx)."""
    sx, sy, depth = volume["sx"], volume["sy"], volume["depth"]
    values = np.array([volume["w"][str(i)] for i in range(sx * sy * depth)]).reshape(sy, sx, depth)
    return values.reshape(depth) if sx == sy == 1 else values.transpose(2, 0, 1)


def as_volume(x: np.ndarray) -> dict[str, Any]:
    """One netplay input example as a ConvNetJS Vol's JSON."""
    images = x.reshape(-1, 1, 1) if x.ndim == 1 else x
    depth, sy, sx = images.shape
    flat = images.transpose(1, 2, 0).reshape(-1)
    return {"sx": sx, "sy": sy, "depth": depth, "w": {str(i): float(v) for i, v in enumerate(flat)}}


def convnetjs_outputs(saved: dict[str, Any], inputs: list[dict[str, Any]]) -> np.ndarray:
    """What ConvNetJS's own Net.fromJSON + forward compute (node, tests/convnetjs/forward.js)."""
    node = shutil.which("node")
    found = node is not None and (HERE / "node_modules" / "convnetjs").is_dir()
    require_program(found, "Node and ConvNetJS: install node, then `npm ci --prefix tests/convnetjs`")
    run = subprocess.run(
        [node, str(HERE / "forward.js")],
        input=json.dumps({"net": saved, "inputs": inputs}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return np.array(json.loads(run.stdout))


@pytest.mark.parametrize("name", sorted(fixtures()))
def test_a_convnetjs_net_computes_in_netplay_what_it_computed_in_convnetjs(name: str) -> None:
    fixture = fixtures()[name]
    assert is_convnetjs(fixture["net"])

    model, _ = from_convnetjs(fixture["net"])
    net = Net.from_json(model)
    x = np.stack([volume_array(volume) for volume in fixture["inputs"]])

    np.testing.assert_allclose(net.forward(x), np.array(fixture["outputs"]), rtol=0, atol=1e-6)


def test_an_import_keeps_convnetjs_s_dropout_and_says_so() -> None:
    model, notes = from_convnetjs(fixtures()["conv_stride_pad_not_tiling"]["net"])

    dropouts = [layer for layer in model["layers"] if layer["type"] == "dropout"]
    assert dropouts == [{"type": "dropout", "drop_prob": 0.3, "scaling": "convnetjs"}]
    assert any("drop_prob at inference" in note for note in notes)
    assert model["imported"] == {"from": "convnetjs", "notes": notes}


def test_an_import_folds_the_fc_before_the_loss_into_the_loss_layer() -> None:
    model, notes = from_convnetjs(fixtures()["fc"]["net"])

    assert [layer["type"] for layer in model["layers"]] == ["input", "fc", "fc", "softmax"]
    assert [layer["activation"] for layer in model["layers"][1:3]] == ["tanh", "relu"]  # as makeLayers read
    assert model["layers"][-1] == {"type": "softmax", "num_classes": 3}
    assert notes == []


def test_saved_weights_may_be_plain_lists() -> None:
    saved = copy.deepcopy(fixtures()["regression"]["net"])
    for record in saved["layers"]:
        for volume in [*record.get("filters", []), *([record["biases"]] if "biases" in record else [])]:
            volume["w"] = [volume["w"][str(i)] for i in range(len(volume["w"]))]

    net = Net.from_json(from_convnetjs(saved)[0])
    x = np.stack([volume_array(volume) for volume in fixtures()["regression"]["inputs"]])

    np.testing.assert_allclose(net.forward(x), fixtures()["regression"]["outputs"], atol=1e-6)


@pytest.mark.tools
@pytest.mark.parametrize("name", sorted(fixtures()))
def test_an_export_loads_in_convnetjs_and_computes_what_netplay_computes(name: str) -> None:
    net = Net.from_json(from_convnetjs(fixtures()[name]["net"])[0])
    x = np.random.default_rng(0).uniform(-1, 1, size=(5, *net.input_shape))

    saved, _ = to_convnetjs(net)

    np.testing.assert_allclose(
        convnetjs_outputs(saved, [as_volume(row) for row in x]), net.forward(x), atol=1e-6
    )
    again = Net.from_json(from_convnetjs(saved)[0])
    np.testing.assert_array_equal(again.flat.values, net.flat.values)


@pytest.mark.tools
def test_a_netplay_net_exports_without_its_dropout_and_computes_the_same() -> None:
    net = Net(
        [
            {"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 1},
            {"type": "conv", "sx": 3, "filters": 3, "stride": 2, "activation": "relu", "drop_prob": 0.4},
            {"type": "fc", "num_neurons": 4, "activation": "tanh"},
            {"type": "regression", "num_neurons": 2},
        ],
        seed=3,
        dtype="float64",
    )
    x = np.random.default_rng(1).uniform(-1, 1, size=(3, *net.input_shape))

    saved, notes = to_convnetjs(net)

    types = [record["layer_type"] for record in saved["layers"]]
    assert types == ["input", "conv", "relu", "fc", "tanh", "fc", "regression"]
    assert len(notes) == 1 and notes[0].startswith("layer 1 (dropout): left out")
    np.testing.assert_allclose(
        convnetjs_outputs(saved, [as_volume(row) for row in x]), net.forward(x), atol=1e-6
    )


@pytest.mark.parametrize(
    ("layer", "fragment"),
    [
        ({"type": "leaky_relu"}, "layer 2 (leaky_relu): ConvNetJS has no leaky_relu layer"),
        ({"type": "batchnorm"}, "layer 2 (batchnorm): ConvNetJS has no batchnorm layer"),
        ({"type": "pool", "sx": 2, "kind": "avg"}, "layer 2 (pool): ConvNetJS has no average pooling"),
    ],
    ids=["leaky_relu", "batchnorm", "avg-pool"],
)
def test_an_export_refuses_a_layer_convnetjs_cannot_compute(layer: dict[str, Any], fragment: str) -> None:
    net = Net([{"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 1},
               {"type": "conv", "sx": 3, "filters": 2, "pad": 1}, layer,
               {"type": "softmax", "num_classes": 2}])  # fmt: skip

    with pytest.raises(SpecError) as caught:
        to_convnetjs(net)

    assert str(caught.value).startswith(fragment)
    assert caught.value.path == ("layers", 2)


def broken(change: Any) -> dict[str, Any]:
    saved = copy.deepcopy(fixtures()["conv_maxout"]["net"])
    change(saved["layers"])
    return saved


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        (lambda layers: layers.insert(2, {"layer_type": "lrn", "k": 2}), ("layers", 2, "layer_type"),
         "layer 2 (lrn): local response normalisation has no netplay layer"),
        (lambda layers: layers[1].update(layer_type="dense"), ("layers", 1, "layer_type"),
         "unknown layer_type"),
        (lambda layers: layers[1]["filters"][0].update(sx=5), ("layers", 1, "filters", 0),
         "layers.1.filters.0: is 5x3x1, the net needs 3x3x1"),
        (lambda layers: layers[1]["filters"][1]["w"].pop("4"), ("layers", 1, "filters", 1, "w"),
         "has no value 4"),
        (lambda layers: layers[1]["biases"]["w"].update({"0": "x"}), ("layers", 1, "biases", "w"),
         "numbers only"),
        (lambda layers: layers[1].update(sx=0), ("layers", 1, "sx"), "sx must be an integer >= 1, got 0"),
        (lambda layers: layers.pop(0), ("layers", 0, "layer_type"), "the first layer must be input"),
        (lambda layers: layers.pop(4), ("layers", 4), "needs an fc layer right before a loss layer"),
    ],
    ids=["lrn", "unknown-type", "filter-size", "missing-value", "not-a-number", "zero-window", "no-input",
         "no-fc-before-loss"],
)  # fmt: skip
def test_a_broken_convnetjs_net_is_refused_naming_the_field(change: Any, path: tuple, fragment: str) -> None:
    with pytest.raises(SpecError) as caught:
        from_convnetjs(broken(change))

    assert fragment in str(caught.value)
    assert caught.value.path == path
