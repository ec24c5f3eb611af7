"""The fused training pass of multilayer perceptrons (engine.mlp_step): which nets take it, and that
it computes what the layer-by-layer path computes, to float rounding, step after step."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net, make_optimizer
from engine.demo_nets import CLASSIFY2D_LAYERS
from engine.kernels import activations as act
from engine.mlp_step import PROGRAMS_KEPT
from engine.parameters import weights_with_bias


def vector_input(depth: int) -> dict[str, Any]:
    return {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": depth}


FUSED = {
    "classify2d": CLASSIFY2D_LAYERS,
    "relu_mlp": [
        vector_input(2),
        *[{"type": "fc", "num_neurons": 16, "activation": "relu"}] * 3,
        {"type": "softmax", "num_classes": 2},
    ],
    "sigmoid_leaky_4_classes": [
        vector_input(5),
        {"type": "fc", "num_neurons": 7, "activation": "sigmoid"},
        {"type": "fc", "num_neurons": 3, "activation": "leaky_relu", "alpha": 0.2},
        {"type": "softmax", "num_classes": 4},
    ],
    "linear_hidden_layer": [
        vector_input(3),
        {"type": "fc", "num_neurons": 4},
        {"type": "softmax", "num_classes": 3},
    ],
    "no_hidden_layer": [vector_input(2), {"type": "softmax", "num_classes": 2}],
    "many_classes": [
        vector_input(2),
        {"type": "fc", "num_neurons": 5, "activation": "tanh"},
        {"type": "softmax", "num_classes": 70},
    ],
    "one_output_regression": [
        vector_input(1),
        {"type": "fc", "num_neurons": 8, "activation": "tanh"},
        {"type": "regression", "num_neurons": 1},
    ],
    "regression": [
        vector_input(1),
        {"type": "fc", "num_neurons": 8, "activation": "tanh"},
        {"type": "regression", "num_neurons": 2},
    ],
    # The first fc takes an image flattened in (depth, y, x) order, as the layered fc does.
    "image_input": [
        {"type": "input", "out_sx": 2, "out_sy": 2, "out_depth": 1},
        {"type": "fc", "num_neurons": 3, "activation": "relu"},
        {"type": "softmax", "num_classes": 2},
    ],
    "autoencoder": [
        {"type": "input", "out_sx": 3, "out_sy": 2, "out_depth": 2},
        {"type": "fc", "num_neurons": 5, "activation": "tanh"},
        {"type": "fc", "num_neurons": 2},
        {"type": "fc", "num_neurons": 5, "activation": "tanh"},
        {"type": "regression", "num_neurons": 12},
    ],
}

LAYERED = {
    "svm": [
        vector_input(2),
        {"type": "fc", "num_neurons": 4, "activation": "tanh"},
        {"type": "svm", "num_classes": 2},
    ],
    "dropout": [
        vector_input(2),
        {"type": "fc", "num_neurons": 4, "activation": "tanh", "drop_prob": 0.5},
        {"type": "softmax", "num_classes": 2},
    ],
    "maxout": [
        vector_input(2),
        {"type": "fc", "num_neurons": 4, "activation": "maxout", "group_size": 2},
        {"type": "softmax", "num_classes": 2},
    ],
    "batchnorm": [
        vector_input(2),
        {"type": "fc", "num_neurons": 4},
        {"type": "batchnorm"},
        {"type": "softmax", "num_classes": 2},
    ],
    "two_activations_in_a_row": [
        vector_input(2),
        {"type": "fc", "num_neurons": 4, "activation": "tanh"},
        {"type": "relu"},
        {"type": "softmax", "num_classes": 2},
    ],
    "activation_on_the_input": [vector_input(2), {"type": "tanh"}, {"type": "softmax", "num_classes": 2}],
    "conv": [
        {"type": "input", "out_sx": 3, "out_sy": 3, "out_depth": 1},
        {"type": "conv", "sx": 2, "filters": 2},
        {"type": "softmax", "num_classes": 2},
    ],
}


def batch(net: Net, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, *net.input_shape)).astype(net.dtype)
    if net.loss_type == "regression":
        return x, rng.standard_normal((n, net.num_outputs))
    return x, rng.integers(0, net.num_outputs, size=n)


def fused_and_layered(defs: list[dict[str, Any]], dtype: type = np.float32) -> tuple[Net, Net]:
    fused, layered = Net(defs, seed=3, dtype=dtype), Net(defs, seed=3, dtype=dtype)
    layered.mlp_step = None
    return fused, layered


@pytest.mark.parametrize("name", FUSED)
def test_multilayer_perceptrons_take_the_fused_path(name: str) -> None:
    assert Net(FUSED[name]).mlp_step is not None


@pytest.mark.parametrize("name", LAYERED)
def test_other_nets_train_layer_by_layer(name: str) -> None:
    net = Net(LAYERED[name])
    assert net.mlp_step is None
    x, y = batch(net, 6, seed=0)
    assert np.isfinite(net.compute_gradients(x, y))


@pytest.mark.parametrize("name", FUSED)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_fused_gradients_and_outputs_match_the_layered_path(name: str, dtype: type, rtol: float) -> None:
    fused, layered = fused_and_layered(FUSED[name], dtype)
    x, y = batch(fused, 9, seed=1)
    fused_loss, layered_loss = fused.compute_gradients(x, y), layered.compute_gradients(x, y)
    assert fused_loss == pytest.approx(layered_loss, rel=rtol)
    scale = np.abs(layered.flat.grads).max()
    np.testing.assert_allclose(fused.flat.grads, layered.flat.grads, rtol=rtol, atol=rtol * scale)
    # The loss layer's output, (N, K) probabilities or values, is what training accuracy is read from.
    np.testing.assert_allclose(fused.layers[-1].out, layered.layers[-1].out, rtol=rtol, atol=rtol)
    assert fused.layers[-1].out.shape == (9, fused.num_outputs)


@pytest.mark.parametrize("name", ["classify2d", "relu_mlp", "regression", "autoencoder"])
def test_fused_training_follows_the_layered_trajectory(name: str) -> None:
    fused, layered = fused_and_layered(FUSED[name])
    trainer = {"method": "sgd", "learning_rate": 0.01, "momentum": 0.9, "batch_size": 10, "l2_decay": 0.001}
    fused_optimizer, layered_optimizer = make_optimizer(fused, trainer), make_optimizer(layered, trainer)
    for step in range(200):
        x, y = batch(fused, 10, seed=step % 20)
        fused_loss = fused.train_step(x, y, fused_optimizer)["loss"]
        layered_loss = layered.train_step(x, y, layered_optimizer)["loss"]
        assert fused_loss == pytest.approx(layered_loss, rel=1e-3, abs=1e-6), f"step {step}"
    np.testing.assert_allclose(fused.flat.values, layered.flat.values, rtol=1e-3, atol=1e-5)
    assert not np.array_equal(fused.flat.values, Net(FUSED[name], seed=3).flat.values)


def test_the_same_seed_and_data_give_identical_fused_losses() -> None:
    runs = []
    for _ in range(2):
        net = Net(CLASSIFY2D_LAYERS, seed=4)
        optimizer = make_optimizer(net, {"method": "sgd", "batch_size": 10})
        runs.append([net.train_step(*batch(net, 10, seed), optimizer)["loss"] for seed in range(30)])
    assert runs[0] == runs[1]


def test_batch_sizes_come_and_go_without_mixing_buffers() -> None:
    fused, layered = fused_and_layered(FUSED["sigmoid_leaky_4_classes"], np.float64)
    sizes = [1, 10, 3, 10, *range(20, 20 + PROGRAMS_KEPT + 2), 10, 1]
    for seed, n in enumerate(sizes):
        x, y = batch(fused, n, seed)
        assert fused.compute_gradients(x, y) == pytest.approx(layered.compute_gradients(x, y), rel=1e-12)
        np.testing.assert_allclose(fused.flat.grads, layered.flat.grads, rtol=1e-10, atol=1e-14)
    assert len(fused.mlp_step._programs) <= PROGRAMS_KEPT


def test_a_step_leaves_the_callers_arrays_and_the_weights_alone() -> None:
    net = Net(CLASSIFY2D_LAYERS, seed=0)
    x, y = batch(net, 10, seed=0)
    x_before, y_before, weights = x.copy(), y.copy(), net.flat.values.copy()
    net.compute_gradients(x, y)
    np.testing.assert_array_equal(x, x_before)
    np.testing.assert_array_equal(y, y_before)
    np.testing.assert_array_equal(net.flat.values, weights)


def test_weights_with_bias_are_live_views_of_w_then_b() -> None:
    net = Net(CLASSIFY2D_LAYERS, seed=0)
    for layer in (layer for layer in net.layers if layer.type == "fc"):
        values, grads = weights_with_bias(net.flat, layer)
        np.testing.assert_array_equal(values, np.vstack([layer.params["w"], layer.params["b"]]))
        values[-1, 0] = 42.0
        grads[0, 0] = -7.0
        assert layer.params["b"][0] == 42.0
        assert layer.grads["w"][0, 0] == -7.0


@pytest.mark.parametrize("name", ["classify2d", "sigmoid_leaky_4_classes", "many_classes"])
def test_fused_softmax_survives_scores_far_beyond_exp_range(name: str) -> None:
    fused, layered = fused_and_layered(FUSED[name], np.float64)
    for net in (fused, layered):
        net.flat.values[...] *= 400.0
    x, y = batch(fused, 8, seed=2)
    assert np.abs(layered.forward(x)).max() <= 1.0
    fused_loss, layered_loss = fused.compute_gradients(x, y), layered.compute_gradients(x, y)
    assert np.isfinite(fused_loss)
    assert fused_loss == pytest.approx(layered_loss, rel=1e-9)
    np.testing.assert_allclose(fused.layers[-1].out, layered.layers[-1].out, rtol=1e-9, atol=1e-12)


def test_a_nan_weight_gives_a_nan_loss_not_a_finite_one() -> None:
    net = Net(CLASSIFY2D_LAYERS, seed=0)
    net.layers[-2].params["w"][0, 0] = np.nan
    x, y = batch(net, 10, seed=0)
    assert np.isnan(net.compute_gradients(x, y))


def leaky_relu_backward(dout: np.ndarray, out: np.ndarray, dx: np.ndarray | None = None) -> np.ndarray:
    return act.leaky_relu_backward(dout, out, 0.1, dx)


@pytest.mark.parametrize(
    "backward",
    [act.tanh_backward, act.relu_backward, act.sigmoid_backward, leaky_relu_backward],
    ids=["tanh", "relu", "sigmoid", "leaky_relu"],
)
def test_activation_backward_into_a_buffer_gives_the_allocated_result(backward: Any) -> None:
    rng = np.random.default_rng(0)
    dout, out = rng.standard_normal((4, 5)), np.tanh(rng.standard_normal((4, 5)))
    dx = np.empty_like(out)
    assert backward(dout, out, dx) is dx
    np.testing.assert_array_equal(dx, backward(dout, out))
