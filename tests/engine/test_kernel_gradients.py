"""Every kernel's backward pass against centred differences of its forward pass, in float64."""

from __future__ import annotations

import numpy as np
import pytest

from engine.kernels import activations as act
from engine.kernels.dense import fc_backward, fc_forward
from engine.kernels.losses import regression_loss, softmax, softmax_loss, svm_loss
from engine.kernels.normalization import batchnorm_backward, batchnorm_forward
from engine.kernels.spatial import (
    avg_pool_backward,
    avg_pool_forward,
    conv_backward,
    conv_forward,
    max_pool_backward,
    max_pool_forward,
)
from tests.engine.gradcheck import (
    assert_gradients_close,
    away_from_zero,
    distinct_values,
    numerical_gradient,
    numerical_gradient_array,
)


def test_fc_backward_matches_numerical_gradients() -> None:
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    dout = rng.standard_normal((4, 3))
    dx, dw, db = fc_backward(dout, x, w)
    assert_gradients_close(dx, numerical_gradient_array(lambda: fc_forward(x, w, b), x, dout))
    assert_gradients_close(dw, numerical_gradient_array(lambda: fc_forward(x, w, b), w, dout))
    assert_gradients_close(db, numerical_gradient_array(lambda: fc_forward(x, w, b), b, dout))


def test_fc_backward_without_dx_still_gives_weight_gradients() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    dout = rng.standard_normal((3, 2))
    dx, dw, db = fc_backward(dout, x, w, need_dx=False)
    assert dx is None
    np.testing.assert_allclose(dw, x.T @ dout)
    np.testing.assert_allclose(db, dout.sum(axis=0))


CONV_GEOMETRIES = [
    # (H, W, kh, kw, stride, pad)
    (5, 5, 3, 3, 1, 0),
    (5, 5, 3, 3, 1, 1),
    (7, 7, 3, 3, 2, 0),
    (7, 7, 3, 3, 2, 1),
    (6, 6, 2, 2, 2, 0),
    (8, 6, 3, 2, 1, 1),
    (6, 6, 5, 5, 1, 2),
    (4, 4, 1, 1, 1, 0),
    (9, 9, 3, 3, 3, 0),
    # windows that do not tile the input: the last rows and columns are left out, as ConvNetJS does
    (6, 6, 3, 3, 2, 0),
    (8, 7, 3, 2, 2, 1),
    (7, 7, 2, 2, 2, 0),
]


@pytest.mark.parametrize(("height", "width", "kh", "kw", "stride", "pad"), CONV_GEOMETRIES)
def test_conv_backward_matches_numerical_gradients(
    height: int, width: int, kh: int, kw: int, stride: int, pad: int
) -> None:
    rng = np.random.default_rng(height * 100 + kh * 10 + stride + pad)
    x = rng.standard_normal((2, 3, height, width))
    w = rng.standard_normal((4, 3, kh, kw))
    b = rng.standard_normal(4)
    out, cols = conv_forward(x, w, b, stride, pad)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward(dout, cols, w, x.shape, stride, pad)

    def forward() -> np.ndarray:
        return conv_forward(x, w, b, stride, pad)[0]

    assert_gradients_close(dx, numerical_gradient_array(forward, x, dout))
    assert_gradients_close(dw, numerical_gradient_array(forward, w, dout))
    assert_gradients_close(db, numerical_gradient_array(forward, b, dout))


