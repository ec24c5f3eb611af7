"""Generated image sets: X-versus-O glyphs and filled shapes, any size, any count.

Both return X: (n_samples, 1, size, size) float32 with pixels in [0, 1] (ink is 1, background 0) and
y: (n_samples,) int64, classes balanced and rows in random order. Every glyph is drawn from a signed
distance field (negative inside) with a one-pixel soft edge, vectorised over a chunk of images.
``noise`` is the std of Gaussian pixel noise added before clipping back to [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.datasets.toy2d import class_sizes

Pair = tuple[np.ndarray, np.ndarray]
XO_CLASSES = ("x", "o")
SHAPE_CLASSES = ("circle", "square", "triangle", "cross", "star", "ring")
# Images drawn at once: bounds the (chunk, size, size) float64 temporaries to ~35 MB at size 64.
_CHUNK = 512


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates shaped to broadcast against (n, 1, 1) glyph parameters."""
    coords = np.arange(size, dtype=np.float64) + 0.5
    return coords[None, None, :], coords[None, :, None]


def _ink(distance: np.ndarray) -> np.ndarray:
    """Coverage of a pixel from the signed distance of its centre (pixels): 1 inside, soft 1px edge."""
    return np.clip(0.5 - distance, 0.0, 1.0)


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from pixel centres to segments a->b. a, b: (n, 2) -> (n, size, size)."""
    ax, ay = a[:, 0, None, None], a[:, 1, None, None]
    dx, dy = (b - a)[:, 0, None, None], (b - a)[:, 1, None, None]
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.hypot(px - ax - t * dx, py - ay - t * dy)


def _draw_xo(labels: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """One chunk of X (label 0) and O (label 1) glyphs: (n,) -> (n, size, size) coverage."""
    n = labels.shape[0]
    half = rng.uniform(0.28, 0.42, size=n) * size
    thickness = np.maximum(rng.uniform(0.08, 0.16, size=n) * size, 1.0)
    tilt = rng.uniform(-0.15, 0.15, size=n)
    # A tilted X reaches a little past `half` (up to sqrt(2)·cos(pi/4 - 0.15) ≈ 1.1).
    slack = np.maximum(size / 2 - 1.1 * half - thickness / 2, 0.0)
    centre = size / 2 + rng.uniform(-1.0, 1.0, size=(n, 2)) * slack[:, None]
    px, py = _grid(size)
    arms = []
    for angle in (np.pi / 4 + tilt, 3 * np.pi / 4 + tilt):
        # Diagonal arms reaching `half` along both axes, so an X fills the same box as an O.
        reach = np.sqrt(2) * half[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        arms.append(_segment_distance(px, py, centre - reach, centre + reach))
    cross = np.minimum(*arms)
    radius = np.hypot(px - centre[:, 0, None, None], py - centre[:, 1, None, None])
    ring = np.abs(radius - (half - thickness / 2)[:, None, None])
    distance = np.where(labels[:, None, None] == 0, cross, ring) - thickness[:, None, None] / 2
    return _ink(distance)


def _rotated(px: np.ndarray, py: np.ndarray, centre: np.ndarray, angle: np.ndarray) -> tuple:
    """Pixel coordinates in each glyph's own rotated frame: two (n, size, size) arrays."""
    dx, dy = px - centre[:, 0, None, None], py - centre[:, 1, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    return cos * dx + sin * dy, -sin * dx + cos * dy


def _polygon(u: np.ndarray, v: np.ndarray, radius: np.ndarray, sides: int, turn: float = 0.0) -> np.ndarray:
    """Approximate signed distance to a regular polygon with circumradius `radius` (exact inside)."""
    normals = np.pi / sides * (2 * np.arange(sides) + 1) + turn
    reach = np.max([np.cos(a) * u + np.sin(a) * v for a in normals], axis=0)
    return reach - radius * np.cos(np.pi / sides)


def _box(u: np.ndarray, v: np.ndarray, half_u: np.ndarray, half_v: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(u) - half_u, np.abs(v) - half_v)


SHAPE_SDF: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]] = {
    "circle": lambda u, v, r: np.hypot(u, v) - 0.8 * r,
    "square": lambda u, v, r: _polygon(u, v, r, 4),
    "triangle": lambda u, v, r: _polygon(u, v, r, 3),
    "cross": lambda u, v, r: np.minimum(_box(u, v, r, r / 3), _box(u, v, r / 3, r)),
    "star": lambda u, v, r: np.minimum(_polygon(u, v, r, 3), _polygon(u, v, r, 3, np.pi / 3)),
    "ring": lambda u, v, r: np.abs(np.hypot(u, v) - 0.7 * r) - 0.22 * r,
}


def _draw_shapes(
    labels: np.ndarray, size: int, names: tuple[str, ...], rng: np.random.Generator
) -> np.ndarray:
    """One chunk of filled shapes, labels index `names`: (n,) -> (n, size, size) coverage."""
    n = labels.shape[0]
    radius = rng.uniform(0.22, 0.42, size=n) * size
    slack = np.maximum(size / 2 - radius - 0.5, 0.0)
    centre = size / 2 + rng.uniform(-1.0, 1.0, size=(n, 2)) * slack[:, None]
    px, py = _grid(size)
    u, v = _rotated(px, py, centre, rng.uniform(0.0, 2 * np.pi, size=n))
    r = radius[:, None, None]
    distance = np.zeros((n, size, size))
    for label, name in enumerate(names):
        chosen = labels == label
        if chosen.any():
            distance[chosen] = SHAPE_SDF[name](u[chosen], v[chosen], r[chosen])
    return _ink(distance)


def _render(
    n_samples: int,
    n_classes: int,
    draw: Callable[[np.ndarray, np.random.Generator], np.ndarray],
    noise: float,
    rng: np.random.Generator,
) -> Pair:
    """Balanced shuffled labels, images drawn chunk by chunk, pixel noise: ((n, 1, s, s), (n,))."""
    y = rng.permutation(np.repeat(np.arange(n_classes, dtype=np.int64), class_sizes(n_samples, n_classes)))
    chunks = [draw(y[start : start + _CHUNK], rng) for start in range(0, n_samples, _CHUNK)]
    X = np.concatenate(chunks)[:, None, :, :]
    X = np.clip(X + noise * rng.standard_normal(X.shape), 0.0, 1.0)
    return X.astype(np.float32), y


def make_xo(
    n_samples: int, *, size: int = 9, noise: float = 0.0, rng: np.random.Generator | None = None
) -> Pair:
    """X-versus-O images (the lecture's toy ConvNet example) with random shift, scale, slight tilt and
    stroke thickness. Labels: 0 = x, 1 = o. Returns ((n_samples, 1, size, size), (n_samples,))."""
    return _render(n_samples, 2, lambda labels, r: _draw_xo(labels, size, r), noise, _rng(rng))


def make_shapes(
    n_samples: int,
    *,
    size: int = 16,
    classes: int = 3,
    noise: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Pair:
    """Filled shapes with random size, position and rotation; label i is ``SHAPE_CLASSES[i]`` and the
    first `classes` of them are used. Returns ((n_samples, 1, size, size), (n_samples,))."""
    names = SHAPE_CLASSES[:classes]
    return _render(
        n_samples, classes, lambda labels, r: _draw_shapes(labels, size, names, r), noise, _rng(rng)
    )
