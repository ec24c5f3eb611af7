"""2D classification problems: points in a square, labels are class indices (class A = 0, B = 1, ...).

Every generator reads like scikit-learn's ``make_*``: ``make_rings(n_samples, *, noise=0.0, rng=None)
-> (X, y)`` with X: (n_samples, 2) float64 inside `EXTENT` and y: (n_samples,) int64. Classes are
balanced (sizes differ by at most one) and the rows come in random order.

What ``noise`` (0 .. 0.5) means differs by set and is documented on each function. For the rule-based
sets (quadrants, rings, three_mode, circle, linear) labels are given by the exact rule on clean points
and then the coordinates are jittered by N(0, noise²), so at noise 0 every label obeys the rule and with
noise some points near a boundary land on the wrong side. Jittered points are clipped to the square.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

HALF_WIDTH = 3.0
EXTENT = (-HALF_WIDTH, HALF_WIDTH, -HALF_WIDTH, HALF_WIDTH)
Pair = tuple[np.ndarray, np.ndarray]

# The three_mode blobs: centres 120 degrees apart on a circle, each a Gaussian cut off at MODE_RADIUS.
MODE_CENTRES = 1.8 * np.array([[np.cos(a), np.sin(a)] for a in np.deg2rad([90.0, 210.0, 330.0])])
MODE_RADIUS = 0.9
MODE_STD = 0.4
# The linear set's boundary: w . x = 0, with an empty margin of LINEAR_MARGIN on both sides.
LINEAR_NORMAL = np.array([np.cos(np.deg2rad(60.0)), np.sin(np.deg2rad(60.0))])
LINEAR_MARGIN = 0.2
CIRCLE_INNER = 1.25
CIRCLE_OUTER = (1.75, 2.75)


def class_sizes(n_samples: int, n_classes: int) -> np.ndarray:
    """Balanced class sizes: (n_classes,) int, summing to n_samples, differing by at most one."""
    sizes = np.full(n_classes, n_samples // n_classes)
    sizes[: n_samples % n_classes] += 1
    return sizes


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _uniform_where(n: int, keep: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """n points uniform over the part of the square where `keep` is true: (n, 2)."""
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        candidates = rng.uniform(-HALF_WIDTH, HALF_WIDTH, size=(2 * (n - count) + 16, 2))
        kept = candidates[keep(candidates)]
        found.append(kept)
        count += kept.shape[0]
    return np.concatenate(found)[:n]


def _assemble(parts: list[np.ndarray], noise: float, rng: np.random.Generator) -> Pair:
    """Stack per-class point arrays, jitter by N(0, noise²), clip to the square, shuffle rows."""
    X = np.concatenate(parts)
    y = np.concatenate([np.full(part.shape[0], label, dtype=np.int64) for label, part in enumerate(parts)])
    X = np.clip(X + noise * rng.standard_normal(X.shape), -HALF_WIDTH, HALF_WIDTH)
    order = rng.permutation(X.shape[0])
    return X[order], y[order]


def _polar(radius: np.ndarray, angle: np.ndarray) -> np.ndarray:
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def _annulus(n: int, inner: float, outer: float, rng: np.random.Generator) -> np.ndarray:
    """n points uniform by area in inner <= r <= outer: (n, 2)."""
    radius = np.sqrt(rng.uniform(inner**2, outer**2, size=n))
    return _polar(radius, rng.uniform(0.0, 2 * np.pi, size=n))


def make_quadrants(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """Class A: first and third quadrants (x1·x2 > 0); class B: second and fourth.

    Uniform in each class's quadrants; noise: coordinate jitter std.
    """
    rng = _rng(rng)
    n_a, n_b = class_sizes(n_samples, 2)
    sign_a = rng.choice([-1.0, 1.0], size=(n_a, 1))
    sign_b = rng.choice([-1.0, 1.0], size=(n_b, 1)) * np.array([[1.0, -1.0]])
    class_a = rng.uniform(0.0, HALF_WIDTH, size=(n_a, 2)) * sign_a
    class_b = rng.uniform(0.0, HALF_WIDTH, size=(n_b, 2)) * sign_b
    return _assemble([class_a, class_b], noise, rng)


def make_rings(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """Class A: the ring 1 <= ||x|| <= 2; class B: everything else in the square (inside and outside).

    Both uniform by area; noise: coordinate jitter std.
    """
    rng = _rng(rng)
    n_a, n_b = class_sizes(n_samples, 2)
    class_a = _annulus(n_a, 1.0, 2.0, rng)

    def off_ring(p: np.ndarray) -> np.ndarray:
        radius = np.hypot(p[:, 0], p[:, 1])
        return (radius < 1.0) | (radius > 2.0)

    class_b = _uniform_where(n_b, off_ring, rng)
    return _assemble([class_a, class_b], noise, rng)


def distance_to_modes(points: np.ndarray) -> np.ndarray:
    """Distance of each point to the nearest three_mode centre: (N, 2) -> (N,)."""
    offsets = points[:, None, :] - MODE_CENTRES[None, :, :]
    return np.sqrt((offsets**2).sum(axis=2)).min(axis=1)


def make_three_mode(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """Class A: three separate Gaussian blobs (each cut off at `MODE_RADIUS` from its centre);
    class B: everything else in the square, uniform.

    noise: coordinate jitter std.
    """
    rng = _rng(rng)
    n_a, n_b = class_sizes(n_samples, 2)
    blobs = []
    for centre, size in zip(MODE_CENTRES, class_sizes(n_a, 3), strict=True):
        found = np.empty((0, 2))
        while found.shape[0] < size:
            offsets = MODE_STD * rng.standard_normal((2 * size + 8, 2))
            found = np.concatenate([found, offsets[np.hypot(offsets[:, 0], offsets[:, 1]) <= MODE_RADIUS]])
        blobs.append(centre + found[:size])
    class_b = _uniform_where(n_b, lambda p: distance_to_modes(p) > MODE_RADIUS, rng)
    return _assemble([np.concatenate(blobs), class_b], noise, rng)


def make_circle(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """Class A: a disc of radius 1.25; class B: the ring 1.75 <= r <= 2.75 around it (TF Playground).

    noise: coordinate jitter std.
    """
    rng = _rng(rng)
    n_a, n_b = class_sizes(n_samples, 2)
    class_a = _annulus(n_a, 0.0, CIRCLE_INNER, rng)
    class_b = _annulus(n_b, *CIRCLE_OUTER, rng)
    return _assemble([class_a, class_b], noise, rng)


def make_linear(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """A linearly separable baseline: class A where w·x > 0.2, class B where w·x < -0.2 (w at 60°).

    Uniform in each half of the square; noise: coordinate jitter std.
    """
    rng = _rng(rng)
    n_a, n_b = class_sizes(n_samples, 2)
    class_a = _uniform_where(n_a, lambda p: p @ LINEAR_NORMAL > LINEAR_MARGIN, rng)
    class_b = _uniform_where(n_b, lambda p: p @ LINEAR_NORMAL < -LINEAR_MARGIN, rng)
    return _assemble([class_a, class_b], noise, rng)


def _blobs(
    centres: np.ndarray, labels: np.ndarray, n_samples: int, std: float, rng: np.random.Generator
) -> Pair:
    """Gaussian blobs with std `std`; blob i belongs to class labels[i]; classes balanced."""
    n_classes = int(labels.max()) + 1
    parts = []
    for label, size in enumerate(class_sizes(n_samples, n_classes)):
        members = np.flatnonzero(labels == label)
        per_blob = class_sizes(int(size), members.shape[0])
        which = np.repeat(members, per_blob)
        parts.append(centres[which] + std * rng.standard_normal((int(size), 2)))
    return _assemble(parts, 0.0, rng)


def make_xor(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """XOR: four blobs at (±1.5, ±1.5); class A = the blobs where x1·x2 > 0, class B the other two.

    noise: widens the blobs, std = 0.25 + 1.5·noise (at 0 the blobs never cross an axis in practice).
    """
    centres = np.array([[1.5, 1.5], [-1.5, -1.5], [-1.5, 1.5], [1.5, -1.5]])
    return _blobs(centres, np.array([0, 0, 1, 1]), n_samples, 0.25 + 1.5 * noise, _rng(rng))


def make_gauss(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """Two Gaussian blobs at (1.5, 1.5) (class A) and (-1.5, -1.5) (class B).

    noise: widens the blobs, std = 0.4 + 1.6·noise (they overlap from about noise 0.3).
    """
    centres = np.array([[1.5, 1.5], [-1.5, -1.5]])
    return _blobs(centres, np.array([0, 1]), n_samples, 0.4 + 1.6 * noise, _rng(rng))


def make_multiclass(
    n_samples: int, *, classes: int = 3, noise: float = 0.0, rng: np.random.Generator | None = None
) -> Pair:
    """`classes` Gaussian blobs evenly spaced on a circle of radius 1.8, one class each.

    noise: widens the blobs, std = 0.3 + 1.2·noise.
    """
    angles = np.pi / 2 + 2 * np.pi * np.arange(classes) / classes
    centres = _polar(np.full(classes, 1.8), angles)
    return _blobs(centres, np.arange(classes), n_samples, 0.3 + 1.2 * noise, _rng(rng))


def make_spiral(
    n_samples: int, *, classes: int = 2, noise: float = 0.0, rng: np.random.Generator | None = None
) -> Pair:
    """`classes` interleaved spiral arms (1.75 turns, radius up to 2.8), one class per arm.

    noise: coordinate jitter std = 0.6·noise.
    """
    rng = _rng(rng)
    parts = []
    for arm, size in enumerate(class_sizes(n_samples, classes)):
        t = rng.uniform(0.0, 1.0, size=int(size))
        angle = 2 * np.pi * arm / classes + 1.75 * 2 * np.pi * t
        parts.append(_polar(2.8 * t, angle))
    return _assemble(parts, 0.6 * noise, rng)


def make_moons(n_samples: int, *, noise: float = 0.0, rng: np.random.Generator | None = None) -> Pair:
    """scikit-learn's two interleaving half circles, centred and scaled by 1.5.

    noise: coordinate jitter std = 1.5·noise (noise is scikit-learn's, in unscaled units).
    """
    rng = _rng(rng)
    n_a, n_b = class_sizes(n_samples, 2)
    t_a = rng.uniform(0.0, np.pi, size=n_a)
    t_b = rng.uniform(0.0, np.pi, size=n_b)
    class_a = np.stack([np.cos(t_a), np.sin(t_a)], axis=1)
    class_b = np.stack([1.0 - np.cos(t_b), 0.5 - np.sin(t_b)], axis=1)
    centre = np.array([0.5, 0.25])
    return _assemble([1.5 * (class_a - centre), 1.5 * (class_b - centre)], 1.5 * noise, rng)
