"""Property tests over shapes, strides and padding: kernels against naive loops and centred differences,
geometry checks against the output-size formula, and per-example independence of a batch."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine import Net, SpecError, desugar
from engine.kernels.activations import maxout_forward
from engine.kernels.normalization import batchnorm_forward
from engine.kernels.spatial import (
    avg_pool_backward,
    avg_pool_forward,
    conv_backward,
    conv_forward,
    max_pool_backward,
    max_pool_forward,
    output_size,
)
from tests.engine.gradcheck import assert_gradients_close, distinct_values, numerical_gradient_array

PROPERTY = settings(max_examples=40, deadline=None)


@st.composite
def window_geometry(draw: st.DrawFn, pool: bool = False) -> dict[str, int]:
    """A window, stride and pad that fit an input and tile it exactly, as the layers demand."""
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    pad = draw(st.integers(0, min(kh, kw) - 1 if pool else 2))
    out_h, out_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    # Choose the output size, then the input size that makes it: H + 2 pad = kh + stride (out_h - 1).
    height, width = kh + stride * (out_h - 1) - 2 * pad, kw + stride * (out_w - 1) - 2 * pad
    if height < 1 or width < 1:
        height, width = height + 2 * pad, width + 2 * pad
        pad = 0
    return {"n": draw(st.integers(1, 2)), "c": draw(st.integers(1, 3)), "height": height, "width": width,
            "kh": kh, "kw": kw, "stride": stride, "pad": pad, "out_h": out_h, "out_w": out_w}  # fmt: skip


def naive_windows(x: np.ndarray, g: dict[str, int], fill: float) -> np.ndarray:
    """(N, C, H', W', kh, kw) by explicit loops over output positions."""
    p = g["pad"]
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    out = np.empty((*x.shape[:2], g["out_h"], g["out_w"], g["kh"], g["kw"]))
    for i in range(g["out_h"]):
        for j in range(g["out_w"]):
            top, left = i * g["stride"], j * g["stride"]
            out[:, :, i, j] = padded[:, :, top : top + g["kh"], left : left + g["kw"]]
    return out


@PROPERTY
@given(geometry=window_geometry(), filters=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_conv_forward_matches_naive_correlation(geometry: dict[str, int], filters: int, seed: int) -> None:
    g = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((g["n"], g["c"], g["height"], g["width"]))
    w, b = rng.standard_normal((filters, g["c"], g["kh"], g["kw"])), rng.standard_normal(filters)
    out, _ = conv_forward(x, w, b, g["stride"], g["pad"])
    expected = np.einsum("ncijyx,fcyx->nfij", naive_windows(x, g, 0.0), w) + b[None, :, None, None]
    assert out.shape == (g["n"], filters, g["out_h"], g["out_w"])
    assert out.shape[2:] == (output_size(g["height"], g["kh"], g["stride"], g["pad"]),
                             output_size(g["width"], g["kw"], g["stride"], g["pad"]))  # fmt: skip
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@PROPERTY
@given(geometry=window_geometry(), filters=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_conv_backward_matches_numerical_gradients_for_any_geometry(
    geometry: dict[str, int], filters: int, seed: int
) -> None:
    g = geometry
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((g["n"], g["c"], g["height"], g["width"]))
    w, b = rng.standard_normal((filters, g["c"], g["kh"], g["kw"])), rng.standard_normal(filters)
    out, cache = conv_forward(x, w, b, g["stride"], g["pad"])
    dout = rng.standard_normal(out.shape)
    dx, dw, db = conv_backward(dout, cache, w, x.shape, g["stride"], g["pad"])

    def forward() -> np.ndarray:
        return conv_forward(x, w, b, g["stride"], g["pad"])[0]

    assert_gradients_close(dx, numerical_gradient_array(forward, x, dout))
    assert_gradients_close(dw, numerical_gradient_array(forward, w, dout))
    assert_gradients_close(db, numerical_gradient_array(forward, b, dout))


@PROPERTY
@given(geometry=window_geometry(pool=True), seed=st.integers(0, 2**16))
def test_pooling_matches_naive_windows_and_numerical_gradients(geometry: dict[str, int], seed: int) -> None:
    g = geometry
    rng = np.random.default_rng(seed)
    x = distinct_values(rng, (g["n"], g["c"], g["height"], g["width"]))
    window = (g["kh"], g["kw"], g["stride"], g["pad"])

    out_max, cache = max_pool_forward(x, *window)
    np.testing.assert_array_equal(out_max, naive_windows(x, g, -np.inf).max(axis=(4, 5)))
    dout = rng.standard_normal(out_max.shape)
    dx_max = max_pool_backward(dout, out_max, cache, x.shape, *window)
    assert_gradients_close(dx_max, numerical_gradient_array(lambda: max_pool_forward(x, *window)[0], x, dout))
    np.testing.assert_allclose(dx_max.sum(), dout.sum())  # every window's gradient lands on one input

    out_avg = avg_pool_forward(x, *window)
    np.testing.assert_allclose(out_avg, naive_windows(x, g, 0.0).mean(axis=(4, 5)), atol=1e-12)
    dx_avg = avg_pool_backward(dout, x.shape, *window)
    assert_gradients_close(dx_avg, numerical_gradient_array(lambda: avg_pool_forward(x, *window), x, dout))


@PROPERTY
@given(
    groups=st.integers(1, 4), group_size=st.integers(1, 4), spatial=st.booleans(), seed=st.integers(0, 2**16)
)
def test_maxout_output_is_the_group_maximum(groups: int, group_size: int, spatial: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (3, groups * group_size, 2, 2) if spatial else (3, groups * group_size)
    x = rng.standard_normal(shape)
    out, _ = maxout_forward(x, group_size)
    expected = x.reshape(3, groups, group_size, *shape[2:]).max(axis=2)
    np.testing.assert_array_equal(out, expected)


@PROPERTY
@given(n=st.integers(2, 6), channels=st.integers(1, 4), spatial=st.booleans(), seed=st.integers(0, 2**16))
def test_batchnorm_normalises_each_channel(n: int, channels: int, spatial: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    shape = (n, channels, 3, 2) if spatial else (n, channels)
    x = rng.standard_normal(shape) * rng.uniform(0.5, 5, size=channels).reshape(
        1, channels, *[1] * (len(shape) - 2)
    )
    out, _ = batchnorm_forward(x, np.ones(channels), np.zeros(channels), 1e-12)
    axes = (0, 2, 3) if spatial else (0,)
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=axes), 1, rtol=1e-6)


@st.composite
def spatial_layer(draw: st.DrawFn) -> tuple[int, dict[str, Any]]:
    size = draw(st.integers(1, 9))
    layer: dict[str, Any] = {"type": draw(st.sampled_from(["conv", "pool"])), "sx": draw(st.integers(1, 5)),
                             "stride": draw(st.integers(1, 3)), "pad": draw(st.integers(0, 2))}  # fmt: skip
    if layer["type"] == "conv":
        layer["filters"] = draw(st.integers(1, 3))
    return size, layer


@PROPERTY
@given(case=spatial_layer(), seed=st.integers(0, 100))
def test_net_accepts_exactly_the_geometries_convnetjs_computes(
    case: tuple[int, dict[str, Any]], seed: int
) -> None:
    size, layer = case
    defs = [{"type": "input", "out_sx": size, "out_sy": size, "out_depth": 2}, layer,
            {"type": "softmax", "num_classes": 2}]  # fmt: skip
    sx, stride, pad = layer["sx"], layer["stride"], layer["pad"]
    # Any window with an output, floored; pooling refuses a pad as wide as the window (a border window
    # would hold only padding).
    fits = sx <= size + 2 * pad and (layer["type"] == "conv" or pad < sx)
    if not fits:
        try:
            Net(defs)
        except SpecError as error:
            assert error.path == ("layers", 1)
            assert str(error).startswith(f"layer 1 ({layer['type']} sx={sx} stride={stride}")
            return
        raise AssertionError(f"accepted {layer} on {size}x{size}")
    net = Net(defs, seed=seed)
    out = output_size(size, sx, stride, pad)
    depth = layer.get("filters", 2)
    assert net.layers[1].out_shape == (depth, out, out)
    x = np.random.default_rng(seed).standard_normal((3, *net.input_shape))
    activations = net.activations(x)
    expected = (3, depth) if out == 1 else (3, depth, out, out)
    assert activations[1].shape == expected
    assert net.forward(x).shape == (3, 2)


@PROPERTY
@given(
    widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    activation=st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu", None]),
    loss=st.sampled_from(["softmax", "svm", "regression"]),
    batch=st.integers(1, 5),
    seed=st.integers(0, 1000),
)
def test_each_example_is_computed_independently_of_its_batch(
    widths: list[int], activation: str | None, loss: str, batch: int, seed: int
) -> None:
    size_field = "num_neurons" if loss == "regression" else "num_classes"
    defs: list[dict[str, Any]] = [{"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 3}]
    defs += [{"type": "fc", "num_neurons": width, "activation": activation} for width in widths]
    defs.append({"type": loss, size_field: 3})
    net = Net(defs, seed=seed, dtype=np.float64)
    x = np.random.default_rng(seed).standard_normal((batch, 3))
    out = net.forward(x)
    assert out.shape == (batch, 3)
    singles = np.concatenate([net.forward(x[i : i + 1]) for i in range(batch)])
    np.testing.assert_allclose(out, singles, rtol=1e-12, atol=1e-14)
    if loss == "softmax":
        np.testing.assert_allclose(out.sum(axis=1), 1.0)
        assert np.all(out > 0)


@PROPERTY
@given(
    hidden=st.lists(
        st.fixed_dictionaries(
            {"type": st.just("fc"), "num_neurons": st.integers(1, 4)},
            optional={
                "activation": st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
                "drop_prob": st.sampled_from([0.0, 0.5]),
            },
        ),
        max_size=4,
    )
)
def test_desugaring_expands_each_layer_by_its_shorthand(hidden: list[dict[str, Any]]) -> None:
    defs = [
        {"type": "input", "out_sx": 1, "out_sy": 1, "out_depth": 2},
        *hidden,
        {"type": "svm", "num_classes": 2},
    ]
    layers = desugar(defs)
    expected = 1 + sum(1 + ("activation" in layer) + ("drop_prob" in layer) for layer in hidden) + 2
    assert len(layers) == expected
    sources = [layer["source"] for layer in layers]
    assert sources == sorted(sources)
    assert set(sources) == set(range(len(defs)))
    assert [layer["type"] for layer in layers if layer["type"] in ("fc", "input", "svm")] == [
        "input", *["fc"] * len(hidden), "fc", "svm"]  # fmt: skip


def convnetjs_window_outputs(x: np.ndarray, layer: dict[str, Any], w: np.ndarray | None) -> np.ndarray:
    """ConvNetJS's own loops, one output at a time: conv (cross-correlation plus no bias) or max pool.
    x: (C, H, W), w: (F, C, sy, sx) -> (F or C, H', W')"""
    size_y, size_x = x.shape[1:]
    sx, stride, pad = layer["sx"], layer["stride"], layer["pad"]
    out_y, out_x = (size_y + 2 * pad - sx) // stride + 1, (size_x + 2 * pad - sx) // stride + 1
    depth = w.shape[0] if w is not None else x.shape[0]
    out = np.zeros((depth, out_y, out_x))
    for d in range(depth):
        for ay in range(out_y):
            for ax in range(out_x):
                y, x0 = ay * stride - pad, ax * stride - pad
                best, total = -99999.0, 0.0
                for fy in range(sx):
                    for fx in range(sx):
                        oy, ox = y + fy, x0 + fx
                        if 0 <= oy < size_y and 0 <= ox < size_x:
                            if w is None:
                                best = max(best, x[d, oy, ox])
                            else:
                                total += float(w[d, :, fy, fx] @ x[:, oy, ox])
                out[d, ay, ax] = best if w is None else total
    return out


@PROPERTY
@given(case=spatial_layer(), seed=st.integers(0, 100))
def test_conv_and_pool_compute_what_convnetjs_loops_compute(
    case: tuple[int, dict[str, Any]], seed: int
) -> None:
    size, layer = case
    assume(layer["sx"] <= size + 2 * layer["pad"] and (layer["type"] == "conv" or layer["pad"] < layer["sx"]))
    defs = [{"type": "input", "out_sx": size, "out_sy": size, "out_depth": 2}, layer,
            {"type": "softmax", "num_classes": 2}]  # fmt: skip
    net = Net(defs, seed=seed, dtype=np.float64)
    x = np.random.default_rng(seed).standard_normal((2, size, size))
    spatial = net.layers[1]
    w = spatial.params["w"] if layer["type"] == "conv" else None
    got = spatial.forward(x[None], False)
    got = got.reshape(1, *spatial.out_shape)[0]
    expected = convnetjs_window_outputs(x, layer, w)
    if w is not None:
        expected += spatial.params["b"][:, None, None]
    np.testing.assert_allclose(got, expected, atol=1e-12)