@pytest.mark.parametrize(("height", "width", "kh", "kw", "stride", "pad"), CONV_GEOMETRIES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_backward_matches_numerical_gradients(
    kind: str, height: int, width: int, kh: int, kw: int, stride: int, pad: int
) -> None:
    if pad >= min(kh, kw):
        pad = min(kh, kw) - 1  # a pooling window must always see at least one real value
    rng = np.random.default_rng(height * 100 + kh * 10 + stride + pad)
    x = distinct_values(rng, (2, 3, height, width))
    if kind == "max":
        out, cache = max_pool_forward(x, kh, kw, stride, pad)
        dout = rng.standard_normal(out.shape)
        dx = max_pool_backward(dout, out, cache, x.shape, kh, kw, stride, pad)

        def forward() -> np.ndarray:
            return max_pool_forward(x, kh, kw, stride, pad)[0]
    else:
        out = avg_pool_forward(x, kh, kw, stride, pad)
        dout = rng.standard_normal(out.shape)
        dx = avg_pool_backward(dout, x.shape, kh, kw, stride, pad)

        def forward() -> np.ndarray:
            return avg_pool_forward(x, kh, kw, stride, pad)

    assert_gradients_close(dx, numerical_gradient_array(forward, x, dout))


@pytest.mark.parametrize("shape", [(6, 4), (4, 3, 3, 2)])
def test_batchnorm_backward_matches_numerical_gradients(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape) * 2 + 1
    gamma, beta = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    out, (x_hat, inv_std, _, _) = batchnorm_forward(x, gamma, beta, 1e-5)
    dout = rng.standard_normal(out.shape)
    dx, dgamma, dbeta = batchnorm_backward(dout, gamma, x_hat, inv_std)

    def forward() -> np.ndarray:
        return batchnorm_forward(x, gamma, beta, 1e-5)[0]

    assert_gradients_close(dx, numerical_gradient_array(forward, x, dout), 1e-5)
    assert_gradients_close(dgamma, numerical_gradient_array(forward, gamma, dout))
    assert_gradients_close(dbeta, numerical_gradient_array(forward, beta, dout))


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 4, 4)])
def test_activation_backward_matches_numerical_gradients(name: str, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(7)
    x = away_from_zero(rng, shape) * 2
    dout = rng.standard_normal(shape)
    if name == "leaky_relu":

        def forward() -> np.ndarray:
            return act.leaky_relu_forward(x, 0.1)

        dx = act.leaky_relu_backward(dout, x, 0.1)
    else:
        forward_kernel = getattr(act, f"{name}_forward")

        def forward() -> np.ndarray:
            return forward_kernel(x)

        dx = getattr(act, f"{name}_backward")(dout, forward())
    assert_gradients_close(dx, numerical_gradient_array(forward, x, dout))


@pytest.mark.parametrize(("shape", "group_size"), [((4, 6), 2), ((4, 6), 3), ((2, 6, 3, 3), 2), ((3, 4), 4)])
def test_maxout_backward_matches_numerical_gradients(shape: tuple[int, ...], group_size: int) -> None:
    rng = np.random.default_rng(group_size)
    x = distinct_values(rng, shape)
    out, winners = act.maxout_forward(x, group_size)
    dout = rng.standard_normal(out.shape)
    dx = act.maxout_backward(dout, winners, group_size)

    def forward() -> np.ndarray:
        return act.maxout_forward(x, group_size)[0]

    assert_gradients_close(dx, numerical_gradient_array(forward, x, dout))


def test_maxout_takes_the_maximum_of_consecutive_channels() -> None:
    x = np.array([[1.0, 5.0, -2.0, -3.0, 0.5, 0.25]])
    out, _ = act.maxout_forward(x, 2)
    np.testing.assert_array_equal(out, [[5.0, -2.0, 0.5]])
    out3, _ = act.maxout_forward(x, 3)
    np.testing.assert_array_equal(out3, [[5.0, 0.5]])


@pytest.mark.parametrize("seed", range(4))
def test_softmax_loss_gradient_matches_numerical_gradient(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((6, 4)) * 3
    y = rng.integers(0, 4, size=6)
    _, dscores = softmax_loss(softmax(scores), y)
    numeric = numerical_gradient(lambda: softmax_loss(softmax(scores), y)[0], scores)
    assert_gradients_close(dscores, numeric)


@pytest.mark.parametrize("seed", range(4))
def test_svm_loss_gradient_matches_numerical_gradient(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((6, 4))
    y = rng.integers(0, 4, size=6)
    margins = scores - scores[np.arange(6), y][:, None] + 1
    assert np.min(np.abs(margins)) > 1e-4, "test data must stay away from the hinge"
    _, dscores = svm_loss(scores, y)
    numeric = numerical_gradient(lambda: svm_loss(scores, y)[0], scores)
    assert_gradients_close(dscores, numeric)


def test_regression_loss_gradient_matches_numerical_gradient() -> None:
    rng = np.random.default_rng(3)
    pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    _, dpred = regression_loss(pred.copy(), target)
    numeric = numerical_gradient(lambda: regression_loss(pred.copy(), target)[0], pred)
    assert_gradients_close(dpred, numeric)


def test_losses_follow_convnetjs_definitions() -> None:
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    y = np.array([0, 1])
    probs = softmax(scores)
    loss, _ = softmax_loss(probs, y)
    assert loss == pytest.approx(-(np.log(probs[0, 0]) + np.log(probs[1, 1])) / 2)
    # hinge with margin 1: row 0: max(0, 1-2+1) + max(0, 0-2+1) = 0; row 1: max(0, 0+1) + max(0, 3+1) = 5
    hinge, _ = svm_loss(scores, y)
    assert hinge == pytest.approx(5 / 2)
    half_squared, _ = regression_loss(np.array([[1.0, 2.0], [0.0, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]]))
    assert half_squared == pytest.approx((0.5 * 5 + 0.5 * 1) / 2)


def test_softmax_is_stable_for_large_scores() -> None:
    probs = softmax(np.array([[1000.0, 0.0], [-1000.0, 1000.0]]))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    loss, dscores = softmax_loss(probs, np.array([1, 0]))
    assert np.isfinite(loss)
    assert np.all(np.isfinite(dscores))


def test_sigmoid_does_not_overflow_for_large_inputs() -> None:
    out = act.sigmoid_forward(np.array([-1000.0, 0.0, 1000.0]))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])
