"""Convolution and pooling over NCHW batches through windowed views: one matrix product per conv
layer, no Python loop over examples or output positions (only over the few kernel offsets when
scattering gradients back)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(size: int, window: int, stride: int, pad: int) -> int:
    """Output length of a window sliding over `size` inputs padded by `pad` on both sides."""
    return (size + 2 * pad - window) // stride + 1


def windows(x: np.ndarray, kh: int, kw: int, stride: int, pad: int, fill: float = 0.0) -> np.ndarray:
    """A strided view of every window. x: (N, C, H, W) -> (N, C, H', W', kh, kw), no copy but the pad"""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=fill)
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def col2im(dcols: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int) -> np.ndarray:
    """Sum window gradients back onto the input grid (the adjoint of `windows`).

    dcols: (N, C, kh, kw, H', W') -> dx: x_shape = (N, C, H, W)
    """
    n, c, kh, kw, out_h, out_w = dcols.shape
    height, width = x_shape[2], x_shape[3]
    dx = np.zeros((n, c, height + 2 * pad, width + 2 * pad), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dx[:, :, i : i + stride * out_h : stride, j : j + stride * out_w : stride] += dcols[:, :, i, j]
    return dx[:, :, pad : pad + height, pad : pad + width] if pad else dx


def conv_forward(
    x: np.ndarray, w: np.ndarray, b: np.ndarray, stride: int, pad: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlation of a batch with F filters.

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) -> out: (N, F, H', W'), cols: (N, C*kh*kw, H'*W')
    """
    n = x.shape[0]
    f, c, kh, kw = w.shape
    view = windows(x, kh, kw, stride, pad)
    out_h, out_w = view.shape[2], view.shape[3]
    cols = view.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * kh * kw, out_h * out_w)
    out = np.matmul(w.reshape(f, -1), cols)
    out += b[:, None]
    return out.reshape(n, f, out_h, out_w), cols


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

    dout: (N, F, H', W'), cols: (N, C*kh*kw, H'*W'), w: (F, C, kh, kw)
    -> dx: x_shape or None, dw: (F, C, kh, kw), db: (F,)
    """
    n, f, out_h, out_w = dout.shape
    flat_dout = dout.reshape(n, f, out_h * out_w)
    db = flat_dout.sum(axis=(0, 2))
    dw = np.matmul(flat_dout, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)
    if not need_dx:
        return None, dw, db
    dcols = np.matmul(w.reshape(f, -1).T, flat_dout)
    _, c, kh, kw = w.shape
    dx = col2im(dcols.reshape(n, c, kh, kw, out_h, out_w), x_shape, stride, pad)
    return dx, dw, db


def max_pool_forward(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Maximum of each window (padding never wins). x: (N, C, H, W) -> out: (N, C, H', W'),
    winners: (N, C, H', W') index of the maximum within its window (row-major over kh, kw)"""
    view = windows(x, kh, kw, stride, pad, fill=-np.inf)
    flat = view.reshape(*view.shape[:4], kh * kw)
    winners = flat.argmax(axis=-1)
    out = np.take_along_axis(flat, winners[..., None], axis=-1)[..., 0]
    return out, winners


def _scatter_windows(dwin: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int) -> np.ndarray:
    """dwin: (N, C, H', W', kh, kw) gradient per window element -> dx: x_shape"""
    out_h, out_w, kh, kw = dwin.shape[2:]
    if stride == kh == kw and pad == 0 and x_shape[2] == out_h * kh and x_shape[3] == out_w * kw:
        return dwin.transpose(0, 1, 2, 4, 3, 5).reshape(x_shape)
    return col2im(dwin.transpose(0, 1, 4, 5, 2, 3), x_shape, stride, pad)


def max_pool_backward(
    dout: np.ndarray,
    winners: np.ndarray,
    x_shape: tuple[int, ...],
    kh: int,
    kw: int,
    stride: int,
    pad: int,
) -> np.ndarray:
    """Route each window's gradient to its maximum. dout, winners: (N, C, H', W') -> dx: x_shape"""
    picked = np.arange(kh * kw) == winners[..., None]
    dwin = (picked * dout[..., None]).astype(dout.dtype, copy=False)
    return _scatter_windows(dwin.reshape(*dout.shape, kh, kw), x_shape, stride, pad)


def avg_pool_forward(x: np.ndarray, kh: int, kw: int, stride: int, pad: int) -> np.ndarray:
    """Mean of each window, padding counted as zeros. x: (N, C, H, W) -> out: (N, C, H', W')"""
    return windows(x, kh, kw, stride, pad).mean(axis=(4, 5), dtype=x.dtype)


def avg_pool_backward(
    dout: np.ndarray, x_shape: tuple[int, ...], kh: int, kw: int, stride: int, pad: int
) -> np.ndarray:
    """Spread each window's gradient evenly. dout: (N, C, H', W') -> dx: x_shape"""
    share = dout * dout.dtype.type(1.0 / (kh * kw))
    dwin = np.broadcast_to(share[..., None, None], (*dout.shape, kh, kw))
    return _scatter_windows(np.ascontiguousarray(dwin), x_shape, stride, pad)
