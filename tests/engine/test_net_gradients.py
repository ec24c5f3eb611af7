"""Gradient checks through the layer interface (every layer type, d output / d input and d params) and
for whole nets (`compute_gradients` against centred differences of the loss over ``net.flat.values``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net
from engine.definitions import FIELDS
from engine.layers import batch_shape
from tests.engine.gradcheck import (
    assert_gradients_close,
    away_from_zero,
    check_net_gradients,
    distinct_values,
    numerical_gradient,
)


def image_input(sx: int, sy: int, depth: int) -> dict[str, Any]:
    return {"type": "input", "out_sx": sx, "out_sy": sy, "out_depth": depth}


def vector_input(depth: int) -> dict[str, Any]:
    return image_input(1, 1, depth)


SOFTMAX3 = {"type": "softmax", "num_classes": 3}


# (case id, layer definitions, index of the desugared layer to check, how to draw its input)
LAYER_CASES: list[tuple[str, list[dict[str, Any]], int, str]] = [
    ("fc", [vector_input(5), {"type": "fc", "num_neurons": 4}, SOFTMAX3], 1, "normal"),
    ("fc_on_images", [image_input(3, 2, 2), {"type": "fc", "num_neurons": 4}, SOFTMAX3], 1, "normal"),
    ("relu", [vector_input(6), {"type": "relu"}, SOFTMAX3], 1, "away_from_zero"),
    ("relu_images", [image_input(3, 3, 2), {"type": "relu"}, SOFTMAX3], 1, "away_from_zero"),
    ("leaky_relu", [vector_input(6), {"type": "leaky_relu", "alpha": 0.2}, SOFTMAX3], 1, "away_from_zero"),
    ("sigmoid", [image_input(2, 3, 2), {"type": "sigmoid"}, SOFTMAX3], 1, "normal"),
    ("tanh", [vector_input(6), {"type": "tanh"}, SOFTMAX3], 1, "normal"),
    ("maxout", [vector_input(6), {"type": "maxout", "group_size": 3}, SOFTMAX3], 1, "distinct"),
    ("maxout_images", [image_input(2, 2, 4), {"type": "maxout"}, SOFTMAX3], 1, "distinct"),
    ("dropout", [vector_input(8), {"type": "dropout", "drop_prob": 0.5}, SOFTMAX3], 1, "normal"),
    ("dropout_images", [image_input(3, 3, 2), {"type": "dropout", "drop_prob": 0.3}, SOFTMAX3], 1, "normal"),
    ("batchnorm", [vector_input(4), {"type": "batchnorm"}, SOFTMAX3], 1, "normal"),
    ("batchnorm_images", [image_input(3, 3, 2), {"type": "batchnorm"}, SOFTMAX3], 1, "normal"),
    ("conv", [image_input(5, 5, 2), {"type": "conv", "sx": 3, "filters": 3}, SOFTMAX3], 1, "normal"),
    (
        "conv_stride2_pad1",
        [image_input(7, 7, 2), {"type": "conv", "sx": 3, "filters": 3, "stride": 2, "pad": 1}, SOFTMAX3],
        1,
        "normal",
    ),
    (
        "conv_rectangular",
        [image_input(6, 5, 1), {"type": "conv", "sx": 2, "sy": 3, "filters": 2, "pad": 1}, SOFTMAX3],
        1,
        "normal",
    ),
    (
        "conv_on_vector",
        [vector_input(3), {"type": "conv", "sx": 1, "filters": 4}, SOFTMAX3],
        1,
        "normal",
    ),
    ("pool_max", [image_input(4, 4, 2), {"type": "pool", "sx": 2}, SOFTMAX3], 1, "distinct"),
    (
        "pool_max_stride1_pad1",
        [image_input(5, 5, 2), {"type": "pool", "sx": 3, "stride": 1, "pad": 1}, SOFTMAX3],
        1,
        "distinct",
    ),
    (
        "pool_max_overlapping",
        [image_input(7, 7, 1), {"type": "pool", "sx": 3, "stride": 2}, SOFTMAX3],
        1,
        "distinct",
    ),
    (
        "pool_avg",
        [image_input(6, 6, 2), {"type": "pool", "sx": 3, "stride": 3, "kind": "avg"}, SOFTMAX3],
        1,
        "normal",
    ),
    (
        "pool_avg_stride2_pad1",
        [image_input(5, 5, 2), {"type": "pool", "sx": 3, "stride": 2, "pad": 1, "kind": "avg"}, SOFTMAX3],
        1,
        "normal",
    ),
]


def draw(kind: str, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    if kind == "away_from_zero":
        return away_from_zero(rng, shape)
    if kind == "distinct":
        return distinct_values(rng, shape)
    return rng.standard_normal(shape)


@pytest.mark.parametrize(
    ("defs", "index", "input_kind"),
    [pytest.param(defs, index, kind, id=name) for name, defs, index, kind in LAYER_CASES],
)
def test_layer_backward_matches_numerical_gradients(
    defs: list[dict[str, Any]], index: int, input_kind: str
) -> None:
    rng = np.random.default_rng(index + len(defs))
    net = Net(defs, dtype=np.float64, seed=3)
    layer = net.layers[index]
    layer.need_dx = True
    x = draw(input_kind, rng, (4, *batch_shape(layer.in_shape)))

    def forward() -> np.ndarray:
        if layer.type == "dropout":
            layer.rng = np.random.default_rng(99)  # the same mask on every call
        return layer.forward(x, True)

    out = forward()
    assert out.shape == (4, *batch_shape(layer.out_shape))
    dout = rng.standard_normal(out.shape)
    dx = np.array(layer.backward(dout))
    param_grads = {name: grad.copy() for name, grad in layer.grads.items()}

    def projected() -> float:
        return float(np.sum(forward() * dout))

    assert_gradients_close(dx, numerical_gradient(projected, x), 1e-5)
    for name, grad in param_grads.items():
        assert_gradients_close(grad, numerical_gradient(projected, layer.params[name]), 1e-5)


def test_dropout_backward_uses_the_forward_mask() -> None:
    net = Net([vector_input(200), {"type": "dropout", "drop_prob": 0.5}, SOFTMAX3], dtype=np.float64)
    layer = net.layers[1]
    layer.need_dx = True
    x = np.ones((3, 200))
    out = layer.forward(x, True)
    dx = layer.backward(np.ones_like(out))
    np.testing.assert_array_equal(dx, out)  # both are the mask for an all-ones input


# Whole nets: (case id, layer definitions).
NET_CASES: list[tuple[str, list[dict[str, Any]]]] = [
    ("fc_relu", [vector_input(3), {"type": "fc", "num_neurons": 5, "activation": "relu"}, SOFTMAX3]),
    (
        "fc_leaky_relu",
        [
            vector_input(3),
            {"type": "fc", "num_neurons": 5, "activation": "leaky_relu", "alpha": 0.1},
            SOFTMAX3,
        ],
    ),
    ("fc_sigmoid", [vector_input(3), {"type": "fc", "num_neurons": 5, "activation": "sigmoid"}, SOFTMAX3]),
    (
        "fc_tanh_x2",
        [
            vector_input(2),
            {"type": "fc", "num_neurons": 4, "activation": "tanh"},
            {"type": "fc", "num_neurons": 4, "activation": "tanh"},
            SOFTMAX3,
        ],
    ),
    (
        "fc_maxout",
        [
            vector_input(3),
            {"type": "fc", "num_neurons": 6, "activation": "maxout", "group_size": 3},
            SOFTMAX3,
        ],
    ),
    (
        "fc_dropout",
        [vector_input(3), {"type": "fc", "num_neurons": 6, "activation": "tanh", "drop_prob": 0.4}, SOFTMAX3],
    ),
    (
        "fc_batchnorm",
        [
            vector_input(3),
            {"type": "fc", "num_neurons": 4},
            {"type": "batchnorm"},
            {"type": "tanh"},
            SOFTMAX3,
        ],
    ),
    (
        "svm",
        [
            vector_input(3),
            {"type": "fc", "num_neurons": 5, "activation": "tanh"},
            {"type": "svm", "num_classes": 3},
        ],
    ),
    (
        "regression",
        [
            vector_input(3),
            {"type": "fc", "num_neurons": 5, "activation": "tanh"},
            {"type": "regression", "num_neurons": 2},
        ],
    ),
    (
        "conv_relu_pool_max",
        [
            image_input(6, 6, 2),
            {"type": "conv", "sx": 3, "filters": 3, "pad": 1, "activation": "relu"},
            {"type": "pool", "sx": 2, "stride": 2},
            SOFTMAX3,
        ],
    ),
    (
        "conv_stride2_pool_avg",
        [
            image_input(7, 7, 1),
            {"type": "conv", "sx": 3, "filters": 2, "stride": 2},
            {"type": "pool", "sx": 3, "stride": 3, "kind": "avg"},
            {"type": "svm", "num_classes": 3},
        ],
    ),
    (
        "conv_pad2_tanh_pool_overlap",
        [
            image_input(5, 5, 1),
            {"type": "conv", "sx": 5, "filters": 2, "pad": 2, "activation": "tanh"},
            {"type": "pool", "sx": 3, "stride": 1, "pad": 1},
            SOFTMAX3,
        ],
    ),
    (
        "conv_batchnorm_maxout",
        [
            image_input(4, 4, 2),
            {"type": "conv", "sx": 3, "filters": 4, "pad": 1},
            {"type": "batchnorm"},
            {"type": "maxout", "group_size": 2},
            {"type": "regression", "num_neurons": 2},
        ],
    ),
    (
        "conv_dropout_sigmoid",
        [
            image_input(4, 4, 1),
            {"type": "conv", "sx": 2, "filters": 3, "stride": 2, "activation": "sigmoid", "drop_prob": 0.3},
            SOFTMAX3,
        ],
    ),
    (
        "parameter_free_layers_first",
        [
            image_input(4, 4, 2),
            {"type": "batchnorm"},
            {"type": "pool", "sx": 2, "stride": 2},
            {"type": "sigmoid"},
            {"type": "fc", "num_neurons": 3, "activation": "relu"},
            SOFTMAX3,
        ],
    ),
    (
        "mnist_like",
        [
            image_input(8, 8, 1),
            {"type": "conv", "sx": 3, "filters": 3, "pad": 1, "activation": "relu"},
            {"type": "pool", "sx": 2, "stride": 2},
            {"type": "conv", "sx": 3, "filters": 4, "pad": 1, "activation": "relu"},
            {"type": "pool", "sx": 2, "stride": 2},
            SOFTMAX3,
        ],
    ),
    (
        "convnetjs_geometry",  # windows that do not tile, and a maxout with a channel left over
        [
            image_input(8, 7, 2),
            {"type": "conv", "sx": 3, "filters": 5, "stride": 2, "pad": 1, "activation": "maxout"},
            {"type": "pool", "sx": 2, "stride": 2},
            SOFTMAX3,
        ],
    ),
]


def targets_for(net: Net, rng: np.random.Generator, count: int) -> np.ndarray:
    if net.loss_type == "regression":
        return rng.standard_normal((count, net.num_outputs))
    return rng.integers(0, net.num_outputs, size=count)


def gradient_paths() -> list[Any]:
    """Every net case on its default path; the multilayer perceptrons, which take the fused path by
    default (engine.mlp_step), also layer by layer."""
    params = []
    for name, defs in NET_CASES:
        params.append(pytest.param(defs, "default", id=name))
        if Net(defs).mlp_step is not None:
            params.append(pytest.param(defs, "layered", id=f"{name}-layered"))
    return params


@pytest.mark.parametrize(("defs", "path"), gradient_paths())
def test_net_gradients_match_numerical_gradients(defs: list[dict[str, Any]], path: str) -> None:
    rng = np.random.default_rng(len(defs))
    net = Net(defs, dtype=np.float64, seed=5)
    if path == "layered":
        net.mlp_step = None
    x = rng.standard_normal((5, *net.input_shape))
    y = targets_for(net, rng, 5)
    check_net_gradients(net, x, y, tolerance=1e-5)


def test_net_gradients_cover_every_layer_type() -> None:
    covered = {layer["type"] for _, defs in NET_CASES for layer in Net(defs).definitions}
    covered |= {Net(defs).definitions[index]["type"] for _, defs, index, _ in LAYER_CASES}
    assert covered == set(FIELDS)
