"""The speed-ups in the kernels (tiled bias adds, relu against cached zeros, ...) give exactly what the
plain NumPy expression gives, on both sides of every size threshold."""

from __future__ import annotations

import numpy as np
import pytest

from engine.kernels import activations as act
from engine.kernels.dense import TILED_BIAS_MIN_SIZE, add_bias


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
