"""Convolution and pooling over NCHW batches.

Convolution is im2col through a strided window view and one matrix product per layer: columns are laid
out (C*kh*kw, H'*W'*N) so the whole batch is a single GEMM rather than N small ones. Pooling and the
scatter back of gradients loop over the kh*kw offsets of a window (4 to 25), each one strided slice
over the whole batch: no Python loop over examples or output positions. Internally arrays are
batch-last, (C, H, W, N); inputs and outputs are NCHW views of any strides.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size: int, window: int, stride: int, pad: int) -> int:
    """Output length of a window sliding over `size` inputs padded by `pad` on both sides."""
    return (size + 2 * pad - window) // stride + 1


def to_padded_chwn(x: np.ndarray, pad: int, fill: float = 0.0) -> np.ndarray:
    """x: (N, C, H, W), any strides -> contiguous (C, H + 2 pad, W + 2 pad, N) with `fill` around.

    Batch-last memory makes every strided slice over a window offset a run of W'*N (or N) contiguous
    values instead of single values, which is what keeps im2col, col2im and pooling fast.
    """
    n, c, height, width = x.shape
    batch_last = x.transpose(1, 2, 3, 0)
    if not pad:
        return np.ascontiguousarray(batch_last)
    shape = (c, height + 2 * pad, width + 2 * pad, n)
    padded = np.zeros(shape, x.dtype) if fill == 0.0 else np.full(shape, fill, x.dtype)
    padded[:, pad : pad + height, pad : pad + width] = batch_last
    return padded


def from_chwn(x: np.ndarray, pad: int, height: int, width: int) -> np.ndarray:
    """Inverse of `to_padded_chwn` as a view: (C, H + 2 pad, W + 2 pad, N) -> (N, C, H, W)"""
    return x[:, pad : pad + height, pad : pad + width].transpose(3, 0, 1, 2)


def offset_slice(i: int, j: int, stride: int, out_h: int, out_w: int) -> tuple[slice, ...]:
    """Inputs at offset (i, j) of every window in a (C, H, W, N) array, cut to (C, H', W', N)."""
    return (slice(None), slice(i, i + stride * out_h, stride), slice(j, j + stride * out_w, stride))


def im2col(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> np.ndarray:
    """Every window as a column. x: (N, C, H, W) -> cols: (C*kh*kw, H'*W'*N)"""
    c = x.shape[1]
    padded = to_padded_chwn(x, pad)
    view = sliding_window_view(padded, (kh, kw), axis=(1, 2))[:, ::stride, ::stride]
    return view.transpose(0, 4, 5, 1, 2, 3).reshape(c * kh * kw, -1)


def col2im(dcols: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int) -> np.ndarray:
    """Sum window gradients back onto the input grid (the adjoint of `im2col`).

    dcols: (C, kh, kw, H', W', N) -> dx: x_shape = (N, C, H, W), a view of batch-last memory
    """
    c, kh, kw, out_h, out_w, n = dcols.shape
    height, width = x_shape[2], x_shape[3]
    dx = np.zeros((c, height + 2 * pad, width + 2 * pad, n), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[offset_slice(i, j, stride, out_h, out_w)] += dcols[:, i, j]
    return from_chwn(dx, pad, height, width)


def conv_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlation of a batch with F filters.

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) -> out: (N, F, H', W'), cols: (C*kh*kw, H'*W'*N)
    """
    n, _, height, width = x.shape
    f, _, kh, kw = w.shape
    cols = im2col(x, kh, kw, stride, pad)
    out = w.reshape(f, -1) @ cols
    out += b[:, None]
    out_h, out_w = output_size(height, kh, stride, pad), output_size(width, kw, stride, pad)
    return out.reshape(f, out_h, out_w, n).transpose(3, 0, 1, 2), cols


def conv_backward(
    dout: np.ndarray,
    cols: np.ndarray,
    w: np.ndarray,
    x_shape: tuple[int, ...],
    stride: int,
    pad: int,
    need_dx: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Gradients of `conv_forward`.

    dout: (N, F, H', W'), cols: (C*kh*kw, H'*W'*N), w: (F, C, kh, kw)
    -> dx: x_shape or None, dw: (F, C, kh, kw), db: (F,)
    """
    n, f, out_h, out_w = dout.shape
    dmat = dout.transpose(1, 2, 3, 0).reshape(f, -1)
    db = dmat.sum(axis=1)
    dw = (dmat @ cols.T).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    _, c, kh, kw = w.shape
    dcols = (w.reshape(f, -1).T @ dmat).reshape(c, kh, kw, out_h, out_w, n)
    return col2im(dcols, x_shape, stride, pad), dw, db


def max_pool_forward(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of each window (padding never wins).

    x: (N, C, H, W) -> out: (N, C, H', W'), padded: the -inf-padded batch-last input
    (C, H + 2 pad, W + 2 pad, N) that the backward pass needs
    """
    padded = to_padded_chwn(x, pad, fill=-np.inf)
    out_h, out_w = output_size(x.shape[2], kh, stride, pad), output_size(x.shape[3], kw, stride, pad)
    out = padded[offset_slice(0, 0, stride, out_h, out_w)].copy()
    for i in range(kh):
        for j in range(kw):
            if i or j:
                np.maximum(out, padded[offset_slice(i, j, stride, out_h, out_w)], out=out)
    return out.transpose(3, 0, 1, 2), padded


def max_pool_backward(
    dout: np.ndarray,
    out: np.ndarray,
    padded: np.ndarray,
    x_shape: tuple[int, ...],
    kh: int,
    kw: int,
    stride: int,
    pad: int,
) -> np.ndarray:
    """Route each window's gradient to its first maximum in row-major order, as ConvNetJS does.

    dout, out: (N, C, H', W'), padded: from `max_pool_forward` -> dx: x_shape
    """
    out_h, out_w = out.shape[2:]
    out, dout = out.transpose(1, 2, 3, 0), dout.transpose(1, 2, 3, 0)
    dx = np.zeros(padded.shape, dtype=dout.dtype)
    taken = np.zeros(out.shape, dtype=bool)
    for i in range(kh):
        for j in range(kw):
            index = offset_slice(i, j, stride, out_h, out_w)
            hit = padded[index] == out
            hit &= ~taken
            taken |= hit
            dx[index] += dout * hit
    return from_chwn(dx, pad, x_shape[2], x_shape[3])


def avg_pool_forward(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> np.ndarray:
    """Mean of each window, padding counted as zeros. x: (N, C, H, W) -> out: (N, C, H', W')"""
    padded = to_padded_chwn(x, pad)
    out_h, out_w = output_size(x.shape[2], kh, stride, pad), output_size(x.shape[3], kw, stride, pad)
    total = np.zeros((x.shape[1], out_h, out_w, x.shape[0]), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            total += padded[offset_slice(i, j, stride, out_h, out_w)]
    total *= x.dtype.type(1.0 / (kh * kw))
    return total.transpose(3, 0, 1, 2)


def avg_pool_backward(
    dout: np.ndarray, x_shape: tuple[int, ...], kh: int, kw: int, stride: int, pad: int
) -> np.ndarray:
    """Spread each window's gradient evenly. dout: (N, C, H', W') -> dx: x_shape"""
    n, c, height, width = x_shape
    out_h, out_w = dout.shape[2:]
    share = dout.transpose(1, 2, 3, 0) * dout.dtype.type(1.0 / (kh * kw))
    dx = np.zeros((c, height + 2 * pad, width + 2 * pad, n), dtype=dout.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[offset_slice(i, j, stride, out_h, out_w)] += share
    return from_chwn(dx, pad, height, width)
