"""`Net.inspect`: every layer's output gradient and every conv layer's filter gradient against centred
differences of the inference-mode loss, and the training state it must leave alone."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from engine import Net, make_optimizer
from engine.inspection import loss_output_gradient
from tests.engine.gradcheck import assert_gradients_close, numerical_gradient

# Every layer type whose inference backward differs from its training one (batchnorm, both dropout
# scalings) or has a kink or a choice (relu, max pool, maxout), on a padded strided conv. No relu feeds
# a maximum: its zeros would tie, and a tie has no derivative for finite differences to find.
SMALL_NET: list[dict[str, Any]] = [
    {"type": "input", "out_sx": 7, "out_sy": 6, "out_depth": 2},
    {"type": "conv", "sx": 3, "filters": 4, "stride": 2, "pad": 1},
    {"type": "batchnorm"},
    {"type": "leaky_relu", "alpha": 0.1},
    {"type": "pool", "sx": 2, "stride": 1},
    {"type": "dropout", "drop_prob": 0.3, "scaling": "convnetjs"},
    {"type": "conv", "sx": 2, "filters": 4, "stride": 1, "pad": 0},
    {"type": "maxout", "group_size": 2},
    {"type": "fc", "num_neurons": 5, "activation": "relu", "drop_prob": 0.5},
]
LOSSES = {
    "softmax": ({"type": "softmax", "num_classes": 3}, lambda rng: rng.integers(0, 3, 2)),
    "svm": ({"type": "svm", "num_classes": 3}, lambda rng: rng.integers(0, 3, 2)),
    "regression": ({"type": "regression", "num_neurons": 3}, lambda rng: rng.standard_normal((2, 3))),
}


def inference_loss(net: Net, index: int, value: np.ndarray, targets: np.ndarray) -> float:
    """The loss with layer `index`'s output replaced by `value`: the layers after it at inference."""
    out = value.copy()
    for layer in net.layers[index + 1 :]:
        out = layer.forward(out, False)
    loss_layer = net.layers[-1]
    loss_layer.out = out  # only for index == last does no forward set it
    return loss_output_gradient(loss_layer, net.check_targets(targets, len(out)))[0]


def small_net(loss: str) -> tuple[Net, np.ndarray, np.ndarray]:
    """A float64 net ending in `loss` with non-trivial batchnorm statistics, two inputs, targets."""
    net = Net([*SMALL_NET, LOSSES[loss][0]], seed=3, dtype="float64")
    rng = np.random.default_rng(7)
    batchnorm = net.layers[2]
    batchnorm.buffers["running_mean"][...] = rng.standard_normal(4)
    batchnorm.buffers["running_var"][...] = rng.uniform(0.5, 2.0, 4)
    batchnorm.params["gamma"][...] = rng.uniform(0.5, 1.5, 4)
    return net, rng.standard_normal((2, 2, 6, 7)), LOSSES[loss][1](rng)


@pytest.mark.parametrize("loss", sorted(LOSSES))
def test_output_gradients_equal_finite_differences_of_the_loss(loss: str) -> None:
    net, x, y = small_net(loss)
    inspection = net.inspect(x, y)
    assert [layer.type for layer in net.layers] == [
        "input", "conv", "batchnorm", "leaky_relu", "pool", "dropout", "conv", "maxout", "fc", "relu",
        "dropout", "fc", loss,
    ]  # fmt: skip
    assert inspection.loss == pytest.approx(inference_loss(net, 0, x, y), rel=1e-12)
    for index, (output, grad) in enumerate(zip(inspection.outputs, inspection.output_grads, strict=True)):
        assert grad.shape == output.shape
        point = output.copy()
        numeric = numerical_gradient(lambda: inference_loss(net, index, point, y), point)  # noqa: B023
        assert np.any(grad != 0), f"layer {index}: an all-zero gradient proves nothing"
        assert_gradients_close(grad, numeric, 1e-6)


def test_filter_gradients_equal_finite_differences_over_the_weights() -> None:
    net, x, y = small_net("softmax")
    inspection = net.inspect(x, y)
    assert sorted(inspection.filter_grads) == [1, 6]
    for index, analytic in inspection.filter_grads.items():
        weights = net.layers[index].params["w"]
        numeric = numerical_gradient(lambda: inference_loss(net, 0, x, y), weights)
        assert analytic.shape == weights.shape
        assert_gradients_close(analytic, numeric, 1e-6)


def test_a_softmax_output_gradient_is_minus_one_over_the_label_probability() -> None:
    net, x, y = small_net("softmax")
    inspection = net.inspect(x, y)
    probs = inspection.outputs[-1]
    expected = np.zeros_like(probs)
    expected[[0, 1], y] = -1.0 / (2 * probs[[0, 1], y])
    np.testing.assert_allclose(inspection.output_grads[-1], expected, rtol=1e-12)
    # the gradient with respect to the scores is the one the net learns from: (p - one-hot) / N
    one_hot = np.eye(3)[y]
    np.testing.assert_allclose(inspection.output_grads[-2], (probs - one_hot) / 2, rtol=1e-9, atol=1e-15)


def test_inspect_leaves_weights_gradients_generator_and_need_dx_as_training_left_them() -> None:
    net, x, y = small_net("softmax")
    optimizer = make_optimizer(net, {"method": "adam", "batch_size": 2})
    net.train_step(x, y, optimizer)
    net.compute_gradients(x[::-1], y[::-1])  # gradients an optimizer step would read next
    before = (net.flat.values.copy(), net.flat.grads.copy(), net.rng.bit_generator.state)
    need_dx = [layer.need_dx for layer in net.layers]
    assert not all(need_dx), "the check needs a layer that skips its input gradient in training"
    net.inspect(x[:1], y[:1])
    np.testing.assert_array_equal(net.flat.values, before[0])
    np.testing.assert_array_equal(net.flat.grads, before[1])
    assert net.rng.bit_generator.state == before[2]
    assert [layer.need_dx for layer in net.layers] == need_dx


def test_inspect_refuses_bad_labels_naming_the_field() -> None:
    net, x, _ = small_net("softmax")
    with pytest.raises(ValueError, match=r"y: labels must be in 0\.\.2") as caught:
        net.inspect(x, np.array([0, 3]))
    assert caught.value.path == ("y",)
