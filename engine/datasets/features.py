"""TensorFlow Playground's input features for 2D points: x1, x2, x1², x2², x1·x2, sin x1, sin x2.

A job chooses a subset (by id, in any order); `apply_features` maps raw points to those columns. The
server maps the boundary grid through the same function so the net sees grid points exactly as it saw
the training points.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.errors import SpecError

FeatureFn = Callable[[np.ndarray, np.ndarray], np.ndarray]

# id -> (label shown on the page, function of the two raw coordinates)
FEATURES: dict[str, tuple[str, FeatureFn]] = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1sq": ("x₁²", lambda x1, x2: x1 * x1),
    "x2sq": ("x₂²", lambda x1, x2: x2 * x2),
    "x1x2": ("x₁x₂", lambda x1, x2: x1 * x2),
    "sinx1": ("sin(x₁)", lambda x1, x2: np.sin(x1)),
    "sinx2": ("sin(x₂)", lambda x1, x2: np.sin(x2)),
}
DEFAULT_FEATURES: tuple[str, ...] = ("x1", "x2")


def check_features(value: Any, path: tuple = ("features",)) -> tuple[str, ...]:
    """Validate a feature selection: a non-empty list of distinct known ids."""
    if not isinstance(value, list | tuple) or not value:
        raise SpecError(f"features: must be a non-empty list of feature ids, got {value!r}", path)
    for index, name in enumerate(value):
        if name not in FEATURES:
            known = ", ".join(FEATURES)
            raise SpecError(f"features: unknown feature {name!r} (known: {known})", (*path, index))
        if name in value[:index]:
            raise SpecError(f"features: {name!r} is listed twice", (*path, index))
    return tuple(value)


def apply_features(points: np.ndarray, features: Sequence[str] = DEFAULT_FEATURES) -> np.ndarray:
    """The chosen feature columns of 2D points.

    points: (N, 2) raw coordinates -> (N, len(features)) float32, columns in the order of `features`.
    """
    names = check_features(list(features))
    x1 = points[:, 0].astype(np.float64)
    x2 = points[:, 1].astype(np.float64)
    columns = [FEATURES[name][1](x1, x2) for name in names]
    return np.stack(columns, axis=1).astype(np.float32)


def feature_catalogue() -> list[dict[str, str]]:
    """JSON-able list of the features a job may choose: ``[{"id": "x1sq", "label": "x₁²"}, ...]``."""
    return [{"id": name, "label": label} for name, (label, _) in FEATURES.items()]
