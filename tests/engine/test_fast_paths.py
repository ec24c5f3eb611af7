"""The speed-ups (tiled bias adds, relu against cached zeros, in-place softmax, 0-d constants, the
optimizer step without its dict, ...) give exactly what the plain NumPy expression gives, on both
sides of every size threshold."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Net, SpecError, make_optimizer
from engine.demo_nets import CLASSIFY2D_LAYERS as CLASSIFY2D
from engine.kernels import activations as act
from engine.kernels.dense import TILED_BIAS_MIN_SIZE, add_bias
from engine.kernels.losses import COLUMN_FOLD_MAX_CLASSES, row_reduce, softmax, softmax_loss


@pytest.mark.parametrize("n", [1, 7, TILED_BIAS_MIN_SIZE // 16, TILED_BIAS_MIN_SIZE // 16 + 5, 10_000])
@pytest.mark.parametrize("m", [1, 2, 16, 300])
def test_add_bias_matches_broadcasting(n: int, m: int) -> None:
    rng = np.random.default_rng(n * m)
    out = rng.standard_normal((n, m)).astype(np.float32)
    b = rng.standard_normal(m).astype(np.float32)
    expected = out + b
    assert add_bias(out, b) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("shape", [(3, 4), (5000, 16), (20, 8, 24, 24)])
@pytest.mark.parametrize("in_place", [False, True])
def test_relu_forward_matches_maximum(shape: tuple[int, ...], in_place: bool) -> None:
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(np.float32)
    expected = np.maximum(x, 0)
    out = act.relu_forward(x, x if in_place else None)
    np.testing.assert_array_equal(out, expected)
    assert (out is x) == in_place


def test_relu_forward_on_a_transposed_view_and_the_shared_zeros_stay_zero() -> None:
    batch_last = np.random.default_rng(2).standard_normal((8, 24, 24, 20)).astype(np.float32)
    x = batch_last.transpose(3, 0, 1, 2)  # how conv hands over its (N, F, H, W) output
    expected = np.maximum(x, 0)
    np.testing.assert_array_equal(act.relu_forward(x, x), expected)
    zeros = act.zeros_laid_out_like(x)
    assert zeros.strides == x.strides
    assert not zeros.flags.writeable
    assert not zeros.any()


@pytest.mark.parametrize("k", [1, 2, 3, COLUMN_FOLD_MAX_CLASSES + 6])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_in_place_and_column_folds_match_the_textbook_expression(k: int, dtype: type) -> None:
    scores = (np.random.default_rng(k).standard_normal((9, k)) * 4).astype(dtype)
    shifted = scores - scores.max(axis=1, keepdims=True)
    np.testing.assert_array_equal(row_reduce(scores, np.maximum), scores.max(axis=1, keepdims=True))
    expected = np.exp(shifted) / row_reduce(np.exp(shifted), np.add)
    np.testing.assert_array_equal(softmax(scores), expected)
    in_place = scores.copy()
    assert softmax(in_place, in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_loss_matches_fancy_indexing(dtype: type) -> None:
    rng = np.random.default_rng(3)
    probs = softmax(rng.standard_normal((7, 4)).astype(dtype))
    y = rng.integers(0, 4, size=7)
    expected = probs.copy()
    expected[np.arange(7), y] -= 1
    expected *= dtype(1.0 / 7)
    picked = np.maximum(probs[np.arange(7), y], np.finfo(dtype).tiny)
    loss, dscores = softmax_loss(probs, y)
    np.testing.assert_array_equal(dscores, expected)
    assert loss == -float(np.add.reduce(np.log(picked))) / 7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tanh_backward_matches_its_formula(dtype: type) -> None:
    rng = np.random.default_rng(4)
    out, dout = np.tanh(rng.standard_normal((6, 5))).astype(dtype), rng.standard_normal((6, 5)).astype(dtype)
    np.testing.assert_array_equal(act.tanh_backward(dout, out), dout * (1 - out * out))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint64])
def test_labels_are_range_checked_in_every_integer_dtype(dtype: type) -> None:
    net = Net(CLASSIFY2D)
    x = np.zeros((3, 2))
    net.compute_gradients(x, np.array([0, 1, 1], dtype))
    with pytest.raises(SpecError, match=r"labels must be in 0\.\.1, got 0\.\.2"):
        net.compute_gradients(x, np.array([0, 2, 1], dtype))
    if np.issubdtype(dtype, np.signedinteger):
        with pytest.raises(SpecError, match=r"labels must be in 0\.\.1, got -1\.\.1"):
            net.compute_gradients(x, np.array([0, -1, 1], dtype))


def test_labels_of_a_narrow_dtype_are_all_valid_when_there_are_more_classes_than_it_holds() -> None:
    net = Net(
        [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2}, {"type": "softmax", "num_classes": 300}]
    )
    x = np.zeros((3, 2))
    assert np.isfinite(net.compute_gradients(x, np.array([0, 255, 7], np.uint8)))
    with pytest.raises(SpecError, match=r"labels must be in 0\.\.299, got 0\.\.300"):
        net.compute_gradients(x, np.array([0, 300, 7], np.uint16))


@pytest.mark.parametrize("method", ["sgd", "adam", "adadelta"])
@pytest.mark.parametrize("decay", [{}, {"l2_decay": 0.01}, {"l1_decay": 0.01, "l2_decay": 0.01}])
def test_apply_step_is_step_without_the_dict(method: str, decay: dict[str, float]) -> None:
    nets = [Net(CLASSIFY2D, seed=1) for _ in range(2)]
    optimizers = [make_optimizer(net, {"method": method, "batch_size": 4, **decay}) for net in nets]
    x = np.random.default_rng(5).standard_normal((4, 2))
    for _ in range(3):
        for net in nets:
            net.compute_gradients(x, [0, 1, 1, 0])
        stepped = optimizers[0].step()
        losses = optimizers[1].apply_step()
        assert losses == (stepped["l1_decay_loss"], stepped["l2_decay_loss"])
    np.testing.assert_array_equal(nets[0].flat.values, nets[1].flat.values)
