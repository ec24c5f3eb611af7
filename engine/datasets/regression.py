"""Regression problems for nets that end in a regression layer.

``make_regress_plane`` and ``make_regress_gauss``: X: (n_samples, 2) float64 uniform in the same square
as the classification sets (`toy2d.EXTENT`), y: (n_samples, 1) float64 targets in about [-1, 1].
``make_sine``: ConvNetJS's regression demo, X: (n_samples, 1) uniform in [-5, 5],
y = x·sin(x): (n_samples, 1).
``noise`` is the std of Gaussian noise added to the targets.
"""

from __future__ import annotations

import numpy as np

from engine.datasets.toy2d import HALF_WIDTH

Pair = tuple[np.ndarray, np.ndarray]

# (x, y, sign) of TF Playground's six bumps, scaled from its [-6, 6] square to ours.
GAUSS_BUMPS = np.array(
    [
        [-2.0, 1.25, 1.0],
        [0.0, 1.25, -1.0],
        [2.0, 1.25, 1.0],
        [-2.0, -1.25, -1.0],
        [0.0, -1.25, 1.0],
        [2.0, -1.25, -1.0],
    ]
)
BUMP_STD = 0.6
SINE_RANGE = 5.0
# The plot window of the sine set: x range, then y range that holds x·sin(x) plus noise.
SINE_EXTENT = (-SINE_RANGE, SINE_RANGE, -6.0, 3.0)


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _square(n_samples: int, rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(n_samples, 2))


def plane_target(points: np.ndarray) -> np.ndarray:
    """The noiseless plane: (x1 + x2) / 6, from -1 to 1 over the square. (N, 2) -> (N, 1)."""
    return ((points[:, 0] + points[:, 1]) / (2 * HALF_WIDTH))[:, None]


def gauss_target(points: np.ndarray) -> np.ndarray:
    """The noiseless sum of the six signed Gaussian bumps (peak height ±1). (N, 2) -> (N, 1)."""
    offsets = points[:, None, :] - GAUSS_BUMPS[None, :, :2]
    heights = np.exp(-(offsets**2).sum(axis=2) / (2 * BUMP_STD**2))
    return (heights @ GAUSS_BUMPS[:, 2])[:, None]


def make_regress_plane(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """A tilted plane over the square: y = (x1 + x2) / 6 + N(0, noise²)."""
    rng = _rng(rng)
    X = _square(n_samples, rng)
    return X, plane_target(X) + noise * rng.standard_normal((n_samples, 1))


def make_regress_gauss(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """Six signed Gaussian bumps (std 0.6, heights ±1) over the square, plus N(0, noise²)."""
    rng = _rng(rng)
    X = _square(n_samples, rng)
    return X, gauss_target(X) + noise * rng.standard_normal((n_samples, 1))


def make_sine(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """ConvNetJS's 1D regression demo: y = x·sin(x) + N(0, noise²) for x uniform in [-5, 5]."""
    rng = _rng(rng)
    X = rng.uniform(-SINE_RANGE, SINE_RANGE, size=(n_samples, 1))
    return X, X * np.sin(X) + noise * rng.standard_normal((n_samples, 1))
