"""The Net's public behaviour: live parameters, compute_gradients, dropout and batchnorm modes, seeds,
introspection, and the rejection of inputs and targets that cannot work."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net, SpecError, make_optimizer
from engine.layers import batch_shape

INPUT2 = {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}
CLASSIFY2D = [
    INPUT2,
    {"type": "fc", "num_neurons": 6, "activation": "tanh"},
    {"type": "fc", "num_neurons": 2, "activation": "tanh"},
    {"type": "softmax", "num_classes": 2},
]
SMALL_CONV = [
    {"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 2},
    {"type": "conv", "sx": 3, "filters": 4, "pad": 1, "activation": "relu"},
    {"type": "pool", "sx": 2, "stride": 2},
    {"type": "conv", "sx": 3, "sy": 2, "filters": 3, "stride": 1, "pad": 1},
    {"type": "softmax", "num_classes": 3},
]


def xor_batch(count: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=(count, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(int)


def test_parameters_are_live_arrays() -> None:
    net = Net(CLASSIFY2D, dtype=np.float64)
    x, _ = xor_batch()
    before = net.forward(x).copy()
    weights, grads = net.parameters()[0]
    assert weights.shape == (2, 6)
    assert grads.shape == weights.shape
    weights *= 3.0
    assert not np.allclose(net.forward(x), before)
    weights /= 3.0
    np.testing.assert_allclose(net.forward(x), before)


def test_parameters_and_flat_buffer_share_memory() -> None:
    net = Net(SMALL_CONV)
    pairs = net.parameters()
    assert len(pairs) == 6  # w and b of two convs and of the inserted fc
    for value, grad in pairs:
        assert np.shares_memory(value, net.flat.values)
        assert np.shares_memory(grad, net.flat.grads)
    net.flat.values[...] = 0.5
    assert all(np.all(value == 0.5) for value, _ in pairs)


def test_compute_gradients_returns_the_mean_data_loss() -> None:
    net = Net(CLASSIFY2D, dtype=np.float64)
    x, y = xor_batch()
    probs = net.forward(x)
    expected = -np.mean(np.log(probs[np.arange(len(y)), y]))
    assert net.compute_gradients(x, y) == pytest.approx(expected, rel=1e-12)


def test_compute_gradients_leaves_gradients_and_does_not_touch_weights() -> None:
    net = Net(CLASSIFY2D, dtype=np.float64)
    x, y = xor_batch()
    weights = net.flat.values.copy()
    net.compute_gradients(x, y)
    np.testing.assert_array_equal(net.flat.values, weights)
    assert np.count_nonzero(net.flat.grads) == net.num_parameters
    first = net.flat.grads.copy()
    net.compute_gradients(x, y)
    np.testing.assert_array_equal(net.flat.grads, first)  # overwritten, not accumulated


def test_compute_gradients_averages_over_the_batch() -> None:
    net = Net(SMALL_CONV, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((1, 2, 6, 6))
    single_loss = net.compute_gradients(x, [2])
    single_grads = net.flat.grads.copy()
    repeated_loss = net.compute_gradients(np.repeat(x, 5, axis=0), [2] * 5)
    assert repeated_loss == pytest.approx(single_loss, rel=1e-12)
    np.testing.assert_allclose(net.flat.grads, single_grads, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("loss", "size_field"), [("svm", "num_classes"), ("regression", "num_neurons")])
def test_compute_gradients_returns_mean_loss_for_svm_and_regression(loss: str, size_field: str) -> None:
    net = Net([INPUT2, {"type": loss, size_field: 3}], dtype=np.float64)
    x, _ = xor_batch(6)
    scores = net.forward(x)
    if loss == "svm":
        y = np.array([0, 1, 2, 0, 1, 2])
        margins = np.maximum(0, scores - scores[np.arange(6), y][:, None] + 1)
        margins[np.arange(6), y] = 0
        expected = margins.sum() / 6
    else:
        y = np.linspace(-1, 1, 18).reshape(6, 3)
        expected = 0.5 * np.square(scores - y).sum() / 6
    assert net.compute_gradients(x, y) == pytest.approx(expected, rel=1e-12)


def test_a_training_step_lowers_the_loss_on_its_batch() -> None:
    net = Net(SMALL_CONV, seed=3)
    x = np.random.default_rng(2).standard_normal((6, 2, 6, 6))
    y = np.array([0, 1, 2, 0, 1, 2])
    optimizer = make_optimizer(net, {"method": "sgd", "learning_rate": 0.05, "momentum": 0.0})
    first = net.train_step(x, y, optimizer)["loss"]
    for _ in range(5):
        last = net.train_step(x, y, optimizer)["loss"]
    assert last < first


# ---- dropout and batchnorm: training and inference modes ----


def test_dropout_is_inverted_and_the_identity_at_inference() -> None:
    drop_prob = 0.3
    net = Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1000},
               {"type": "dropout", "drop_prob": drop_prob}, {"type": "softmax", "num_classes": 2}],
              dtype=np.float64)  # fmt: skip
    dropout = net.layers[1]
    x = np.full((50, 1000), 2.0)
    trained = dropout.forward(x, True)
    kept = trained != 0
    assert kept.mean() == pytest.approx(1 - drop_prob, abs=0.01)
    np.testing.assert_allclose(trained[kept], 2.0 / (1 - drop_prob))
    assert trained.mean() == pytest.approx(2.0, rel=0.02)  # the mean activation is preserved
    np.testing.assert_array_equal(net.layer_output(x, 1), x)
    np.testing.assert_array_equal(net.forward(x), net.forward(x))


def test_dropout_scaled_as_convnetjs_keeps_values_while_training_and_scales_by_drop_prob_after() -> None:
    """ConvNetJS's dropout, which an imported net keeps: no scaling while training, outputs times
    drop_prob (not 1 - drop_prob) at inference."""
    drop_prob = 0.3
    net = Net([{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 1000},
               {"type": "dropout", "drop_prob": drop_prob, "scaling": "convnetjs"},
               {"type": "softmax", "num_classes": 2}], dtype=np.float64)  # fmt: skip
    x = np.full((50, 1000), 2.0)
    trained = net.layers[1].forward(x, True)
    kept = trained != 0
    assert kept.mean() == pytest.approx(1 - drop_prob, abs=0.01)
    np.testing.assert_array_equal(trained[kept], 2.0)
    np.testing.assert_allclose(net.layer_output(x, 1), x * drop_prob)


def test_dropout_draws_a_new_mask_each_training_pass() -> None:
    net = Net(
        [INPUT2, {"type": "fc", "num_neurons": 50, "drop_prob": 0.5}, {"type": "softmax", "num_classes": 2}]
    )
    x, y = xor_batch()
    losses = {net.compute_gradients(x, y) for _ in range(5)}
    assert len(losses) > 1


def test_batchnorm_tracks_running_statistics_for_inference() -> None:
    image = {"type": "input", "out_sx": 2, "out_sy": 2, "out_depth": 3}
    net = Net(
        [image, {"type": "batchnorm", "momentum": 0.5}, {"type": "softmax", "num_classes": 2}],
        dtype=np.float64,
    )
    layer = net.layers[1]
    np.testing.assert_array_equal(layer.buffers["running_mean"], 0)
    np.testing.assert_array_equal(layer.buffers["running_var"], 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 3, 2, 2)) * 3 + 5
    net.compute_gradients(x, rng.integers(0, 2, size=20))
    batch_mean, batch_var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(layer.buffers["running_mean"], 0.5 * batch_mean)
    np.testing.assert_allclose(layer.buffers["running_var"], 0.5 * 1 + 0.5 * batch_var)
    # Inference uses the running values, not the batch's.
    expected = (x - 0.5 * batch_mean[None, :, None, None]) / np.sqrt(
        layer.buffers["running_var"][None, :, None, None] + 1e-5
    )
    np.testing.assert_allclose(net.layer_output(x, 1), expected)
    before = layer.buffers["running_mean"].copy()
    net.forward(x)
    np.testing.assert_array_equal(layer.buffers["running_mean"], before)  # inference changes nothing


# ---- seeds ----


def run_losses(seed: int, steps: int = 6) -> list[float]:
    defs = [INPUT2, {"type": "fc", "num_neurons": 8, "activation": "relu", "drop_prob": 0.2},
            {"type": "batchnorm"}, {"type": "softmax", "num_classes": 2}]  # fmt: skip
    net = Net(defs, seed=seed)
    optimizer = make_optimizer(net, {"method": "adam", "learning_rate": 0.01})
    x, y = xor_batch(16)
    return [net.train_step(x, y, optimizer)["loss"] for _ in range(steps)]


def test_same_definitions_data_and_seed_give_identical_losses() -> None:
    assert run_losses(7) == run_losses(7)


def test_a_different_seed_gives_different_losses() -> None:
    assert run_losses(7) != run_losses(8)


def test_same_seed_gives_identical_initial_weights() -> None:
    np.testing.assert_array_equal(Net(SMALL_CONV, seed=4).flat.values, Net(SMALL_CONV, seed=4).flat.values)
    assert not np.array_equal(Net(SMALL_CONV, seed=4).flat.values, Net(SMALL_CONV, seed=5).flat.values)


def test_initial_weights_follow_convnetjs_scale() -> None:
    wide = {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 400}
    net = Net(
        [wide, {"type": "fc", "num_neurons": 300}, {"type": "softmax", "num_classes": 2}], dtype=np.float64
    )
    weights = net.layers[1].params["w"]
    assert weights.std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)  # N(0, 1 / fan_in)
    assert abs(weights.mean()) < 0.003


# ---- introspection ----


def test_activations_are_one_per_layer_and_index_aligned() -> None:
    net = Net(SMALL_CONV, dtype=np.float64)
    x = np.random.default_rng(0).standard_normal((3, 2, 6, 6))
    activations = net.activations(x)
    assert len(activations) == len(net.layers) == len(net.definitions)
    for layer, activation in zip(net.layers, activations, strict=True):
        assert activation.shape == (3, *batch_shape(layer.out_shape))
    np.testing.assert_array_equal(activations[0], x)
    np.testing.assert_array_equal(activations[-1], net.forward(x))
    np.testing.assert_array_equal(activations[2], np.maximum(activations[1], 0))  # conv, then its relu
    for index in range(len(net.layers)):
        np.testing.assert_array_equal(net.layer_output(x, index), activations[index])


def test_hidden_units_over_a_grid_of_points() -> None:
    net = Net(CLASSIFY2D)
    grid = np.stack(np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)), axis=-1).reshape(-1, 2)
    hidden = net.layer_output(grid, 4)  # the 2-unit tanh layer
    assert hidden.shape == (20, 2)
    assert np.all(np.abs(hidden) < 1)


def test_conv_filters_are_a_copy_shaped_f_c_sy_sx() -> None:
    net = Net(SMALL_CONV)
    filters = net.conv_filters(1)
    assert filters.shape == (4, 2, 3, 3)
    assert net.conv_filters(4).shape == (3, 4, 2, 3)
    np.testing.assert_array_equal(filters, net.layers[1].params["w"])
    filters[...] = 0
    assert np.any(net.layers[1].params["w"] != 0)


@pytest.mark.parametrize("index", [0, 2, 3])
def test_conv_filters_rejects_layers_that_are_not_conv(index: int) -> None:
    net = Net(SMALL_CONV)
    with pytest.raises(SpecError, match=f"layer {index} is {net.layers[index].type}, not conv") as caught:
        net.conv_filters(index)
    assert caught.value.location == "layer"


@pytest.mark.parametrize("index", [-1, 9, 1.0, True, "1"])
def test_layer_index_must_be_in_range(index: Any) -> None:
    net = Net(SMALL_CONV)
    x = np.zeros((1, 2, 6, 6))
    for call in (lambda: net.layer_output(x, index), lambda: net.conv_filters(index)):
        with pytest.raises(SpecError, match=r"layer: must be an index in 0\.\.6") as caught:
            call()
        assert caught.value.location == "layer"


def test_describe_lists_every_desugared_layer() -> None:
    rows = Net(CLASSIFY2D).describe()
    assert rows[0] == {"index": 0, "source": 0, "type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2,
                       "num_params": 0}  # fmt: skip
    assert [(row["type"], row["out_depth"], row["num_params"], row["source"]) for row in rows] == [
        ("input", 2, 0, 0), ("fc", 6, 18, 1), ("tanh", 6, 0, 1), ("fc", 2, 14, 2), ("tanh", 2, 0, 2),
        ("fc", 2, 6, 3), ("softmax", 2, 0, 3)]  # fmt: skip
    assert [row["index"] for row in rows] == list(range(7))


def test_net_reports_its_shape_and_loss() -> None:
    net = Net(SMALL_CONV)
    assert net.input_shape == (2, 6, 6)
    assert net.loss_type == "softmax"
    assert net.num_outputs == 3
    assert Net(CLASSIFY2D).input_shape == (2,)
    assert net.forward(np.zeros((2, 2, 6, 6))).dtype == np.float32
    assert Net(SMALL_CONV, dtype="float64").forward(np.zeros((2, 2, 6, 6))).dtype == np.float64


def test_nested_lists_are_accepted_as_input() -> None:
    net = Net(CLASSIFY2D)
    np.testing.assert_array_equal(net.forward([[0.5, -0.5]]), net.forward(np.array([[0.5, -0.5]])))
    assert net.compute_gradients([[0.5, -0.5], [0.1, 0.2]], [0, 1]) > 0


# ---- bad inputs and targets ----


@pytest.mark.parametrize(
    ("defs", "x", "expected"),
    [
        (CLASSIFY2D, np.zeros(2), "X: expected shape (N, 2), got (2,)"),
        (CLASSIFY2D, np.zeros((3, 3)), "X: expected shape (N, 2), got (3, 3)"),
        (CLASSIFY2D, np.zeros((3, 2, 1, 1)), "X: expected shape (N, 2), got (3, 2, 1, 1)"),
        (SMALL_CONV, np.zeros((3, 6, 6, 2)), "X: expected shape (N, 2, 6, 6), got (3, 6, 6, 2)"),
        (SMALL_CONV, np.zeros((3, 72)), "X: expected shape (N, 2, 6, 6), got (3, 72)"),
    ],
)
def test_rejects_input_of_the_wrong_shape(defs: list[dict[str, Any]], x: np.ndarray, expected: str) -> None:
    net = Net(defs)
    for call in (net.forward, net.activations, lambda x: net.compute_gradients(x, [0] * len(x))):
        with pytest.raises(SpecError) as caught:
            call(x)
        assert str(caught.value) == expected
        assert caught.value.location == "X"


@pytest.mark.parametrize(
    ("y", "expected"),
    [
        ([0, 1, 2], "y: labels must be in 0..1, got 0..2"),
        ([0, -1, 1], "y: labels must be in 0..1, got -1..1"),
        (np.array([0.0, 1.0, 1.0]), "y: expected 3 integer labels, got float64 array of shape (3,)"),
        ([0.5, 1, 0], "y: expected 3 integer labels, got float64 array of shape (3,)"),
        ([0, 1], "y: expected 3 integer labels, got int64 array of shape (2,)"),
        ([[0], [1], [1]], "y: expected 3 integer labels, got int64 array of shape (3, 1)"),
        (np.array([True, False, True]), "y: expected 3 integer labels, got bool array of shape (3,)"),
        (["a", "b", "a"], "y: expected 3 integer labels, got <U1 array of shape (3,)"),
    ],
)
def test_rejects_bad_class_labels(y: Any, expected: str) -> None:
    net = Net(CLASSIFY2D)
    x, _ = xor_batch(3)
    with pytest.raises(SpecError) as caught:
        net.compute_gradients(x, y)
    assert str(caught.value) == expected
    assert caught.value.location == "y"


def test_svm_labels_are_checked_like_softmax_labels() -> None:
    net = Net([INPUT2, {"type": "svm", "num_classes": 3}])
    with pytest.raises(SpecError, match=r"y: labels must be in 0\.\.2, got 0\.\.3"):
        net.compute_gradients(np.zeros((2, 2)), [0, 3])


def test_regression_targets_must_match_the_outputs() -> None:
    net = Net([INPUT2, {"type": "regression", "num_neurons": 2}])
    x = np.zeros((3, 2))
    for y in (np.zeros(3), np.zeros((3, 3)), np.zeros((2, 2)), np.zeros((3, 2, 1))):
        with pytest.raises(SpecError) as caught:
            net.compute_gradients(x, y)
        assert str(caught.value) == f"y: expected shape (3, 2), got {y.shape}"
        assert caught.value.location == "y"
    assert net.compute_gradients(x, np.ones((3, 2))) == pytest.approx(1.0)


def test_single_output_regression_accepts_a_flat_target_vector() -> None:
    net = Net([INPUT2, {"type": "regression", "num_neurons": 1}], dtype=np.float64)
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    assert net.compute_gradients(x, [1.0, 2.0]) == net.compute_gradients(x, [[1.0], [2.0]])


def test_rejects_an_empty_training_batch() -> None:
    net = Net(CLASSIFY2D)
    assert net.forward(np.zeros((0, 2))).shape == (0, 2)  # predicting nothing is fine
    with pytest.raises(SpecError) as caught:
        net.compute_gradients(np.zeros((0, 2)), np.zeros(0, dtype=int))
    assert caught.value.location == "X"


@pytest.mark.parametrize("dtype", ["banana", None])
def test_rejects_dtype_names_numpy_does_not_take_as_float32_or_float64(dtype: Any) -> None:
    with pytest.raises(SpecError, match="dtype: must be float32 or float64") as caught:
        Net(CLASSIFY2D, dtype=dtype)
    assert caught.value.location == "dtype"


@pytest.mark.parametrize(
    "x", [[["a", "b"]], [[1.0, 2.0], [1.0]], [[1.0, 2.0, 3.0], [1.0]], [[1 + 2j, 0.0]], [[float("nan"), 1.0]]]
)
def test_rejects_input_that_is_not_a_numeric_array(x: Any) -> None:
    net = Net(CLASSIFY2D)
    with pytest.raises(SpecError) as caught:
        net.forward(x)
    assert caught.value.location == "X"


# ---- inputs are never changed, and float32 tracks float64 ----

LEADING_ELEMENTWISE = [
    {"type": "input", "out_sx": 4, "out_sy": 4, "out_depth": 2},
    {"type": "relu"},
    {"type": "batchnorm"},
    {"type": "dropout", "drop_prob": 0.5},
    {"type": "pool", "sx": 2, "stride": 2},
    {"type": "sigmoid"},
    {"type": "softmax", "num_classes": 2},
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_callers_input_is_never_modified(dtype: Any) -> None:
    net = Net(LEADING_ELEMENTWISE, dtype=dtype)
    x = np.random.default_rng(0).standard_normal((4, 2, 4, 4)).astype(dtype)
    original = x.copy()
    net.compute_gradients(x, [0, 1, 0, 1])
    net.forward(x)
    net.activations(x)
    np.testing.assert_array_equal(x, original)


def test_nets_that_start_with_parameter_free_layers_train() -> None:
    net = Net(LEADING_ELEMENTWISE, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((4, 2, 4, 4))
    net.compute_gradients(x, [0, 1, 0, 1])
    assert np.all(np.isfinite(net.flat.grads))
    assert np.any(net.layers[2].grads["gamma"] != 0)


def test_float32_nets_track_float64_nets() -> None:
    defs = [{"type": "input", "out_sx": 6, "out_sy": 6, "out_depth": 2}, *SMALL_CONV[1:]]
    single, double = Net(defs, seed=2), Net(defs, seed=2, dtype=np.float64)
    np.testing.assert_allclose(single.flat.values, double.flat.values, rtol=1e-6)
    x = np.random.default_rng(3).standard_normal((5, 2, 6, 6))
    y = np.array([0, 1, 2, 1, 0])
    np.testing.assert_allclose(single.forward(x), double.forward(x), rtol=1e-4, atol=1e-6)
    assert single.compute_gradients(x, y) == pytest.approx(double.compute_gradients(x, y), rel=1e-5)
    np.testing.assert_allclose(single.flat.grads, double.flat.grads, rtol=1e-3, atol=1e-5)
