"""Normalisation and the ConvNetJS demos' augmentation: random crops, horizontal flips, centre crop.

All functions are vectorised over the batch (no loop over images or pixels).
x: (N, C, H, W) float32 images throughout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Channels that are constant over the training split (e.g. an all-black border) keep std 1 instead of
# exploding into huge values.
_MIN_STD = 1e-6


@dataclass(frozen=True)
class Augmentation:
    """What the training batches go through: a random ``crop`` x ``crop`` window (0 = none) and
    random horizontal flips."""

    crop: int = 0
    flip: bool = False

    @property
    def active(self) -> bool:
        """True when training batches are changed at all."""
        return bool(self.crop) or self.flip


def channel_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of images, or per-feature of vectors.

    x: (N, C, H, W) -> mean, std: (C,); x: (N, D) -> mean, std: (D,). Computed in float64.
    """
    axes = (0, 2, 3) if x.ndim == 4 else (0,)
    mean = x.mean(axis=axes, dtype=np.float64)
    std = x.std(axis=axes, dtype=np.float64)
    std = np.where(std < _MIN_STD, 1.0, std)
    return mean, std


def normalise(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """(x - mean) / std per channel (images) or per feature (vectors); returns float32 of x's shape."""
    shape = (1, -1, 1, 1) if x.ndim == 4 else (1, -1)
    out = (x - mean.reshape(shape)) / std.reshape(shape)
    return out.astype(np.float32)


def centre_crop(x: np.ndarray, size: int) -> np.ndarray:
    """The central size x size window of every image (rounded towards the top left).

    x: (N, C, H, W) -> (N, C, size, size).
    """
    height, width = x.shape[2], x.shape[3]
    top, left = (height - size) // 2, (width - size) // 2
    return np.ascontiguousarray(x[:, :, top : top + size, left : left + size])


def random_crop(x: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """An independent random size x size window of every image.

    x: (N, C, H, W) -> (N, C, size, size).
    """
    n, channels, height, width = x.shape
    top = rng.integers(0, height - size + 1, size=n)
    left = rng.integers(0, width - size + 1, size=n)
    offsets = np.arange(size)
    rows = (top[:, None] + offsets)[:, None, :, None]
    cols = (left[:, None] + offsets)[:, None, None, :]
    images = np.arange(n)[:, None, None, None]
    chans = np.arange(channels)[None, :, None, None]
    return x[images, chans, rows, cols]


def random_flip(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image mirrored left-right with probability 1/2.

    x: (N, C, H, W) -> (N, C, H, W), a new array.
    """
    flip = rng.random(x.shape[0]) < 0.5
    return np.where(flip[:, None, None, None], x[:, :, :, ::-1], x)


def augment(x: np.ndarray, augmentation: Augmentation, rng: np.random.Generator) -> np.ndarray:
    """A training batch after the random crop and flip that `augmentation` asks for.

    x: (N, C, H, W) -> (N, C, crop, crop) (or (N, C, H, W) without crop).
    """
    if augmentation.crop:
        x = random_crop(x, augmentation.crop, rng)
    if augmentation.flip:
        x = random_flip(x, rng)
    return x
